"""Every word the monitoring pages and exports show, Chinese first. Templates read them as
t("monitoring.<key>"); exports read them directly."""
from __future__ import annotations

ZH = {
    "menu_dashboard": "监测看板", "menu_origins": "来源地图", "menu_privacy": "差分隐私发布",
    "menu_settings": "预警设置", "menu_mobile": "信令数据导入",
    "title": "流动人口监测看板", "origins_title": "来源地分布", "privacy_title": "差分隐私发布",
    "settings_title": "监测预警设置", "mobile_title": "导入运营商信令汇总数",
    "as_of": "统计截至", "released_at": "发布时间", "build": "统计批次",
    "aggregates_only": "本页只显示汇总数字，不显示任何个人。1 至 15 人的格子不公布（显示为“—”），"
                       "并补充隐藏能被推算出来的格子。",
    "withheld": "不公布（人数过少）", "withheld_short": "—",
    "count_on": "{day} 的人数（截至日的人数因近几天迁入迁出人数过少不公布）",
    "registered": "在住登记人数", "kpis": "核心指标", "definition": "定义", "target": "目标",
    "not_available": "暂无", "interval": "区间",
    "map_title": "各{level}在住登记人数", "map_note": "示意图：每个方块代表一个乡镇（街道）或村（社区），"
    "位置和形状都不代表真实边界；县域轮廓仅作示意，不是经审核的地图（无审图号）。",
    "outline": "县域轮廓（示意）", "drill": "查看下级", "up": "返回上级",
    "series_title": "月末在住登记人数与预测", "history": "实际", "forecast": "预测",
    "interval95": "95% 预测区间", "backtest": "回测",
    "backtest_text": "最近 {origins} 个月逐月回测：实际值落在 80% 区间内的比例 {c80}，落在 95% 区间内的比例 "
                     "{c95}；平均绝对误差 {mae}，季节性朴素预测 {naive}（相对 {rel}）。",
    "no_forecast": "该区域的历史数字有月份不公布，不作预测。",
    "flows_title": "每月迁入与迁出", "arrivals": "迁入", "departures": "迁出",
    "breakdowns": "构成", "warnings": "预警", "no_warnings": "暂无预警。",
    "exports": "导出", "export_stock": "在住人数（Excel）", "export_stock_csv": "在住人数（CSV，GBK）",
    "export_flows": "迁入迁出（Excel）", "export_od": "来源地—目的地（Excel）",
    "export_kpis": "指标（Excel）", "export_warnings": "预警（Excel）",
    "origins_intro": "按户籍所在省统计的在住登记人数（全县），连线表示来源地到本县。",
    "origins_cities": "按来源市（前 20 个，已公布的）", "map_china_note": "地图仅作示意，"
    "不是经审核的地图（无审图号）；数据来自 ECharts 4.9 附带的地图文件。",
    "origin": "来源地", "count": "人数", "division": "区划",
    "not_built": "尚未生成统计数据。请在服务器上运行 anju stats build，或等待每晚的统计任务。",
    "dp_intro": "差分隐私发布给每个格子加上随机噪声，所有格子都可以公布；每次发布消耗隐私预算 ε，"
                "全年合计不超过县里设定的预算。",
    "dp_release": "发布", "dp_ledger": "隐私预算台账", "dp_accuracy": "95% 的格子误差不超过 ±{a} 人",
    "dp_budget_left": "本年度剩余预算 ε = {b}", "epsilon": "ε", "released_by": "发布人",
    "settings_saved": "设置已保存。", "save": "保存",
    "mobile_intro": "运营商只提供汇总数（按乡镇、日期、来源省），不含任何个人或手机号码；"
                    "任何一个格子小于 16 人，整个文件都不导入。超过保留期的数据自动删除。",
    "mobile_done": "已导入 {rows} 行（{first} 至 {last}）。",
    "operator": "运营商", "file": "文件（CSV）", "upload": "导入",
    "level.province": "省", "level.city": "市", "level.county": "县",
    "level.township": "乡镇（街道）", "level.village": "村（社区）",
    "dim.sex": "性别", "dim.age_band": "年龄段", "dim.reason": "居住事由", "dim.stay": "居住时长",
    "dim.permit": "居住证", "dim.total": "合计", "dim.origin_province": "来源省",
    "key.M": "男", "key.F": "女", "key.with": "持有效居住证", "key.without": "未持居住证",
    "key.lt6m": "不满半年", "key.6to12m": "半年至一年", "key.1to3y": "一至三年", "key.3yplus": "三年以上",
    "key.work": "务工", "key.family": "投亲靠友", "key.business": "经商", "key.study": "就学",
    "key.stable_home": "稳定住所", "key.other": "其他", "key.unknown": "未知",
    "kpi.accuracy": "登记准确率", "kpi.under_registration": "漏登率（估计）",
    "kpi.update_cycle": "信息更新周期", "kpi.permit_coverage": "居住证覆盖率",
    "kpi.grid_load": "网格员负荷", "kpi.handling_time": "办理时长", "kpi.on_time": "按时办结率",
    "kpi.satisfaction": "满意度", "kpi.notified": "应知尽知率", "days": "{n} 天", "working_days": "{n} 个工作日",
    "per_worker": "1:{n}",
    "col.division_code": "区划代码", "col.division_name": "区划名称", "col.key": "分组",
    "col.count": "人数", "col.note": "说明", "col.period": "期间", "col.arrivals": "迁入",
    "col.departures": "迁出", "col.month": "月份", "col.origin_code": "来源地代码",
    "col.origin_name": "来源地", "col.kind": "类型", "col.message_zh": "说明（中文）",
    "col.message_en": "说明（英文）", "col.name": "指标", "col.label_zh": "指标",
    "col.label_en": "指标（英文）", "col.value": "数值", "col.lower": "区间下限",
    "col.upper": "区间上限", "col.n": "样本数", "col.definition_zh": "定义",
    "col.definition_en": "定义（英文）",
    "export_note": "安居平台发布的汇总数：1 至 15 人的格子及可推算出的格子不公布；不含任何个人信息。",
    "growth_warning_pct": "村（社区）月增长预警阈值（%）", "grid_load_max": "每名网格员负责人数上限",
    "anomaly_level": "异常判定所用预测区间（如 0.99）", "mobile_retention_days": "信令汇总数保留天数",
    "dp_budget": "全年隐私预算 ε", "dp_epsilon": "每张表消耗的 ε",
}

EN = {
    "menu_dashboard": "Monitoring", "menu_origins": "Origins map",
    "menu_privacy": "Differential privacy", "menu_settings": "Warning settings",
    "menu_mobile": "Mobile-network counts",
    "title": "Floating-population monitoring", "origins_title": "Where people come from",
    "privacy_title": "Differential-privacy releases", "settings_title": "Monitoring settings",
    "mobile_title": "Import operators' aggregate counts",
    "as_of": "Figures as of", "released_at": "Released", "build": "Build",
    "aggregates_only": "This page shows aggregates only, never a person. Cells of 1 to 15 people "
                       "are withheld (shown as “—”), and so are cells they could be worked out "
                       "from.",
    "withheld": "withheld (too few people)", "withheld_short": "—",
    "count_on": "on {day} (the figure for the as-of date is withheld: too few moves since)",
    "registered": "Registered residents", "kpis": "Key indicators", "definition": "Definition",
    "target": "Target", "not_available": "not available", "interval": "interval",
    "map_title": "Registered residents by {level}", "map_note": "Schematic: each tile stands "
    "for a township or village; neither position nor shape shows a real border. The county "
    "outline is illustrative only and not an approved map (no 审图号).",
    "outline": "County outline (illustrative)", "drill": "Go down", "up": "Back up",
    "series_title": "Registered residents at month-end, with forecast", "history": "Actual",
    "forecast": "Forecast", "interval95": "95% prediction interval", "backtest": "Backtest",
    "backtest_text": "Backtest over the last {origins} months, one month ahead: {c80} of actual "
                     "values inside the 80% interval, {c95} inside the 95% interval; mean absolute "
                     "error {mae} against {naive} for the seasonal-naive forecast (ratio {rel}).",
    "no_forecast": "Some months of this area are withheld, so there is no forecast.",
    "flows_title": "Arrivals and departures per month", "arrivals": "Arrivals",
    "departures": "Departures", "breakdowns": "Composition", "warnings": "Warnings",
    "no_warnings": "No warnings.", "exports": "Export",
    "export_stock": "Residents (Excel)", "export_stock_csv": "Residents (CSV, GBK)",
    "export_flows": "Arrivals and departures (Excel)", "export_od": "Origin–destination (Excel)",
    "export_kpis": "Indicators (Excel)", "export_warnings": "Warnings (Excel)",
    "origins_intro": "Registered residents of the county by the province of their hukou; lines "
                     "run from each origin to the county.",
    "origins_cities": "By origin city (the 20 largest released)",
    "map_china_note": "The map is illustrative only and not an approved map (no 审图号); shapes "
                      "from the map files shipped with ECharts 4.9.",
    "origin": "Origin", "count": "People", "division": "Area",
    "not_built": "No statistics have been built yet. Run `anju stats build` on the server or "
                 "wait for the nightly job.",
    "dp_intro": "A differential-privacy release adds random noise to every cell, so every cell "
                "can be shown; each release spends privacy budget ε, and a year's total stays "
                "within the county's budget.",
    "dp_release": "Release", "dp_ledger": "Privacy budget ledger",
    "dp_accuracy": "95% of cells are within ±{a} people of the truth",
    "dp_budget_left": "Budget left this year: ε = {b}", "epsilon": "ε", "released_by": "By",
    "settings_saved": "Settings saved.", "save": "Save",
    "mobile_intro": "Operators send aggregate counts only (per township, day and origin "
                    "province), never a person or a phone number; a file with any cell under 16 "
                    "is refused whole. Counts past the retention period are deleted.",
    "mobile_done": "Imported {rows} rows ({first} to {last}).",
    "operator": "Operator", "file": "File (CSV)", "upload": "Import",
    "level.province": "province", "level.city": "city", "level.county": "county",
    "level.township": "township", "level.village": "village",
    "dim.sex": "Sex", "dim.age_band": "Age band", "dim.reason": "Reason", "dim.stay": "Length of stay",
    "dim.permit": "Residence permit", "dim.total": "Total", "dim.origin_province": "Origin province",
    "key.M": "Male", "key.F": "Female", "key.with": "Valid permit", "key.without": "No permit",
    "key.lt6m": "Under 6 months", "key.6to12m": "6–12 months", "key.1to3y": "1–3 years",
    "key.3yplus": "3 years or more", "key.work": "Work", "key.family": "Family",
    "key.business": "Business", "key.study": "Study", "key.stable_home": "Stable home",
    "key.other": "Other", "key.unknown": "Unknown",
    "kpi.accuracy": "Registration accuracy", "kpi.under_registration": "Under-registration",
    "kpi.update_cycle": "Update cycle", "kpi.permit_coverage": "Permit coverage",
    "kpi.grid_load": "Grid-worker load", "kpi.handling_time": "Handling time",
    "kpi.on_time": "On-time rate", "kpi.satisfaction": "Satisfaction",
    "kpi.notified": "Eligible people notified", "days": "{n} days", "working_days": "{n} working days", "per_worker": "1:{n}",
    "col.division_code": "Division code", "col.division_name": "Division", "col.key": "Group",
    "col.count": "People", "col.note": "Note", "col.period": "Period", "col.arrivals": "Arrivals",
    "col.departures": "Departures", "col.month": "Month", "col.origin_code": "Origin code",
    "col.origin_name": "Origin", "col.kind": "Kind", "col.message_zh": "Message (Chinese)",
    "col.message_en": "Message", "col.name": "Indicator", "col.label_zh": "Indicator (Chinese)",
    "col.label_en": "Indicator", "col.value": "Value", "col.lower": "Lower", "col.upper": "Upper",
    "col.n": "Base", "col.definition_zh": "Definition (Chinese)", "col.definition_en": "Definition",
    "export_note": "Aggregates released by Anju: cells of 1 to 15 people, and cells they could "
                   "be worked out from, are withheld; no personal data.",
    "growth_warning_pct": "Village month-on-month growth warning (%)",
    "grid_load_max": "Residents per grid worker, at most",
    "anomaly_level": "Forecast interval for anomalies (e.g. 0.99)",
    "mobile_retention_days": "Days mobile-network counts are kept",
    "dp_budget": "Yearly privacy budget ε", "dp_epsilon": "ε spent per table",
}
for _age in ("0-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65+"):
    ZH[f"key.{_age}"] = _age.replace("-", "–") + " 岁"
    EN[f"key.{_age}"] = _age.replace("-", "–")

WORDS = {"zh": ZH, "en": EN}
