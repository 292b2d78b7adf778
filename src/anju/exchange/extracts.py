"""Read a department extract through its connector into standard records plus row errors.

One bad row never sinks the batch: undecodable bytes, short rows, unreadable values are each
reported with file, row and reason, and the rest is read. Re-importing the same file is a
no-op: the file's content hash is the import key (`ImportLedger`), and each record carries a
hash of its standard content so an upsert of an unchanged record changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from anju.core.errors import RowError
from anju.exchange import connectors
from anju.exchange.connectors import Connector
from anju.exchange.reasons import WHOLE_ROW, row_error
from anju.exchange.standardise import STANDARD_FIELDS, standardise_frame


def content_hash(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


CHUNK = 20_000  # source rows standardised at a time: memory stays flat whatever the file's size


def read_extract(
    path: str | Path, connector: Connector | str, *, resolve_addresses: bool = True,
    chunk: int = CHUNK,
) -> tuple[pl.DataFrame, list[RowError]]:
    """Standard records (one row per accepted source row) and every rejected value.

    The file is read and standardised `chunk` rows at a time (every rule is row by row, so the
    result is the same as in one go), which keeps a 100,000-row extract from holding all its
    rows as Python objects at once."""
    path = Path(path)
    conn = connectors.get(connector) if isinstance(connector, str) else connector
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    keys, rows, errors = _READERS[conn.file_type](raw, conn, path.name)
    del raw
    parts, value_errors, first = [], [], True
    while True:
        batch = list(itertools.islice(rows, chunk))
        if not batch and not first:
            break
        # a file without data rows has no columns at all (each mapped column is reported)
        schema = {k: pl.String for k in (keys if batch or not first else [])}
        native = pl.DataFrame(batch, schema=schema | {"_row": pl.Int64}) if batch else \
            pl.DataFrame(schema={"_row": pl.Int64})
        if (hook := conn.hook("read")) is not None:
            native = hook(native)
        if first:
            missing = [c for c in conn.columns if c not in native.columns]
            errors += [row_error(path.name, 0, c, "field_missing") for c in missing]
            first = False
        frame = native.select(
            "_row", *[pl.col(c).alias(std) for c, std in conn.columns.items()
                      if c in native.columns]
        ).with_columns(source=pl.lit(conn.code))
        records, found = standardise_frame(
            frame, path.name, date_format=conn.date_format, sex_codes=conn.sex_codes,
            resolve_addresses=resolve_addresses, home_county=conn.county,
        )
        parts.append(records.with_columns(
            extract_hash=pl.lit(digest),
            record_hash=pl.concat_str(
                [pl.col(c).cast(pl.String).fill_null("") for c in STANDARD_FIELDS],
                separator="\x1f").hash(),
        ))
        value_errors += found
        if not batch:
            break
    records = pl.concat(parts, how="vertical_relaxed") if len(parts) > 1 else parts[0]
    return records, sorted(errors + value_errors, key=lambda e: (e.row, e.field))


def _cell(v) -> str | None:
    """Excel and JSON cells as the strings a department meant."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# Each reader answers (column names, an iterator of rows as dicts, the list of row errors — filled
# in as the rows are read).
def _read_csv(raw: bytes, conn: Connector, file: str):
    # errors="replace": a stray byte spoils one value (reported later), not the whole file.
    text = raw.decode(conn.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=conn.delimiter)
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    errors: list[RowError] = []

    def rows():
        for i, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                errors.append(row_error(file, i, WHOLE_ROW, "row_malformed"))
                continue
            yield {"_row": i, **{h: (v if v.strip() else None) for h, v in zip(header, values)}}

    return list(dict.fromkeys(header)), rows(), errors


def _read_xlsx(raw: bytes, conn: Connector, file: str):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    sheet = book[conn.sheet] if conn.sheet and conn.sheet in book.sheetnames else book.active
    it = sheet.iter_rows(values_only=True)
    for _ in range(conn.header_row - 1):
        next(it, None)  # title rows above the header
    header = [str(h).strip() if h is not None else f"_col{j}" for j, h in enumerate(next(it, ()))]

    def rows():
        for i, values in enumerate(it, start=1):
            cells = [_cell(v) for v in values]
            if any(c is not None and c.strip() for c in cells):
                yield {"_row": i, **dict(zip(header, cells))}
        book.close()

    return list(dict.fromkeys(header)), rows(), []


def _read_json(raw: bytes, conn: Connector, file: str):
    data = json.loads(raw.decode(conn.encoding, errors="replace"))
    for key in (conn.records_path or "").split("."):
        if key:
            data = data.get(key, []) if isinstance(data, dict) else []
    items = data if isinstance(data, list) else []
    errors = [row_error(file, i, WHOLE_ROW, "row_malformed")
              for i, item in enumerate(items, start=1) if not isinstance(item, dict)]
    keys: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            keys.update(dict.fromkeys(k for k in item if k != "_row"))

    def rows():
        for i, item in enumerate(items, start=1):
            if isinstance(item, dict):
                yield {"_row": i, **{k: _cell(v) for k, v in item.items()}}

    return list(keys), rows(), errors


_READERS = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}


@dataclass
class ImportResult:
    status: str  # "imported" or "unchanged"
    content_hash: str
    records: pl.DataFrame | None
    errors: list[RowError]


class ImportLedger:
    """Content hashes of extracts already imported, kept in a small JSON file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._seen: dict[str, dict] = (
            json.loads(self.path.read_text("utf-8")) if self.path.exists() else {}
        )

    def __contains__(self, digest: str) -> bool:
        return digest in self._seen

    def record(self, digest: str, connector: str, file: str, n_records: int, n_errors: int):
        self._seen[digest] = {"connector": connector, "file": file, "records": n_records,
                              "errors": n_errors, "at": dt.datetime.now().isoformat(timespec="seconds")}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._seen, ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(self.path)  # atomic: a crash never leaves a half-written ledger


def import_extract(path: str | Path, connector: Connector | str, ledger: ImportLedger) -> ImportResult:
    """Read an extract unless this exact file was imported before (then: no-op)."""
    digest = content_hash(path)
    if digest in ledger:
        return ImportResult("unchanged", digest, None, [])
    records, errors = read_extract(path, connector)
    code = connector if isinstance(connector, str) else connector.code
    ledger.record(digest, code, Path(path).name, records.height, len(errors))
    return ImportResult("imported", digest, records, errors)
