"""The demo county at a small size on SQLite: complete, valid, real places, built once."""
from __future__ import annotations

import collections
import shutil

import pytest
from sqlalchemy import func, select

from anju.core import audit, clock, divisions, identity, idnumber
from anju.core.config import reset_settings_cache
from anju.core.db import Database
from anju.core.errors import NotFound
from anju.core.models import Account, AuditRecord
from anju.demo import build, synth
from anju.registry import service
from anju.registry.models import House, Permit, Person, Registration

SIZE = 300


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    messages: list[str] = []
    summary = build.ensure_demo(db, persons=SIZE, progress=messages.append)
    yield db, summary, messages
    db.dispose()


def test_every_registration_state_and_some_permits(demo):
    db, summary, _ = demo
    assert summary.built
    states = summary.counts["registrations"]
    assert set(states) == {"approved", "submitted", "rejected", "ended"}
    assert all(n > 0 for n in states.values())
    assert summary.counts["persons"] == SIZE + summary.counts["landlords"]
    assert 3 <= summary.counts["permits"] <= SIZE // 10
    with db.unit_of_work() as s:
        reasons = s.execute(select(Registration.rejection_reason)
                            .where(Registration.status == "rejected")).scalars().all()
        ended = s.execute(select(Registration.start_date, Registration.end_date)
                          .where(Registration.status == "ended")).all()
    assert all(r in synth.REJECTIONS for r in reasons)
    assert all(end and start <= end < clock.today() for start, end in ended)


def test_ids_are_valid_and_agree_with_the_person(demo):
    db, _, _ = demo
    cipher = service.cipher()
    with db.unit_of_work() as s:
        people = s.execute(select(Person)).scalars().all()
        landlords = set(s.execute(select(House.landlord_person_code)).scalars())
    seen = set()
    for p in people:
        info = idnumber.parse_id_number(cipher.decrypt(p.id_cipher))
        assert (info.sex, info.birth_date) == (p.sex, p.birth_date)
        assert info.region_known and not info.warnings
        seen.add(info.number)
        if p.person_code in landlords:
            assert info.region_code == "330522"  # local villagers let the rooms
        else:
            assert 1960 <= p.birth_date.year <= 2006
            assert info.region_code != "330522"
        assert p.phone and len(p.phone) == 11 and p.phone[0] == "1"
    assert len(seen) == len(people)


def test_all_divisions_are_real_and_houses_are_in_changxing(demo):
    db, _, _ = demo
    with db.unit_of_work() as s:
        people = s.execute(select(Person.division_code, Person.hukou_division_code,
                                  Person.hukou_address)).all()
        houses = s.execute(select(House.division_code, House.address)).all()
    for managing, hukou, address in people:
        assert divisions.get(managing) and divisions.is_within(managing, "330522")
        assert divisions.get(hukou) and divisions.get(hukou).level == divisions.COUNTY
        assert address.startswith(divisions.full_name(hukou))
    for division, address in houses:
        d = divisions.get(division)
        assert d and d.level == divisions.VILLAGE and divisions.is_within(division, "330522")
        assert address.startswith("长兴县" + divisions.ancestors(division)[-1].name + d.name)


def test_rerun_is_a_no_op(demo):
    db, summary, _ = demo
    with db.unit_of_work() as s:
        entries = audit.count(s)
    messages: list[str] = []
    again = build.ensure_demo(db, persons=SIZE, progress=messages.append)
    assert not again.built and again.counts == summary.counts
    assert messages == ["demo: already built, nothing to do (演示数据已存在)"]
    with db.unit_of_work() as s:
        assert audit.count(s) == entries


def test_demo_accounts_log_in_and_personas_make_sense(demo):
    db, _, _ = demo
    actors = {}
    with db.unit_of_work() as s:
        for a in build.ACCOUNTS:
            account = identity.authenticate(s, a.username, build.PASSWORD)
            assert account.role == a.role
            actors[a.username] = identity.actor_of(account)
    assert actors["hrss"].department == "hrss"
    with db.unit_of_work() as s:
        mine = service.list_registrations(s, actors["resident"])
        assert [r.status for r in mine] == ["approved"]
        assert service.permit_eligibility(s, actors["resident"],
                                          actors["resident"].person_code).eligible
        pending = service.list_registrations(s, actors["newcomer"])
        assert [r.status for r in pending] == ["submitted"]
        tenants = {r.person_code for r in service.list_registrations(s, actors["landlord"])}
        assert {actors["resident"].person_code, actors["newcomer"].person_code} <= tenants
        queue = service.list_registrations(s, actors["police"], status="submitted", limit=200)
        assert actors["newcomer"].person_code in {r.person_code for r in queue}
        grid_view = service.read_registration(s, actors["grid"], pending[0].registration_id)
        assert grid_view.status == "submitted"


def test_only_approved_registrations_place_people(demo):
    """The demo obeys the access rule it demonstrates: a person lives, for access purposes, at
    their approved registration's house; everyone else stays where they were taken in (the
    county), so the newcomer's pending registration puts them in no grid worker's reach."""
    db, _, _ = demo
    with db.unit_of_work() as s:
        approved = dict(s.execute(select(Registration.person_code, Registration.division_code)
                                  .where(Registration.status == "approved")).all())
        people = s.execute(select(Person.person_code, Person.division_code,
                                  Person.base_division_code)).all()
        landlords = set(s.execute(select(House.landlord_person_code)).scalars())
        newcomer = s.execute(select(Account).where(
            Account.username == "newcomer")).scalar_one()
        grid = identity.actor_of(s.execute(select(Account).where(
            Account.username == "grid")).scalar_one())
        police = identity.actor_of(s.execute(select(Account).where(
            Account.username == "police")).scalar_one())
    for code, division, base in people:
        assert division == approved.get(code, base)
        assert code in landlords or base == "330522000000"
    with db.unit_of_work() as s:
        with pytest.raises(NotFound):
            service.read_person(s, grid, newcomer.person_code)
        assert service.read_person(s, police, newcomer.person_code).person_code
def test_every_approved_tenancy_holds_an_e_key_and_no_other_does(demo):
    """The demo reflects "no registration, no key": keys as approvals issue them."""
    from anju.housing import service as housing
    from anju.housing.models import EKey

    db, _, _ = demo
    with db.unit_of_work() as s:
        tenant_keys = collections.Counter(s.execute(
            select(EKey.registration_id).where(EKey.kind == "tenant",
                                               EKey.status == "active")).scalars())
        states = dict(s.execute(select(Registration.id, Registration.status)).all())
        any_key = set(s.execute(select(EKey.registration_id)).scalars())
        issued = s.execute(select(func.count()).where(
            AuditRecord.action == "key.issue")).scalar_one()
    approved = {r for r, status in states.items() if status == "approved"}
    assert approved and set(tenant_keys) == approved and set(tenant_keys.values()) == {1}
    assert not {r for r in any_key if states[r] in ("submitted", "rejected")}
    assert issued == len(any_key)  # each key's issue is on the audit chain
    # so the tenant's key page, the landlord's list and the grid worker's tasks have something
    actors = {}
    with db.unit_of_work() as s:
        for a in build.ACCOUNTS:
            actors[a.username] = identity.actor_of(identity.authenticate(s, a.username,
                                                                         build.PASSWORD))
        mine = housing.list_keys(s, actors["resident"], actors["resident"].person_code)
        assert [k.status for k in mine] == ["active"] and mine[0].kind == "tenant"
        assert housing.list_keys(s, actors["landlord"])
        assert housing.list_keys(s, actors["grid"])
        reminders = housing.list_tasks(s, actors["police"], kind="permit_expiring")
        assert reminders and all(t.person_code for t in reminders)


def test_audit_chain_verifies_and_imports_are_recorded(demo):
    db, summary, _ = demo
    with db.unit_of_work() as s:
        result = audit.verify_chain(s)
        imports = s.execute(select(func.count()).where(
            audit.AuditEntry.action == "person.import")).scalar_one()
        permits = s.execute(select(func.count()).select_from(Permit)).scalar_one()
    assert result.ok, result.message()
    # the build seals what its loads appended and records a root (issue 12)
    assert result.checked >= imports > 0 and result.roots >= 1
    assert imports == summary.counts["persons"] and permits == summary.counts["permits"]


def test_describe_names_the_url_accounts_and_counts(demo):
    _, summary, _ = demo
    text = build.describe(summary, "http://127.0.0.1:8000/")
    assert "http://127.0.0.1:8000/" in text and build.PASSWORD in text
    for a in build.ACCOUNTS:
        assert f" {a.username} " in text and a.role in text
    assert f"{summary.counts['persons']:,}" in text and "长兴县" in text


def test_production_is_refused(sqlite_db, monkeypatch):
    monkeypatch.setenv("ANJU_ENVIRONMENT", "production")
    monkeypatch.setenv("ANJU_SECRET_KEY", "p" * 40)
    reset_settings_cache()
    with pytest.raises(build.DemoRefused):
        build.ensure_demo(sqlite_db, persons=10, progress=lambda _: None)


def test_the_plan_is_seeded_and_looks_like_changxing():
    today = clock.today()
    a, b = synth.county(200, 7, today), synth.county(200, 7, today)
    assert [p.id_number for p in a.migrants] == [p.id_number for p in b.migrants]
    assert [r.start for r in a.registrations] == [r.start for r in b.registrations]
    people = synth.People(11)
    many = [people.migrant() for _ in range(4000)]
    names = collections.Counter(p.name for p in many)
    assert len(names) > 0.6 * len(many)  # not a tiny pool
    assert {"王伟", "张伟", "李伟"} & {n for n, _ in names.most_common(10)}
    provinces = collections.Counter(p.id_number[:2] for p in many).most_common()
    assert provinces[0][0] == "34" and {"41", "52", "51"} <= {p for p, _ in provinces[:6]}
    assert collections.Counter(p.sex for p in many)["M"] > 0.5 * len(many)


def test_a_peer_county_exchanged_real_messages_with_the_demo(demo):
    """The demo's peer installation (the resident's county of registration, its own database
    and key) received the demo's statistics and the resident's arrival notice through its
    receive path, and sent its statistics back: both message logs verify, and the resident's
    registration names the county notified."""
    from pathlib import Path

    from anju.core.notes import lines
    from anju.federation import log
    from anju.federation.models import Message, Peer

    db, _, messages = demo
    [said] = [m for m in messages if m.startswith("demo: federation: peer 太和县 (341222) at ")]
    home = Path(said.split(" at ", 1)[1].split(":", 1)[0])  # the demo's data dir at build time
    assert home.parts[-2:] == ("demo_peer", "341222")
    assert (home / "keys" / "installation-sm2.key").exists()
    peer_db = Database(f"sqlite:///{home / 'anju.sqlite3'}")
    try:
        with peer_db.unit_of_work() as s:
            got = sorted((m.type, m.state) for m in s.execute(
                select(Message).where(Message.direction == "in")).scalars())
            assert got == [("arrival", "delivered"), ("stats", "delivered")]
            [peer] = s.execute(select(Peer)).scalars().all()
            assert peer.division_code == "330522" and peer.last_success_at
    finally:
        peer_db.dispose()
    with db.unit_of_work() as s:
        rows = s.execute(select(Message.direction, Message.type, Message.state)).all()
        assert sorted(rows) == [("in", "stats", "delivered"), ("out", "arrival", "delivered"),
                                ("out", "stats", "delivered")]
        received = s.execute(select(Message).where(Message.direction == "in")).scalar_one()
        assert received.body["cells"] and all(  # released: no count from 1 to 15
            not (c[k] and 0 < c[k] < 16) for c in received.body["cells"]
            for k in ("arrivals", "departures", "stock"))
        assert log.verify(s).ok
        resident = identity.actor_of(s.execute(select(Account).where(
            Account.username == "resident")).scalar_one())
        regs = s.execute(select(Registration.id).where(
            Registration.person_code == resident.person_code)).scalars().all()
        notes = [n for ns in lines("registration", s, resident, regs).values() for n in ns]
        assert [(n.key, n.params["peer"]) for n in notes] == [
            ("federation.note_arrived_sent", "太和县")]
