"""The receiving end, the outbox and the message log, against both databases."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update

from anju.core import signing
from anju.core.identity import job_actor
from anju.federation import log, rules, service
from anju.federation.models import LogEntry, Message
from anju.federation.service import continuity
from tests.factories import make_account, make_person, valid_id
from tests.federation.conftest import LINK_SECRET, PEER_CODE

SYSTEM = job_actor("test")


def envelope(peer, **over) -> dict:
    key = over.pop("key", peer.key)
    env = {"version": rules.VERSION, "message_id": over.pop("message_id", "m-0000000001"),
           "sender": PEER_CODE, "receiver": "330522",
           "sent_at": rules.stamp(over.pop("at", datetime.now(UTC))), "type": "stats",
           "body": {"month": "2026-11", "cells": [
               {"origin": "330522001000", "destination": "330523100000", "arrivals": 20,
                "departures": 0, "stock": None}]}} | over
    env["signature"] = key.sign(env)
    return env


def post(db, env) -> tuple[int, dict]:
    return service.receive(db, json.dumps(env).encode())


def entries(db) -> list[LogEntry]:
    with db.unit_of_work() as s:
        rows = s.execute(select(LogEntry).order_by(LogEntry.seq)).scalars().all()
        s.expunge_all()
        return rows


def test_a_signed_message_is_stored_once_and_answered_with_a_signed_receipt(db, peer):
    env = envelope(peer)
    status, receipt = post(db, env)
    assert status == 200
    ours = signing.public_key()
    assert ours.verify(rules.unsigned(receipt), receipt["signature"])
    assert receipt["digest"] == rules.digest(env) and receipt["receiver"] == PEER_CODE
    # the same envelope again is a replay: refused, with the original receipt
    status, again = post(db, env)
    assert status == 409 and again["error"]["code"] == "message_replayed"
    assert again["receipt"] == receipt
    with db.unit_of_work() as s:
        assert s.execute(select(Message).where(Message.direction == "in")).scalars().all() \
            .__len__() == 1
    kinds = [(e.kind, e.status) for e in entries(db)]
    assert kinds == [("message", None), ("receipt", None), ("refusal", 409)]


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    ({"key": signing.KeyPair.generate()}, 401, "signature_invalid", "signature"),
    ({"sender": "110101"}, 401, "peer_unknown", "sender"),
    ({"at": datetime.now(UTC) - timedelta(hours=1)}, 401, "message_stale", "sent_at"),
    ({"receiver": "330500"}, 422, "envelope_malformed", "receiver"),
    ({"type": "gossip"}, 422, "envelope_malformed", "type"),
    ({"body": {"month": "2026-11", "cells": [{"origin": "330522001000",
                                                 "destination": "330523100000",
                                                 "arrivals": 7}]}},
     422, "envelope_malformed", "body.cells"),
])
def test_refusals_are_answered_and_logged(db, peer, change, status, code, field):
    got, answer = post(db, envelope(peer, **change))
    assert got == status
    assert answer["error"]["code"] == code and answer["error"]["field"] == field
    assert answer["error"]["message_zh"] and answer["error"]["message_en"]
    [entry] = entries(db)
    assert (entry.kind, entry.status, entry.content["code"]) == ("refusal", status, code)
    with db.unit_of_work() as s:
        assert not s.execute(select(Message)).first()


def test_not_json_and_unsigned_are_refused(db, peer):
    assert service.receive(db, b"{not json")[0] == 422
    unsigned = rules.unsigned(envelope(peer))
    assert post(db, unsigned)[0] == 401
    assert [e.status for e in entries(db)] == [422, 401]


def test_the_message_log_names_the_first_altered_or_missing_entry(db, peer):
    for n in range(4):
        post(db, envelope(peer, message_id=f"m-000000000{n}"))
    with db.unit_of_work() as s:
        assert log.verify(s).ok and log.verify(s).checked == 8
        s.execute(update(LogEntry).where(LogEntry.seq == 3).values(content={"forged": True}))
    with db.unit_of_work() as s:
        result = log.verify(s)
        assert not result.ok and result.bad_seq == 3 and "altered" in result.message()


def test_the_message_log_names_a_deleted_entry(db, peer):
    for n in range(3):
        post(db, envelope(peer, message_id=f"m-000000000{n}"))
    with db.unit_of_work() as s:
        s.execute(delete(LogEntry).where(LogEntry.seq == 4))
    with db.unit_of_work() as s:
        result = log.verify(s)
        assert not result.ok and result.bad_seq == 4 and "missing" in result.message()
    with db.unit_of_work() as s:  # the end cut off: the head row says how far it went
        s.execute(delete(LogEntry).where(LogEntry.seq >= 4))
    with db.unit_of_work() as s:
        assert not log.verify(s).ok and log.verify(s).bad_seq == 4


# --- the outbox ----------------------------------------------------------------------------------
class Peer:
    """A fake peer on the other end of the transport: down, or answering signed receipts."""

    def __init__(self, county, key=None):
        self.county, self.key, self.down, self.seen = county, key or county.key, False, []

    def __call__(self, url, env):
        if self.down:
            raise httpx.ConnectError("refused")
        first = env["message_id"] not in [e["message_id"] for e in self.seen]
        self.seen.append(env)
        receipt = {"version": rules.VERSION, "message_id": env["message_id"],
                   "sender": PEER_CODE, "receiver": env["sender"],
                   "received_at": rules.stamp(datetime.now(UTC)), "digest": rules.digest(env),
                   "status": "accepted", "answer": None}
        receipt["signature"] = self.key.sign(receipt)
        return (200, receipt) if first else (409, {"error": {"code": "message_replayed"},
                                                   "receipt": receipt})


def _queue_stats(db):
    with db.unit_of_work() as s:
        return service.send_stats(s, SYSTEM, "2026-11")[0].message_id


def test_a_peer_that_is_down_gets_the_message_later_with_backoff(db, peer):
    message_id = _queue_stats(db)
    other = Peer(peer)
    other.down = True
    result = service.flush(db, SYSTEM, transport=other)
    assert (result.delivered, result.retrying, result.peers_down) == (0, 1, [PEER_CODE])
    with db.unit_of_work() as s:
        first = s.execute(select(Message.next_attempt_at)).scalar()
    assert service.flush(db, SYSTEM, transport=other).retrying == 0  # not due yet
    service.flush(db, SYSTEM, transport=other, force=True)
    with db.unit_of_work() as s:
        message = s.execute(select(Message)).scalar()
        assert message.attempts == 2 and message.state == "queued"
        assert message.next_attempt_at - first > timedelta(seconds=25)  # the wait doubled
        [view] = service.list_peers(s, SYSTEM)
        assert view.failures == 2 and view.down_since and view.queued == 1
    other.down = False
    assert service.flush(db, SYSTEM, transport=other, force=True).delivered == 1
    with db.unit_of_work() as s:
        message = s.execute(select(Message)).scalar()
        assert message.state == "delivered" and message.receipt["message_id"] == message_id
        [view] = service.list_peers(s, SYSTEM)
        assert view.health == "ok" and view.down_since is None
    # each send was signed afresh: a late retry still falls inside the peer's window
    assert len({e["sent_at"] for e in other.seen}) == len(other.seen)


def test_a_lost_receipt_is_recovered_from_the_replay_answer(db, peer):
    _queue_stats(db)
    other = Peer(peer)
    other.seen.append({"message_id": None})
    with db.unit_of_work() as s:
        mid = s.execute(select(Message.message_id)).scalar()
    other.seen.append({"message_id": mid})  # the peer has it already; our receipt was lost
    assert service.flush(db, SYSTEM, transport=other).delivered == 1


def test_a_receipt_not_signed_by_the_peer_is_no_delivery(db, peer):
    _queue_stats(db)
    impostor = Peer(peer, key=signing.KeyPair.generate())
    result = service.flush(db, SYSTEM, transport=impostor)
    assert result.delivered == 0 and result.retrying == 1
    with db.unit_of_work() as s:
        assert "signature" in s.execute(select(Message.last_error)).scalar()


def test_a_message_past_its_attempts_is_failed(db, peer, monkeypatch):
    monkeypatch.setenv("ANJU_FEDERATION_MAX_ATTEMPTS", "2")
    from anju.core.config import reset_settings_cache

    reset_settings_cache()
    _queue_stats(db)
    other = Peer(peer)
    other.down = True
    service.flush(db, SYSTEM, transport=other, force=True)
    assert service.flush(db, SYSTEM, transport=other, force=True).failed == 1
    with db.unit_of_work() as s:
        assert s.execute(select(Message.state)).scalar() == "failed"


# --- continuity at the receiving end -----------------------------------------------------------
def test_a_continuity_request_is_answered_with_the_purposes_fields_only(db, peer):
    police = make_account(db, "police")
    number = valid_id("330523", date(2015, 3, 1))
    child = make_person(db, police, "小明", id_number=number, phone="13700001111")
    adult_number = valid_id("330523", date(1980, 3, 1))
    make_person(db, police, "大明", id_number=adult_number)
    hashed = continuity.link_hash(LINK_SECRET, number)
    status, receipt = post(db, envelope(peer, type="continuity", message_id="c-0000000001",
                                        body={"link_hash": hashed,
                                              "purpose": "federation.school_record"}))
    assert status == 200
    assert receipt["answer"] == {"found": True, "purpose": "federation.school_record",
                                 "fields": {"name": "小明", "sex": receipt["answer"]["fields"]["sex"],
                                            "birth_date": "2015-03-01"}}
    with db.unit_of_work() as s:
        from anju.core.auditlog import entries_for_person

        [entry] = [e for e in entries_for_person(s, child)
                   if e.action == "federation.continuity_answer"]
        assert entry.purpose == "federation.school_record" and "安吉县" in entry.username
    # a school record is about a minor: an adult is out of that purpose and looks missing
    status, receipt = post(db, envelope(peer, type="continuity", message_id="c-0000000002",
                                        body={"link_hash": continuity.link_hash(
                                            LINK_SECRET, adult_number),
                                            "purpose": "federation.school_record"}))
    assert receipt["answer"] == {"found": False, "purpose": "federation.school_record"}
    # an unknown purpose is refused, naming it
    status, answer = post(db, envelope(peer, type="continuity", message_id="c-0000000003",
                                       body={"link_hash": hashed, "purpose": "curiosity"}))
    assert status == 422 and answer["error"]["field"] == "body.purpose"


# --- arrival notices ------------------------------------------------------------------------------
def _approve_someone_from(db, region: str) -> str:
    from anju.registry import service as registry
    from tests.factories import make_house, submit

    police = make_account(db, "police")
    landlord = make_person(db, police, "房东", id_number=valid_id("330522", date(1960, 1, 1)))
    house = make_house(db, police, landlord)
    person = make_person(db, police, "新来的", id_number=valid_id(region, date(1992, 2, 2)))
    registration = submit(db, police, person, house["rooms"][0]["room_id"])
    with db.unit_of_work() as s:
        registry.approve_registration(s, police, registration)
    return person


def test_arrival_notices_are_off_unless_the_duty_is_configured(db, peer):
    _approve_someone_from(db, PEER_CODE)
    with db.unit_of_work() as s:
        assert not s.execute(select(Message).where(Message.type == "arrival")).first()


def test_an_approved_arrival_notifies_the_place_of_registration_and_the_person_sees_it(db, peer):
    from anju.core.auditlog import entries_for_person
    from anju.federation.models import Peer as PeerRow

    with db.unit_of_work() as s:
        s.execute(update(PeerRow).values(arrival_notices=True))
    elsewhere = _approve_someone_from(db, "341221")  # registered in 临泉, not a peer: nothing
    person = _approve_someone_from(db, PEER_CODE)
    with db.unit_of_work() as s:
        [notice] = s.execute(select(Message).where(Message.type == "arrival")).scalars().all()
        assert notice.person_code == person and notice.body["event"] == "arrived"
        assert set(notice.body) == {"link_hash", "event"}  # no name, no ID number
        [entry] = [e for e in entries_for_person(s, person)
                   if e.action == "federation.arrival"]
        assert entry.detail["peer"] == "安吉县"
        assert not [e for e in entries_for_person(s, elsewhere) if e.action == "federation.arrival"]


def test_a_received_arrival_notice_is_on_the_persons_access_log(db, peer):
    from anju.core.auditlog import entries_for_person

    police = make_account(db, "police")
    number = valid_id("330522", date(1991, 1, 1))
    person = make_person(db, police, "出县的", id_number=number)
    status, receipt = post(db, envelope(peer, type="arrival", message_id="a-0000000001",
                                        body={"link_hash": continuity.link_hash(LINK_SECRET,
                                                                                number),
                                              "event": "arrived"}))
    assert status == 200 and receipt["answer"] is None
    with db.unit_of_work() as s:
        [entry] = [e for e in entries_for_person(s, person)
                   if e.action == "federation.arrival_received"]
        assert "安吉县" in entry.username


def test_several_workers_deliver_each_message_once(db, peer):
    import threading

    for _ in range(3):
        _queue_stats(db)
    other, lock = Peer(peer), threading.Lock()

    def transport(url, env):
        with lock:
            return other(url, env)

    assert service.flush(db, SYSTEM, transport=transport, workers=3).delivered == 3
    assert sorted(e["message_id"] for e in other.seen) == sorted(
        {e["message_id"] for e in other.seen})
    with db.unit_of_work() as s:
        assert log.verify(s).ok and log.verify(s).checked == 6


def test_a_social_insurance_transfer_is_answered_from_the_departments_holdings(db, peer):
    """The hub's golden record (人社's employer, 医保's insurance status) answers the purpose's
    fields the registry lacks, with their department and date; other holdings (a phone, a
    school) do not leave, and a person without holdings is answered from the registry alone."""
    from anju.exchange.models import GoldenRecord

    police = make_account(db, "police")
    number = valid_id("330523", date(1985, 6, 1))
    person = make_person(db, police, "王建国", id_number=number)
    with db.unit_of_work() as s:
        s.add(GoldenRecord(person_code=person, division_code="330522001000", fields={
            "employer": "长兴某纺织有限公司", "insurance": "insured", "phone": "13800001111",
            "school": "enrolled"}, provenance={
            "employer": {"department": "renshe", "as_of": "2026-10-31"},
            "insurance": {"department": "yibao", "as_of": "2026-11-01"},
            "phone": {"department": "gongan"}, "school": {"department": "jiaoyu"}}))
    status, receipt = post(db, envelope(peer, type="continuity", message_id="c-0000000011",
                                        body={"link_hash": continuity.link_hash(LINK_SECRET,
                                                                                number),
                                              "purpose": "federation.social_insurance"}))
    assert status == 200
    answer = receipt["answer"]
    assert set(answer["fields"]) == {"name", "sex", "birth_date", "employer", "insurance"}
    assert answer["fields"]["employer"] == "长兴某纺织有限公司"
    assert answer["fields"]["insurance"] == "insured"
    assert answer["sources"] == {"employer": {"department": "renshe", "as_of": "2026-10-31"},
                                 "insurance": {"department": "yibao", "as_of": "2026-11-01"}}
    assert "13800001111" not in json.dumps(receipt, ensure_ascii=False)
