"""The use cases behind the API, pages and CLI: sending statistics, asking another county about
one person, arrival notices, and reading the inbox and outbox."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Actor, is_allowed
from anju.federation import stats
from anju.federation.models import Message, Peer
from anju.federation.policy import (
    ARRIVAL,
    ARRIVAL_NOTICE,
    CONTINUITY,
    CONTINUITY_READ,
    CONTINUITY_REQUEST,
    FLOWS,
    MESSAGES_READ,
    OWN_READ,
    SEND,
    STATS_READ,
)
from anju.federation.rules import STATES, TYPES
from anju.federation.service import continuity, outbox
from anju.federation.service.peers import link_secret, peer_by_division
from anju.registry import reads


@dataclass(frozen=True)
class MessageView:
    message_id: str
    peer: str
    peer_name: str
    direction: str
    type: str
    state: str
    body: dict
    envelope: dict | None
    purpose: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _view(message: Message, peer: Peer) -> MessageView:
    return MessageView(message.message_id, peer.division_code, peer.name, message.direction,
                       message.type, message.state, message.body, message.envelope,
                       message.purpose, message.attempts, message.last_error,
                       message.created_at, message.delivered_at)


def list_messages(session: Session, actor: Actor, direction: str, *, kind: str | None = None,
                  state: str | None = None, peer: str | None = None,
                  limit: int = 200) -> list[MessageView]:
    """The inbox or outbox, newest first. Administrators see every message (a continuity body is
    a keyed hash and a purpose: no person's data); analysts the statistics only."""
    access = Access(session, actor)
    if not is_allowed(actor.role, MESSAGES_READ):
        access.allow(STATS_READ)
        if kind not in (None, "stats"):
            raise access.refuse(STATS_READ, not_found("报文"))
        kind = "stats"
    if kind is not None and kind not in TYPES:
        raise ValidationError("invalid_input", "报文类型不正确", "unknown message type", field="type")
    if state is not None and state not in STATES:
        raise ValidationError("invalid_input", "状态不正确", "unknown state", field="state")
    query = (select(Message, Peer).join(Peer, Peer.id == Message.peer_id)
             .where(Message.direction == direction))
    for column, value in ((Message.type, kind), (Message.state, state),
                          (Peer.division_code, peer)):
        if value is not None:
            query = query.where(column == value)
    rows = session.execute(query.order_by(Message.id.desc()).limit(min(limit, 1000))).all()
    return [_view(m, p) for m, p in rows]


def send_stats(session: Session, actor: Actor, month: str | None = None,
               peer: str | None = None) -> list[MessageView]:
    """Queue the month's released flow statistics for every peer (or one): the cells of persons
    registered in that county who live here. Default: last month."""
    access = Access(session, actor)
    access.allow(SEND)
    if month is None:
        first = clock.today().replace(day=1)
        last_month = date.fromordinal(first.toordinal() - 1)
        month = f"{last_month.year:04d}-{last_month.month:02d}"
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValidationError("invalid_input", "月份须为 YYYY-MM", "the month must be YYYY-MM",
                              field="month")
    peers = [peer_by_division(session, peer)] if peer else \
        session.execute(select(Peer).order_by(Peer.id)).scalars().all()
    out = []
    for p in peers:
        cells = stats.released_flows(session, month, p.division_code)
        message = outbox.queue(session, p, "stats", {"month": month, "cells": cells})
        out.append(_view(message, p))
    access.record(AuditEvent(SEND, FLOWS, None, "federation_stats", month,
                             {"peers": [p.division_code for p in peers]}))
    return out


def request_continuity(session: Session, actor: Actor, *, peer: str, person_code: str,
                       purpose: str, case_id: int | None = None) -> MessageView:
    """Ask a peer about one of our persons for a service that spans both counties. The person is
    read here through the access layer (recorded on their access log under the purpose)."""
    access = Access(session, actor)
    access.allow(CONTINUITY_REQUEST)
    chosen = CONTINUITY.get(purpose)
    if chosen is None:
        raise ValidationError("invalid_input", "请选择服务接续目的", "choose a continuity purpose",
                              field="purpose")
    target = peer_by_division(session, peer)
    secret = link_secret(target)
    if secret is None:
        raise continuity.no_link(target)
    facts = reads.person_facts(session, person_code)
    if facts is None:
        raise access.refuse(CONTINUITY_REQUEST, not_found("人员"), person_codes=[person_code])
    message = outbox.queue(session, target, "continuity", {}, person_code=person_code,
                           division_code=facts["division_code"], purpose=chosen.name,
                           case_id=case_id, requested_by=actor.username)
    access.touch(CONTINUITY_REQUEST, person_code=person_code, kind="federation_message",
                 object_id=message.message_id, purpose=chosen,
                 division_code=facts["division_code"],
                 detail={"peer": target.name} | ({"case": case_id} if case_id else {}))
    message.body = {"link_hash": continuity.link_hash(secret, id_cipher().decrypt(
        facts["id_cipher"])), "purpose": chosen.name} | ({"case": str(case_id)} if case_id else {})
    return _view(message, target)


@dataclass(frozen=True)
class ContinuityView:
    message_id: str
    peer_name: str
    purpose: str
    state: str
    person_code: str
    answer: dict | None


def continuity_answer(session: Session, actor: Actor, message_id: str) -> ContinuityView:
    """A request we sent and what came back (read through the access layer: recorded)."""
    access = Access(session, actor)
    message = access.load(CONTINUITY_READ, Message, Message.message_id == message_id,
                          Message.direction == "out", Message.type == "continuity",
                          what="请求", purpose=CONTINUITY.get(_purpose_of(session, message_id)))
    peer = session.get(Peer, message.peer_id)
    return ContinuityView(message.message_id, peer.name, message.purpose, message.state,
                          message.person_code, message.answer)


def _purpose_of(session: Session, message_id: str) -> str:
    return session.execute(select(Message.purpose).where(
        Message.message_id == message_id, Message.direction == "out")).scalar() or ""


def send_arrival(session: Session, actor: Actor, *, peer: str, person_code: str,
                 event: str = "arrived") -> MessageView:
    """Tell the place of registration that one of its people arrived (or left) — only where
    that duty is configured for the peer."""
    access = Access(session, actor)
    access.allow(ARRIVAL_NOTICE)
    target = peer_by_division(session, peer)
    if not target.arrival_notices:
        raise Conflict("arrival_notices_off", f"未与 {target.name} 约定到达通知",
                       f"arrival notices are not configured for {target.name}", field="peer")
    secret = link_secret(target)
    if secret is None:
        raise continuity.no_link(target)
    facts = reads.person_facts(session, person_code)
    if facts is None:
        raise access.refuse(ARRIVAL_NOTICE, not_found("人员"), person_codes=[person_code])
    body = {"link_hash": continuity.link_hash(secret, id_cipher().decrypt(facts["id_cipher"])),
            "event": event if event in ("arrived", "ended") else "arrived"}
    message = outbox.queue(session, target, "arrival", body, person_code=person_code,
                           division_code=facts["division_code"], purpose=ARRIVAL.name)
    access.record(AuditEvent(ARRIVAL_NOTICE, ARRIVAL, person_code, "federation_message",
                             message.message_id, {"peer": target.name, "event": body["event"]}))
    return _view(message, target)


def my_requests(session: Session, actor: Actor) -> list[MessageView]:
    """The cross-county messages about me, sent or received, for the resident's page."""
    access = Access(session, actor)
    rows = access.select(OWN_READ, select(Message).where(Message.person_code.is_not(None))
                         .order_by(Message.id.desc()).limit(200))
    peers = {p.id: p for p in session.execute(select(Peer)).scalars()}
    return [_view(m, peers[m.peer_id]) for m in rows]


def peer_names(session: Session) -> list[tuple[str, str]]:
    """(county code, name) of each peer, for pickers."""
    return [(p.division_code, p.name) for p in
            session.execute(select(Peer).order_by(Peer.name)).scalars()]



@dataclass(frozen=True)
class LogView:
    seq: int
    at: datetime
    direction: str
    kind: str
    message_id: str | None
    peer: str | None
    type: str | None
    status: int | None
    code: str | None  # a refusal's reason code


def log_entries(session: Session, actor: Actor, *, kind: str | None = None,
                peer: str | None = None, limit: int = 200) -> list[LogView]:
    """The message log, newest first, for the administrator's page (filters: kind, peer)."""
    from anju.federation.models import LogEntry

    Access(session, actor).allow(MESSAGES_READ)
    query = select(LogEntry)
    if kind in ("message", "receipt", "refusal"):
        query = query.where(LogEntry.kind == kind)
    if peer:
        query = query.where(LogEntry.peer == peer)
    rows = session.execute(query.order_by(LogEntry.seq.desc()).limit(min(limit, 1000))).scalars()
    return [LogView(e.seq, e.at, e.direction, e.kind, e.message_id, e.peer, e.type, e.status,
                    (e.content or {}).get("code") if e.kind == "refusal" else None) for e in rows]
