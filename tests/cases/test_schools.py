"""The published allocation on random instances: capacity respected, no justified envy in
either round, nobody unplaced while a seat is free, the same seed and inputs (in any order)
give the same result; and its CSV command, which reports bad rows and allocates the rest."""
from __future__ import annotations

import csv
import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from anju.cases.schools.allocate import Applicant, School, allocate, distance_to, rank_key
from anju.cli.main import app

DIVISIONS = [f"3305220010{i:02d}" for i in range(12)]


def instance(seed: int, n_schools: int, n_applicants: int):
    r = random.Random(seed)
    cuts = sorted(r.sample(range(1, len(DIVISIONS)), n_schools - 1)) if n_schools > 1 else []
    parts = [DIVISIONS[a:b] for a, b in zip([0, *cuts], [*cuts, len(DIVISIONS)], strict=True)]
    schools = [School(f"S{i}", f"学校{i}", tuple(part), r.randint(0, 6),
                      30.9 + r.random() / 10, 119.8 + r.random() / 10)
               for i, part in enumerate(parts)]
    applicants = [Applicant(f"A{i}", r.choice(DIVISIONS), 30.9 + r.random() / 10,
                            119.8 + r.random() / 10, r.choice([60, 80, 80, 100, 120]),
                            date(2018, 1, 1) + timedelta(days=r.choice([0, 100, 100, 400])))
                  for i in range(n_applicants)]
    return schools, applicants


def check(schools, applicants, seed):
    placements = {p.applicant_id: p for p in allocate(schools, applicants, seed)}
    school = {s.school_id: s for s in schools}
    taken = {s.school_id: [a for a, p in placements.items() if p.school_id == s.school_id]
             for s in schools}
    # capacity respected; nobody unplaced while any seat is free
    for s in schools:
        assert len(taken[s.school_id]) <= s.capacity
    free = any(len(taken[s.school_id]) < s.capacity for s in schools)
    assert not (free and any(p.round == "unplaced" for p in placements.values()))
    key = {a.applicant_id: rank_key(a, seed) for a in applicants}
    home = {c: s.school_id for s in schools for c in s.catchment}
    for a in applicants:
        p = placements[a.applicant_id]
        mine = home[a.home_division_code]
        if p.round != "catchment":
            # round 1: the catchment school took nobody who ranks below me in round 1
            for other in taken[mine]:
                if placements[other].round == "catchment":
                    assert key[other] < key[a.applicant_id]
        if p.round in ("nearest", "unplaced"):
            here = distance_to(a, school[p.school_id]) if p.school_id else float("inf")
            for s in schools:
                if distance_to(a, s) + 1e-9 < here:
                    for other in taken[s.school_id]:
                        if placements[other].round == "nearest":
                            assert key[other] < key[a.applicant_id], (a, s, other)
    return placements


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 6), st.integers(0, 60))
def test_allocation_properties_on_random_instances(seed, n_schools, n_applicants):
    schools, applicants = instance(seed, n_schools, n_applicants)
    first = check(schools, applicants, seed)
    shuffled = applicants[:]
    random.Random(seed + 1).shuffle(shuffled)
    again = {p.applicant_id: p for p in allocate(schools, shuffled, seed)}
    assert again == first  # same seed, same inputs in any order: the same result


def test_the_lottery_breaks_ties_and_the_seed_matters():
    schools = [School("S", "一小", (DIVISIONS[0],), 1, 30.9, 119.8)]
    twins = [Applicant(f"A{i}", DIVISIONS[0], 30.9, 119.8, 100, date(2020, 1, 1))
             for i in range(8)]
    winners = {next(p.applicant_id for p in allocate(schools, twins, seed)
                    if p.round == "catchment") for seed in range(20)}
    assert len(winners) > 1
    earlier = [*twins, Applicant("E", DIVISIONS[0], 30.9, 119.8, 100, date(2019, 1, 1))]
    placed = {p.applicant_id: p for p in allocate(schools, earlier, 3)}
    assert placed["E"].round == "catchment" and placed["E"].catchment_cutoff == 100


def test_a_higher_score_never_loses_a_catchment_seat_to_a_lower_one():
    schools = [School("S", "一小", (DIVISIONS[0],), 2, 30.9, 119.8),
               School("T", "二小", (DIVISIONS[1],), 5, 31.0, 119.9)]
    kids = [Applicant(f"A{p}", DIVISIONS[0], 30.9, 119.8, p, date(2020, 1, 1))
            for p in (90, 120, 60, 100)]
    placed = {p.applicant_id: p for p in allocate(schools, kids, 1)}
    assert {a for a, p in placed.items() if p.school_id == "S"} == {"A120", "A100"}
    assert placed["A90"].round == "nearest" and placed["A90"].catchment_cutoff == 100
    assert placed["A90"].catchment_rank == 3


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_the_command_reports_bad_rows_and_allocates_the_rest(tmp_path):
    write(tmp_path / "schools.csv", [("school_id", "name", "catchment", "capacity", "lat", "lon"),
                                     ("A", "一小", f"{DIVISIONS[0]};{DIVISIONS[1]}", 1, 30.9, 119.8),
                                     ("B", "二小", DIVISIONS[2], 1, 30.95, 119.85)])
    write(tmp_path / "applicants.csv", [
        ("applicant_id", "home_division_code", "lat", "lon", "points", "residence_since"),
        ("c1", DIVISIONS[0], 30.9, 119.8, 100, "2020-01-01"),
        ("c2", DIVISIONS[1], 30.9, 119.8, 110, "2020-01-01"),
        ("c3", "999999999999", 30.9, 119.8, 100, "2020-01-01"),
        ("c4", DIVISIONS[0], 95, 119.8, 100, "2020-01-01"),
        ("c5", DIVISIONS[0], 30.9, 119.8, -1, "2020-01-01"),
        ("c6", DIVISIONS[0], 30.9, 119.8, 80, "2020-01-01")])
    args = ["schools", "allocate", "--schools", str(tmp_path / "schools.csv"), "--applicants",
            str(tmp_path / "applicants.csv"), "--seed", "7", "--output", str(tmp_path / "out.csv")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for row in ("row 3:", "row 4:", "row 5:"):
        assert row in result.output
    with open(tmp_path / "out.csv", encoding="utf-8") as handle:
        out = list(csv.DictReader(handle))
    assert [(r["applicant_id"], r["school_id"], r["round"], r["rank"]) for r in out] == [
        ("c1", "B", "nearest", "1"), ("c2", "A", "catchment", "1"), ("c6", "", "unplaced", "2")]
    assert CliRunner().invoke(app, args).output == result.output  # reproducible
