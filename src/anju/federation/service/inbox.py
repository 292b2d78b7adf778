"""The receiving end: `POST /api/v1/federation/messages`.

In order: the envelope's shape (422 naming the field), the sender a known peer (401), the
signature by that peer's key (401), the time inside the window (401), the message id not seen
before (409 — answered with the original receipt, so a sender whose receipt was lost learns it
was delivered), the body (422). Each refusal is written to the message log in its own
transaction, so it stays even though nothing else is. An accepted message is stored once and
logged with the signed receipt that answers it, in one transaction.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import signing
from anju.core.config import get_settings
from anju.core.db import Database, utcnow
from anju.core.errors import AnjuError
from anju.federation import log, rules
from anju.federation.models import Message, Peer
from anju.federation.service import continuity

logger = logging.getLogger("anju.federation")


def receive(db: Database, raw: bytes) -> tuple[int, dict]:
    """(HTTP status, answer) for one posted envelope: 200 and the signed receipt, or the
    refusal as the usual error body (a replay's also carries the original receipt)."""
    envelope: object = None
    try:
        try:
            envelope = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise rules.malformed("envelope", "不是有效的 JSON", "is not valid JSON") from None
        settings = get_settings()
        rules.check_shape(envelope, settings.county_code)
        with db.unit_of_work() as session:
            peer = session.execute(select(Peer).where(
                Peer.division_code == envelope["sender"])).scalar()
            key = peer and signing.PublicKey.from_text(peer.public_key)
        if peer is None:
            raise rules.unknown_peer(envelope["sender"])
        if not key.verify(rules.unsigned(envelope), envelope["signature"]):
            raise rules.bad_signature()
        rules.check_window(envelope, datetime.now(UTC), settings.federation_window_seconds)
        rules.check_body(envelope["type"], envelope["body"])
        try:
            with db.unit_of_work() as session:
                return 200, _accept(session, envelope)
        except IntegrityError:  # the same message arrived twice at once: the other one won
            raise _Replay() from None
    except _Replay:
        with db.unit_of_work() as session:
            receipt = _stored_receipt(session, envelope)
        error = rules.replay(envelope["message_id"])
        _refused(db, envelope, error)
        return error.http_status, {"error": error.to_dict(), "receipt": receipt}
    except AnjuError as error:
        _refused(db, envelope, error)
        return error.http_status, {"error": error.to_dict()}


class _Replay(Exception):
    pass


def _accept(session: Session, envelope: dict) -> dict:
    peer = session.execute(select(Peer).where(Peer.division_code == envelope["sender"])).scalar()
    if _stored_receipt(session, envelope) is not None:
        raise _Replay()
    kind, body = envelope["type"], envelope["body"]
    message = Message(message_id=envelope["message_id"], direction="in", peer_id=peer.id,
                      type=kind, state="delivered", body=body, envelope=envelope, attempts=1,
                      delivered_at=utcnow(), purpose=body.get("purpose"),
                      case_id=None)
    session.add(message)
    session.flush()  # the unique message id: a concurrent duplicate fails here
    answer = None
    if kind == "continuity":
        answer = continuity.answer(session, peer, message)
    elif kind == "arrival":
        continuity.arrived(session, peer, message)
    receipt = {"version": rules.VERSION, "message_id": envelope["message_id"],
               "sender": get_settings().county_code, "receiver": envelope["sender"],
               "received_at": rules.stamp(datetime.now(UTC)), "digest": rules.digest(envelope),
               "status": "accepted", "answer": answer}
    receipt["signature"] = signing.installation_key().sign(receipt)
    message.receipt = receipt
    log.append(session, "in", "message", envelope, message_id=message.message_id,
               peer=peer.division_code, type=kind)
    log.append(session, "out", "receipt", receipt, message_id=message.message_id,
               peer=peer.division_code, type=kind)
    return receipt


def _stored_receipt(session: Session, envelope: dict) -> dict | None:
    return session.execute(select(Message.receipt).join(Peer, Peer.id == Message.peer_id).where(
        Message.direction == "in", Message.message_id == envelope["message_id"],
        Peer.division_code == envelope["sender"])).scalar()


def _refused(db: Database, envelope: object, error: AnjuError) -> None:
    """The refusal on the message log, in a transaction of its own."""
    shown = envelope if isinstance(envelope, dict) else {"raw": str(envelope)[:500]}
    text = json.dumps(shown, ensure_ascii=False, default=str)
    if len(text) > 20000:  # keep what identifies it, not an oversized body
        shown = {k: v for k, v in shown.items() if k != "body"} | {"body": "(truncated)"}
    get = shown.get if isinstance(shown, dict) else (lambda _k: None)
    logger.warning("refused a federation message from %s: %s", get("sender"), error.code)
    with db.unit_of_work() as session:
        log.append(session, "in", "refusal",
                   {"code": error.code, "field": error.field, "message_en": error.message_en,
                    "envelope": json.loads(json.dumps(shown, default=str))},
                   message_id=str(get("message_id"))[:64] if get("message_id") else None,
                   peer=str(get("sender"))[:12] if get("sender") else None,
                   type=str(get("type"))[:16] if get("type") else None,
                   status=error.http_status)
