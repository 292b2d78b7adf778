"""Two Anju installations, each a real server (`anju serve` in its own process) on its own port
with its own database, data directory, secret and signing key: they become peers, exchange
released statistics and a continuity request, refuse forged, replayed and unknown messages (and
log the refusals), and deliver exactly once after the receiver comes back."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from anju.core import signing
from anju.core.config import reset_settings_cache
from anju.core.db import Database
from tests.factories import PASSWORD, make_account, make_person, valid_id
from tests.support.pgserver import free_port

ROOT = Path(__file__).resolve().parents[2]
A_CODE, B_CODE = "330522", "330523"  # 长兴县, 安吉县
LINK_SECRET = "agreed-between-changxing-and-anji-2026"


@dataclass
class Installation:
    name: str
    code: str
    home: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict:
        return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ANJU_ENVIRONMENT": "test",
                "ANJU_DATA_DIR": str(self.home), "ANJU_COUNTY_CODE": self.code,
                "ANJU_DATABASE_URL": f"sqlite:///{self.home / 'anju.sqlite3'}",
                "ANJU_SECRET_KEY": f"secret-of-{self.code}-not-for-production-0123456789"}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "anju.cli.main", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert not check or done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "anju.cli.main", "serve", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"{self.name} did not start"
            try:
                httpx.get(f"{self.url}/login", timeout=1)
                return
            except httpx.HTTPError:
                assert time.monotonic() < deadline, f"{self.name} did not answer"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    @contextmanager
    def inside(self, monkeypatch):
        """This test process acting as this installation (its settings, its database)."""
        for key in ("ANJU_DATA_DIR", "ANJU_COUNTY_CODE", "ANJU_DATABASE_URL", "ANJU_SECRET_KEY"):
            monkeypatch.setenv(key, self.env[key])
        reset_settings_cache()
        db = Database(self.env["ANJU_DATABASE_URL"])
        try:
            yield db
        finally:
            db.dispose()
            reset_settings_cache()

    def token(self, username: str) -> dict:
        answer = httpx.post(f"{self.url}/api/v1/auth/token",
                            data={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _movers(db: Database, landlord: str, per_township: dict[str, int], month_day: date) -> None:
    """Persons registered (户籍) in 安吉 living in 长兴, approved from `month_day`."""
    from anju.core import divisions
    from anju.core.identity import SYSTEM
    from anju.registry import bulk

    for n_house, (township, n) in enumerate(per_township.items()):
        village = next(d.code for d in divisions.children(township)
                       if d.level == divisions.VILLAGE and not d.retired)
        with db.unit_of_work() as s:
            codes = bulk.load_persons(s, SYSTEM, [bulk.BulkPerson(
                f"迁入{n_house}{i}", valid_id(B_CODE, date(1988, 1, 1 + i % 28)), None, None,
                village) for i in range(n)])
            rooms = bulk.load_houses(s, SYSTEM, [bulk.BulkHouse(
                f"长兴县幸福路 {n_house + 1} 号", village, landlord,
                tuple((f"{i + 1:03d}", 1) for i in range(n)))])[0]
            bulk.load_registrations(s, SYSTEM, [bulk.BulkRegistration(
                code, room, month_day, "work", "approved")
                for code, room in zip(codes, rooms)]).raise_for_rejected()


def _log(db: Database) -> list:
    from sqlalchemy import select

    from anju.federation.models import LogEntry

    with db.unit_of_work() as s:
        return [(e.kind, e.status, (e.content or {}).get("code"), e.message_id)
                for e in s.execute(select(LogEntry).order_by(LogEntry.seq)).scalars()]


def _envelope(sender: str, key: signing.KeyPair, **over) -> dict:
    envelope = {"version": "anju-federation/1", "message_id": over.pop("message_id", "forged-0001"),
                "sender": sender, "receiver": B_CODE,
                "sent_at": datetime.now(UTC).isoformat(), "type": "stats",
                "body": {"month": "2026-11", "cells": []}} | over
    envelope["signature"] = key.sign(envelope)
    return envelope


def test_two_installations_exchange_signed_messages(tmp_path, monkeypatch):
    a = Installation("A 长兴", A_CODE, tmp_path / "a", free_port())
    b = Installation("B 安吉", B_CODE, tmp_path / "b", free_port())
    secret_file = tmp_path / "link.secret"
    secret_file.write_text(LINK_SECRET)
    shared_id = valid_id(B_CODE, date(1990, 6, 1))
    for inst in (a, b):
        inst.home.mkdir()
        inst.cli("init-db")
    # --- peers: each prints its key; the other adds it -------------------------------------
    keys = {}
    for inst in (a, b):
        keys[inst.code] = tmp_path / f"{inst.code}.pub"
        keys[inst.code].write_text(inst.cli("federation", "public-key").stdout)
    a.cli("peers", "add", "--name", "安吉县", "--division", B_CODE, "--url", b.url,
          "--public-key", str(keys[B_CODE]), "--link-secret-file", str(secret_file))
    b.cli("peers", "add", "--name", "长兴县", "--division", A_CODE, "--url", a.url,
          "--public-key", str(keys[A_CODE]), "--link-secret-file", str(secret_file))
    assert "安吉县" in a.cli("peers", "list").stdout
    # --- each installation's people and officials -------------------------------------------
    with a.inside(monkeypatch) as db:
        police = make_account(db, "police", division=A_CODE)
        landlord = make_person(db, police, "李房东", id_number=valid_id(A_CODE, date(1960, 1, 1)))
        _movers(db, landlord, {"330522001000": 20, "330522002000": 30, "330522101000": 5},
                date(2026, 11, 5))
        person_a = make_person(db, police, "陈小梅", id_number=shared_id)
        make_account(db, "window_clerk", division=A_CODE, username="clerk-a")
        make_account(db, "admin", division=A_CODE, username="admin-a")
        make_account(db, "resident", person_code=person_a, username="chen-a")
    with b.inside(monkeypatch) as db:
        police = make_account(db, "police", division=B_CODE)
        person_b = make_person(db, police, "陈小梅", id_number=shared_id, phone="13900002222",
                               hukou_address="浙江省湖州市安吉县递铺街道")
        make_account(db, "admin", division=B_CODE, username="admin-b")
        make_account(db, "analyst", division=B_CODE, username="analyst-b")
        make_account(db, "resident", person_code=person_b, username="chen-b")
    a.start()
    b.start()
    try:
        # --- monthly statistics A → B, released ---------------------------------------------
        queued = json.loads(a.cli("federation", "send-stats", "--month", "2026-11").stdout)
        assert queued[0]["peer"] == B_CODE
        assert json.loads(a.cli("federation", "flush").stdout)["delivered"] == 1
        analyst = b.token("analyst-b")
        inbox = httpx.get(f"{b.url}/api/v1/federation/inbox?type=stats", headers=analyst).json()
        assert len(inbox) == 1 and inbox[0]["state"] == "delivered"
        cells = inbox[0]["body"]["cells"]
        figures = [c[m] for c in cells for m in ("arrivals", "stock")]
        assert 30 in figures  # the large township's arrivals leave
        assert not [f for f in figures if f is not None and 0 < f < 16]
        assert None in figures  # the 5 are withheld, and a complementary cell with them
        assert inbox[0]["envelope"]["signature"]
        # an analyst reads statistics, never a continuity request
        assert httpx.get(f"{b.url}/api/v1/federation/inbox?type=continuity",
                         headers=analyst).status_code == 404
        # --- service continuity: A asks about 陈小梅, B answers under the purpose -------------
        clerk = a.token("clerk-a")
        asked = httpx.post(f"{a.url}/api/v1/federation/continuity", headers=clerk, json={
            "peer": B_CODE, "person_code": person_a, "purpose": "federation.social_insurance"})
        assert asked.status_code == 202, asked.text
        assert shared_id not in asked.text  # the ID number never travels, only its keyed hash
        a.cli("federation", "flush")
        answer = httpx.get(f"{a.url}/api/v1/federation/continuity/{asked.json()['message_id']}",
                           headers=clerk).json()
        assert answer["state"] == "delivered" and answer["answer"]["found"] is True
        fields = answer["answer"]["fields"]
        assert fields["name"] == "陈小梅" and fields["birth_date"] == "1990-06-01"
        # only the purpose's fields leave: not the phone, the hukou address, the ID or B's code
        assert set(fields) <= {"name", "sex", "birth_date", "insurance", "employer"}
        # the person sees both on both sides
        log_a = httpx.get(f"{a.url}/api/v1/me/access-log", headers=a.token("chen-a")).json()
        assert {"federation.continuity_request", "federation.continuity_answered"} <= {
            e["action"] for e in log_a}
        log_b = httpx.get(f"{b.url}/api/v1/me/access-log", headers=b.token("chen-b")).json()
        answered = [e for e in log_b if e["action"] == "federation.continuity_answer"]
        assert answered and answered[0]["purpose"] == "federation.social_insurance"
        assert "长兴县" in answered[0]["official"]
        # --- forged, replayed, unknown, malformed: refused ---------------------------------
        sent = httpx.get(f"{a.url}/api/v1/federation/outbox?type=stats",
                         headers=a.token("admin-a")).json()[0]["envelope"]
        forged = dict(sent, body={"month": "2026-10", "cells": []})
        post = f"{b.url}/api/v1/federation/messages"
        refused = httpx.post(post, json=forged)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "signature_invalid"
        replayed = httpx.post(post, json=sent)
        assert replayed.status_code == 409
        assert replayed.json()["receipt"]["message_id"] == sent["message_id"]
        stranger = httpx.post(post, json=_envelope("110101", signing.KeyPair.generate()))
        assert stranger.status_code == 401 and stranger.json()["error"]["field"] == "sender"
        broken = httpx.post(post, json={k: v for k, v in sent.items() if k != "body"})
        assert broken.status_code == 422 and broken.json()["error"]["field"] == "body"
        # --- B down: A queues, retries with backoff, shows B down; delivered once when back --
        b.stop()
        a.cli("federation", "send-stats", "--month", "2026-10")
        for _ in range(3):
            flushed = json.loads(a.cli("federation", "flush").stdout)
            assert flushed["delivered"] == 0 and flushed["peers_down"] == [B_CODE]
        admin_a = a.token("admin-a")
        peer = httpx.get(f"{a.url}/api/v1/federation/peers", headers=admin_a).json()[0]
        assert peer["health"] == "down" and peer["queued"] == 1 and peer["down_since"]
        page = httpx.get(f"{a.url}/admin/federation", headers=admin_a)
        assert page.status_code == 200 and "无法送达" in page.text
        waiting = httpx.get(f"{a.url}/api/v1/federation/outbox?state=queued",
                            headers=admin_a).json()
        assert len(waiting) == 1 and waiting[0]["attempts"] == 3
        b.start()
        assert json.loads(a.cli("federation", "flush").stdout)["delivered"] == 1
        assert json.loads(a.cli("federation", "flush").stdout)["delivered"] == 0
        inbox = httpx.get(f"{b.url}/api/v1/federation/inbox", headers=b.token("admin-b")).json()
        ids = [m["message_id"] for m in inbox]
        assert waiting[0]["message_id"] in ids and len(ids) == len(set(ids)) == 3
        peer = httpx.get(f"{a.url}/api/v1/federation/peers", headers=admin_a).json()[0]
        assert peer["health"] == "ok" and peer["queued"] == 0
    finally:
        a.stop()
        b.stop()
    # --- both logs: every refusal recorded, and both chains verify -------------------------
    with b.inside(monkeypatch) as db:
        refusals = [(status, code) for kind, status, code, _ in _log(db) if kind == "refusal"]
    assert {(401, "signature_invalid"), (409, "message_replayed"), (401, "peer_unknown"),
            (422, "envelope_malformed")} <= set(refusals)
    for inst in (a, b):
        verified = inst.cli("audit", "verify")
        assert "federation message log intact" in verified.stdout + verified.stderr
