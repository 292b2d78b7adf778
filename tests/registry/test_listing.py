"""The registrations listing behind the police approval queue (both backends): every submission
reachable page by page with the total, filtered by township, submission date, status, and found
by name or ID number — within the actor's reach only."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import update

from anju.core import clock
from anju.registry import service
from anju.registry.models import Registration
from tests.factories import OTHER_TOWNSHIP, TOWNSHIP, crowd, make_account, submit


def test_pages_reach_every_submission_and_say_how_many(world):
    ids = crowd(world.db, world.landlord.person_code, {TOWNSHIP: 230})
    seen: list[int] = []
    with world.db.unit_of_work() as s:
        offset = 0
        while True:
            page = service.list_registrations(s, world.police, "submitted", limit=200,
                                              offset=offset)
            assert page.total == 230
            if not page:
                break
            seen += [r.registration_id for r in page]
            offset += len(page)
    assert sorted(seen) == sorted(ids) and seen == sorted(seen, reverse=True)  # newest first
    with world.db.unit_of_work() as s:
        last = service.list_registrations(s, world.police, "submitted", limit=50, offset=200)
    assert (len(last), last.first, last.last, last.has_next, last.has_previous) == (
        30, 201, 230, False, True)


def test_filters_by_township_date_status_and_search(world):
    db = world.db
    here = crowd(db, world.landlord.person_code, {TOWNSHIP: 6})
    there = crowd(db, world.landlord.person_code, {OTHER_TOWNSHIP: 4})
    approved = submit(db, world.resident, world.resident.person_code, world.room_id)
    with db.unit_of_work() as s:
        service.approve_registration(s, world.police, approved)
        # two submissions made last week (created_at is naive UTC; 16:30 UTC is the next
        # morning in China)
        week_ago = clock.today() - timedelta(days=7)
        s.execute(update(Registration).where(Registration.id.in_(here[:2])).values(
            created_at=datetime.combine(week_ago - timedelta(days=1), time(16, 30))))
    police = world.police

    def ids(**kw) -> tuple[int, list[int]]:
        with db.unit_of_work() as s:
            page = service.list_registrations(s, police, **kw)
            return page.total, sorted(r.registration_id for r in page)

    assert ids(status="submitted") == (10, sorted(here + there))
    assert ids(status="submitted", division=OTHER_TOWNSHIP) == (4, sorted(there))
    assert ids(status="approved") == (1, [approved])
    assert ids(submitted_to=week_ago) == (2, sorted(here[:2]))
    assert ids(submitted_from=week_ago, submitted_to=week_ago) == (2, sorted(here[:2]))
    assert ids(submitted_from=week_ago + timedelta(days=1))[0] == 9
    # search: the start of a name, a whole ID number, a registration number
    assert ids(query="王芳") == (1, [approved])
    assert ids(query="王") == (1, [approved])
    with db.unit_of_work() as s:
        number = service.read_person(s, police, world.resident.person_code).id_number
    assert ids(query=number) == (1, [approved])
    assert ids(query=str(there[0])) == (1, [there[0]])
    assert ids(query="100%")[0] == 0  # LIKE wildcards are text, not patterns
    # a grid worker of one township sees only that township, whatever the filter asks
    grid = make_account(db, "grid_worker", division=OTHER_TOWNSHIP)
    with db.unit_of_work() as s:
        assert service.list_registrations(s, grid).total == 4
        assert service.list_registrations(s, grid, division=TOWNSHIP).total == 0
