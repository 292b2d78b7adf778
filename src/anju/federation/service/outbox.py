"""The outbox: messages wait here until the peer's signed receipt comes back.

`flush` takes the messages that are due, signs each afresh (a new `sent_at`, so a retry after a
long outage still falls inside the peer's time window; the message id stays), posts it, and
checks the receipt: signed by the peer's key, for this message id, over the digest of what was
sent. A peer that is down is not asked again in the same run; each failed message waits
`ANJU_FEDERATION_RETRY_SECONDS` doubled per attempt (up to an hour), and after
`ANJU_FEDERATION_MAX_ATTEMPTS` it is marked failed. The receiver stores a message once: a
retry whose first delivery arrived after all is answered 409 with the original receipt, which
counts as delivered here.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import signing
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import Database, utcnow
from anju.core.policy import Actor
from anju.federation import log, rules
from anju.federation.models import Message, Peer
from anju.federation.policy import CONTINUITY, CONTINUITY_ANSWERED, SEND

logger = logging.getLogger("anju.federation")
MAX_WAIT = 3600
BATCH = 200

# (url, envelope) -> (HTTP status, JSON answer or None); raises httpx.HTTPError when unreachable
Transport = Callable[[str, dict], tuple[int, dict | None]]


def queue(session: Session, peer: Peer, kind: str, body: dict, *, person_code: str | None = None,
          division_code: str | None = None, purpose: str | None = None,
          case_id: int | None = None, requested_by: str | None = None,
          message_id: str | None = None) -> Message:
    """Put a message in the outbox (sent by the next flush)."""
    message = Message(message_id=message_id or str(uuid.uuid4()), direction="out",
                      peer_id=peer.id, type=kind, state="queued", body=body,
                      person_code=person_code, division_code=division_code, purpose=purpose,
                      case_id=case_id, requested_by=requested_by, attempts=0,
                      next_attempt_at=utcnow())
    session.add(message)
    session.flush()
    return message


def envelope_for(message: Message, peer: Peer, key: signing.KeyPair, now: datetime) -> dict:
    envelope = {"version": rules.VERSION, "message_id": message.message_id,
                "sender": get_settings().county_code, "receiver": peer.division_code,
                "sent_at": rules.stamp(now), "type": message.type, "body": message.body}
    envelope["signature"] = key.sign(envelope)
    return envelope


def http_transport(timeout: float | None = None) -> tuple[Transport, Callable[[], None]]:
    """Post envelopes over one kept-alive HTTP client; returns (transport, close)."""
    client = httpx.Client(timeout=timeout or get_settings().federation_timeout_seconds)

    def post(url: str, envelope: dict) -> tuple[int, dict | None]:
        response = client.post(f"{url}/api/v1/federation/messages", json=envelope)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    return post, client.close


@dataclass
class FlushResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    peers_down: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed,
                "peers_down": self.peers_down}


def flush(db: Database, actor: Actor, *, force: bool = False, peer: str | None = None,
          transport: Transport | None = None, limit: int | None = None,
          workers: int = 1) -> FlushResult:
    """Send what is due (everything queued when `force`), in batches, each message in its own
    short transactions around the network call. With `workers` > 1 that many messages are in
    flight at once, so signing here overlaps the peer's checking there (each message is still
    sent by one worker only)."""
    with db.unit_of_work() as session:
        Access(session, actor).allow(SEND)
    close = None
    if transport is None:
        transport, close = http_transport()
    result, skip, sent = FlushResult(), set(), 0
    key: signing.KeyPair | None = None  # read when there is something to sign
    last_id = 0
    pool = ThreadPoolExecutor(workers) if workers > 1 else None

    def one(row_id: int) -> tuple[str | None, str | None]:
        return _deliver(db, actor, row_id, key, transport, skip)

    try:
        while limit is None or sent < limit:
            with db.unit_of_work() as session:
                query = select(Message.id).where(Message.direction == "out",
                                                 Message.state == "queued", Message.id > last_id)
                if not force:
                    query = query.where(Message.next_attempt_at <= utcnow())
                if peer:
                    query = query.join(Peer, Peer.id == Message.peer_id).where(
                        Peer.division_code == peer)
                if skip:
                    query = query.where(Message.peer_id.not_in(skip))
                ids = session.execute(query.order_by(Message.id).limit(BATCH)).scalars().all()
            if not ids:
                break
            key = key or signing.installation_key()
            last_id = ids[-1]
            ids = ids if limit is None else ids[:limit - sent]
            sent += len(ids)
            for outcome, down in (pool.map(one, ids) if pool else map(one, ids)):
                if outcome:
                    setattr(result, outcome, getattr(result, outcome) + 1)
                if down and down not in result.peers_down:
                    result.peers_down.append(down)
    finally:
        if pool:
            pool.shutdown()
        if close:
            close()
    return result


def _deliver(db: Database, actor: Actor, row_id: int, key: signing.KeyPair,
             transport: Transport, skip: set[int]) -> tuple[str | None, str | None]:
    """Deliver one message: (what became of it — delivered, retrying, failed or None when it
    was not tried —, the peer's code when the peer itself is at fault)."""
    with db.unit_of_work() as session:
        message = session.get(Message, row_id)
        if message is None or message.state != "queued" or message.peer_id in skip:
            return None, None
        peer = session.get(Peer, message.peer_id)
        envelope = envelope_for(message, peer, key, datetime.now(UTC))
        url, public = peer.base_url, signing.PublicKey.from_text(peer.public_key)
    try:
        status, answer = transport(url, envelope)
        error = None
    except httpx.HTTPError as exc:
        status, answer, error = 0, None, f"unreachable: {type(exc).__name__}"
    receipt = (answer or {}).get("receipt") if isinstance(answer, dict) else None
    if status == 200 and isinstance(answer, dict) and "receipt" not in answer:
        receipt = answer
    fault = _check_receipt(receipt, envelope, public, status) if status in (200, 409) else (
        error or _refusal_text(status, answer))
    with db.unit_of_work() as session:
        message = session.get(Message, row_id)
        peer = session.get(Peer, message.peer_id)
        message.envelope, message.attempts = envelope, message.attempts + 1
        log.append(session, "out", "message", envelope, message_id=message.message_id,
                   peer=peer.division_code, type=message.type)
        if fault is None:
            log.append(session, "in", "receipt", receipt, message_id=message.message_id,
                       peer=peer.division_code, type=message.type)
            message.state, message.receipt, message.delivered_at = "delivered", receipt, utcnow()
            message.last_error = None
            peer.failures, peer.down_since, peer.last_success_at = 0, None, utcnow()
            peer.last_error = None
            _answered(session, actor, message, peer, receipt)
            return "delivered", None
        logger.warning("delivery of %s to %s failed: %s", message.message_id,
                       peer.division_code, fault)
        message.last_error = fault[:300]
        peer.failures += 1
        peer.last_failure_at, peer.last_error = utcnow(), fault[:300]
        peer.down_since = peer.down_since or utcnow()
        settings = get_settings()
        if status == 422 or message.attempts >= settings.federation_max_attempts:
            message.state = "failed"  # a malformed message will not get better by waiting
            outcome = "failed"
        else:
            wait = min(settings.federation_retry_seconds * 2 ** (message.attempts - 1), MAX_WAIT)
            message.next_attempt_at = utcnow() + timedelta(seconds=wait)
            outcome = "retrying"
        if status in (0, 401) or status >= 500:  # the peer, not the message: leave it for now
            skip.add(peer.id)
            return outcome, peer.division_code
        return outcome, None


def _check_receipt(receipt, envelope: dict, public: signing.PublicKey, status: int) -> str | None:
    """Why the receipt does not prove delivery of `envelope`, or None when it does."""
    if not isinstance(receipt, dict) or not isinstance(receipt.get("signature"), str):
        return f"HTTP {status} without a receipt"
    if not public.verify(rules.unsigned(receipt), receipt["signature"]):
        return "the receipt's signature does not verify"
    if receipt.get("message_id") != envelope["message_id"] or \
            receipt.get("sender") != envelope["receiver"]:
        return "the receipt is for another message"
    # a first delivery's receipt (answered to a retry with 409) covers that earlier envelope
    if status == 200 and receipt.get("digest") != rules.digest(envelope):
        return "the receipt's digest is not of the envelope sent"
    return None


def _refusal_text(status: int, answer) -> str:
    error = (answer or {}).get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return f"HTTP {status} {error.get('code')}: {error.get('message_en')}"
    return f"HTTP {status}"


def _answered(session: Session, actor: Actor, message: Message, peer: Peer, receipt: dict) -> None:
    """A continuity answer arrived: kept with the request, and on the person's access log here."""
    if message.type != "continuity":
        return
    answer = receipt.get("answer") if isinstance(receipt.get("answer"), dict) else {}
    message.answer = answer
    purpose = CONTINUITY.get(message.purpose or "")
    if purpose and message.person_code:
        Access(session, actor).record(AuditEvent(
            CONTINUITY_ANSWERED, purpose, message.person_code, "federation_message",
            message.message_id, {"peer": peer.name, "found": bool(answer.get("found"))}))


def deliver_job(db: Database, actor: Actor, today=None) -> dict:
    """The scheduled delivery (`anju jobs run federation.deliver`): what is due, with backoff."""
    return flush(db, actor).as_dict()
