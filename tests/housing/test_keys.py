"""E-keys follow residence registrations: none before approval, revoked when the registration
ends or the landlord takes the key back; every change audited; permission matrix."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from anju.core import auditlog, clock
from anju.core.errors import Conflict, Forbidden, NotFound
from anju.core.identity import SYSTEM
from anju.housing import service
from anju.registry import service as registry
from tests.factories import submit, token, verified
from tests.housing.conftest import approve, keys_of, tenant


def test_no_key_before_approval_then_one_active_key(world):
    reg_id = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    assert keys_of(world, world.resident, world.resident.person_code) == []
    approve(world.db, world.police, reg_id)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "active" and key.kind == "tenant" and key.registration_id == reg_id
    assert key.room_id == world.room_id and key.valid_until is None
    assert key.valid_from == clock.today() and key.key_id.startswith("K")


def test_provisional_key_only_when_the_county_allows_it(world):
    with world.db.unit_of_work() as s:
        service.set_policy(s, SYSTEM, provisional_key_days=7)
    reg_id = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    [provisional] = keys_of(world, world.resident, world.resident.person_code)
    assert provisional.kind == "provisional" and provisional.status == "active"
    assert provisional.valid_until == clock.today() + timedelta(days=7)
    approve(world.db, world.police, reg_id)
    keys = {k.kind: k for k in keys_of(world, world.resident, world.resident.person_code)}
    assert keys["provisional"].status == "revoked" and keys["provisional"].revoke_reason == "replaced"
    assert keys["tenant"].status == "active"


def test_rejection_takes_back_the_provisional_key(world):
    with world.db.unit_of_work() as s:
        service.set_policy(s, SYSTEM, provisional_key_days=3)
    reg_id = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    with world.db.unit_of_work() as s:
        registry.reject_registration(s, world.police, reg_id, "房间信息不符")
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "revoked" and key.revoke_reason == "registration_rejected"


def test_move_out_revokes_the_key_and_everything_is_audited(world):
    reg_id = tenant(world)
    with world.db.unit_of_work() as s:
        registry.end_registration(s, world.landlord, reg_id, clock.today())
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "revoked" and key.revoke_reason == "registration_ended"
    assert key.revoke_reason_zh == "居住登记已注销"
    with world.db.unit_of_work() as s:
        log = auditlog.my_access_log(s, world.resident)
    actions = {(e.action, e.official) for e in log}
    assert ("key.issue", world.police.username) in actions
    assert ("key.revoke", world.landlord.username) in actions


def test_a_future_move_out_date_makes_the_key_expire_then(world):
    reg_id = tenant(world)
    leave = clock.today() + timedelta(days=10)
    with world.db.unit_of_work() as s:
        registry.end_registration(s, world.resident, reg_id, leave)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "active" and key.valid_until == leave
    clock.pin_today(leave + timedelta(days=1))
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "expired"


def test_landlord_revokes_a_key_on_their_room_only(world):
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    from tests.factories import make_account, make_person

    other_landlord = make_account(world.db, "landlord",
                                  person_code=make_person(world.db, world.police, "周强"))
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.revoke_key(s, other_landlord, key.key_id, "不是我的房间")
    with pytest.raises(Forbidden), world.db.unit_of_work() as s:
        service.revoke_key(s, world.resident, key.key_id, "租客不能收回")
    with world.db.unit_of_work() as s:
        out = service.revoke_key(s, world.landlord, key.key_id, "租约到期未续")
    assert out.status == "revoked" and out.revoke_reason == "landlord"
    with pytest.raises(Conflict), world.db.unit_of_work() as s:
        service.revoke_key(s, world.landlord, key.key_id, "再次收回")
    # the registration itself is untouched: only the police or a move-out ends it
    with world.db.unit_of_work() as s:
        assert registry.read_registration(s, world.resident, key.registration_id).status == "approved"


def test_who_sees_a_persons_keys(world):
    """The permission matrix: own, own property, jurisdiction → seen; elsewhere → missing (404);
    roles without the action → 403."""
    tenant(world)
    expected = {"resident": "ok", "landlord": "ok", "grid": "ok", "police": "ok",
                "grid_other_township": NotFound, "police_other_county": NotFound,
                "analyst": Forbidden, "officer": Forbidden, "admin": Forbidden}
    for who, outcome in expected.items():
        actor = world.actor(who)
        if outcome == "ok":
            assert len(keys_of(world, actor, world.resident.person_code)) == 1, who
        else:
            with pytest.raises(outcome):
                keys_of(world, actor, world.resident.person_code)


def test_unknown_person_looks_missing(world):
    with pytest.raises(NotFound):
        keys_of(world, world.police, "P0000000000X")


def test_keys_api_contract(world, client):
    tenant(world)
    from sqlalchemy import select

    from anju.core.models import Account

    with world.db.unit_of_work() as s:
        username = s.execute(select(Account.username).where(
            Account.person_code == world.resident.person_code)).scalar_one()
    response = client.get("/api/v1/keys", params={"person_code": world.resident.person_code},
                          headers=token(client, username))
    assert response.status_code == 200, response.text
    [key] = response.json()
    assert {"key_id", "room_id", "status", "valid_from", "valid_until"} <= set(key)
    assert key["status"] == "active" and key["room_id"] == world.room_id
    other = client.get("/api/v1/keys", params={"person_code": world.resident.person_code},
                       headers=token(client, world.grid_other_township.username))
    assert other.status_code == 404
    assert client.get("/api/v1/keys").status_code == 401


def test_lapsed_permit_revokes_keys_after_the_grace_period(world):
    reg_id = tenant(world, start=date(2025, 1, 5))
    clock.pin_today(date(2025, 8, 1))
    with world.db.unit_of_work() as s:
        registry.issue_permit(s, world.police, world.resident.person_code)
    clock.pin_today(date(2026, 8, 15))  # valid until 2026-08-01; grace 30 days not yet over
    with world.db.unit_of_work() as s:
        assert service.sweep_keys(s, SYSTEM) == 0
    clock.pin_today(date(2026, 9, 1))
    with world.db.unit_of_work() as s:
        assert service.sweep_keys(s, SYSTEM) == 1
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "revoked" and key.revoke_reason == "permit_expired"
    assert key.registration_id == reg_id


def test_bulk_loaded_tenancies_get_keys_as_approvals_would(world):
    """Item 13: imported approvals hold a tenant key; submitted ones only a provisional key where
    the county allows one; rejected and ended ones none. Each issue is audited."""
    from anju.registry import bulk

    with world.db.unit_of_work() as s:
        service.set_policy(s, SYSTEM, provisional_key_days=5)
    from tests.factories import valid_id

    people = bulk.BulkPerson
    with world.db.unit_of_work() as s:
        codes = list(bulk.load_persons(s, SYSTEM, [
            people(f"租客{i}", valid_id("341221", date(1990, 1, 1 + i)), None, None,
                   world.house["division_code"]) for i in range(4)]))
        start = date(2026, 1, 5)
        regs = bulk.load_registrations(s, SYSTEM, [
            bulk.BulkRegistration(codes[0], world.room_id, start, "work", "approved"),
            bulk.BulkRegistration(codes[1], world.room_id, start, "work", "submitted"),
            bulk.BulkRegistration(codes[2], world.room_id, start, "work", "rejected",
                                  rejection_reason="材料不全"),
            bulk.BulkRegistration(codes[3], world.house["rooms"][1]["room_id"], start, "work",
                                  "ended", end_date=date(2026, 1, 20))])
        regs.raise_for_rejected()
    kinds = {code: [(k.kind, k.status) for k in keys_of(world, world.police, code)]
             for code in codes}
    assert kinds == {codes[0]: [("tenant", "active")], codes[1]: [("provisional", "active")],
                     codes[2]: [], codes[3]: []}
    [key] = keys_of(world, world.police, codes[0])
    assert key.registration_id == regs[0] and key.valid_from == max(start, clock.today())
    assert verified(world.db).ok
    with world.db.unit_of_work() as s:
        issued = [e for e in auditlog.entries_for_person(s, codes[0]) if e.action == "key.issue"]
    assert len(issued) == 1 and issued[0].detail["on"] == "registration.import"
    # a re-run writes nothing twice
    with world.db.unit_of_work() as s:
        again = bulk.load_registrations(s, SYSTEM, [
            bulk.BulkRegistration(codes[0], world.room_id, start, "work", "approved")])
    assert again.existing == 1 and len(keys_of(world, world.police, codes[0])) == 1


def test_keys_follow_a_corrected_house_division(world):
    from anju.registry import houses
    from anju.registry.schemas import HouseUpdateIn

    tenant(world)
    village = "330522001001"
    with world.db.unit_of_work() as s:
        houses.update_house(s, world.police, world.house["house_id"],
                            HouseUpdateIn(division_code=village))
    from anju.housing.models import EKey

    with world.db.unit_of_work() as s:
        assert {k.division_code for k in s.query(EKey)} == {village}
    # ... so the grid worker of that village still reaches the key
    assert [k.status for k in keys_of(world, world.grid, world.resident.person_code)] == ["active"]


def test_a_listing_asks_the_registry_in_a_fixed_number_of_queries(world):
    """Keys, fees and tasks name rooms and persons from the registry's read functions: a bounded
    number of queries per listing, whatever the number of rows (no query per key)."""
    from sqlalchemy import event

    from tests.factories import make_person, valid_id

    def registry_queries() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            if any(f" {table}" in statement for table in ("persons", "rooms", "houses")):
                seen.append(statement)

        event.listen(world.db.engine, "before_cursor_execute", count)
        try:
            with world.db.unit_of_work() as s:
                assert service.list_keys(s, world.landlord)
        finally:
            event.remove(world.db.engine, "before_cursor_execute", count)
        return len(seen)

    tenant(world)
    one = registry_queries()
    for n, room in enumerate(world.house["rooms"][1:] * 2):  # more tenants, more keys
        code = make_person(world.db, world.police, f"租客{n}", id_number=valid_id("341221"))
        approve(world.db, world.police, submit(world.db, world.police, code, room["room_id"]))
    with world.db.unit_of_work() as s:
        assert len(service.list_keys(s, world.landlord)) >= 3
    assert registry_queries() == one <= 2
