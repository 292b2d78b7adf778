"""Survivorship, conflicts and the match decision: pure rules, no database."""
from __future__ import annotations

from datetime import date

from anju.exchange import rules
from anju.exchange.rules import SourceValues

OLD, NEW = date(2026, 1, 1), date(2026, 3, 1)


def rec(source_id, department, as_of=OLD, id_valid=True, cur=None, hukou=None, **values):
    return SourceValues(source_id, department, as_of, values, id_valid=id_valid,
                        current_division_code=cur, hukou_division_code=hukou)


def test_identity_fields_come_from_public_security_even_when_older():
    chosen = rules.survive([rec(1, "gongan", OLD, name="张伟", birth_date="1990-03-05"),
                            rec(2, "weijian", NEW, name="章伟", birth_date="1990-03-06")])
    assert chosen["name"].value == "张伟" and chosen["name"].department == "gongan"
    assert chosen["birth_date"].provenance() == {"department": "gongan", "source_record": 1,
                                                 "as_of": "2026-01-01"}


def test_a_non_authoritative_department_fills_what_nobody_authoritative_knows():
    chosen = rules.survive([rec(1, "gongan", name="张伟"), rec(2, "weijian", phone="13800001111")])
    assert chosen["phone"].value == "13800001111" and chosen["phone"].department == "weijian"


def test_employer_prefers_hrss_then_market_regulation_then_recency():
    records = [rec(1, "gongan", NEW, employer="派出所说的厂"),
               rec(2, "shichang", OLD, employer="个体户"),
               rec(3, "renshe", OLD, employer="长兴电池厂")]
    assert rules.survive(records)["employer"].value == "长兴电池厂"
    assert rules.survive(records[:2])["employer"].value == "个体户"


def test_address_housing_first_then_police():
    records = [rec(1, "gongan", NEW, current_address="雉城街道A"),
               rec(2, "zhujian", OLD, current_address="洪桥镇B")]
    assert rules.survive(records)["current_address"].department == "zhujian"
    assert rules.survive(records[:1])["current_address"].department == "gongan"


def test_recency_breaks_ties_then_the_smaller_record_id():
    chosen = rules.survive([rec(5, "weijian", OLD, phone="13800000001"),
                            rec(7, "yibao", NEW, phone="13800000002")])
    assert chosen["phone"].value == "13800000002"
    chosen = rules.survive([rec(9, "weijian", OLD, phone="1"), rec(4, "yibao", OLD, phone="2")])
    assert chosen["phone"].source_id == 4  # never depends on input order


def test_a_valid_id_number_beats_a_checksum_flagged_one_from_the_authority():
    chosen = rules.survive([rec(1, "gongan", id_valid=False, id_number="330522199001011230"),
                            rec(2, "weijian", id_number="330522199001011231")])
    assert chosen["id_number"].value == "330522199001011231"


def test_status_fields_come_from_the_department_holding_the_record():
    chosen = rules.survive([rec(1, "yibao", name="王芳"), rec(2, "minzheng", name="王芳"),
                            rec(3, "jiaoyu", name="王芳")])
    assert chosen["insurance"].value == "insured" and chosen["insurance"].source_id == 1
    assert chosen["civil_affairs"].value == "assistance"
    assert chosen["school"].value == "enrolled"
    assert "insurance" not in rules.survive([rec(1, "gongan", name="王芳")])


def test_conflicts_go_to_the_department_that_disagrees_after_normalisation():
    records = [rec(1, "gongan", name="张伟", sex="M", phone="13800001111"),
               rec(2, "weijian", name="张 伟", sex="F", phone="13800001111"),
               rec(3, "renshe", name="章伟")]
    found = rules.conflicts(records, rules.survive(records))
    assert {(c.field, c.department, c.source_id) for c in found} == {
        ("sex", "weijian", 2), ("name", "renshe", 3)}
    assert all(c.authority_department == "gongan" for c in found)


def test_addresses_are_compared_by_division_not_text():
    records = [rec(1, "zhujian", current_address="洪桥镇和平路45号", cur="330522101000"),
               rec(2, "gongan", current_address="浙江省湖州市长兴县洪桥镇和平路45号14幢",
                   cur="330522101000"),
               rec(3, "weijian", current_address="长兴县", cur="330522000000"),
               rec(4, "yibao", current_address="雉城街道", cur="330522001000")]
    found = rules.conflicts(records, rules.survive(records))
    assert [(c.field, c.source_id) for c in found] == [("current_address", 4)]


def test_match_decision_accept_review_or_new():
    assert rules.decide([(3, 12.0, True)], 10, 6) == rules.MatchDecision("match", 3, 12.0)
    assert rules.decide([(3, 7.5, False), (4, 5.0, False)], 10, 6).kind == "review"
    assert rules.decide([(3, 7.5, False)], 10, 6).candidate == 3
    assert rules.decide([(3, 2.0, False)], 10, 6).kind == "new"
    assert rules.decide([(3, 15.0, False)], 10, 6).kind == "new"  # vetoed: twins
    assert rules.decide([], 10, 6).kind == "new"


def test_minor():
    from anju.core.access import is_minor

    assert is_minor("2012-03-05", date(2026, 3, 4))
    assert not is_minor("2008-03-05", date(2026, 3, 5))
    assert is_minor("2008-03-06", date(2026, 3, 5)) and is_minor(date(2008, 3, 6), date(2026, 3, 5))
    assert not is_minor(None, date(2026, 1, 1)) and not is_minor("x", date(2026, 1, 1))
    # born on 29 February: 18 on 1 March in a common year, on 29 February in a leap year
    assert is_minor("2008-02-29", date(2026, 2, 28)) and not is_minor("2008-02-29", date(2026, 3, 1))
    assert not is_minor("2010-02-28", date(2028, 2, 29)) and is_minor("2010-03-01", date(2028, 2, 29))
