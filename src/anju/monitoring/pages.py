"""Monitoring pages: the dashboard (headline KPIs, the map of the county, series with the
forecast, flows, composition, warnings; drill-down county → township → village), the origins map
of China, differential-privacy releases, the county's warning settings and the import of
operators' counts. Each route calls the monitoring service and renders through the shared
layout; charts are drawn by /static/monitoring/dashboard.js from data attributes (the pages' CSP
allows no inline script)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from anju.core import inputs, notes
from anju.core.errors import AnjuError, NotFound
from anju.core.web import ActorDep, SessionDep
from anju.monitoring import rules, service
from anju.monitoring.schemas import DpIn, SettingsIn

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
OUTLINE = "/static/vendor/geo/330522.geo.json"

_READERS = [("/stats", "monitoring.menu_dashboard")]
MENU = {
    "leader": [*_READERS, ("/stats/origins", "monitoring.menu_origins"),
               ("/stats/privacy", "monitoring.menu_privacy"),
               ("/stats/settings", "monitoring.menu_settings")],
    "analyst": [*_READERS, ("/stats/origins", "monitoring.menu_origins"),
                ("/stats/privacy", "monitoring.menu_privacy")],
    "police": list(_READERS), "grid_worker": list(_READERS), "dept_officer": list(_READERS),
    "data_steward": [("/stats/mobile", "monitoring.menu_mobile")],
    "admin": [("/stats/settings", "monitoring.menu_settings"),
              ("/stats/mobile", "monitoring.menu_mobile")],
}
# Whose home page is the dashboard (read by anju.web.pages).
HOME = {"leader": "/stats", "analyst": "/stats"}


def _render(request: Request, name: str, status_code: int = 200, **context) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"monitoring/{name}", context,
                                                        status_code)


def _lang(request: Request) -> str:
    return "en" if request.cookies.get("anju_lang") == "en" else "zh"


def _unbuilt(error: AnjuError) -> bool:
    return isinstance(error, NotFound) and error.code == "stats_not_built"


@router.get("/stats")
def dashboard(request: Request, session: SessionDep, actor: ActorDep,
              division: str | None = None):
    panels = notes.panels("dashboard", session, actor)  # other domains' panels (federation)
    try:
        data = service.dashboard(session, actor, division)
    except NotFound as error:
        if not _unbuilt(error):
            raise
        return _render(request, "dashboard.html", data=None, panels=panels)
    forecast = data["forecast"] or {}
    series = {"months": forecast.get("months", []), "values": forecast.get("values", []),
              "forecast": forecast.get("forecast")}
    return _render(request, "dashboard.html", data=data, series=series, outline=OUTLINE,
                   level_word=rules.LEVEL_NAMES[data["child_level"]],
                   township_level=rules.TOWNSHIP, panels=panels)


@router.get("/stats/origins")
def origins(request: Request, session: SessionDep, actor: ActorDep):
    try:
        data = service.dashboard(session, actor)
        cities = service.stock(session, actor, "county", None, "origin_city")
    except NotFound as error:
        if not _unbuilt(error):
            raise
        return _render(request, "origins.html", data=None)
    shown = sorted((c for c in cities.cells if c.count and c.key != rules.UNKNOWN),
                   key=lambda c: -c.count)[:20]
    return _render(request, "origins.html", data=data, cities=[
        {"code": c.key, "name": rules.division_name(c.key), "count": c.count} for c in shown])


@router.get("/stats/privacy")
def privacy_page(request: Request, session: SessionDep, actor: ActorDep):
    ledger = service.dp_ledger(session, actor)
    return _render(request, "privacy.html", ledger=ledger, result=None, error=None)


@router.post("/stats/privacy")
def privacy_release(request: Request, session: SessionDep, actor: ActorDep,
                    level: Annotated[str, Form()] = "township",
                    by: Annotated[str, Form()] = ""):
    try:
        body = inputs.parse(DpIn, {"level": level, "by": by or None})
        result = service.dp_release(session, actor, body.date, body.level, body.by)
    except AnjuError as error:
        if error.http_status == 403:
            raise
        return _render(request, "privacy.html", 422 if error.http_status == 422 else
                       error.http_status, ledger=service.dp_ledger(session, actor), result=None,
                       error=error)
    return _render(request, "privacy.html", ledger=service.dp_ledger(session, actor),
                   result=result, error=None)


@router.get("/stats/settings")
def settings_page(request: Request, session: SessionDep, actor: ActorDep,
                  done: str | None = None):
    current = service.read_settings(session, actor)
    return _render(request, "settings.html", settings=current, error=None,
                   saved=done == "saved")


@router.post("/stats/settings")
async def settings_save(request: Request, session: SessionDep, actor: ActorDep):
    form = await request.form()
    fields = {name: form.get(name, "") for name in SettingsIn.model_fields}
    try:
        service.update_settings(session, actor, inputs.parse(SettingsIn, fields))
    except AnjuError as error:
        if error.http_status == 403:
            raise
        return _render(request, "settings.html", 422, settings=fields, error=error,
                       saved=False)
    return RedirectResponse("/stats/settings?done=saved", status_code=303)


@router.get("/stats/mobile")
def mobile_page(request: Request, actor: ActorDep):
    return _render(request, "mobile.html", result=None, error=None)


@router.post("/stats/mobile")
def mobile_upload(request: Request, session: SessionDep, actor: ActorDep,
                  file: Annotated[UploadFile, File()],
                  operator: Annotated[str, Form()] = ""):
    try:
        result = service.import_mobile(session, actor, operator, file.filename or "upload.csv",
                                       file.file.read())
    except AnjuError as error:
        if error.http_status == 403:
            raise
        return _render(request, "mobile.html", error.http_status, result=None, error=error)
    return _render(request, "mobile.html", result=result, error=None)

