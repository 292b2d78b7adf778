"""Department officers reach only their own department's rows through the access layer
(`Scope.DEPARTMENT`): another department's request, conflict or feed looks missing, and every
refusal — a record out of reach, an account with no exchange department — is an attempt entry on
the audit chain, as the access layer writes it for every other refusal. Each test runs on SQLite
and on PostgreSQL (the `db` fixture)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from tests.factories import make_account, make_person, valid_id

from anju.core import audit
from anju.core.errors import Forbidden, NotFound
from anju.core.models import AuditRecord
from anju.exchange import service

NUMBER = valid_id("341221", date(1988, 11, 13), "M")


def _attempts(db, username: str) -> list[AuditRecord]:
    with db.unit_of_work() as s:
        return [e for e in s.execute(select(AuditRecord).where(
            AuditRecord.username == username)).scalars() if audit.is_attempt(e)]


@pytest.fixture
def hub(world, extracts):
    """The housing bureau's record of one person, in conflict with public security's, and a
    request of the housing bureau the steward approved."""
    db = world.db
    make_person(db, world.police, "刘洋", id_number=NUMBER)
    with db.unit_of_work() as s:
        service.import_extract(s, world.steward, extracts.gongan([
            ["G1", "刘洋", NUMBER, "1", "19881113", "", "雉城街道明珠路1号", "", ""]]), "gongan")
    with db.unit_of_work() as s:
        service.import_extract(s, world.steward, extracts.zhujian([
            ["Z1", "刘洋", NUMBER, "0", "1988-11-13", "13800009999", "洪桥镇和平路45号"]]),
            "zhujian")
    housing = make_account(db, "dept_officer", department="housing")
    with db.unit_of_work() as s:
        request = service.create_data_request(s, housing, "served", "核对承租人信息").request_id
        service.decide_data_request(s, world.steward, request, True, date(2099, 1, 1))
    return housing, request


def test_another_departments_request_looks_missing_and_the_attempt_is_recorded(world, hub):
    housing, request = hub
    health = make_account(world.db, "dept_officer", department="health")
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.deliver_data_request(s, health, request)
    [attempt] = _attempts(world.db, health.username)
    assert attempt.action == "data_request.deliver" and attempt.detail["status"] == 404
    with world.db.unit_of_work() as s:  # their own department's, the same request is delivered
        assert service.deliver_data_request(s, housing, request).records
    assert _attempts(world.db, housing.username) == []


def test_an_officer_sees_only_their_own_departments_conflicts(world, hub):
    housing, _ = hub
    police = make_account(world.db, "dept_officer", department="police")
    with world.db.unit_of_work() as s:
        everyone = {c.department for c in service.list_conflicts(s, world.steward)}
        assert everyone == {"gongan", "zhujian"}
        assert {c.department for c in service.list_conflicts(s, housing)} == {"zhujian"}
        assert {c.department for c in service.list_conflicts(s, police)} == {"gongan"}
        assert [d.key for d in service.conflict_summary(s, police).by_department] == ["gongan"]


@pytest.mark.parametrize("call", [
    lambda s, a: service.subscribe(s, a, served=True),
    lambda s, a: service.feed(s, a),
    lambda s, a: service.create_data_request(s, a, "served", "核对承租人信息"),
])
def test_an_officer_without_an_exchange_department_is_refused_on_the_record(world, call):
    # an account whose department no connector serves (any more)
    nobody = replace(make_account(world.db, "dept_officer", department="housing"),
                     department="tourism")
    with pytest.raises(Forbidden) as refused, world.db.unit_of_work() as s:
        call(s, nobody)
    assert refused.value.code == "department_unknown"
    [attempt] = _attempts(world.db, nobody.username)
    assert attempt.detail["status"] == 403
