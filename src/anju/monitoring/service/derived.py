"""What a build derived from its released figures: forecasts (with the published backtest),
KPIs (each with its definition), warnings (places and numbers, never a person), and the data the
dashboard and the maps draw."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.errors import NotFound
from anju.core.policy import Actor
from anju.monitoring import plan, rules
from anju.monitoring import policy as P
from anju.monitoring.models import StatsArtifact
from anju.monitoring.rules import Dim
from anju.monitoring.schemas import (
    BacktestOut,
    ForecastOut,
    ForecastPointOut,
    KpiOut,
    KpisOut,
    WarningOut,
)
from anju.monitoring.service import common
from anju.monitoring.service.exports import ExportFile, export

UNAVAILABLE = {
    "withheld": ("所需数字因人数过少未发布", "the figures it needs are withheld (too few people)"),
    "no_data": ("暂无数据", "no data yet"),
    "no_cases_domain": ("服务事项模块尚未提供数据", ("not available until the cases domain "
                        "exports its figures")),
    "no_grid_worker": ("该辖区没有启用的网格员账号", "no active grid-worker account in the area"),
    # builds made before the cases domain exported its eligibility counts
    "no_notice_statistics": ("服务事项模块尚未提供“符合条件人员”和通知的统计",
                             "the cases domain does not yet export who was eligible and told"),
}


def _artifact(session: Session, build, kind: str, division: str):
    return session.execute(select(StatsArtifact.payload).where(
        StatsArtifact.build_id == build.id, StatsArtifact.kind == kind,
        StatsArtifact.division == division)).scalar()


def forecast(session: Session, actor: Actor, division: str, horizon: int = 12) -> ForecastOut:
    code = common.canonical_division(division)
    common.reach(session, actor, P.STATS_READ, code)
    build = common.current_build(session)
    payload = _artifact(session, build, "forecast", code)
    if payload is None:
        raise NotFound("not_published", "该区域没有预测（只对县和乡镇（街道）作预测）",
                       "no forecast for this area (forecasts are made for the county and its "
                       "townships)", field="division_code")
    made = payload.get("forecast")
    if not made:
        zh, en = UNAVAILABLE["withheld"] if payload.get("unavailable") else UNAVAILABLE["no_data"]
        raise NotFound("forecast_unavailable", f"无法预测：{zh}", f"no forecast: {en}",
                       field="division_code")
    history = [ForecastPointOut(month=m, value=v, lower=v, upper=v)
               for m, v in zip(payload["months"], payload["values"])]
    points = [ForecastPointOut(month=m, value=round(v, 1), lower=round(lo, 1), upper=round(hi, 1))
              for m, v, lo, hi in zip(made["months"], made["mean"], made["lower"],
                                      made["upper"])][:horizon]
    backtest = payload.get("backtest")
    return ForecastOut(division_code=code, division_name=common.name_of(code),
                       model=made["model"], level=made["level"], history=history, points=points,
                       backtest=BacktestOut(**backtest) if backtest else None)


def _warning_text(w: dict) -> tuple[str, str]:
    name = common.name_of(w["division"])
    kind = w["kind"]
    if kind == "growth":
        return ((f"{name}：{w['month']} 月末在住登记人数 {w['after']}，比上月末 {w['before']} 增长 "
                f"{w['value']}%（预警阈值 {w['threshold']:g}%）"),
                (f"{name}: {w['after']} registered residents at the end of {w['month']}, up "
                f"{w['value']}% from {w['before']} a month before (threshold {w['threshold']:g}%)"))
    if kind == "grid_load":
        return (f"{name}：每名网格员对应 {w['value']} 名登记人员，超过 1:{w['threshold']}",
                (f"{name}: {w['value']} registered residents per grid worker, above "
                f"1:{w['threshold']}"))
    if kind == "no_grid_worker":
        return (f"{name}：有 {w['residents']} 名登记人员，但没有启用的网格员账号",
                f"{name}: {w['residents']} registered residents and no active grid worker")
    return ((f"{name}：{w['month']} 月末人数 {w['value']:g} 超出预测的 {w['level']:.0%} 区间 "
            f"[{w['lower']:g}, {w['upper']:g}]，请核实是否有集中登记、注销或数据问题"),
            (f"{name}: {w['value']:g} at the end of {w['month']} lies outside the forecast's "
            f"{w['level']:.0%} interval [{w['lower']:g}, {w['upper']:g}]; check for a batch of "
            f"registrations, move-outs or a data problem"))


def warnings(session: Session, actor: Actor, fmt: str = "json", encoding: str = "utf-8",
             lang: str = "zh") -> list[WarningOut] | ExportFile:
    reach = common.reach(session, actor, P.STATS_READ)
    build = common.current_build(session)
    found = _artifact(session, build, "warnings", common.county_code()) or []
    out = []
    for w in found:
        if not reach.sees(w["division"]):
            continue
        zh, en = _warning_text(w)
        out.append(WarningOut(kind=w["kind"], division_code=w["division"],
                              division_name=common.name_of(w["division"]), message_zh=zh,
                              message_en=en, value=w.get("value"),
                              threshold=w.get("threshold")))
    if fmt == "json":
        return out
    return export(session, actor, "warnings", [w.model_dump() for w in out],
                  ["kind", "division_code", "division_name", "message_zh", "message_en"],
                  fmt, encoding, lang, {"build": build.id})


def kpis(session: Session, actor: Actor, division: str | None = None, fmt: str = "json",
         encoding: str = "utf-8", lang: str = "zh") -> KpisOut | ExportFile:
    code = common.canonical_division(division) if division else common.county_code()
    common.reach(session, actor, P.STATS_READ, code)
    build = common.current_build(session)
    payload = _artifact(session, build, "kpis", code)
    if payload is None:
        raise NotFound("not_published", "只对县和乡镇（街道）计算指标",
                       "KPIs are computed for the county and its townships",
                       field="division_code")
    out = []
    for kpi in rules.KPIS:
        found = payload.get(kpi.name)
        if kpi.name == "under_registration" and found:
            best = found.get("mobile") or found.get("locks")
            found = dict(best)
        value = (found or {}).get("value")
        reason = (found or {}).get("unavailable") or ("withheld" if found is None else None)
        if kpi.name == "grid_load" and found and found.get("workers") == 0:
            reason = "no_grid_worker"
        words = UNAVAILABLE.get(reason) if value is None else None
        out.append(KpiOut(name=kpi.name, label_zh=kpi.zh, label_en=kpi.en,
                          definition_zh=kpi.definition_zh, definition_en=kpi.definition_en,
                          target=kpi.target, value=value, lower=(found or {}).get("lower"),
                          upper=(found or {}).get("upper"), n=(found or {}).get("n"),
                          available=value is not None,
                          reason_zh=words[0] if words else None,
                          reason_en=words[1] if words else None))
    result = KpisOut(division_code=code, division_name=common.name_of(code), as_of=build.as_of,
                     kpis=out)
    if fmt == "json":
        return result
    return export(session, actor, "kpis", [k.model_dump() for k in out],
                  ["name", "label_zh", "label_en", "value", "lower", "upper", "n",
                   "definition_zh", "definition_en"], fmt, encoding, lang, {"division": code})


def _latest_shown(session: Session, build, code: str, lv: int) -> tuple[int | None, str]:
    """The division's released stock on the as-of date or, where the release withheld it (a
    few moves since the last month-end could give someone away), on the latest reference date
    it was shown — the headline says which date."""
    refs = common.published_refs(session, build, "stock", Dim.TOTAL.value, lv)
    found = {c.ref: c.count for c in common.cells(session, build, "stock", refs, lv,
                                                 Dim.TOTAL.value) if c.division == code}
    for ref in sorted(refs, reverse=True):
        if found.get(ref, 0) is not None:
            return found.get(ref, 0), ref
    return None, build.as_of.isoformat()


def dashboard(session: Session, actor: Actor, division: str | None = None) -> dict:
    """Everything the dashboard draws for one division (the actor's own area by default):
    headline KPIs, the map of its children, its monthly series with the forecast, monthly
    flows, breakdowns, warnings, and — for the whole county — where people come from."""
    reach = common.reach(session, actor, P.STATS_READ, division)
    build = common.current_build(session)
    if division:
        code = common.canonical_division(division)
    elif reach.whole_county:
        code = common.county_code()
    else:
        code = reach.root
    lv = plan.level(code)
    ref = build.as_of.isoformat()
    child_level = min(lv + 1, rules.VILLAGE)
    children = []
    if lv < rules.VILLAGE:
        cells = {c.division: c.count for c in common.cells(
            session, build, "stock", [ref], child_level, Dim.TOTAL.value)}
        for child in common.divisions_at(child_level, code):
            if reach.sees(child):
                children.append({"code": child, "name": common.name_of(child),
                                 "count": cells.get(child, 0)})
    own, own_date = _latest_shown(session, build, code, lv)
    breakdowns = {}
    for dim in (Dim.SEX, Dim.AGE_BAND, Dim.REASON, Dim.STAY, Dim.PERMIT):
        rows = {c.key: c.count for c in common.cells(session, build, "stock", [ref], lv,
                                                     dim.value) if c.division == code}
        if rows or lv <= rules.VILLAGE:
            breakdowns[dim.value] = [{"key": k, "count": rows.get(k, 0)}
                                     for k in plan.CATEGORIES[dim]]
    months = common.published_refs(session, build, "flows", "month", min(lv, rules.TOWNSHIP))
    flow_cells = common.cells(session, build, "flows", months, min(lv, rules.TOWNSHIP), "month")
    flows = {m: {"arr": 0, "dep": 0} for m in months}
    if lv <= rules.TOWNSHIP:
        for c in flow_cells:
            if c.division == code:
                flows[c.ref][c.key] = c.count
    origins = []
    if reach.whole_county and lv <= rules.COUNTY:
        origins = [{"code": c.key, "name": common.name_of(c.key), "count": c.count}
                   for c in common.cells(session, build, "stock", [ref], rules.COUNTY,
                                         Dim.ORIGIN_PROVINCE.value)
                   if c.division == common.county_code() and c.key != rules.UNKNOWN]
    forecast_payload = _artifact(session, build, "forecast", code) if lv <= rules.TOWNSHIP \
        else None
    return {"build": build, "division": code, "division_name": common.name_of(code),
            "level": lv, "count": own, "count_date": own_date, "children": children, "child_level": child_level,
            "breakdowns": breakdowns,
            "flows": [{"month": m, **v} for m, v in flows.items()] if lv <= rules.TOWNSHIP else [],
            "forecast": forecast_payload, "origins": origins,
            # KPIs are computed for the county and its townships (not for an area elsewhere)
            "kpis": kpis(session, actor, code) if lv <= rules.TOWNSHIP and common.within(
                code, common.county_code()) else None,
            "warnings": [w for w in warnings(session, actor)
                         if common.within(w.division_code, code)],
            "parent": rules.up(code, lv - 1) if lv > rules.COUNTY and reach.sees(
                rules.up(code, lv - 1)) else None}
