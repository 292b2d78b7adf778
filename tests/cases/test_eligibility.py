"""Proactive eligibility: the rules compiled to SQL and the same rules evaluated in Python agree
on every person; the nightly run tells each eligible person who has not applied once, why,
respecting their opt-out; the awareness KPI counts it."""
from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import insert, select

from anju.cases import eligibility
from anju.cases.models import (
    Case,
    EligibilityFacts,
    EligibilityNotice,
    NoticePreference,
    Notification,
)
from anju.cases.points import service as points
from anju.cases.points.facts import FACTS
from anju.core import clock
from anju.core.errors import ValidationError
from anju.core.identity import job_actor
from anju.registry import service as registry
from tests.factories import make_account, make_person, submit, valid_id

JOB = job_actor("cases.eligibility")


def random_facts(r: random.Random, n: int, on: date) -> list[dict]:
    rows = []
    for i in range(n):
        row = {"person_code": f"X{i:07d}", "division_code": "330522001001", "built_on": on}
        for name, fact in FACTS.items():
            row[name] = {"int": lambda: r.choice([0, 1, 3, 5, 6, 7, 16, 30, 31, 55, 60, 61]),
                         "bool": lambda: r.random() < 0.5,
                         "string": lambda: r.choice(["none", "bachelor", "technician"])
                         }[fact.type]()
        rows.append(row)
    return rows


def test_sql_and_python_agree_on_every_person(db):
    with db.unit_of_work() as s:
        s.execute(insert(EligibilityFacts), random_facts(random.Random(5), 600, date(2026, 9, 1)))
        for rule in eligibility.rules():
            sql, python = eligibility.eligible_sql(s, rule), eligibility.eligible_python(s, rule)
            assert sql == python, rule.service
            assert sql, rule.service  # the random county has someone eligible for each


def test_sql_and_python_agree_on_every_person_of_the_demo_county(db):
    from anju.demo import build

    clock.pin_today(date(2026, 9, 1))
    build.ensure_demo(db, persons=120, progress=lambda _m: None)
    with db.unit_of_work() as s:
        built = eligibility.build_snapshot(s, clock.today())
        assert built >= 120
        agreed = 0
        for rule in eligibility.rules():
            sql, python = eligibility.eligible_sql(s, rule), eligibility.eligible_python(s, rule)
            assert sql == python, rule.service
            agreed += len(sql)
        assert agreed  # someone in the demo county is eligible for something


@pytest.fixture
def county(world):
    clock.pin_today(date(2026, 9, 1))
    reg = submit(world.db, world.police, world.resident.person_code, world.room_id,
                 start=date(2026, 1, 5))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    renshe = make_account(world.db, "dept_officer", department="renshe")
    with world.db.unit_of_work() as s:  # an unpaid-wage record, per the department
        points.record_evidence(s, renshe, world.resident.person_code, "wage_arrears", True,
                               "exchange:renshe", date(2026, 8, 1))
    return world


def test_the_run_notifies_the_eligible_once_with_why(county):
    me = county.resident.person_code
    with county.db.unit_of_work() as s:
        dry = eligibility.evaluate(s, JOB, dry_run=True)
        assert s.execute(select(Notification)).first() is None
    assert dry["wage_arrears"]["notified_now"] == 1
    with county.db.unit_of_work() as s:
        counts = eligibility.evaluate(s, JOB)
    assert counts["wage_arrears"] == {"eligible": 1, "applied": 0, "notified_now": 1,
                                      "notified": 1}
    assert counts["vocational_training"]["eligible"] >= 1  # no employment on record
    with county.db.unit_of_work() as s:
        notices = s.execute(select(Notification).where(Notification.person_code == me)
                            ).scalars().all()
        wage = next(n for n in notices if n.params["service"] == "wage_arrears")
        assert wage.essential is False and wage.delivery == "digest"
        assert "欠薪" in wage.params["why_zh"] and "unpaid" in wage.params["why_en"]
        assert wage.params["facts"] == {"wage_arrears": True}  # why, in the person's own facts
    with county.db.unit_of_work() as s:  # a second night tells nobody again
        again = eligibility.evaluate(s, JOB)
    assert all(c["notified_now"] == 0 for c in again.values())
    with county.db.unit_of_work() as s:
        kpi = {k["service"]: k for k in eligibility.awareness(s, county.analyst)}
    assert kpi["wage_arrears"]["awareness"] == 1.0
    assert kpi["wage_arrears"]["notice_to_application"] == 0.0


def test_who_applied_is_not_told_and_an_opt_out_keeps_it_off_the_channel(county):
    me = county.resident.person_code
    with county.db.unit_of_work() as s:
        s.add(Case(service_code="wage_arrears", person_code=me, division_code="330522001000",
                   department="renshe", status="submitted", channel="online", opened_by="x",
                   form={}))
        s.add(NoticePreference(person_code=me, non_essential=False))
    with county.db.unit_of_work() as s:
        counts = eligibility.evaluate(s, JOB)
    assert counts["wage_arrears"]["applied"] == 1 and counts["wage_arrears"]["notified_now"] == 0
    with county.db.unit_of_work() as s:
        rows = s.execute(select(Notification.delivery, EligibilityNotice.service_code).join(
            EligibilityNotice, EligibilityNotice.notification_id == Notification.id)).all()
        assert rows and all(d == "off" for d, _ in rows)
        assert "wage_arrears" not in {svc for _, svc in rows}


def test_a_rule_reading_an_unknown_field_refuses_the_file():
    with pytest.raises(ValidationError) as error:
        eligibility.parse('[[rule]]\nservice = "x"\nrule = "salary > 3"\n')
    assert error.value.field == "rule.x"


def test_department_data_reaches_the_facts_through_the_hub(county, tmp_path):
    """An employer in the public-security extract makes a resident of six months eligible for a
    residence permit; the fact names the hub's department as its source."""
    from anju.exchange import service as hub

    number = valid_id("341221", date(1991, 4, 2), "M")
    code = make_person(county.db, county.police, "刘洋", id_number=number)
    reg = submit(county.db, county.police, code, county.room_id, start=date(2026, 1, 5))
    with county.db.unit_of_work() as s:
        registry.approve_registration(s, county.police, reg)
    path = tmp_path / "gongan.csv"
    path.write_bytes(("登记编号,姓名,公民身份号码,性别,出生日期,户籍地址,现住址,联系电话,服务处所\n"
                      f"G1,刘洋,{number},1,19910402,,长兴县雉城街道明珠路1号,,长兴电池厂\n"
                      ).encode("gbk"))
    with county.db.unit_of_work() as s:
        hub.import_extract(s, county.steward, path, "gongan")
    with county.db.unit_of_work() as s:
        facts, evidence, since = points.gather(s, [code], date(2026, 9, 1))[code]
    assert facts["employed"] is True and evidence["employed"].source == "exchange:gongan"
    assert facts["residence_months"] == 7 and since == date(2026, 1, 5)
    with county.db.unit_of_work() as s:
        counts = eligibility.evaluate(s, JOB)
        told = s.execute(select(EligibilityNotice.service_code).where(
            EligibilityNotice.person_code == code)).scalars().all()
    assert "residence_permit" in told and counts["residence_permit"]["eligible"] >= 1


def test_the_command_dry_run_counts_and_sends_nothing(county, monkeypatch):
    import json

    from typer.testing import CliRunner

    from anju.cli.main import app
    from anju.core.config import reset_settings_cache

    monkeypatch.setenv("ANJU_DATABASE_URL",
                       county.db.engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    result = CliRunner().invoke(app, ["eligibility", "run", "--dry-run", "--on", "2026-09-01"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output[result.output.index("{"):])
    assert counts["wage_arrears"]["notified_now"] == 1
    with county.db.unit_of_work() as s:
        assert s.execute(select(EligibilityNotice)).first() is None
