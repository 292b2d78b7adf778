"""The build's aggregates equal a count made directly from the operational database (the test
counts the truth itself, with its own queries), and the released figures are those counts
wherever they are shown."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from anju.monitoring import rules
from anju.registry.models import Permit, Person, Registration


def _approved(session):
    return session.execute(select(Registration, Person).join(
        Person, Person.person_code == Registration.person_code).where(
        Registration.status.in_(["approved", "ended"]),
        Registration.decided_at.is_not(None))).all()


def _covers(reg, day: date) -> bool:
    return reg.start_date <= day and (reg.end_date is None or reg.end_date > day)


def test_stock_flows_and_origins_equal_a_direct_count(county):
    db, _, built = county
    truth, released = built.planner.values, built.release.values
    as_of = built.as_of
    month_end = rules.previous_month_end(as_of)
    month = rules.month_label(month_end)
    with db.unit_of_work() as s:
        rows = _approved(s)
        valid = {(p.person_code, p.issued_on, p.valid_until) for p in s.execute(
            select(Permit).where(Permit.status == "valid")).scalars()}
    stock, by_origin, arrivals, sexes, permits = Counter(), Counter(), Counter(), Counter(), 0
    for reg, person in rows:
        town = reg.division_code[:9] + "000"
        if _covers(reg, as_of):
            stock[town] += 1
            sexes[person.sex] += 1
            by_origin[(person.hukou_division_code or "unknown")[:2].ljust(12, "0")] += 1
            permits += any(code == person.person_code and issued <= as_of <= until
                           for code, issued, until in valid)
        if reg.start_date.replace(day=1) == month_end.replace(day=1):
            arrivals[town] += 1
    assert sum(stock.values()) > 500
    ref = as_of.isoformat()
    county = "330522000000"
    for town, n in stock.items():
        assert truth[("stock", ref, town, "total", "")] == n
        assert released[("stock", ref, town, "total", "")] in (n, None)
    assert truth[("stock", ref, county, "total", "")] == sum(stock.values())
    # shown unless the few moves since the last month-end would give someone away
    assert released[("stock", ref, county, "total", "")] in (sum(stock.values()), None)
    end = rules.previous_month_end(as_of)
    at_end = sum(_covers(reg, end) for reg, _ in rows)
    assert released[("stock", end.isoformat(), county, "total", "")] == at_end
    for sex, n in sexes.items():
        assert truth[("stock", ref, county, "sex", sex)] == n
    for origin, n in by_origin.items():
        assert truth[("stock", ref, county, "origin_province", origin)] == n
    assert truth.get(("stock", ref, county, "permit", "with"), 0) == permits
    for town, n in arrivals.items():
        assert truth[("flows", month, town, "month", "arr")] == n


def test_a_stock_plus_the_months_flows_is_the_next_stock(county):
    db, _, built = county
    truth = built.planner.values
    ends = rules.month_ends(built.as_of)
    before, after = ends[-2].isoformat(), ends[-1].isoformat()
    month = rules.month_label(ends[-1])
    county = "330522000000"
    assert truth[("stock", after, county, "total", "")] == (
        truth[("stock", before, county, "total", "")]
        + truth.get(("flows", month, county, "month", "arr"), 0)
        - truth.get(("flows", month, county, "month", "dep"), 0))
    last = ends[-1]
    if built.as_of > last:  # the as-of date: the last month-end plus the days since
        days = [(last + timedelta(days=i)).isoformat() for i in range(1, (built.as_of - last).days + 1)]
        assert truth[("stock", built.as_of.isoformat(), county, "total", "")] == (
            truth[("stock", after, county, "total", "")]
            + sum(truth.get(("flows", d, county, "day", "arr"), 0) for d in days)
            - sum(truth.get(("flows", d, county, "day", "dep"), 0) for d in days))
