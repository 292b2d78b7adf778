"""Every statistics table as Excel (.xlsx) or CSV (UTF-8 with a byte-order mark, or GBK for
older spreadsheet software); each export is one audit entry (who, which table, how many rows).
Only released values go out: a withheld cell is an empty cell marked in a note column."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from anju.core import audit
from anju.core.errors import ValidationError
from anju.core.policy import Actor
from anju.monitoring import policy as P
from anju.monitoring.service import common
from anju.monitoring.words import WORDS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def _header(column: str, lang: str) -> str:
    return WORDS[lang].get(f"col.{column}", column)


def export(session: Session, actor: Actor, table: str, rows: list[dict], columns: list[str],
           fmt: str, encoding: str, lang: str, detail: dict) -> ExportFile:
    """The rows as a file, audited."""
    common.reach(session, actor, P.STATS_EXPORT)
    lang = lang if lang in WORDS else "zh"
    withheld = WORDS[lang]["withheld"]
    headers = [_header(c, lang) for c in columns] + [WORDS[lang]["col.note"]]
    body = [[row.get(c) for c in columns] + [withheld if any(
        c in ("count", "arrivals", "departures") and row.get(c) is None for c in columns)
        else ""] for row in rows]
    stem = f"anju-{table}-{'-'.join(str(v) for v in detail.values())}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(table)
        sheet.append(headers)
        for line in body:
            sheet.append(line)
        sheet.append([])
        sheet.append([WORDS[lang]["export_note"]])
        buffer = io.BytesIO()
        book.save(buffer)
        content, media, name = buffer.getvalue(), XLSX, f"{stem}.xlsx"
    elif fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows(body)
        codec = "utf-8-sig" if encoding == "utf-8" else "gbk"
        try:
            content = text.getvalue().encode(codec)
        except UnicodeEncodeError:
            raise ValidationError("encoding_unsupported", "该表含有 GBK 无法表示的字符，请改用 UTF-8",
                                  "the table holds characters GBK cannot encode; use UTF-8",
                                  field="encoding") from None
        media, name = f"text/csv; charset={'utf-8' if encoding == 'utf-8' else 'gbk'}", \
            f"{stem}.csv"
    else:
        raise ValidationError("format_unknown", "导出格式应为 xlsx 或 csv",
                              "the export format must be xlsx or csv", field="format")
    audit.append(session, actor, [audit.AuditEvent(
        P.STATS_EXPORT, P.STATISTICS, None, "stats_table", table,
        {"rows": len(rows), "format": fmt, "encoding": encoding if fmt == "csv" else None}
        | detail)])
    return ExportFile(content, media, name)
