"""Person-level messages: a service-continuity request about one person, and arrival notices.

The person travels as the keyed hash of their ID number under the secret the two counties
agreed (`anju peers add --link-secret-file`), never as the number. The receiver keeps an index of
that hash for its own persons (`federation_links`, built as needed) and answers through its own
access layer: the peer acts as a system identity named after it, the touch is recorded on the
audit chain against the person under the request's purpose (so the person sees it in "who
accessed my data"), and only the purpose's fields leave — without our person code or the ID
number, which mean nothing there.
"""
from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access, is_minor, shown
from anju.core.audit import AuditEvent
from anju.core.crypto import CipherError, derive_key, id_cipher
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Actor, Role
from anju.exchange.service import holdings as exchange_holdings
from anju.federation.models import LinkEntry, Message, Peer
from anju.federation.policy import (
    ARRIVAL,
    ARRIVAL_NOTICE,
    ARRIVAL_RECEIVED,
    CONTINUITY,
    CONTINUITY_ANSWER,
)
from anju.federation.service.peers import link_secret
from anju.registry import reads

# Not sent even where a purpose lists them: they are this installation's own handles.
_LOCAL = ("person_code", "id_number", "division_code")


def link_hash(secret: str, id_number: str) -> str:
    """The agreed keyed hash of an ID number: HMAC-SM3 under a key derived from the secret."""
    mac = hmac.HMAC(derive_key(secret, "anju/federation/link-hmac-sm3/v1", 32), hashes.SM3())
    mac.update(id_number.strip().upper().encode("utf-8"))
    return mac.finalize().hex()


def peer_actor(peer: Peer) -> Actor:
    """The identity a peer's request acts under here: named after the peer in the audit log."""
    return Actor(account_id=None, username=f"peer:{peer.name}（{peer.division_code}）",
                 role=Role.SYSTEM, division_code="000000000000")


def no_link(peer: Peer) -> Conflict:
    return Conflict("peer_no_link", f"与 {peer.name} 尚未约定身份号码哈希密钥，不能交换个人信息",
                    f"no link secret is agreed with {peer.name}: no person-level exchange",
                    field="peer")


def find_person(session: Session, peer: Peer, hashed: str) -> str | None:
    """Our person whose ID number hashes to `hashed` under the peer's agreed secret."""
    found = session.execute(select(LinkEntry.person_code).where(
        LinkEntry.peer_id == peer.id, LinkEntry.link_hash == hashed)).scalar()
    if found:
        return found
    secret = link_secret(peer)
    if secret is None:
        return None
    indexed = session.execute(select(LinkEntry.person_code).where(
        LinkEntry.peer_id == peer.id)).scalars().all()
    cipher = id_cipher()
    for code, encrypted in reads.person_identities(session, indexed):
        try:
            value = link_hash(secret, cipher.decrypt(encrypted))
        except CipherError:
            continue
        session.add(LinkEntry(peer_id=peer.id, link_hash=value, person_code=code))
        found = found or (code if value == hashed else None)
    session.flush()
    return found


def answer(session: Session, peer: Peer, message: Message) -> dict:
    """The answer to a continuity request: the purpose's fields of the person, or not found."""
    purpose = CONTINUITY.get(message.body.get("purpose"))
    if purpose is None:
        raise ValidationError("purpose_unknown", "请求的目的不是约定的服务接续目的之一",
                              "the purpose is not one of the agreed continuity purposes",
                              field="body.purpose")
    if peer.link_secret is None:
        raise no_link(peer)
    code = find_person(session, peer, message.body["link_hash"])
    facts = reads.person_facts(session, code) if code else None
    if facts is None or (purpose.minors_only and not is_minor(facts["birth_date"],
                                                               clock.today())):
        return {"found": False, "purpose": purpose.name}
    message.person_code, message.division_code = code, facts["division_code"]
    Access(session, peer_actor(peer)).touch(
        CONTINUITY_ANSWER, person_code=code, kind="federation_message",
        object_id=message.message_id, purpose=purpose, division_code=facts["division_code"],
        detail={"peer": peer.name, "case": message.body.get("case")})
    held = _held(session, code, purpose, facts)
    fields = {k: v for k, v in shown(purpose, {**facts, **{k: v.value for k, v in held.items()}})
              .items() if k not in _LOCAL}
    sources = {k: {"department": v.department, "as_of": v.as_of.isoformat() if v.as_of else None}
               for k, v in held.items() if k in fields}
    return {"found": True, "purpose": purpose.name, "fields": fields,
            **({"sources": sources} if sources else {})}


def _held(session: Session, code: str, purpose, facts: dict) -> dict:
    """What the departments hold about the person (the exchange hub's golden record) for the
    purpose's fields the registry does not know — a social-insurance transfer is answered with
    人社's employer and 医保's insurance status, a school record with 教育's enrolment — each with
    the department it came from and its date."""
    held = dict(exchange_holdings.department_values(session, [code])).get(code, {})
    return {k: v for k, v in held.items()
            if k in purpose.fields and facts.get(k) in (None, "") and k not in _LOCAL
            and v.value is not None}


def arrived(session: Session, peer: Peer, message: Message) -> None:
    """An arrival notice about one of ours (registered here, living there): kept, and on the
    person's access log."""
    if peer.link_secret is None:
        raise no_link(peer)
    code = find_person(session, peer, message.body["link_hash"])
    if code is None:
        return
    facts = reads.person_facts(session, code)
    message.person_code, message.division_code = code, facts["division_code"]
    Access(session, peer_actor(peer)).record(AuditEvent(
        ARRIVAL_RECEIVED, ARRIVAL, code, "federation_message", message.message_id,
        {"peer": peer.name, "event": message.body.get("event")}))


# --- arrival notices: declared listeners on the registry's events ------------------------------
def _notify(session: Session, actor: Actor, person_code: str, event: str,
            registration_id: int | None = None) -> int:
    """Queue an arrival notice to each peer that holds the person's household registration and
    has that duty configured (`anju peers add --arrival-notices`; off by default). The notice is
    on the person's access log, naming the county it went to."""
    from anju.federation.service.outbox import queue

    facts = reads.person_facts(session, person_code)
    hukou = (facts or {}).get("hukou_division_code") or ""
    peers = session.execute(select(Peer).where(Peer.arrival_notices.is_(True),
                                               Peer.link_secret.is_not(None))).scalars().all()
    sent = 0
    for peer in peers:
        if not hukou.startswith(peer.division_code):
            continue
        body = {"link_hash": link_hash(link_secret(peer), id_cipher().decrypt(
            facts["id_cipher"])), "event": event}
        message = queue(session, peer, "arrival", body, person_code=person_code,
                        division_code=facts["division_code"], purpose=ARRIVAL.name)
        message.registration_id = registration_id
        Access(session, actor).record(AuditEvent(
            ARRIVAL_NOTICE, ARRIVAL, person_code, "federation_message", message.message_id,
            {"peer": peer.name, "event": event}))
        sent += 1
    return sent


def on_registration_approved(session: Session, actor: Actor, reg) -> None:
    _notify(session, actor, reg.person_code, "arrived", reg.id)


def on_registration_ended(session: Session, actor: Actor, reg) -> None:
    _notify(session, actor, reg.person_code, "ended", reg.id)
