"""The demo's peer county: a second Anju installation, for the county where the demo resident's
household is registered (太和县 with the default seed), with its own data directory
(`data_dir/demo_peer/<code>/`), SQLite database (migrated like any `anju init-db`), SM2 key and
secret. The two become peers with a shared link secret; the demo county sends last month's
released statistics and an arrival notice for the resident (as an approval would, through the
federation listener), the peer sends its statistics back, and every message goes through the
real outbox, signature, receive path and message log on both sides — only the HTTP hop is
replaced by calling the other installation's receive function in this process, with that
installation's settings in force. So the administrator's /admin/federation, the analyst's and
leader's flows and the resident's registration show real messages.

The peer is not served afterwards (its address is a placeholder): later sends from the demo
county wait in its outbox and show the peer as unreachable, as they would for a real county
that is down. The peer's own statistics are synthetic, like every figure of the demo: 长兴's
registered people living in its townships, counted by a provider given to its `send_stats`.
"""
from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from anju.core import divisions, migrate, signing
from anju.core.config import get_settings, reset_settings_cache
from anju.core.db import Database
from anju.core.identity import job_actor
from anju.federation import service, stats
from anju.federation.service.continuity import on_registration_approved
from anju.registry import reads
from anju.registry.models import Registration

# agreed between the two demo counties; a real pair agrees theirs out of band
LINK_SECRET = "anju-demo-link-secret-2026-not-for-production"
PEER_URL = "http://demo-peer.invalid"
_KEYS = ("ANJU_DATA_DIR", "ANJU_COUNTY_CODE", "ANJU_DATABASE_URL", "ANJU_SECRET_KEY",
         "ANJU_SIGNING_KEY_PATH")


@contextmanager
def _as(env: dict[str, str]) -> Iterator[None]:
    """This process acting as the other installation: its settings, key and audit key."""
    saved = {k: os.environ.get(k) for k in _KEYS}
    os.environ.update(env)
    reset_settings_cache()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings_cache()


def _env_of(home: Path, code: str) -> dict[str, str]:
    secret_file = home / "secret"
    if not secret_file.exists():
        secret_file.write_text(os.urandom(24).hex())
        secret_file.chmod(0o600)
    return {"ANJU_DATA_DIR": str(home), "ANJU_COUNTY_CODE": code,
            "ANJU_DATABASE_URL": f"sqlite:///{home / 'anju.sqlite3'}",
            "ANJU_SECRET_KEY": secret_file.read_text(),
            "ANJU_SIGNING_KEY_PATH": str(home / "keys" / "installation-sm2.key")}


def _env_here() -> dict[str, str]:
    s = get_settings()
    return {"ANJU_DATA_DIR": str(s.data_dir), "ANJU_COUNTY_CODE": s.county_code,
            "ANJU_DATABASE_URL": s.resolved_database_url, "ANJU_SECRET_KEY": s.secret_key,
            "ANJU_SIGNING_KEY_PATH": str(s.resolved_signing_key_path)}


def _peer_flows(seed: int, home_county: str, peer_county: str) -> stats.Provider:
    """The peer's statistics provider: 长兴's registered people living in the peer's townships
    (synthetic, seeded), as its registry would count them."""
    rng = random.Random(seed)
    origins = [d.code for d in divisions.children(home_county.ljust(12, "0"))][:4]
    towns = [d.code for d in divisions.children(peer_county.ljust(12, "0"))][:3]

    def provide(session, first, last) -> list[stats.FlowCell]:
        return [stats.FlowCell(stats.township(o), stats.township(t), rng.choice((3, 18, 24, 40)),
                               rng.choice((0, 2, 17, 21)), rng.randint(16, 90))
                for o in origins for t in towns]

    return provide


def build(db: Database, resident_code: str, progress: Callable[[str], object],
          seed: int = 2026) -> dict[str, int]:
    """Make the peer installation, pair the two, and exchange statistics and an arrival notice;
    answers how many messages each side delivered."""
    here, actor = get_settings(), job_actor("demo")
    signing.ensure_key()
    with db.unit_of_work() as s:
        hukou = (reads.person_facts(s, resident_code) or {}).get("hukou_division_code") or ""
        registration = s.execute(select(Registration).where(
            Registration.person_code == resident_code, Registration.status == "approved")
            .order_by(Registration.id.desc())).scalars().first()
    code = hukou[:6]
    county = divisions.get(code.ljust(12, "0"))
    if county is None or code == here.county_code or registration is None:
        progress("demo: federation: the resident has no other county of registration; no peer")
        return {}
    home = here.data_dir / "demo_peer" / code
    shutil.rmtree(home, ignore_errors=True)  # a peer left by an earlier demo build is stale
    home.mkdir(parents=True)
    env_peer, env_here = _env_of(home, code), _env_here()
    with _as(env_peer):
        migrate.upgrade(env_peer["ANJU_DATABASE_URL"])
        signing.ensure_key()
        peer_key = signing.public_key().to_text()
    peer_db = Database(env_peer["ANJU_DATABASE_URL"])
    own_key, own_name = signing.public_key().to_text(), divisions.get(
        here.county_code.ljust(12, "0"))
    try:
        with db.unit_of_work() as s:  # here: the origin county has asked for arrival notices
            service.add_peer(s, actor, name=county.name, division=code, url=PEER_URL,
                             public_key=peer_key, link_secret=LINK_SECRET, arrival_notices=True)
            service.send_stats(s, actor, peer=code)
            on_registration_approved(s, actor, registration)  # as the approval would have
        with _as(env_peer), peer_db.unit_of_work() as s:
            service.add_peer(s, actor, name=own_name.name if own_name else here.county_code,
                             division=here.county_code, url=PEER_URL, public_key=own_key,
                             link_secret=LINK_SECRET)

        def to(env: dict, target: Database):
            def post(url: str, envelope: dict) -> tuple[int, dict | None]:
                with _as(env):  # the other side's receive path, under its own settings
                    return service.receive(target, json.dumps(envelope).encode())
            return post

        sent = service.flush(db, actor, force=True, transport=to(env_peer, peer_db)).delivered
        with _as(env_peer):
            saved, stats.PROVIDER = stats.PROVIDER, _peer_flows(seed, here.county_code, code)
            try:
                with peer_db.unit_of_work() as s:
                    service.send_stats(s, actor, peer=here.county_code)
            finally:
                stats.PROVIDER = saved
            back = service.flush(peer_db, actor, force=True, transport=to(env_here, db)).delivered
    finally:
        peer_db.dispose()
    progress(f"demo: federation: peer {county.name} ({code}) at {home}: {sent} messages sent, "
             f"{back} received")
    return {"sent": sent, "received": back}
