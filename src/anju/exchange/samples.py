"""Write each connector's sample extract: generated people, the department's native format,
and the dirt real extracts have. `python -m anju.exchange.samples` regenerates them all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

from anju.exchange import connectors
from anju.exchange.connectors import Connector
from anju.exchange.synth import Dirt, population, render

SAMPLE_DIRT = Dirt(id_missing=0.05, id_legacy15=0.06, id_typo=0.04, id_fullwidth=0.05,
                   id_spaces=0.05, name_homophone=0.03, name_traditional=0.04, name_pinyin=0.02,
                   name_spaces=0.05, birth_missing=0.03, phone_missing=0.1)
# Values no standardiser can save; each sample gets a few, and the reader must report them.
BAD_VALUES = {
    "id_number": ["33052219900", "3305221990010112A1", "330522199013011234"],
    "birth_date": ["1990-13-45", "19900231", "2099-01-01"],
    "sex": ["X", "3"],
    "phone": ["12345", "0572-123"],
    "name": ["张三1"],
}
MINORITY_NAMES = ["阿依•古丽", "买买提.艾力", "热依拉・吐尔逊", "扎西 · 顿珠"]


def sample_records(conn: Connector, n: int = 150, seed: int = 3) -> list[dict]:
    """Standard-column records with raw values, written the department's way."""
    rng = random.Random(f"{conn.code}-{seed}")
    people = population(max(1, n * 4 // 5), seed=rng.randrange(10**6))
    sex_style = "mf" if conn.sex_codes else conn.sex_style
    recs = [render(p, rng, conn.code, conn.date_style, sex_style, SAMPLE_DIRT) for p in people]
    while len(recs) < n:  # the same person twice in one extract happens too
        recs.append(render(rng.choice(people), rng, conn.code, conn.date_style, sex_style,
                           SAMPLE_DIRT))
    if conn.sex_codes:  # the department's own code list
        inverse = {}
        for k, v in conn.sex_codes.items():
            inverse.setdefault(v, k)
        for r in recs:
            r["sex"] = inverse.get(r["sex"], r["sex"])
    for i, rec in enumerate(recs):
        rec["source_record_id"] = f"{conn.code.upper()}{seed:02d}{i:05d}"
    for field, values in BAD_VALUES.items():
        for v in values:
            rng.choice(recs)[field] = v
    for name in MINORITY_NAMES:
        rng.choice(recs)["name"] = name
    nobody = rng.choice(recs)
    nobody["name"] = nobody["id_number"] = None
    return recs


def _native(conn: Connector, recs: list[dict]) -> list[dict]:
    rows = [{native: r.get(std) for native, std in conn.columns.items()} for r in recs]
    hook = conn.hook("sample")
    return hook(rows) if hook else rows


def write_sample(conn: Connector, path: Path, n: int = 150, seed: int = 3) -> Path:
    rows = _native(conn, sample_records(conn, n, seed))
    _WRITERS[conn.file_type](conn, rows, path, random.Random(seed))
    return path


def _write_csv(conn: Connector, rows: list[dict], path: Path, rng: random.Random):
    buf = io.StringIO(newline="")
    header = list(rows[0])
    w = csv.writer(buf, delimiter=conn.delimiter, lineterminator="\r\n")
    w.writerow(header)
    for i, row in enumerate(rows):
        w.writerow(["" if row[h] is None else row[h] for h in header])
        if i == len(rows) // 2:  # a truncated line, as when an export is cut mid-write
            w.writerow([row[h] or "" for h in header[:3]])
    path.write_bytes(buf.getvalue().encode(conn.encoding, errors="replace"))


def _write_xlsx(conn: Connector, rows: list[dict], path: Path, rng: random.Random):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = conn.sheet or "Sheet1"
    header = list(rows[0])
    if conn.header_row > 1:
        sheet.append([f"{conn.name_zh}名单（导出日期 2026-03-31）"])
        for _ in range(conn.header_row - 2):
            sheet.append([])
    sheet.append(header)
    date_col = next((c for c, s in conn.columns.items() if s == "birth_date"), None)
    for row in rows:
        values = []
        for h in header:
            v = row[h]
            if h == date_col and v and v.isdigit() and len(v) == 5 and rng.random() < 0.8:
                v = dt.datetime(1899, 12, 30) + dt.timedelta(days=int(v))  # a real date cell
            elif conn.columns.get(h) == "phone" and v and v.isdigit() and rng.random() < 0.5:
                v = int(v)  # phone typed as a number
            values.append(v)
        sheet.append(values)
    book.save(path)


def _write_json(conn: Connector, rows: list[dict], path: Path, rng: random.Random):
    for row in rows:
        for k, v in row.items():
            if conn.columns.get(k) == "phone" and v and v.isdigit() and rng.random() < 0.3:
                row[k] = int(v)
    data: object = rows + ["<truncated record>"]
    for key in reversed((conn.records_path or "").split(".")):
        if key:
            data = {key: data, **({"infcode": 0} if key == "output" else {})}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding=conn.encoding)


_WRITERS = {"csv": _write_csv, "xlsx": _write_xlsx, "json": _write_json}


def main() -> None:
    for conn in connectors.available().values():
        out = write_sample(conn, conn.sample_path())
        print(f"{conn.code:10s} {out}")


if __name__ == "__main__":
    main()
