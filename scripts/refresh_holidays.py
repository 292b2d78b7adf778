#!/usr/bin/env python3
"""Rebuild src/anju/core/data/holidays.csv from the `chinese-calendar` package (test extra).

The runtime reads only the CSV. Rows: every official public holiday (including the weekend days
inside a holiday period) and every adjusted working weekend day (调休上班) of the years the
package covers. When the State Council publishes a new year, upgrade chinese-calendar and rerun:

    pip install -U chinese-calendar && python scripts/refresh_holidays.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants

OUT = Path(__file__).resolve().parents[1] / "src" / "anju" / "core" / "data" / "holidays.csv"
NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def main() -> None:
    rows = [(d, "holiday", n) for d, n in constants.holidays.items()]
    rows += [(d, "workday", n) for d, n in constants.workdays.items()]
    rows.sort()
    years = {d.year for d, _, _ in rows}
    missing = sorted({n for _, _, n in rows} - NAMES_ZH.keys())
    if missing:
        raise SystemExit(f"add Chinese names for: {missing}")
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "kind", "name", "name_zh"])
        for d, kind, name in rows:
            w.writerow([d.isoformat(), kind, name, NAMES_ZH[name]])
    print(f"chinese-calendar {chinese_calendar.__version__}: wrote {len(rows)} rows for "
          f"{min(years)}-{max(years)} to {OUT}")


if __name__ == "__main__":
    main()
