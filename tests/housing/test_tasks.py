"""Management tasks from daily presence: suspected move-outs, unregistered occupants, permit
reminders; grid workers see and resolve the ones in their jurisdiction. Nothing is decided about
a person until a grid worker records what they found."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from anju.core import clock
from anju.core.errors import NotFound
from anju.core.identity import SYSTEM
from anju.housing import events, service
from anju.registry import service as registry
from tests.factories import make_person, submit, token
from tests.housing.conftest import approve, keys_of, make_vendor, tenant

T0 = date(2026, 10, 1)


def _live(world, vendor, uses: dict[str, list[int]], room_id: int | None = None) -> None:
    """Feed opens for key ids on the given day offsets from T0, day by day, through the real
    ingest + daily reduction (raw events only live 3 days, so days are replayed in order)."""
    room_id = room_id or world.room_id
    last = max(d for days in uses.values() for d in days)
    for offset in range(last + 1):
        day = T0 + timedelta(days=offset)
        clock.pin_today(day)
        batch = [{"event_id": f"{key}-{offset}", "lock_id": f"L-{room_id}", "key_id": key,
                  "ts": f"{day}T19:30:00+08:00", "kind": "open"}
                 for key, days in uses.items() if offset in days]
        with world.db.unit_of_work() as s:
            if batch:
                events.ingest_events(s, 1, {"vendor": vendor.name, "events": batch})
        clock.pin_today(day + timedelta(days=1))
        with world.db.unit_of_work() as s:
            events.reduce_and_expire(s, SYSTEM)


def _detect(world, day: date) -> dict:
    clock.pin_today(day)
    with world.db.unit_of_work() as s:
        return service.detect_tasks(s, SYSTEM)


def _tasks(world, actor, **kw):
    with world.db.unit_of_work() as s:
        return service.list_tasks(s, actor, **kw)


def _setup(world):
    clock.pin_today(T0)
    reg_id = tenant(world, start=T0)
    vendor = make_vendor(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    return reg_id, vendor, key


def test_silent_key_raises_a_suspected_move_out_and_moved_out_ends_the_registration(world):
    reg_id, vendor, key = _setup(world)
    _live(world, vendor, {key.key_id: [0, 1, 2]})
    assert _detect(world, T0 + timedelta(days=10))["suspected_move_out"] == 0
    assert _detect(world, T0 + timedelta(days=17))["suspected_move_out"] == 1
    assert _detect(world, T0 + timedelta(days=17))["suspected_move_out"] == 0  # one open task
    [task] = _tasks(world, world.grid)
    assert task.kind == "suspected_move_out" and task.key_id == key.key_id
    assert task.person_code == world.resident.person_code and task.person_name == "王*"
    assert task.registration_id == reg_id and task.room_id == world.room_id
    # nothing happened to the key or the registration by itself
    assert keys_of(world, world.resident, world.resident.person_code)[0].status == "active"
    # outside the grid worker's township it does not exist
    assert _tasks(world, world.grid_other_township) == []
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.resolve_task(s, world.grid_other_township, task.task_id, "moved_out")
    with world.db.unit_of_work() as s:
        done = service.resolve_task(s, world.grid, task.task_id, "moved_out", "房东确认已搬走")
    assert done.status == "resolved" and done.outcome == "moved_out"
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert key.status == "revoked" and key.revoke_reason == "registration_ended"
    with world.db.unit_of_work() as s:
        assert registry.read_registration(s, world.grid, reg_id).status == "ended"
    assert _tasks(world, world.grid) == []


def test_still_living_dismisses_and_is_not_asked_again_at_once(world):
    reg_id, vendor, key = _setup(world)
    _live(world, vendor, {key.key_id: [0]})
    assert _detect(world, T0 + timedelta(days=16))["suspected_move_out"] == 1
    [task] = _tasks(world, world.grid)
    with world.db.unit_of_work() as s:
        assert service.resolve_task(s, world.grid, task.task_id, "still_living",
                                    "出差两周").status == "dismissed"
    assert _detect(world, T0 + timedelta(days=17))["suspected_move_out"] == 0
    assert keys_of(world, world.resident, world.resident.person_code)[0].status == "active"
    with world.db.unit_of_work() as s:
        assert registry.read_registration(s, world.grid, reg_id).status == "approved"


def test_a_key_in_regular_use_without_registration_raises_unregistered_occupant(world):
    _reg_id, vendor, key = _setup(world)
    _live(world, vendor, {key.key_id: list(range(14)), "GUEST-CODE-7": [1, 3, 5, 7, 9, 11]})
    assert _detect(world, T0 + timedelta(days=14))["unregistered_occupant"] == 0  # 6 days only
    _live(world, vendor, {"GUEST-CODE-7": [14]})
    assert _detect(world, T0 + timedelta(days=15))["unregistered_occupant"] == 1
    [task] = _tasks(world, world.grid, kind="unregistered_occupant")
    assert task.room_id == world.room_id and task.person_code is None
    assert task.detail == {"keys_in_regular_use": 2, "capacity": 2, "keys_without_registration": 1}
    with world.db.unit_of_work() as s:
        assert service.resolve_task(s, world.grid, task.task_id,
                                    "registered").status == "resolved"


def test_more_regular_keys_than_capacity_raises_unregistered_occupant(world):
    clock.pin_today(T0)
    small = world.house["rooms"][1]["room_id"]  # capacity 1
    other = make_person(world.db, world.police, "陈静")
    for person in (world.resident.person_code, other):
        approve(world.db, world.police, submit(world.db, world.police, person, small, T0))
    vendor = make_vendor(world)
    keys = [k.key_id for p in (world.resident.person_code, other)
            for k in keys_of(world, world.police, p)]
    _live(world, vendor, {k: list(range(8)) for k in keys}, room_id=small)
    assert _detect(world, T0 + timedelta(days=8))["unregistered_occupant"] == 1
    [task] = _tasks(world, world.police, kind="unregistered_occupant")
    assert task.detail["keys_in_regular_use"] == 2 and task.detail["capacity"] == 1
    assert task.detail["keys_without_registration"] == 0


def test_permit_expiry_reminder_and_counts_per_village(world, client):
    clock.pin_today(date(2025, 2, 1))
    tenant(world, start=date(2025, 2, 1))
    clock.pin_today(date(2025, 8, 10))
    with world.db.unit_of_work() as s:
        permit = registry.issue_permit(s, world.police, world.resident.person_code)
    assert _detect(world, date(2026, 7, 1))["permit_expiring"] == 0
    assert _detect(world, date(2026, 7, 20))["permit_expiring"] == 1
    [task] = _tasks(world, world.grid)
    assert task.kind == "permit_expiring" and task.due_on == permit.valid_until
    with world.db.unit_of_work() as s:
        [count] = service.task_counts(s, world.grid)
    assert count.open == 1 and count.by_kind == {"permit_expiring": 1}
    assert count.division_code == world.house["division_code"]
    headers = token(client, world.grid.username)
    listed = client.get("/api/v1/tasks", params={"division": "330522001"}, headers=headers)
    assert listed.status_code == 200 and [t["task_id"] for t in listed.json()] == [task.task_id]
    elsewhere = client.get("/api/v1/tasks", params={"division": "330522101"}, headers=headers)
    assert elsewhere.status_code == 200 and elsewhere.json() == []
    assert client.get("/api/v1/tasks", headers=token(client, world.resident.username)
                      ).status_code == 403
    counts = client.get("/api/v1/tasks/counts", headers=headers).json()
    assert counts[0]["open"] == 1
