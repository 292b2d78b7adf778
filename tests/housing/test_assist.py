"""Assisted mode: a grid worker acts for an (elderly) landlord — registers a house, a tenant, ends a
tenancy, revokes a key — only under the landlord's recorded consent, only in their jurisdiction,
audited with both names; the landlord sees what was done on their behalf.

Permission outcomes in the style of tests/registry/test_permissions.py: "ok"; "403" — the role
may never do this; "404" — outside the worker's reach, so it looks missing; "refused" — no live
consent (403 consent_required)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from anju.core import auditlog, clock
from anju.core.errors import Forbidden, NotFound
from anju.core.models import AuditRecord
from anju.housing import service
from anju.housing.schemas import ConsentIn
from anju.registry import service as registry
from anju.registry.schemas import HouseIn, RegistrationIn, RoomIn
from tests.factories import TOWNSHIP, make_account, make_person, valid_id, verified
from tests.housing.conftest import approve, keys_of


def _consent(world, actor=None, landlord=None, **kw) -> int:
    data = {"landlord_person_code": landlord or world.landlord.person_code,
            "method": "paper_form", "reference": "雉城街道-协办同意书-2026-0815",
            "consented_at": datetime.now() - timedelta(hours=1), **kw}
    with world.db.unit_of_work() as s:
        return service.record_consent(s, actor or world.grid, ConsentIn(**data)).consent_id


def _house(world) -> HouseIn:
    return HouseIn(address="长兴县雉城街道画溪路 12 号", division_code=TOWNSHIP,
                   landlord_person_code=world.landlord.person_code,
                   rooms=[RoomIn(label="201", capacity=2)])


def _tenant_in(world, room_id: int) -> RegistrationIn:
    return RegistrationIn(person_code=world.resident.person_code, room_id=room_id,
                          start_date=date(2026, 1, 5), reason="work")


def test_a_grid_worker_acts_for_a_landlord_with_consent_audited_with_both_names(world):
    consent = _consent(world)
    with world.db.unit_of_work() as s:
        house = service.assisted_create_house(s, world.grid, consent, _house(world))
    room_id = house.rooms[0].room_id
    with world.db.unit_of_work() as s:
        reg = service.assisted_register_tenant(s, world.grid, consent, _tenant_in(world, room_id))
    approve(world.db, world.police, reg.registration_id)
    [key] = [k for k in keys_of(world, world.resident, world.resident.person_code)
             if k.status == "active"]
    with world.db.unit_of_work() as s:
        revoked = service.assisted_revoke_key(s, world.grid, consent, key.key_id, "房东要求收回")
    assert revoked.status == "revoked" and revoked.revoke_reason == "landlord"
    with world.db.unit_of_work() as s:
        ended = service.assisted_end_tenancy(s, world.grid, consent, reg.registration_id,
                                             date(2026, 3, 1))
    assert ended.status == "ended"

    # the landlord sees every action done on their behalf, with the consent it rests on
    with world.db.unit_of_work() as s:
        done = service.list_assisted_actions(s, world.landlord)
        consents = service.list_consents(s, world.landlord)
    assert [a.action for a in done] == ["registration.end", "key.revoke", "registration.submit",
                                        "house.create"]
    assert {a.grid_worker for a in done} == {world.grid.username}
    assert {a.consent_reference for a in done} == {"雉城街道-协办同意书-2026-0815"}
    assert [c.consent_id for c in consents] == [consent] and consents[0].live
    # ... and in their access log; each audit entry names the worker (actor) and the landlord
    with world.db.unit_of_work() as s:
        log = auditlog.my_access_log(s, world.landlord)
        entries = s.execute(select(AuditRecord).where(
            AuditRecord.action.like("housing_assist.%")).order_by(AuditRecord.id)).scalars().all()
    assert {e.action for e in log} >= {"housing_assist.consent", "housing_assist.house.create",
                                       "housing_assist.registration.submit",
                                       "housing_assist.key.revoke",
                                       "housing_assist.registration.end"}
    assert len(entries) == 5
    for e in entries:
        assert e.username == world.grid.username and e.person_code == world.landlord.person_code
        assert e.detail["on_behalf_of"] == world.landlord.person_code
        assert e.detail["grid_worker"] == world.grid.username
        assert e.detail["consent_id"] == consent and e.detail["consent_method"] == "paper_form"
    assert verified(world.db).ok


OPS = ["house", "tenant", "end", "revoke"]


def _run(world, op: str, actor, consent_id: int | None):
    """Each assisted operation on the world's landlord's house (tenant registered for end and
    revoke)."""
    extra = world.extra
    with world.db.unit_of_work() as s:
        if op == "house":
            return service.assisted_create_house(s, actor, consent_id, _house(world))
        if op == "tenant":
            other = extra["other_tenant"]
            return service.assisted_register_tenant(s, actor, consent_id, RegistrationIn(
                person_code=other, room_id=world.room_id, start_date=date(2026, 2, 1),
                reason="work"))
        if op == "end":
            return service.assisted_end_tenancy(s, actor, consent_id, extra["reg"],
                                                date(2026, 3, 1))
        return service.assisted_revoke_key(s, actor, consent_id, extra["key"], "房东要求")


@pytest.fixture
def assisted(world):
    from tests.housing.conftest import tenant

    world.extra["reg"] = tenant(world)
    world.extra["key"] = keys_of(world, world.resident, world.resident.person_code)[0].key_id
    world.extra["other_tenant"] = make_person(world.db, world.police, "赵磊",
                                              id_number=valid_id("341221"))
    return world


@pytest.mark.parametrize("op", OPS)
def test_with_a_live_consent_the_worker_may(assisted, op):
    assert _run(assisted, op, assisted.grid, _consent(assisted)) is not None


@pytest.mark.parametrize("op", OPS)
def test_without_consent_it_is_refused_and_nothing_is_written(assisted, op):
    world = assisted
    for consent_id in (None, 999_999):
        with pytest.raises(Forbidden) as refused:
            _run(world, op, world.grid, consent_id)
        assert refused.value.code == "consent_required"
    with world.db.unit_of_work() as s:
        assert service.list_assisted_actions(s, world.landlord) == []


@pytest.mark.parametrize("op", OPS)
def test_a_withdrawn_expired_foreign_or_someone_elses_consent_is_refused(assisted, op):
    world = assisted
    withdrawn = _consent(world)
    with world.db.unit_of_work() as s:
        service.withdraw_consent(s, world.landlord, withdrawn)  # the landlord changes their mind
    expired = _consent(world, valid_days=1, consented_at=datetime.now() - timedelta(days=3))
    stranger = make_person(world.db, world.police, "孙立", id_number=valid_id("330522"))
    registry_house = HouseIn(address="长兴县雉城街道 1 号", division_code=TOWNSHIP,
                             landlord_person_code=stranger, rooms=[RoomIn(label="1", capacity=1)])
    with world.db.unit_of_work() as s:
        registry.create_house(s, world.police, registry_house)
    foreign = _consent(world, landlord=stranger)  # another landlord's consent
    colleague = make_account(world.db, "grid_worker", division=TOWNSHIP)
    theirs = _consent(world, actor=colleague)  # given to another grid worker
    for consent_id in (withdrawn, expired, foreign, theirs):
        with pytest.raises(Forbidden) as refused:
            _run(world, op, world.grid, consent_id)
        assert refused.value.code == "consent_required", consent_id


@pytest.mark.parametrize("op", OPS)
def test_a_grid_worker_outside_the_township_gets_404(assisted, op):
    world = assisted
    with pytest.raises(NotFound):
        _consent(world, actor=world.grid_other_township)
    with pytest.raises(NotFound):
        _run(world, op, world.grid_other_township, _consent(world))


@pytest.mark.parametrize("role", ["resident", "landlord", "police", "dept_officer", "analyst",
                                  "admin"])
def test_other_roles_may_not_act_in_assisted_mode(assisted, role):
    world = assisted
    actor = {"resident": world.resident, "landlord": world.landlord, "police": world.police,
             "dept_officer": world.officer, "analyst": world.analyst, "admin": world.admin}[role]
    with pytest.raises(Forbidden):
        _consent(world, actor=actor)
    for op in OPS:
        with pytest.raises(Forbidden):
            _run(world, op, actor, _consent(world))


def test_consents_and_actions_are_visible_only_within_reach(assisted):
    world = assisted
    consent = _consent(world)
    _run(world, "revoke", world.grid, consent)
    other_landlord = make_account(world.db, "landlord", person_code=make_person(
        world.db, world.police, "钱多", id_number=valid_id("330522")))
    with world.db.unit_of_work() as s:
        assert [a.action for a in service.list_assisted_actions(s, world.grid)] == ["key.revoke"]
        assert service.list_assisted_actions(s, world.grid_other_township) == []
        assert service.list_assisted_actions(s, other_landlord) == []
        assert service.list_consents(s, other_landlord) == []
        with pytest.raises(Forbidden):
            service.list_assisted_actions(s, world.resident)
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.withdraw_consent(s, other_landlord, consent)
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.withdraw_consent(s, world.grid_other_township, consent)


def test_reading_consents_and_assisted_actions_shows_in_the_landlords_access_log(assisted):
    """A grid worker's reads of a landlord's consents and of what was done for them name the
    landlord (their code and name): each is on the audit chain, so the landlord sees it; the
    landlord reading their own is not recorded."""
    world = assisted
    consent = _consent(world)
    _run(world, "revoke", world.grid, consent)

    def reads(actor) -> list[AuditRecord]:
        with world.db.unit_of_work() as s:
            return list(s.execute(select(AuditRecord).where(
                AuditRecord.action == "housing_assist.read",
                AuditRecord.username == actor.username)).scalars())

    with world.db.unit_of_work() as s:
        assert [c.landlord_name for c in service.list_consents(s, world.grid)] == ["李建国"]
        assert service.get_consent(s, world.grid, consent).landlord_name == "李建国"
        [done] = service.list_assisted_actions(s, world.grid)
        assert done.landlord_name == "李建国"
    entries = reads(world.grid)
    assert sorted(e.object_type for e in entries) == ["assist_action", "assist_consent",
                                                     "assist_consent"]
    assert {e.person_code for e in entries} == {world.landlord.person_code}
    with world.db.unit_of_work() as s:
        log = auditlog.my_access_log(s, world.landlord)
        assert {(e.official, e.action) for e in log} >= {(world.grid.username,
                                                          "housing_assist.read")}
        # the landlord reading their own consents and actions is no access to record
        service.list_consents(s, world.landlord)
        service.get_consent(s, world.landlord, consent)
        service.list_assisted_actions(s, world.landlord)
    assert reads(world.landlord) == []


def test_only_the_landlord_or_the_worker_it_was_given_to_withdraws_a_consent(assisted):
    world = assisted
    colleague = make_account(world.db, "grid_worker", division=TOWNSHIP)  # same jurisdiction
    consent = _consent(world)
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.withdraw_consent(s, colleague, consent)
    with pytest.raises(Forbidden), world.db.unit_of_work() as s:
        service.withdraw_consent(s, world.police, consent)  # no role but those two may
    with world.db.unit_of_work() as s:
        assert service.withdraw_consent(s, world.grid, consent).withdrawn_by == world.grid.username
    again = _consent(world)
    with world.db.unit_of_work() as s:
        assert service.withdraw_consent(s, world.landlord, again).withdrawn_at is not None


def test_a_consent_cannot_be_backdated_beyond_30_days_or_lie_in_the_future(world):
    from anju.core.errors import ValidationError

    for when in (datetime.now() + timedelta(days=1), datetime.now() - timedelta(days=40)):
        with pytest.raises(ValidationError):
            _consent(world, consented_at=when)
    assert clock.today()


def test_assisted_mode_over_http(assisted, client):
    from tests.factories import token

    world = assisted
    grid = token(client, world.grid.username)
    body = {"landlord_person_code": world.landlord.person_code, "method": "paper_form",
            "reference": "表 0815", "consented_at": datetime.now().isoformat()}
    response = client.post("/api/v1/assist/consents", json=body, headers=grid)
    assert response.status_code == 201, response.text
    consent = response.json()["consent_id"]
    revoke = f"/api/v1/assist/consents/{consent}/keys/{world.extra['key']}/revoke"
    outsider = token(client, world.grid_other_township.username)
    assert client.post(revoke, json={"note": "房东要求"}, headers=outsider).status_code == 404
    assert client.post("/api/v1/assist/consents", json=body,
                       headers=outsider).status_code == 404
    no_consent = f"/api/v1/assist/consents/999999/keys/{world.extra['key']}/revoke"
    refused = client.post(no_consent, json={"note": "房东要求"}, headers=grid)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "consent_required"
    done = client.post(revoke, json={"note": "房东要求"}, headers=grid)
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    landlord = token(client, world.landlord.username)
    mine = client.get("/api/v1/assist/actions", headers=landlord).json()
    assert [(a["action"], a["grid_worker"]) for a in mine] == [("key.revoke",
                                                               world.grid.username)]
