"""The administrator's working-day calendar page: which years are official and which provisional,
the warning before the official data runs out, and the upload of a year's arrangement.

One service call per request (anju.core.calendars); a refused file is shown with every bad row,
in the page's language, and nothing of it is loaded.
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.core import calendars
from anju.core.errors import AnjuError
from anju.core.policy import Actor
from anju.core.web import ActorDep, SessionDep
from anju.web.pages import render

router = APIRouter(include_in_schema=False)
MENU = ("/admin/calendar", "calendar.menu")
OUTCOMES = ("created", "replaced", "unchanged")

WORDS = {
    "zh": {
        "menu": "工作日历", "title": "工作日历与放假安排",
        "intro": "办件期限按工作日计算（受理当日不计）。国务院每年公布下一年的放假安排（法定节假日和调休上班日）；"
                 "公布后请在这里载入。尚未载入的年份按法定节假日推算（临时），按推算日期算出的期限会标明“临时”。",
        "years": "年份", "kind": "依据", "loaded": "载入情况", "shipped": "官方（随软件提供）",
        "official_loaded": "官方（本县载入）", "provisional": "推算（临时）",
        "loaded_by": "{at} 由 {who} 载入", "file": "文件：{name}",
        "upload": "载入一年的放假安排", "file_field": "放假安排文件（CSV）",
        "file_hint": "第一行为列名 日期,类型（或 date,kind）；每行一天：放假日写“放假”，调休上班的周末写“上班”。"
                     "一个文件只含一年（可含上一年 12 月下旬的元旦调休）。同一年再次载入更正后的文件会替换该年。",
        "submit": "载入", "row": "行", "reason": "原因",
        "done.created": "{year} 年的放假安排已载入。", "done.replaced": "{year} 年的放假安排已替换为新文件。",
        "done.unchanged": "文件与已载入的 {year} 年放假安排相同，未作改动。",
        "holidays": "放假 {h} 天，调休上班 {w} 天", "sep": "；",
    },
    "en": {
        "menu": "Working-day calendar", "title": "Working-day calendar and holiday arrangements",
        "intro": "Case deadlines count working days (the day of acceptance does not count). Each "
                 "year the State Council publishes the next year's arrangement (public holidays "
                 "and adjusted working weekends); load it here once it is out. Until then a year "
                 "is computed from the statutory holidays (provisional), and a deadline that "
                 "rests on it is marked provisional.",
        "years": "Years", "kind": "Basis", "loaded": "Loaded", "shipped": "Official (shipped)",
        "official_loaded": "Official (loaded by the county)",
        "provisional": "Computed (provisional)", "loaded_by": "loaded {at} by {who}",
        "file": "file: {name}", "upload": "Load one year's holiday arrangement",
        "file_field": "Arrangement file (CSV)",
        "file_hint": "First line: the column names date,kind (or 日期,类型); one day per line: "
                     "holiday, or workday for an adjusted working weekend day. One year per file "
                     "(late December days of its New Year bridge may be included). Loading a "
                     "corrected file for the same year replaces it.",
        "submit": "Load", "row": "Row", "reason": "Reason",
        "done.created": "The {year} holiday arrangement is loaded.",
        "done.replaced": "The {year} holiday arrangement was replaced by the new file.",
        "done.unchanged": "The file is the same as the loaded {year} arrangement; nothing changed.",
        "holidays": "{h} holidays, {w} adjusted working days", "sep": "; ",
    },
}


def _page(request: Request, session: Session, actor: Actor, status_code: int = 200,
          error: AnjuError | None = None) -> Response:
    overview = calendars.overview(session, actor)
    done, year = request.query_params.get("done"), request.query_params.get("year", "")
    notice = {"key": f"calendar.done.{done}", "year": year} \
        if done in OUTCOMES and year.isdigit() else None
    return render(request, "calendar.html", status_code, overview=overview, error=error,
                  rows=getattr(error, "rows", ()), notice=notice)


@router.get("/admin/calendar")
def calendar_page(request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, session, actor)


@router.post("/admin/calendar")
def calendar_upload(request: Request, session: SessionDep, actor: ActorDep,
                    file: Annotated[UploadFile, File()]):
    try:
        with session.begin_nested():
            result = calendars.load(session, actor, file.file.read(calendars.MAX_BYTES + 1),
                                    file.filename)
    except AnjuError as error:
        return _page(request, session, actor, error.http_status, error)
    query = urlencode({"done": result.outcome, "year": result.year})
    return RedirectResponse(f"/admin/calendar?{query}", status_code=303)
