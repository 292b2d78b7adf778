"""The allocation's CSV form (`anju schools allocate`): schools and applicants in, placements out.
A bad applicant row (unknown division, bad coordinates, negative points, a bad date, a repeated
id) is reported with its row number and reason, and the rest still runs; a bad schools file is
refused whole (the allocation would not be the published one)."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from anju.cases.schools.allocate import Applicant, Placement, School, valid_coordinates
from anju.core.errors import RowError, ValidationError

SCHOOL_COLUMNS = ("school_id", "name", "catchment", "capacity", "lat", "lon")
APPLICANT_COLUMNS = ("applicant_id", "home_division_code", "lat", "lon", "points",
                     "residence_since")
OUTPUT_COLUMNS = ("applicant_id", "school_id", "round", "rank")


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError("csv_columns", f"{path.name} 缺少列：{', '.join(missing)}",
                                  f"{path.name} lacks columns: {', '.join(missing)}",
                                  field=missing[0])
        return list(reader)


def read_schools(path: Path) -> list[School]:
    schools, seen, divisions = [], set(), {}
    for n, row in enumerate(_rows(path, SCHOOL_COLUMNS), 1):
        def bad(zh: str, en: str, field: str, n=n):
            return ValidationError("school_row", f"学校文件第 {n} 行：{zh}",
                                   f"schools file row {n}: {en}", field=field)
        school_id = (row["school_id"] or "").strip()
        if not school_id or school_id in seen:
            raise bad("学校编号缺失或重复", "school_id missing or repeated", "school_id")
        seen.add(school_id)
        try:
            capacity, lat, lon = int(row["capacity"]), float(row["lat"]), float(row["lon"])
        except (TypeError, ValueError):
            raise bad("学位数或坐标不是数字", "capacity or coordinates are not numbers",
                      "capacity") from None
        if capacity < 0 or not valid_coordinates(lat, lon):
            raise bad("学位数为负或坐标超出范围", "negative capacity or coordinates out of range",
                      "capacity" if capacity < 0 else "lat")
        catchment = tuple(c.strip() for c in (row["catchment"] or "").split(";") if c.strip())
        for code in catchment:
            if code in divisions:
                raise bad(f"片区 {code} 已划入 {divisions[code]}",
                          f"division {code} is already in {divisions[code]}'s catchment",
                          "catchment")
            divisions[code] = school_id
        schools.append(School(school_id, row["name"] or school_id, catchment, capacity, lat, lon))
    return schools


def read_applicants(path: Path, schools: list[School]) -> tuple[list[Applicant], list[RowError]]:
    known = {code for s in schools for code in s.catchment}
    applicants, errors, seen = [], [], set()
    for n, row in enumerate(_rows(path, APPLICANT_COLUMNS), 1):
        def error(code: str, zh: str, en: str, field: str, n=n):
            errors.append(RowError(n, code, zh, en, field, path.name))
        applicant_id = (row["applicant_id"] or "").strip()
        if not applicant_id or applicant_id in seen:
            error("applicant_id", "申请编号缺失或重复", "applicant_id missing or repeated",
                  "applicant_id")
            continue
        division = (row["home_division_code"] or "").strip()
        if division not in known:
            error("unknown_division", f"居住地 {division} 不在任何学校的片区内",
                  f"home division {division} is in no school's catchment", "home_division_code")
            continue
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except (TypeError, ValueError):
            lat = lon = float("nan")
        if not valid_coordinates(lat, lon):
            error("bad_coordinates", "坐标无效", "bad coordinates", "lat")
            continue
        try:
            points = int(row["points"])
        except (TypeError, ValueError):
            points = -1
        if points < 0:
            error("bad_points", "积分须为非负整数", "points must be a whole number, not negative",
                  "points")
            continue
        try:
            since = date.fromisoformat((row["residence_since"] or "").strip())
        except ValueError:
            error("bad_date", "居住起始日期须为 YYYY-MM-DD", "residence_since must be YYYY-MM-DD",
                  "residence_since")
            continue
        seen.add(applicant_id)
        applicants.append(Applicant(applicant_id, division, lat, lon, points, since))
    return applicants, errors


def write_allocation(path: Path, placements: list[Placement]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        for p in placements:
            writer.writerow((p.applicant_id, p.school_id or "", p.round, p.rank))
