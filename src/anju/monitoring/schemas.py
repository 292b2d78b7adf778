"""Request and response models of the statistics API. Enumerated inputs take the code, the
English key or the Chinese label (`anju.core.inputs.choice`)."""
from __future__ import annotations

import datetime as dt
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from anju.core import inputs
from anju.core.types import RecordId, Timestamp


class LevelIn(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class ByIn(StrEnum):
    ORIGIN_PROVINCE = "origin_province"
    ORIGIN_CITY = "origin_city"
    ORIGIN_COUNTY = "origin_county"
    SEX = "sex"
    AGE_BAND = "age_band"
    REASON = "reason"
    STAY = "stay"
    PERMIT = "permit"


class FreqIn(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class OriginLevelIn(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class DestLevelIn(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"


class FormatIn(StrEnum):
    JSON = "json"
    XLSX = "xlsx"
    CSV = "csv"


class EncodingIn(StrEnum):
    UTF8 = "utf-8"
    GBK = "gbk"


class BoundariesIn(StrEnum):
    CURRENT = "current"
    HISTORICAL = "historical"


LEVEL_WORDS = {LevelIn.PROVINCE: ("省", "Province"), LevelIn.CITY: ("市", "City"),
               LevelIn.COUNTY: ("县", "County"), LevelIn.TOWNSHIP: ("乡镇（街道）", "乡镇", "街道",
                                                               "Township"),
               LevelIn.VILLAGE: ("村（社区）", "村", "社区", "Village")}
BY_WORDS = {ByIn.ORIGIN_PROVINCE: ("来源省", "Origin province"),
            ByIn.ORIGIN_CITY: ("来源市", "Origin city"),
            ByIn.ORIGIN_COUNTY: ("来源县", "Origin county"), ByIn.SEX: ("性别", "Sex"),
            ByIn.AGE_BAND: ("年龄段", "Age band"), ByIn.REASON: ("居住事由", "Reason"),
            ByIn.STAY: ("居住时长", "Length of stay"), ByIn.PERMIT: ("居住证", "Permit")}
FREQ_WORDS = {FreqIn.DAY: ("日", "按日", "Day"), FreqIn.WEEK: ("周", "按周", "Week"),
              FreqIn.MONTH: ("月", "按月", "Month")}
ORIGIN_WORDS = {OriginLevelIn.PROVINCE: ("省", "Province"), OriginLevelIn.CITY: ("市", "City"),
                OriginLevelIn.COUNTY: ("县", "County")}
DEST_WORDS = {DestLevelIn.COUNTY: ("县", "County"),
              DestLevelIn.TOWNSHIP: ("乡镇（街道）", "乡镇", "Township")}
FORMAT_WORDS = {FormatIn.JSON: ("JSON",), FormatIn.XLSX: ("Excel", "excel"),
                FormatIn.CSV: ("CSV",)}
ENCODING_WORDS = {EncodingIn.UTF8: ("UTF-8", "utf8"), EncodingIn.GBK: ("GBK",)}
BOUNDARY_WORDS = {BoundariesIn.CURRENT: ("现行区划", "Current"),
                  BoundariesIn.HISTORICAL: ("当时区划", "Historical")}

Level = inputs.choice(LevelIn, LEVEL_WORDS, what="level")
By = inputs.choice(ByIn, BY_WORDS, what="breakdown")
Freq = inputs.choice(FreqIn, FREQ_WORDS, what="frequency")
OriginLevel = inputs.choice(OriginLevelIn, ORIGIN_WORDS, what="origin level")
DestLevel = inputs.choice(DestLevelIn, DEST_WORDS, what="destination level")
Format = inputs.choice(FormatIn, FORMAT_WORDS, what="format")
Encoding = inputs.choice(EncodingIn, ENCODING_WORDS, what="encoding")
Boundaries = inputs.choice(BoundariesIn, BOUNDARY_WORDS, what="boundaries")
DivisionCode = Annotated[str, Field(min_length=2, max_length=12, pattern=r"^[0-9]+$")]


class CellOut(BaseModel):
    division_code: str
    division_name: str
    key: str
    count: int | None = Field(description="null where the release withheld it (suppressed)")
    suppressed: bool


class StockOut(BaseModel):
    level: str
    date: dt.date
    by: str | None
    boundaries: str
    cells: list[CellOut]
    released_at: Timestamp
    threshold: int = Field(description="cells of 1 to threshold − 1 people are withheld")


class FlowRowOut(BaseModel):
    period: str
    division_code: str
    division_name: str
    arrivals: int | None
    departures: int | None


class FlowsOut(BaseModel):
    level: str
    freq: str
    rows: list[FlowRowOut]
    released_at: Timestamp


class OdRowOut(BaseModel):
    month: str
    origin_code: str
    origin_name: str
    division_code: str
    division_name: str
    count: int | None


class OdOut(BaseModel):
    origin_level: str
    dest_level: str
    rows: list[OdRowOut]
    released_at: Timestamp


class ForecastPointOut(BaseModel):
    month: str
    value: float
    lower: float
    upper: float


class BacktestOut(BaseModel):
    origins: int
    coverage80: float
    coverage95: float
    mae: float
    naive_mae: float
    relative_mae: float | None


class ForecastOut(BaseModel):
    division_code: str
    division_name: str
    model: str
    level: float
    history: list[ForecastPointOut]
    points: list[ForecastPointOut]
    backtest: BacktestOut | None


class WarningOut(BaseModel):
    kind: str
    division_code: str
    division_name: str
    message_zh: str
    message_en: str
    value: float | None = None
    threshold: float | None = None


class KpiOut(BaseModel):
    name: str
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str
    target: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    n: int | None = None
    available: bool
    reason_zh: str | None = None
    reason_en: str | None = None


class KpisOut(BaseModel):
    division_code: str
    division_name: str
    as_of: date
    kpis: list[KpiOut]


class BuildOut(BaseModel):
    id: RecordId
    as_of: date
    engine: str
    status: str
    step: str | None
    started_at: Timestamp
    finished_at: Timestamp | None
    summary: dict | None


class SettingsIn(BaseModel):
    growth_warning_pct: float = Field(ge=1, le=1000)
    grid_load_max: int = Field(ge=1, le=1_000_000)
    anomaly_level: float = Field(ge=0.8, le=0.999)
    mobile_retention_days: int = Field(ge=1, le=366)
    dp_budget: float = Field(gt=0, le=100)
    dp_epsilon: float = Field(gt=0, le=10)


class SettingsOut(SettingsIn):
    county_code: str


class DpIn(BaseModel):
    date: dt.date | None = None
    level: Level = LevelIn.TOWNSHIP
    by: By | None = None


class DpCellOut(BaseModel):
    division_code: str
    division_name: str
    key: str
    count: int


class DpOut(BaseModel):
    id: RecordId
    table: str
    date: str
    level: str
    by: str | None
    epsilon: float
    accuracy: int = Field(description="the noisy count is within ± this of the true count "
                          "95% of the time")
    budget_left: float
    released_at: Timestamp
    cells: list[DpCellOut]


class MobileImportOut(BaseModel):
    id: RecordId
    operator: str
    rows: int
    first_day: date
    last_day: date
    deleted_past_retention: int
