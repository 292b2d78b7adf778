"""The county's monitoring settings, the list of builds, operators' mobile-network counts and
differential-privacy releases with their budget ledger."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from anju.core import audit, clock, divisions
from anju.core.access import Access
from anju.core.config import get_settings
from anju.core.errors import Conflict, NotFound, RowError, ValidationError
from anju.core.policy import Actor
from anju.monitoring import derive, plan, privacy, rules
from anju.monitoring import policy as P
from anju.monitoring.models import (
    DpRelease,
    MobileCount,
    MobileImport,
    MonitoringSettings,
    StatsBuild,
)
from anju.monitoring.release import THRESHOLD
from anju.monitoring.schemas import (
    BuildOut,
    DpCellOut,
    DpOut,
    MobileImportOut,
    SettingsIn,
    SettingsOut,
)
from anju.monitoring.service import common

MAX_MOBILE_ROWS = 200_000


# --- settings --------------------------------------------------------------------------------
def read_settings(session: Session, actor: Actor) -> SettingsOut:
    common.reach(session, actor, P.STATS_READ)
    county = common.county_code()
    return SettingsOut(county_code=county[:6], **derive.settings_of(session, county))


def update_settings(session: Session, actor: Actor, data: SettingsIn) -> SettingsOut:
    access = Access(session, actor)
    access.allow(P.STATS_SETTINGS)
    county = common.county_code()[:6]
    row = session.get(MonitoringSettings, county)
    if row is None:
        row = MonitoringSettings(county_code=county, updated_by=actor.username,
                                 **derive.DEFAULTS)
        session.add(row)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    row.updated_by = actor.username
    access.record(audit.AuditEvent(P.STATS_SETTINGS, P.STATISTICS, None, "monitoring_settings",
                                   county, data.model_dump()))
    session.flush()
    return SettingsOut(county_code=county, **data.model_dump())


# --- builds ----------------------------------------------------------------------------------
def list_builds(session: Session, actor: Actor, limit: int = 20) -> list[BuildOut]:
    common.reach(session, actor, P.STATS_READ)
    rows = session.execute(select(StatsBuild).order_by(StatsBuild.id.desc()).limit(limit)).scalars()
    return [BuildOut(id=b.id, as_of=b.as_of, engine=b.engine, status=b.status, step=b.step,
                     started_at=b.started_at, finished_at=b.finished_at, summary=b.summary)
            for b in rows]


# --- mobile-network counts -------------------------------------------------------------------
def _township(value: str, county: str) -> str:
    value = value.strip()
    if value.isdigit():
        code = divisions.canonical(value)
    else:
        found = [d for d in divisions.find_by_name(value, within=county)
                 if d.level == rules.TOWNSHIP]
        if not found:
            raise ValidationError("township_unknown", f"本县没有名为“{value}”的乡镇（街道）",
                                  f"no township called {value!r} in the county", field="township")
        code = found[0].code
    if not divisions.is_within(code, county) or plan.level(code) != rules.TOWNSHIP:
        raise ValidationError("township_outside", f"{value} 不是本县的乡镇（街道）",
                              f"{value} is not a township of the county", field="township")
    return code


def _province(value: str) -> str:
    value = value.strip()
    if value.isdigit() and len(value) in (2, 6, 12):
        code = divisions.canonical(value[:2])
    else:
        found = [d for d in divisions.find_by_name(value) if d.level == rules.PROVINCE]
        if not found:
            raise ValidationError("province_unknown", f"未知的省份：{value}",
                                  f"unknown province: {value}", field="origin_province")
        code = found[0].code
    if divisions.get(code) is None:
        raise ValidationError("province_unknown", f"未知的省份：{value}",
                              f"unknown province: {value}", field="origin_province")
    return code


def import_mobile(session: Session, actor: Actor, operator: str, filename: str,
                  content: bytes) -> MobileImportOut:
    """An operator's CSV of aggregate counts: `day,township,origin_province,count` (codes or
    names). The whole file is refused when any row is invalid or any count is 1–15 (a cell
    that small must never have been sent); counts older than the retention are deleted."""
    access = Access(session, actor)
    access.allow(P.MOBILE_IMPORT)
    operator = operator.strip()
    if not 1 <= len(operator) <= 32:
        raise ValidationError("operator_required", "请填写运营商名称（1–32 个字）",
                              "name the operator (1–32 characters)", field="operator")
    county = common.county_code()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gbk")
        except UnicodeDecodeError:
            raise ValidationError("file_encoding", "文件应为 UTF-8 或 GBK 编码的 CSV",
                                  "the file must be CSV in UTF-8 or GBK", field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"day", "township", "origin_province", "count"}
    if not reader.fieldnames or not wanted <= {f.strip() for f in reader.fieldnames}:
        raise ValidationError("mobile_columns", "文件的表头应为 day,township,origin_province,count",
                              "the header must be day,township,origin_province,count",
                              field="file")
    rows, errors, seen = [], [], set()
    for number, raw in enumerate(reader, start=1):
        if number > MAX_MOBILE_ROWS:
            raise ValidationError("mobile_too_many", f"一个文件最多 {MAX_MOBILE_ROWS} 行",
                                  f"at most {MAX_MOBILE_ROWS} rows per file", field="file")
        record = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            day = _day(record["day"])
            township = _township(record["township"], county)
            origin = _province(record["origin_province"])
            count = _count(record["count"])
            if (day, township, origin) in seen:
                raise ValidationError("mobile_repeated", "同一天、同一乡镇、同一来源省重复出现",
                                      "the same day, township and origin appear twice",
                                      field="day")
            seen.add((day, township, origin))
            rows.append((day, township, origin, count))
        except ValidationError as error:
            errors.append(RowError.of(number, error, file=filename))
    if errors:
        raise MobileRefused(errors)
    if not rows:
        raise ValidationError("mobile_empty", "文件中没有数据行", "the file has no rows",
                              field="file")
    record = MobileImport(operator=operator, filename=filename[:200], rows=len(rows),
                          first_day=min(r[0] for r in rows), last_day=max(r[0] for r in rows),
                          imported_by=actor.username)
    session.add(record)
    session.flush()
    session.execute(delete(MobileCount).where(
        MobileCount.operator == operator,
        MobileCount.day.between(record.first_day, record.last_day)))
    session.add_all(MobileCount(import_id=record.id, operator=operator, day=d, division=t,
                                origin=o, count=c) for d, t, o, c in rows)
    deleted = expire_mobile(session)
    access.record(audit.AuditEvent(P.MOBILE_IMPORT, P.STATISTICS, None, "mobile_import",
                                   str(record.id), {"operator": operator, "rows": len(rows)}))
    return MobileImportOut(id=record.id, operator=operator, rows=len(rows),
                           first_day=record.first_day, last_day=record.last_day,
                           deleted_past_retention=deleted)


class MobileRefused(ValidationError):
    """The whole file is refused; `rows` says which rows and why."""

    def __init__(self, rows: list[RowError]) -> None:
        first = rows[0]
        super().__init__("mobile_rejected",
                         f"文件未导入：第 {first.row} 行 {first.message_zh}（共 {len(rows)} 行有问题）",
                         f"file not imported: row {first.row}: {first.message_en} "
                         f"({len(rows)} rows at fault)", field="file")
        self.rows = rows


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError("day_format", f"日期格式错误：{value}（应为 YYYY-MM-DD）",
                              f"malformed day {value!r} (YYYY-MM-DD)", field="day") from None


def _count(value: str) -> int:
    if not value.isdigit():
        raise ValidationError("count_format", f"人数应为非负整数：{value}",
                              f"the count must be a whole number: {value!r}", field="count")
    count = int(value)
    if 0 < count < THRESHOLD:
        raise ValidationError("count_below_threshold",
                              f"人数 {count} 小于 {THRESHOLD}：运营商不得提供小于 {THRESHOLD} 人的格子",
                              f"a count of {count} is below {THRESHOLD}: operators must not send "
                              f"cells under {THRESHOLD}", field="count")
    return count


def expire_mobile(session: Session, today: date | None = None) -> int:
    """Delete counts older than the retention setting; answers how many went."""
    today = today or clock.today()
    days = derive.settings_of(session, common.county_code())["mobile_retention_days"]
    result = session.execute(delete(MobileCount).where(
        MobileCount.day < today - timedelta(days=days)))
    return result.rowcount or 0


# --- differential privacy ----------------------------------------------------------------------
def _budget_used(session: Session, year: int) -> float:
    return float(session.execute(select(func.coalesce(func.sum(DpRelease.epsilon), 0.0)).where(
        DpRelease.released_at >= datetime(year, 1, 1),
        DpRelease.released_at < datetime(year + 1, 1, 1))).scalar_one())


def dp_release(session: Session, actor: Actor, day: date | None, level: str,
               by: str | None) -> DpOut:
    """A stock table released with discrete Laplace noise (OpenDP) instead of suppression:
    every cell shown, each within ± the stated accuracy 95% of the time. The same table of the
    same build is answered again without spending more ε; the county's yearly budget caps the
    sum of ε."""
    access = Access(session, actor)
    access.allow(P.DP_RELEASE)
    common.reach(session, actor, P.DP_RELEASE)
    build = common.current_build(session)
    lv, dim = common.level_number(level), str(by) if by else rules.Dim.TOTAL.value
    if dim not in privacy.FIXED_DIMS:
        raise ValidationError("dp_dim", "差分隐私发布只用于类别固定的分组"
                              "（合计、性别、年龄段、事由、居住时长、居住证）",
                              "differential privacy is offered for breakdowns with fixed "
                              "categories (total, sex, age band, reason, stay, permit)",
                              field="by")
    refs = common.published_refs(session, build, "stock", dim, lv)
    day = day or build.as_of
    chosen = [r for r in refs if r <= day.isoformat()]
    if not chosen:
        raise common.not_published(f"{day} 的存量", f"stock on {day}")
    ref = chosen[-1]
    existing = session.execute(select(DpRelease).where(
        DpRelease.build_id == build.id, DpRelease.table == "stock", DpRelease.ref == ref,
        DpRelease.level == lv, DpRelease.dim == dim)).scalar()
    config = derive.settings_of(session, common.county_code())
    year = clock.today().year
    if existing is None:
        epsilon = config["dp_epsilon"]
        if _budget_used(session, year) + epsilon > config["dp_budget"] + 1e-9:
            raise Conflict("dp_budget_spent",
                           f"本年度差分隐私预算（ε={config['dp_budget']:g}）已用完",
                           f"this year's privacy budget (ε={config['dp_budget']:g}) is spent",
                           field="epsilon")
        truth = _true_cells(build, ref, lv, dim)
        noisy, scale, accuracy = privacy.release(list(truth.values()), epsilon)
        existing = DpRelease(build_id=build.id, table="stock", ref=ref, level=lv, dim=dim,
                             epsilon=epsilon, scale=scale, accuracy=accuracy,
                             cells=[[code, key, n] for (code, key), n in zip(truth, noisy)],
                             released_by=actor.username)
        session.add(existing)
        session.flush()
        access.record(audit.AuditEvent(P.DP_RELEASE, P.STATISTICS, None, "dp_release",
                                       str(existing.id), {"epsilon": epsilon, "ref": ref,
                                                          "level": level, "by": dim}))
    reach = common.reach(session, actor, P.STATS_READ)
    return DpOut(id=existing.id, table="stock", date=existing.ref, level=level, by=by and dim,
                 epsilon=existing.epsilon, accuracy=existing.accuracy,
                 budget_left=max(0.0, config["dp_budget"] - _budget_used(session, year)),
                 released_at=existing.released_at,
                 cells=[DpCellOut(division_code=c, division_name=common.name_of(c), key=k,
                                  count=n) for c, k, n in existing.cells if reach.sees(c)])


def dp_ledger(session: Session, actor: Actor) -> list[dict]:
    common.reach(session, actor, P.STATS_READ)
    return [{"id": r.id, "table": r.table, "date": r.ref, "level": rules.LEVEL_NAMES[r.level],
             "by": r.dim, "epsilon": r.epsilon, "accuracy": r.accuracy,
             "released_by": r.released_by, "released_at": r.released_at}
            for r in session.execute(select(DpRelease).order_by(DpRelease.id.desc())).scalars()]


def _true_cells(build: StatsBuild, ref: str, lv: int, dim: str) -> dict[tuple[str, str], int]:
    """The unreleased counts of one stock table, from the build's aggregates kept in the data
    directory; every division of the level and every category, so the cells themselves say
    nothing."""
    path = aggregates_path(build.id) / "stock.parquet"
    if not path.exists():
        raise NotFound("dp_unavailable", "本次统计的汇总数据不可用，无法作差分隐私发布（请重新生成统计）",
                       "this build's aggregates are not available for a privacy release "
                       "(build again)")
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pydict()
    counts: dict[tuple[str, str], int] = {}
    for row_ref, code, row_dim, key, n in zip(table["ref"], table["division"], table["dim"],
                                              table["key"], table["n"]):
        if row_ref.isoformat() == ref and row_dim == dim:
            for place in plan.lineage(code):
                if plan.level(place) == lv:
                    counts[(place, key)] = counts.get((place, key), 0) + n
    keys = plan.CATEGORIES.get(rules.Dim(dim), ("",))
    out = {}
    for code in common.divisions_at(lv):
        for key in keys:
            out[(code, key)] = counts.get((code, key), 0)
    return out


def aggregates_path(build_id: int) -> Path:
    return Path(get_settings().data_dir) / "monitoring" / "aggregates" / f"build-{build_id}"
