"""Points, school-place and policy-awareness pages: a resident's points with every indicator's
evidence and source, "what would change my score" and the appeal; a parent's placement with its
explanation and appeal; the policy-awareness KPI for analysts and supervisors."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from anju.cases import catalogue, eligibility
from anju.cases.points import service as points
from anju.cases.points.facts import FACTS
from anju.cases.schools import service as schools
from anju.core.errors import AnjuError, Forbidden, ValidationError
from anju.core.pages import submit
from anju.core.policy import Actor
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(include_in_schema=False)
_POINTS = ("/me/points", "cases.points.menu")
_AWARENESS = ("/eligibility/awareness", "cases.eligibility.menu")
_APPEALS = ("/points/appeals", "cases.points.appeals.menu")
_SCHOOLS = ("/schools/runs", "cases.school.runs.menu")
_PLACES = ("/me/placements", "cases.school.mine.menu")
MENU = {"resident": [_POINTS, _PLACES], "landlord": [_POINTS, _PLACES], "analyst": [_AWARENESS],
        "dept_supervisor": [_AWARENESS], "dept_officer": [_APPEALS, _SCHOOLS]}
NOTICES = {"appealed", "recorded"}
# what an officer picks from (never a code typed in): the values of the facts with choices
CHOICES = {"education": ("none", "college", "bachelor", "master", "doctor"),
           "skill_certificate": ("none", "senior_worker", "technician", "senior_technician")}
SOURCES = ("upload", "exchange:renshe", "exchange:yibao", "gongan")


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context["notices"] = [f"cases.points.notice.{n}" for n in request.query_params.getlist(
        "notice") if n in NOTICES]
    return request.app.state.templates.TemplateResponse(request, f"cases/{name}", context,
                                                        status_code)


def _own(actor: Actor) -> str:
    if not actor.person_code:
        raise Forbidden("not_a_person", "该页面仅供居民和房东使用",
                        "this page is for residents and landlords")
    return actor.person_code


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("date_format", "日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD",
                              field="on") from None


def _points_page(request: Request, session: Session, actor: Actor, on: str | None,
                 error: AnjuError | None = None, form: dict | None = None) -> Response:
    code = _own(actor)
    try:
        result = points.points_of(session, actor, code, _day(on))
    except AnjuError as refused:
        session.rollback()
        result, error = None, error or refused
    history = points.history(session, actor, code)
    return _page(request, "points.html", error.http_status if error else 200, result=result,
                 history=history, on=on or "", error=error, form=form or {})


@router.get("/me/points")
def my_points(request: Request, session: SessionDep, actor: ActorDep, on: str | None = None):
    return _points_page(request, session, actor, on)


@router.post("/me/points/appeal")
def appeal_points(request: Request, session: SessionDep, actor: ActorDep,
                  result_id: Annotated[RecordId, Form()], indicator: Annotated[str, Form()],
                  reason: Annotated[str, Form()] = ""):
    code = _own(actor)
    return submit(session, lambda: points.appeal(session, actor, code, result_id, indicator[:40],
                                                 reason[:500]),
                  lambda e: _points_page(request, session, actor, None, e,
                                         {"indicator": indicator, "reason": reason}),
                  "/me/points?notice=appealed")


@router.get("/me/placements")
def my_placements(request: Request, session: SessionDep, actor: ActorDep):
    _own(actor)
    return _page(request, "school_mine.html", placements=schools.my_placements(session, actor))


@router.get("/cases/{case_id}/placement")
def placement(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "school_placement.html",
                 placement=schools.placement(session, actor, case_id))


@router.post("/cases/{case_id}/placement/appeal")
def appeal_placement(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
                     reason: Annotated[str, Form()] = ""):
    return submit(session, lambda: schools.appeal(session, actor, case_id, reason[:500]),
                  lambda e: _page(request, "school_placement.html", e.http_status, error=e,
                                  placement=schools.placement(session, actor, case_id),
                                  reason=reason),
                  lambda _: _page(request, "school_placement.html",
                                  placement=schools.placement(session, actor, case_id),
                                  appealed=True))


@router.get("/eligibility/awareness")
def awareness(request: Request, session: SessionDep, actor: ActorDep):
    services = catalogue.load()
    rows = eligibility.awareness(session, actor)
    for row in rows:
        service = services.get(row["service"])
        row["name_zh"] = service.name.zh if service else row["service"]
        row["name_en"] = service.name.en if service else row["service"]
    return _page(request, "eligibility_awareness.html", rows=rows)


# --- the points office: appeals, evidence, review ---------------------------------------------
def _appeals_page(request: Request, session: Session, actor: Actor,
                  error: AnjuError | None = None, reviewed: dict | None = None) -> Response:
    return _page(request, "points_appeals.html", error.http_status if error else 200,
                 appeals=points.list_appeals(session, actor), facts=FACTS, choices=CHOICES,
                 sources=SOURCES, error=error, reviewed=reviewed)


@router.get("/points/appeals")
def appeals(request: Request, session: SessionDep, actor: ActorDep):
    return _appeals_page(request, session, actor)


def _value(fact: str, text: str):
    kind = FACTS[fact].type if fact in FACTS else "string"
    if kind == "bool":
        return text == "yes"
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValidationError("points_value_invalid", "请填写整数", "a whole number, please",
                                  field="value") from None
    return text


@router.post("/points/appeals/{appeal_id}/evidence")
def record(appeal_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
           person_code: Annotated[str, Form(max_length=16)], fact: Annotated[str, Form(max_length=40)],
           value: Annotated[str, Form(max_length=40)] = "",
           source: Annotated[str, Form(max_length=40)] = "upload",
           obtained_on: Annotated[str, Form(max_length=10)] = ""):
    def do():
        day = _day(obtained_on)
        if day is None:
            raise ValidationError("date_format", "请填写取得日期", "give the date obtained",
                                  field="obtained_on")
        if source not in SOURCES:
            raise ValidationError("points_source", "请选择来源", "choose the source",
                                  field="source")
        return points.record_evidence(session, actor, person_code, fact, _value(fact, value),
                                      source, day)
    return submit(session, do, lambda e: _appeals_page(request, session, actor, e),
                  "/points/appeals?notice=recorded")


@router.post("/points/appeals/{appeal_id}/reopen")
def reopen(appeal_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return submit(session, lambda: points.reopen(session, actor, appeal_id),
                  lambda e: _appeals_page(request, session, actor, e),
                  lambda reviewed: _appeals_page(request, session, actor, reviewed=reviewed))


# --- the education bureau: publish the seed, run the allocation -------------------------------
def _runs_page(request: Request, session: Session, actor: Actor,
               error: AnjuError | None = None, form: dict | None = None) -> Response:
    return _page(request, "school_runs.html", error.http_status if error else 200,
                 runs=schools.list_runs(session, actor), schools=schools.public_schools(),
                 error=error, form=form or {})


@router.get("/schools/runs")
def school_runs(request: Request, session: SessionDep, actor: ActorDep):
    return _runs_page(request, session, actor)


def _number(text: str, field: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValidationError(f"school_{field}_invalid", "请填写有效的整数",
                              "give a valid whole number", field=field)
    return value


@router.post("/schools/runs")
def publish_seed(request: Request, session: SessionDep, actor: ActorDep,
                 year: Annotated[str, Form(max_length=8)] = "",
                 seed: Annotated[str, Form(max_length=12)] = ""):
    return submit(session, lambda: schools.publish_seed(session, actor,
                                                        _number(year, "year", 2000, 2100),
                                                        _number(seed, "seed", 0, 2**31 - 1)),
                  lambda e: _runs_page(request, session, actor, e, {"year": year, "seed": seed}),
                  "/schools/runs")


@router.post("/schools/runs/{year}/allocate")
def run_allocation(year: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return submit(session, lambda: schools.run_year(session, actor, year),
                  lambda e: _runs_page(request, session, actor, e), "/schools/runs")
