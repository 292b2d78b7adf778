"""Peers: added by an administrator with the key they sent out of band, listed with their health
as the outbox sees it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.core import signing
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.crypto import secret_cipher
from anju.core.errors import Conflict, NotFound, ValidationError
from anju.core.permissions import ADMINISTRATION
from anju.core.policy import Actor
from anju.federation.models import Message, Peer
from anju.federation.policy import PEERS_MANAGE

LINK_SECRETS = "anju/federation/link-secrets/v1"
DOWN_AFTER = 3  # deliveries failed in a row before a peer is shown as down


def public_key_text() -> str:
    """This installation's public key, in the form `anju peers add --public-key` reads, with the
    county code and fingerprint as comments around it (ignored when it is read)."""
    key = signing.public_key()
    return (f"# Anju installation {get_settings().county_code}\n"
            f"# fingerprint {key.fingerprint}\n{key.to_text()}")


@dataclass(frozen=True)
class PeerView:
    id: int
    name: str
    division_code: str
    base_url: str
    fingerprint: str
    arrival_notices: bool
    link_agreed: bool
    health: str  # new | ok | down
    down_since: datetime | None
    failures: int
    last_error: str | None
    last_success_at: datetime | None
    queued: int
    failed: int


def _invalid(field: str, zh: str, en: str) -> ValidationError:
    return ValidationError("invalid_input", zh, en, field=field)


def add_peer(session: Session, actor: Actor, *, name: str, division: str, url: str,
             public_key: str, link_secret: str | None = None,
             arrival_notices: bool = False) -> PeerView:
    access = Access(session, actor)
    access.allow(PEERS_MANAGE)
    name, url = (name or "").strip(), (url or "").strip().rstrip("/")
    if not name or len(name) > 100:
        raise _invalid("name", "请填写互联县名称（100 字以内）", "give the peer's name (up to 100)")
    if not re.fullmatch(r"\d{6}", division or ""):
        raise _invalid("division", "行政区划代码须为 6 位县级代码", "the division must be a 6-digit "
                       "county code")
    if division == get_settings().county_code:
        raise _invalid("division", "不能把本县添加为互联县", "this installation cannot be its own peer")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url) or len(url) > 300:
        raise _invalid("url", "地址须以 http:// 或 https:// 开头", "the URL must start with http(s)://")
    key = signing.PublicKey.from_text(public_key)
    if link_secret is not None and len(link_secret.strip()) < 16:
        raise _invalid("link_secret", "约定的身份号码哈希密钥至少 16 个字符",
                       "the agreed link secret needs at least 16 characters")
    if session.execute(select(Peer.id).where(Peer.division_code == division)).first():
        raise Conflict("peer_exists", f"互联县 {division} 已添加", f"peer {division} is already added",
                       field="division")
    peer = Peer(name=name, division_code=division, base_url=url, public_key=key.to_text(),
                link_secret=secret_cipher(LINK_SECRETS).encrypt(link_secret.strip())
                if link_secret else None, arrival_notices=arrival_notices, failures=0)
    session.add(peer)
    session.flush()
    access.record(AuditEvent(PEERS_MANAGE, ADMINISTRATION, None, "federation_peer", division,
                             {"name": name, "url": url, "fingerprint": key.fingerprint}))
    return _view(session, peer)


def list_peers(session: Session, actor: Actor) -> list[PeerView]:
    Access(session, actor).allow(PEERS_MANAGE)
    peers = session.execute(select(Peer).order_by(Peer.name)).scalars().all()
    return [_view(session, p) for p in peers]


def _view(session: Session, peer: Peer) -> PeerView:
    counts = dict(session.execute(select(Message.state, func.count()).where(
        Message.peer_id == peer.id, Message.direction == "out").group_by(Message.state)).all())
    health = ("down" if peer.failures >= DOWN_AFTER else "trouble" if peer.failures else
              "ok" if peer.last_success_at else "new")
    return PeerView(peer.id, peer.name, peer.division_code, peer.base_url,
                    signing.PublicKey.from_text(peer.public_key).fingerprint,
                    peer.arrival_notices, peer.link_secret is not None, health,
                    peer.down_since, peer.failures, peer.last_error, peer.last_success_at,
                    counts.get("queued", 0), counts.get("failed", 0))


def peer_by_division(session: Session, division: str) -> Peer:
    peer = session.execute(select(Peer).where(Peer.division_code == division)).scalar()
    if peer is None:
        raise NotFound("not_found", f"互联县 {division} 不存在", f"peer {division} not found",
                       field="peer")
    return peer


def link_secret(peer: Peer) -> str | None:
    return secret_cipher(LINK_SECRETS).decrypt(peer.link_secret) if peer.link_secret else None
