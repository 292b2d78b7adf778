"""HotStatement: a Core statement run on the driver's own cursor on PostgreSQL behaves as the
same statement through SQLAlchemy does (SQLite goes through SQLAlchemy)."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import bindparam, insert, literal_column, select

from anju.core.db import HotStatement
from anju.core.models import AuditPending
from anju.registry.models import Person
from tests.factories import make_account, make_person, valid_id

_BY_CODE = HotStatement(select(Person.person_code, Person.name, Person.birth_date)
                        .where(Person.person_code == bindparam("code")))


def test_rows_read_as_sqlalchemy_reads_them(db):
    police = make_account(db, "police")
    code = make_person(db, police, "韩小舟", id_number=valid_id("341241"))
    with db.unit_of_work() as s:
        row = _BY_CODE.first(s, {"code": code})
        same = s.execute(_BY_CODE.statement, {"code": code}).first()
        assert (row.person_code, row.name, row.birth_date) == tuple(same)
        assert isinstance(row.birth_date, date)
        assert _BY_CODE.first(s, {"code": "P-nobody"}) is None
        assert _BY_CODE.scalar(s, {"code": code}) == code
        assert [r.person_code for r in _BY_CODE.all(s, {"code": code})] == [code]


def test_json_values_are_stored_as_sqlalchemy_stores_them(db):
    write = HotStatement(insert(AuditPending.__table__), columns=(
        "part", "at", "username", "role", "action", "purpose", "detail"))
    at = datetime(2026, 12, 6, 9, 0, 0, 123456)
    with db.unit_of_work() as s:
        base = {"part": 3, "at": at, "username": "u", "role": "police", "action": "person.read",
                "purpose": "public_security"}
        write.run(s, [base | {"detail": {"by": "id_number", "n": [1, "二"]}},
                      base | {"detail": None}])
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditPending.detail, AuditPending.at)
                         .where(AuditPending.username == "u").order_by(AuditPending.id)).all()
    assert [r.detail for r in rows] == [{"by": "id_number", "n": [1, "二"]}, None]
    assert rows[0].at == at


def test_a_pending_change_in_the_session_is_seen_as_by_session_execute(db):
    police = make_account(db, "police")
    code = make_person(db, police, "秦小岭", id_number=valid_id("341242"))
    with db.unit_of_work() as s:
        s.execute(select(Person).where(Person.person_code == code)).scalar_one().name = "秦小峰"
        assert _BY_CODE.first(s, {"code": code}).name == "秦小峰"
        s.rollback()


def test_an_in_list_of_bound_values_is_refused_and_literal_constants_work(db):
    police = make_account(db, "police")
    code = make_person(db, police, "尤小禾", id_number=valid_id("341243"))
    with pytest.raises(TypeError, match="IN list"):  # on either database, when it is made
        HotStatement(select(Person.person_code).where(Person.status.in_(["active", "x"])))
    literal = HotStatement(select(Person.person_code).where(
        Person.person_code == bindparam("code"),
        Person.status.in_([literal_column("'active'"), literal_column("'x'")])))
    with db.unit_of_work() as s:
        assert literal.scalar(s, {"code": code}) == code
