"""The permission matrix for exchange actions: every role × action × inside / outside its reach,
at the service layer (the API and the pages inherit it). Same conventions as
tests/registry/test_permissions.py: "ok"; "empty" — allowed, nothing within reach; "403" — the
role may never do this; "404" — allowed, but the record is outside reach and so looks missing.
Every "ok" answer carries exactly its purpose's fields. Written out by hand: it is the
specification, not a copy of the policy."""
from __future__ import annotations

from datetime import date

import pytest
from tests.factories import COUNTY, OTHER_COUNTY, make_account, make_person, valid_id
from tests.support.matrix import mismatches

from anju.exchange import service

ROLES = ["resident", "landlord", "grid_worker", "police", "dept_officer", "data_steward",
         "analyst", "auditor", "admin"]
NO = "403/403"
# op: (resident, landlord, grid_worker, police, dept_officer, data_steward, analyst, auditor, admin)
MATRIX = {
    "exchange.import":       (NO, NO, NO, NO, NO, "ok/empty", NO, NO, NO),
    "golden.read":           (NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    # import a record carrying the person's ID number (and an address in one's own reach),
    # then ask for their golden record: an import pulls no one's record into reach
    "golden.import_then_read": (NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "conflict.read":         (NO, NO, NO, NO, "ok/empty", "ok/empty", NO, NO, NO),
    "conflict.summary":      (NO, NO, NO, NO, "ok/ok", "ok/ok", NO, NO, NO),
    "review.read":           (NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "review.decide":         (NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "subscription.manage":   (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO),
    "exchange.feed":         (NO, NO, NO, NO, "ok/empty", NO, NO, NO, NO),
    "data_request.create":   (NO, NO, NO, NO, "ok/ok", NO, NO, NO, NO),
    "data_request.read":     (NO, NO, NO, NO, "ok/empty", "ok/empty", NO, NO, NO),
    "data_request.decide":   (NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "data_request.deliver":  (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO),
}
# aggregates and request metadata name no person
UNAUDITED = {"conflict.summary", "data_request.read"}
COMPOSITE = {"golden.import_then_read"}
# the exact fields each answer carries: the data steward's purpose (data quality) for golden
# records, the housing department's (housing_administration) for what is shared back
SHARED = {"person_code", "golden_id", "name", "id_number", "phone", "current_address",
          "current_division_code"}
FIELDS = {
    "golden.read": {"name", "id_number", "sex", "birth_date", "phone", "current_address",
                    "current_division_code"},
    "golden.import_then_read": {"name", "id_number", "sex", "birth_date", "phone",
                                "current_address", "current_division_code"},
    "exchange.feed": SHARED | {"change"},
    "data_request.deliver": SHARED,
}


def _records(op: str, result) -> list:
    """What carries the person's fields: a golden record's values, the feed's items, a
    delivery's records."""
    if op.startswith("golden."):
        return [result.fields]
    for name in ("items", "records"):
        if getattr(result, name, None) is not None:
            return getattr(result, name)
    return [result]

ID_A = valid_id("341221", date(1988, 11, 13), "M")
EARLIER = date(2026, 1, 1)  # the date of the setup's housing extract


class Setup:
    """One person known to police (gongan) and housing (zhujian) who disagree on sex (a
    conflict), an uncertain pair for review, a housing subscription, and an approved and a
    pending data request of the housing department."""

    def __init__(self, db, extracts):
        self.db, self.extracts = db, extracts
        police = make_account(db, "police")
        steward = make_account(db, "data_steward")
        self.person = make_person(db, police, "刘洋", id_number=ID_A)
        housing = make_account(db, "dept_officer", department="housing")
        with db.unit_of_work() as s:
            service.import_extract(s, steward, extracts.gongan([
                ["G1", "刘洋", ID_A, "1", "19881113", "", "雉城街道明珠路1号", "13911112222", ""],
                ["G2", "向敏文", valid_id("320413"), "1", "19700101", "", "雉城街道", "", ""]]),
                "gongan")
        with db.unit_of_work() as s:
            service.import_extract(s, steward, extracts.zhujian([
                ["Z1", "刘洋", ID_A, "0", "1988-11-13", "13800009999", "洪桥镇和平路45号"],
                ["Z2", "向敏文", "", "", "1970-01-01", "13122224444", "洪桥镇"]]),
                "zhujian", review_band=150, model={**service.default_model(), "anju_threshold": 99},
                as_of=EARLIER)
            self.golden = service.golden_for_person(s, steward, self.person).golden_id
            pair = service.list_review_pairs(s, steward)[0]
            self.pair, self.other_golden = pair.pair_id, pair.left.golden_id
            service.subscribe(s, housing, golden_ids=[self.golden])
            self.approved = service.create_data_request(s, housing, "served", "核对承租人").request_id
            self.pending = service.create_data_request(s, housing, "all", "核对全部人员").request_id
            service.decide_data_request(s, steward, self.approved, True, date(2099, 1, 1))
        self.new_extract = extracts.zhujian([
            ["Z9", "周海", valid_id("510722"), "1", "", "", "雉城街道明珠路9号"]], "new.tsv")
        # the person, as a housing bureau sees them: here, and (a crafted file) in another county
        self.own_extract = extracts.zhujian([
            ["Z7", "刘洋", ID_A, "1", "1988-11-13", "13800007777", "雉城街道明珠路7号"]], "own.tsv")
        self.foreign_extract = extracts.zhujian([
            ["Z8", "刘洋", ID_A, "1", "1988-11-13", "13800008888",
             "浙江省湖州市安吉县递铺街道胜利西路1号"]], "foreign.tsv")

    def actor(self, role: str, inside: bool):
        kw = {"department": "housing"} if role == "dept_officer" else {}
        if role in ("resident", "landlord"):
            kw["person_code"] = self.person
        return make_account(self.db, role, division=COUNTY if inside else OTHER_COUNTY, **kw)

    def call(self, op: str, session, actor, inside: bool):
        match op:
            case "exchange.import":
                return service.import_extract(session, actor, self.new_extract, "zhujian")
            case "golden.read":
                return service.read_golden(session, actor, self.golden)
            case "golden.import_then_read":
                # newer than the bureau's own extract, so its address would win the record
                service.import_extract(session, actor, self.own_extract if inside
                                       else self.foreign_extract, "zhujian")
                return service.golden_for_person(session, actor, self.person)
            case "conflict.read":
                return service.list_conflicts(session, actor)
            case "conflict.summary":
                return service.conflict_summary(session, actor)
            case "review.read":
                return service.read_review_pair(session, actor, self.pair)
            case "review.decide":
                return service.decide_review_pair(session, actor, self.pair, "non_match")
            case "subscription.manage":
                return service.subscribe(session, actor, golden_ids=[self.other_golden])
            case "exchange.feed":
                return service.feed(session, actor)
            case "data_request.create":
                return service.create_data_request(session, actor, "served", "核对承租人信息")
            case "data_request.read":
                return service.list_data_requests(session, actor)
            case "data_request.decide":
                return service.decide_data_request(session, actor, self.pending, False)
            case "data_request.deliver":
                return service.deliver_data_request(session, actor, self.approved)
        raise AssertionError(op)


def _empty(result) -> bool:
    return (result == [] or getattr(result, "items", None) == []
            or getattr(result, "records", None) == [] or getattr(result, "new_records", 1) == 0)


@pytest.mark.parametrize("role", ROLES)
def test_exchange_permission_matrix(db, extracts, role):
    setup = Setup(db, extracts)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside),
                       unaudited=UNAUDITED, is_empty=_empty, composite=COMPOSITE,
                       fields=lambda op, role, inside: FIELDS.get(op), records=_records)
    assert not found, "\n".join(found)
