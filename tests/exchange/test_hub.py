"""The database-backed hub: imports, linking, golden records, conflicts, review, sharing back.
Each test runs on SQLite and on PostgreSQL (the `db` fixture)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from tests.factories import OTHER_COUNTY, make_account, make_person, valid_id

from anju.core import auditlog, clock
from anju.core.errors import Conflict, NotFound
from anju.exchange import service
from anju.exchange.models import GoldenRecord, SourceRecord

BIRTH = date(1988, 11, 13)


def _person(world):
    number = valid_id("341221", BIRTH, "M")
    code = make_person(world.db, world.police, "刘洋", id_number=number, phone="13911112222")
    return number, code


def _import(db, actor, path, dept, **kw):
    with db.unit_of_work() as s:
        return service.import_extract(s, actor, path, dept, **kw)


def test_import_links_encrypts_reports_and_is_idempotent(world, extracts):
    db = world.db
    number, code = _person(world)
    stranger = valid_id("412721", date(1975, 2, 1), "F")
    path = extracts.gongan([
        ["G1", "刘洋", number, "1", "19881113", "安徽省阜阳市临泉县城关镇", "长兴县雉城街道明珠路1号",
         "13911112222", "长兴电池厂"],
        ["G2", "陈静", stranger, "2", "19750201", "", "洪桥镇和平路45号", "13700001111", ""],
        ["G3", "赵六", "12345", "1", "19900101", "", "雉城街道", "", ""],  # bad ID: reported
        ["G4", "", "", "", "", "", "", "", ""],  # neither name nor ID: reported, dropped
    ])
    report = _import(db, world.steward, path, "gongan")
    assert report.status == "imported" and report.new_records == 3
    assert report.linked["registry"] == 1 and report.linked["new"] == 2
    codes = {(e.row, e.code) for e in report.errors}
    assert (3, "id_length") in codes and (4, "row_unidentifiable") in codes
    with db.unit_of_work() as s:
        # never in clear: not in any column of the hub's tables
        dump = " ".join(str(r) for r in s.execute(text("SELECT * FROM source_records")).all())
        dump += " ".join(str(r) for r in s.execute(text("SELECT * FROM golden_records")).all())
        assert number not in dump and stranger not in dump
        golden = s.execute(select(GoldenRecord).where(GoldenRecord.person_code == code)).scalar()
        assert golden is not None and golden.fields["name"] == "刘洋"
        n_sources = s.execute(select(SourceRecord.id)).all()
        entries = auditlog.entries_for_person(s, code)
        assert any(e.action == "exchange.import" and e.purpose == "data_quality" for e in entries)
    # the same file again: a no-op answering the first report
    again = _import(db, world.steward, path, "gongan")
    assert again.status == "unchanged" and again.import_id == report.import_id
    # the same records in another file: each record unchanged, nothing relinked
    copy = extracts.gongan([["G1", "刘洋", number, "1", "19881113", "安徽省阜阳市临泉县城关镇",
                             "长兴县雉城街道明珠路1号", "13911112222", "长兴电池厂"]], "copy.csv")
    third = _import(db, world.steward, copy, "gongan")
    assert third.status == "imported" and third.unchanged_records == 1 and third.new_records == 0
    with db.unit_of_work() as s:
        assert len(s.execute(select(SourceRecord.id)).all()) == len(n_sources)
        assert service.read_import(s, world.steward, report.import_id).error_count == 3
        assert [r.import_id for r in service.list_imports(s, world.steward)][-1] == report.import_id


def test_a_steward_imports_only_rows_in_their_jurisdiction(world, extracts):
    outsider = make_account(world.db, "data_steward", division=OTHER_COUNTY)
    path = extracts.gongan([["G1", "刘洋", valid_id(), "1", "", "", "长兴县雉城街道明珠路1号", "", ""]])
    report = _import(world.db, outsider, path, "gongan")
    assert report.new_records == 0 and [e.code for e in report.errors] == ["outside_jurisdiction"]


def test_golden_record_survivorship_provenance_and_conflicts(world, extracts):
    db = world.db
    number, code = _person(world)
    _import(db, world.steward, extracts.gongan([
        ["G1", "刘洋", number, "1", "19881113", "", "长兴县雉城街道明珠路1号", "13911112222", ""]]),
        "gongan", as_of=date(2026, 1, 10))
    _import(db, world.steward, extracts.zhujian([
        ["Z1", "刘洋", number, "0", "1988-11-13", "13800009999", "洪桥镇和平路45号"]]),
        "zhujian", as_of=date(2026, 2, 1))
    housing = make_account(db, "dept_officer", department="housing")
    with db.unit_of_work() as s:
        golden = service.golden_for_person(s, world.steward, code)
        assert golden.fields["sex"] == "M" and golden.provenance["sex"].department == "gongan"
        assert golden.provenance["current_address"].department == "zhujian"  # housing first
        assert golden.fields["phone"].startswith("138") and "****" in golden.fields["phone"]
        assert golden.provenance["phone"].as_of == date(2026, 2, 1)  # most recent
        assert golden.fields["id_number"].count("*") == 8 and len(golden.sources) == 2
        conflicts = service.list_conflicts(s, world.steward)
        assert {(c.field, c.department) for c in conflicts} >= {("sex", "zhujian"),
                                                               ("current_address", "gongan")}
        summary = service.conflict_summary(s, world.steward)
        assert summary.records == 2 and summary.golden_records == 1
        assert summary.duplicate_rate == 0.5 and summary.conflict_rate == 1.0
        by_field = {r.key: r for r in summary.by_field}
        assert by_field["sex"].conflicts == 1 and by_field["sex"].rate == 0.5
        mine = service.conflict_summary(s, housing)
        assert [d.key for d in mine.by_department] == ["zhujian"]
        assert {c.department for c in service.list_conflicts(s, housing)} == {"zhujian"}
    # the department corrects its record: the conflict is resolved
    _import(db, world.steward, extracts.zhujian([
        ["Z1", "刘洋", number, "1", "1988-11-13", "13800009999", "洪桥镇和平路45号"]]), "zhujian")
    with db.unit_of_work() as s:
        assert ("sex", "zhujian") not in {(c.field, c.department)
                                          for c in service.list_conflicts(s, world.steward)}
        assert "sex" in {c.field for c in service.list_conflicts(s, world.steward, "resolved")}


def _pair_setup(world, extracts):
    """Two unregistered records of one name and birth date, IDs missing on one side: with a
    wide review band the matcher proposes them for review instead of deciding."""
    db = world.db
    _import(db, world.steward, extracts.gongan([
        ["G1", "向敏文", valid_id("320413", BIRTH), "1", "19881113", "", "雉城街道明珠路1号",
         "13911113333", ""]]), "gongan", review_band=40)
    report = _import(db, world.steward, extracts.zhujian([
        ["Z1", "向敏文", "", "", "1988-11-13", "13122224444", "洪桥镇和平路45号"]]), "zhujian",
        review_band=150, model={**service.default_model(), "anju_threshold": 99})
    assert report.linked == {"exact_id": 0, "registry": 0, "matched": 0, "review": 1, "new": 0}
    with db.unit_of_work() as s:
        [pair] = service.list_review_pairs(s, world.steward)
    return pair


def test_review_match_merges_and_non_match_is_remembered(world, extracts):
    db = world.db
    pair = _pair_setup(world, extracts)
    assert pair.left.golden_id != pair.right.golden_id
    assert "*" in pair.left.id_number
    with db.unit_of_work() as s:
        detail = service.read_review_pair(s, world.steward, pair.pair_id)
        assert detail.left.name == detail.right.name == "向敏文"
    with db.unit_of_work() as s:
        decided = service.decide_review_pair(s, world.steward, pair.pair_id, "match")
        assert decided.status == "match" and decided.left.golden_id == decided.right.golden_id
        golden = service.read_golden(s, world.steward, decided.left.golden_id)
        assert {x.department for x in golden.sources} == {"gongan", "zhujian"}
        assert s.get(GoldenRecord, max(pair.left.golden_id, pair.right.golden_id)).merged_into
    with pytest.raises(Conflict), db.unit_of_work() as s:
        service.decide_review_pair(s, world.steward, pair.pair_id, "non_match")
    outsider = make_account(db, "data_steward", division=OTHER_COUNTY)
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.read_review_pair(s, outsider, pair.pair_id)


def test_non_match_is_not_proposed_again(world, extracts):
    db = world.db
    pair = _pair_setup(world, extracts)
    with db.unit_of_work() as s:
        service.decide_review_pair(s, world.steward, pair.pair_id, "non_match")
        assert service.list_review_pairs(s, world.steward) == []
        assert len(service.list_review_pairs(s, world.steward, "non_match")) == 1
    # the department sends the record again (changed): still no new proposal
    _import(db, world.steward, extracts.zhujian([
        ["Z1", "向敏文", "", "", "1988-11-13", "13122225555", "洪桥镇和平路45号"]]), "zhujian",
        review_band=150, model={**service.default_model(), "anju_threshold": 99})
    with db.unit_of_work() as s:
        assert service.list_review_pairs(s, world.steward) == []


def test_subscriptions_feed_purpose_fields_and_access_log(world, extracts):
    db = world.db
    number, code = _person(world)
    resident = make_account(db, "resident", person_code=code)
    _import(db, world.steward, extracts.zhujian([
        ["Z1", "刘洋", number, "1", "1988-11-13", "13800009999", "洪桥镇和平路45号"],
        ["Z2", "陈静", valid_id("412721"), "0", "", "13700001111", "雉城街道"]]), "zhujian")
    housing = make_account(db, "dept_officer", department="housing")
    with db.unit_of_work() as s:
        assert service.subscribe(s, housing, served=True).added == 2
        assert service.subscribe(s, housing, served=True).added == 0
        page = service.feed(s, housing, cursor=0)
    assert page.purpose == "housing_administration" and len(page.items) == 2
    item = next(i for i in page.items if i["person_code"] == code)
    assert set(item) == {"change", "person_code", "golden_id", "name", "id_number", "phone",
                         "current_address", "current_division_code"}
    assert item["id_number"] != number and "*" in item["id_number"] and "*" in item["phone"]
    with db.unit_of_work() as s:
        assert service.feed(s, housing, cursor=page.next_cursor).items == []
        log = auditlog.my_access_log(s, resident)
        assert any(e.action == "exchange.feed" and e.purpose == "housing_administration" for e in log)
    # a change to a subscribed person comes through after the cursor
    _import(db, world.steward, extracts.gongan([
        ["G1", "刘洋", number, "1", "19881113", "", "", "13911112222", "长兴电池厂"]]), "gongan")
    police_dept = make_account(db, "dept_officer", department="police")
    outsider = make_account(db, "dept_officer", department="housing", division=OTHER_COUNTY)
    with db.unit_of_work() as s:
        later = service.feed(s, housing, cursor=page.next_cursor)
        assert [i["golden_id"] for i in later.items] == [item["golden_id"]]
        assert service.feed(s, police_dept).items == []  # not subscribed
        assert service.feed(s, outsider).items == []
        with pytest.raises(NotFound):
            service.subscribe(s, outsider, golden_ids=[item["golden_id"]])


def test_data_access_requests_approval_expiry_and_audit(world, extracts):
    db = world.db
    number, code = _person(world)
    _import(db, world.steward, extracts.zhujian([
        ["Z1", "刘洋", number, "1", "1988-11-13", "13800009999", "洪桥镇和平路45号"]]), "zhujian")
    housing = make_account(db, "dept_officer", department="housing")
    other = make_account(db, "dept_officer", department="health")
    clock.pin_today(date(2026, 3, 2))
    with db.unit_of_work() as s:
        req = service.create_data_request(s, housing, "served", "核对租赁备案承租人信息")
    with pytest.raises(Conflict), db.unit_of_work() as s:
        service.deliver_data_request(s, housing, req.request_id)  # not approved yet
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.deliver_data_request(s, other, req.request_id)  # another department's
    with db.unit_of_work() as s:
        approved = service.decide_data_request(s, world.steward, req.request_id, True,
                                               date(2026, 3, 31))
        assert approved.status == "approved" and not approved.expired
        delivery = service.deliver_data_request(s, housing, req.request_id)
        assert [r["person_code"] for r in delivery.records] == [code]
        assert any(e.action == "data_request.deliver" for e in auditlog.entries_for_person(s, code))
    clock.pin_today(date(2026, 4, 1))
    with pytest.raises(Conflict) as refused, db.unit_of_work() as s:
        service.deliver_data_request(s, housing, req.request_id)
    assert refused.value.code == "request_expired"
    with db.unit_of_work() as s:
        assert service.list_data_requests(s, housing)[0].expired
        assert service.list_data_requests(s, other) == []
