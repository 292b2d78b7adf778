"""School places as a use case: the county's schools (`cases/data/schools.toml`), the education
department publishing a year's lottery seed before the run, the run over that year's
school-enrollment cases (stored with its inputs, so anyone can re-run it with `anju schools
allocate`), each child's explanation, and an appeal, which opens a case."""
from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import Case, SchoolPlacement, SchoolRun
from anju.cases.points import scheme as schemes
from anju.cases.points.service import gather, open_case
from anju.cases.schools.allocate import Applicant, School, allocate
from anju.cases.service.notices import notify
from anju.core import audit, clock, divisions
from anju.core.access import Access
from anju.core.db import utcnow
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Actor

DATA = Path(__file__).resolve().parent.parent / "data" / "schools.toml"
SERVICE = "school_enrollment"
DEPARTMENT = "jiaoyu"
CLOSED = ("withdrawn", "not_accepted", "rejected")


@functools.cache
def county() -> tuple[str, list[School], dict[str, dict], dict[str, tuple[float, float]]]:
    """(version, schools, names by school id, division → location)."""
    raw = tomllib.loads(DATA.read_text(encoding="utf-8"))
    schools = [School(s["id"], s["name_zh"], tuple(s["catchment"]), int(s["capacity"]),
                      float(s["lat"]), float(s["lon"])) for s in raw["school"]]
    names = {s["id"]: {"zh": s["name_zh"], "en": s["name_en"]} for s in raw["school"]}
    places = {p["division"]: (float(p["lat"]), float(p["lon"])) for p in raw.get("location", [])}
    return str(raw["version"]), schools, names, places


def _most_specific(code: str, candidates) -> str | None:
    """The candidate division that holds `code` most narrowly (a village before its township)."""
    best = None
    for c in candidates:
        if code.startswith(divisions.significant_prefix(c)) and (
                best is None or len(divisions.significant_prefix(c))
                > len(divisions.significant_prefix(best))):
            best = c
    return best


def public_schools() -> list[dict]:
    version, schools, names, _ = county()
    return [{"school_id": s.school_id, "name_zh": names[s.school_id]["zh"],
             "name_en": names[s.school_id]["en"], "catchment": list(s.catchment),
             "capacity": s.capacity, "lat": s.lat, "lon": s.lon, "version": version}
            for s in schools]


def _check_education(access: Access, action) -> None:
    access.check(action, "入学分配", division_code=access.actor.division_code,
                 department=DEPARTMENT)


def publish_seed(session: Session, actor: Actor, year: int, seed: int) -> dict:
    """Publish the year's lottery seed: before the run, once."""
    access = Access(session, actor)
    _check_education(access, P.SCHOOL_PUBLISH)
    if session.execute(select(SchoolRun).where(SchoolRun.year == year)).scalar() is not None:
        raise Conflict("school_seed_published", "该年度的摇号种子已公布",
                       "this year's lottery seed is already published", field="year")
    if not 0 <= seed < 2**31:
        raise ValidationError("school_seed_invalid", "种子须为非负整数", "the seed must be a "
                              "whole number, not negative", field="seed")
    run = SchoolRun(year=year, seed=seed, schools_version=county()[0], published_by=actor.username)
    session.add(run)
    session.flush()
    access.record(audit.AuditEvent(P.SCHOOL_PUBLISH, P.SCHOOL_PLACES, None, "school_run",
                                   str(run.id), {"year": year, "seed": seed}))
    return _run_out(run)


def _run_out(run: SchoolRun) -> dict:
    return {"year": run.year, "seed": run.seed, "status": run.status,
            "schools_version": run.schools_version,
            "published_at": run.published_at.isoformat() if run.published_at else None,
            "ran_at": run.ran_at.isoformat() if run.ran_at else None,
            "inputs": run.inputs or []}


def run_year(session: Session, actor: Actor, year: int) -> dict:
    """Allocate the year's open school-enrollment cases under the published seed."""
    access = Access(session, actor)
    _check_education(access, P.SCHOOL_ALLOCATE)
    run = session.execute(select(SchoolRun).where(SchoolRun.year == year).with_for_update()
                          ).scalar()
    if run is None:
        raise Conflict("school_seed_missing", "须先公布摇号种子", "publish the lottery seed first",
                       field="year")
    if run.status != "published":
        raise Conflict("school_run_done", "该年度已分配", "this year was already allocated",
                       field="year")
    _, schools, _, places = county()
    catchments = [c for s in schools for c in s.catchment]
    cases = session.execute(select(Case).where(
        Case.service_code == SERVICE, Case.status.not_in(CLOSED),
        extract("year", Case.submitted_at) == year).order_by(Case.id)).scalars().all()
    on = clock.today()
    scheme = schemes.in_force(on)
    scorer = {c.id: (c.form or {}).get("parent_person_code") or c.person_code for c in cases}
    facts = gather(session, sorted(set(scorer.values()) | {c.person_code for c in cases}), on,
                   actor)
    applicants, inputs, by_case = [], [], {}
    for case in cases:
        home = _most_specific(case.division_code, catchments)
        if home is None:
            continue  # lives outside every catchment: the office places the child by hand
        lat, lon = places.get(_most_specific(case.division_code, places) or "", (None, None))
        if lat is None:
            school = next(s for s in schools if home in s.catchment)
            lat, lon = school.lat, school.lon
        f, _, since = facts[scorer[case.id]]
        total = schemes.compute(scheme, f).total
        since = since or facts[case.person_code][2] or on
        applicant = Applicant(str(case.id), home, lat, lon, total, since)
        applicants.append(applicant)
        by_case[applicant.applicant_id] = case
        inputs.append({"applicant_id": applicant.applicant_id, "home_division_code": home,
                       "lat": lat, "lon": lon, "points": total,
                       "residence_since": since.isoformat()})
    scores = {a.applicant_id: a.points for a in applicants}
    for p in allocate(schools, applicants, run.seed):
        case = by_case[p.applicant_id]
        session.add(SchoolPlacement(
            run_id=run.id, case_id=case.id, person_code=case.person_code,
            division_code=case.division_code, school_id=p.school_id, round=p.round, rank=p.rank,
            points=scores[p.applicant_id],
            catchment_school=p.catchment_school, catchment_rank=p.catchment_rank,
            catchment_cutoff=p.catchment_cutoff, distance_km=p.distance_km))
        notify(session, person_code=case.person_code, template="school_placement",
               case_id=case.id, params={"school_id": p.school_id, "round": p.round})
    run.status, run.inputs, run.ran_by, run.ran_at = "allocated", inputs, actor.username, utcnow()
    access.record(audit.AuditEvent(P.SCHOOL_ALLOCATE, P.SCHOOL_PLACES, None, "school_run",
                                   str(run.id), {"year": year, "applicants": len(applicants)}))
    return _run_out(run)


def placement(session: Session, actor: Actor, case_id: int) -> dict:
    """Where the child went and why: school, round, rank, the catchment school's cut-off."""
    access = Access(session, actor)
    row = access.load(P.SCHOOL_PLACEMENT, SchoolPlacement, SchoolPlacement.case_id == case_id,
                      what="入学分配", purpose=P.SCHOOL_PLACES)
    run = session.get(SchoolRun, row.run_id)
    names = county()[2]

    def name(school_id):
        return names.get(school_id, {"zh": school_id, "en": school_id}) if school_id else None

    return {"case_id": row.case_id, "person_code": row.person_code, "year": run.year,
            "seed": run.seed, "school_id": row.school_id, "school": name(row.school_id),
            "round": row.round, "rank": row.rank, "points": row.points,
            "catchment_school_id": row.catchment_school,
            "catchment_school": name(row.catchment_school),
            "catchment_rank": row.catchment_rank, "catchment_cutoff": row.catchment_cutoff,
            "distance_km": row.distance_km}


def appeal(session: Session, actor: Actor, case_id: int, reason: str) -> dict:
    """Appeal a placement: opens a case for the education department."""
    access = Access(session, actor)
    row = access.load(P.SCHOOL_APPEAL, SchoolPlacement, SchoolPlacement.case_id == case_id,
                      what="入学分配", purpose=P.SCHOOL_PLACES)
    if not (reason or "").strip():
        raise ValidationError("school_reason_missing", "请说明异议理由", "say why you appeal",
                              field="reason")
    case = open_case(session, actor, service_code="school_placement_appeal",
                     person_code=row.person_code, division_code=row.division_code,
                     form={"placement_case_id": case_id, "reason": reason.strip()})
    access.record(audit.AuditEvent(P.SCHOOL_APPEAL, P.SCHOOL_PLACES, row.person_code,
                                   "school_placement", str(row.id), {"case_id": case.id}))
    return {"case_id": case.id, "status": case.status}


def list_runs(session: Session, actor: Actor) -> list[dict]:
    """The education department's runs, newest first, with seats taken per school and round."""
    access = Access(session, actor)
    _check_education(access, P.SCHOOL_PUBLISH)
    out = []
    for run in session.execute(select(SchoolRun).order_by(SchoolRun.year.desc())).scalars():
        summary = _run_out(run)
        counts: dict = {}
        for school_id, round_ in session.execute(select(SchoolPlacement.school_id,
                                                        SchoolPlacement.round)
                                                 .where(SchoolPlacement.run_id == run.id)):
            counts[round_] = counts.get(round_, 0) + 1
            if school_id:
                counts[school_id] = counts.get(school_id, 0) + 1
        summary["counts"] = counts
        summary["applicants"] = len(summary.pop("inputs"))
        out.append(summary)
    return out


def my_placements(session: Session, actor: Actor) -> list[dict]:
    """The placements of the signed-in applicant's enrollment cases (a parent applies for their
    child, so the case and its placement are the parent's)."""
    access = Access(session, actor)
    rows = access.select(P.SCHOOL_PLACEMENT, select(SchoolPlacement).where(
        SchoolPlacement.person_code == actor.person_code).order_by(SchoolPlacement.id.desc()))
    return [placement(session, actor, row.case_id) for row in rows]
