"""Statistics JSON routes: parse → one service call → serialise. Every table also answers as a
file with `format=xlsx` or `format=csv` (`encoding=gbk` for older spreadsheet software)."""
from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from anju.core.web import ActorDep, SessionDep
from anju.monitoring import service
from anju.monitoring.schemas import (
    Boundaries,
    BoundariesIn,
    BuildOut,
    By,
    DestLevel,
    DivisionCode,
    DpIn,
    DpOut,
    Encoding,
    EncodingIn,
    FlowsOut,
    ForecastOut,
    Format,
    FormatIn,
    Freq,
    KpisOut,
    Level,
    MobileImportOut,
    OdOut,
    OriginLevel,
    SettingsIn,
    SettingsOut,
    StockOut,
    WarningOut,
)
from anju.monitoring.service.exports import XLSX

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
FILES = {200: {"content": {"text/csv": {}, XLSX: {}},
               "description": "the table as JSON, or as a file with format=csv|xlsx"}}


def _answer(result):
    if isinstance(result, service.ExportFile):
        return Response(result.content, media_type=result.media_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(result.filename)}"})
    return result


@router.get("/stock", response_model=StockOut, responses=FILES)
def stock(session: SessionDep, actor: ActorDep, level: Level,
          date: Annotated[date | None, Query(alias="date")] = None, by: By | None = None,
          division_code: DivisionCode | None = None,
          boundaries: Boundaries = BoundariesIn.CURRENT, format: Format = FormatIn.JSON,
          encoding: Encoding = EncodingIn.UTF8):
    """The migrant population on a date (the latest published reference date on or before it:
    month-ends and the build's as-of date) by division at `level`, optionally by a breakdown;
    a withheld cell has `count: null`."""
    return _answer(service.stock(session, actor, level, date, by, division_code, boundaries,
                                 format, encoding))


@router.get("/flows", response_model=FlowsOut, responses=FILES)
def flows(session: SessionDep, actor: ActorDep, level: Level, freq: Freq,
          from_: Annotated[date | None, Query(alias="from")] = None,
          to: date | None = None, division_code: DivisionCode | None = None,
          format: Format = FormatIn.JSON, encoding: Encoding = EncodingIn.UTF8):
    """Arrivals and departures per complete day (county), ISO week or month (county and
    townships) between `from` and `to`."""
    return _answer(service.flows(session, actor, level, freq, from_, to, division_code, format,
                                 encoding))


@router.get("/od", response_model=OdOut, responses=FILES)
def od(session: SessionDep, actor: ActorDep, origin_level: OriginLevel, dest_level: DestLevel,
       from_: Annotated[date | None, Query(alias="from")] = None, to: date | None = None,
       format: Format = FormatIn.JSON, encoding: Encoding = EncodingIn.UTF8):
    """Arrivals by origin (hukou province, city or county) and destination, per month."""
    return _answer(service.od(session, actor, origin_level, dest_level, from_, to, format,
                              encoding))


@router.get("/moves")
def moves(session: SessionDep, actor: ActorDep) -> dict:
    """Moves within the county over the last twelve months and how often people moved."""
    return service.moves(session, actor)


@router.get("/forecast", response_model=ForecastOut)
def forecast(session: SessionDep, actor: ActorDep, division_code: DivisionCode,
             horizon: Annotated[int, Query(ge=1, le=12)] = 12):
    """Monthly forecast of the registered population with 95% prediction intervals, and the
    backtest (interval coverage, error against the seasonal-naive forecast)."""
    return service.forecast(session, actor, division_code, horizon)


@router.get("/warnings", response_model=list[WarningOut], responses=FILES)
def warnings(session: SessionDep, actor: ActorDep, format: Format = FormatIn.JSON,
             encoding: Encoding = EncodingIn.UTF8):
    return _answer(service.warnings(session, actor, format, encoding))


@router.get("/kpis", response_model=KpisOut, responses=FILES)
def kpis(session: SessionDep, actor: ActorDep, division_code: DivisionCode | None = None,
         format: Format = FormatIn.JSON, encoding: Encoding = EncodingIn.UTF8):
    """KPIs computed from the released figures, each with its definition."""
    return _answer(service.kpis(session, actor, division_code, format, encoding))


@router.get("/builds", response_model=list[BuildOut])
def builds(session: SessionDep, actor: ActorDep):
    return service.list_builds(session, actor)


@router.get("/settings", response_model=SettingsOut)
def read_settings(session: SessionDep, actor: ActorDep):
    return service.read_settings(session, actor)


@router.put("/settings", response_model=SettingsOut)
def update_settings(body: SettingsIn, session: SessionDep, actor: ActorDep):
    return service.update_settings(session, actor, body)


@router.post("/mobile", status_code=201, response_model=MobileImportOut)
def import_mobile(session: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()],
                  operator: Annotated[str, Form(max_length=32)]):
    """An operator's aggregate counts (CSV `day,township,origin_province,count`); refused
    whole if any count is 1–15."""
    return service.import_mobile(session, actor, operator, file.filename or "upload.csv",
                                 file.file.read())


@router.post("/dp", status_code=201, response_model=DpOut)
def dp_release(body: DpIn, session: SessionDep, actor: ActorDep):
    """Release a stock table with differential privacy (discrete Laplace noise, ε from the
    county's settings, recorded in the budget ledger)."""
    return service.dp_release(session, actor, body.date, body.level, body.by)


@router.get("/dp")
def dp_ledger(session: SessionDep, actor: ActorDep) -> list[dict]:
    return service.dp_ledger(session, actor)
