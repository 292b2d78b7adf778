"""What the hub shares back follows the department's one purpose (issue 7, item 3): the same
purpose as the department's registry reads. Education receives children only, human resources
name, masked ID number, employer and insurance; every field of the purpose, nothing else."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from tests.factories import make_account, make_person, valid_id

from anju.exchange import service
from anju.exchange.models import GoldenRecord

ADULT = valid_id("341221", date(1988, 11, 13), "M")
CHILD = valid_id("341221", date(2015, 9, 1), "F")


def _shared(world, extracts, department: str):
    """An adult and a child known to the police, subscribed by `department`; its feed and the
    delivery of an approved request for everyone in the county."""
    db = world.db
    make_person(db, world.police, "刘洋", id_number=ADULT)
    with db.unit_of_work() as s:
        service.import_extract(s, world.steward, extracts.gongan([
            ["G1", "刘洋", ADULT, "1", "19881113", "安徽省阜阳市临泉县城关镇", "雉城街道明珠路1号",
             "13911112222", "长兴电池厂"],
            ["G2", "刘小雨", CHILD, "2", "20150901", "安徽省阜阳市临泉县城关镇",
             "雉城街道明珠路1号", "", ""]]), "gongan")
    officer = make_account(db, "dept_officer", department=department)
    with db.unit_of_work() as s:
        everyone = list(s.execute(select(GoldenRecord.id)).scalars())
        service.subscribe(s, officer, golden_ids=everyone)
        request = service.create_data_request(s, officer, "all", "核对服务对象").request_id
        service.decide_data_request(s, world.steward, request, True, date(2099, 1, 1))
    with db.unit_of_work() as s:
        return (service.feed(s, officer).items,
                service.deliver_data_request(s, officer, request).records)


def test_education_receives_children_only_with_the_education_fields(world, extracts):
    items, records = _shared(world, extracts, "education")
    fields = {"person_code", "golden_id", "name", "sex", "birth_date", "current_address",
              "current_division_code", "school"}
    assert [set(i) for i in items] == [fields | {"change"}]
    assert [set(r) for r in records] == [fields]
    assert items[0]["name"] == records[0]["name"] == "刘小雨"


def test_human_resources_receives_name_masked_id_employer_and_insurance(world, extracts):
    items, records = _shared(world, extracts, "hrss")
    fields = {"person_code", "golden_id", "name", "id_number", "employer", "insurance"}
    assert {frozenset(i) for i in items} == {frozenset(fields | {"change"})}
    assert sorted(r["name"] for r in records) == ["刘小雨", "刘洋"]
    assert all(set(r) == fields and "*" in r["id_number"] for r in records)
    adult = next(r for r in records if r["name"] == "刘洋")
    assert adult["employer"] == "长兴电池厂" and adult["person_code"]
