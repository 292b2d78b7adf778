"""Standardise department values into the common person-record standard.

Each function takes a Polars Series of raw strings and returns a frame with the clean value
and an `error` column (a reason code from `reasons.REASONS`, or null). Everything is
vectorised: these run on 1M-row linkage inputs as well as on 200-row department extracts.
`standardise_frame` applies them all and turns the error columns into `RowError`s.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from anju.core import clock, idnumber
from anju.core.errors import RowError
from anju.exchange import names as _names
from anju.exchange.reasons import WHOLE_ROW, row_error

STANDARD_FIELDS = (
    "source", "source_record_id", "name", "id_number", "sex", "birth_date", "phone",
    "hukou_address", "current_address", "employer",
)

_FW_DIGITS = [chr(0xFF10 + i) for i in range(10)] + ["Ｘ", "ｘ", "－", "＋", "（", "）", "　"]
_HW_DIGITS = [str(i) for i in range(10)] + ["X", "x", "-", "+", "(", ")", " "]


def _halfwidth(s: pl.Series) -> pl.Series:
    return s.cast(pl.String).str.replace_many(_FW_DIGITS, _HW_DIGITS)


# What clerks type for "no value": missing, not wrong.
NULL_MARKERS = ["", "无", "空", "不详", "未知", "null", "NULL", "None", "N/A", "n/a", "-", "/", "—"]


def _blank_to_null(s: pl.Series) -> pl.Series:
    s = s.str.strip_chars()
    return pl.select(pl.when(~s.is_in(NULL_MARKERS)).then(s)).to_series().alias(s.name)


def id_numbers(raw: pl.Series, today: dt.date | None = None) -> pl.DataFrame:
    """Normalise ID numbers (full-width, spaces, dashes, lowercase x, 15→18) and flag them.

    Returns `id_number` (null if not even shaped like an ID), `id_valid` and `error`. A wrong
    check digit keeps the number — it still helps linkage find the typo — but is flagged. The
    rules are `anju.core.idnumber`'s; what is added here is only how departments say "none".
    """
    return idnumber.check_id_numbers(_blank_to_null(_halfwidth(raw)), today)


def dates(raw: pl.Series, fmt: str | None = None, today: dt.date | None = None) -> pl.DataFrame:
    """Dates as departments send them → ISO `YYYY-MM-DD` strings.

    Handles 1990-03-05, 19900305, 1990/3/5, 1990.3.5, 1990年3月5日, datetimes with a time part,
    and Excel serial numbers (days since 1899-12-30). `fmt` forces one strftime format.
    """
    today = today or clock.today()
    s = _blank_to_null(_halfwidth(raw)).str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    if fmt:
        parsed = s.str.strptime(pl.Date, fmt, strict=False)
    else:
        dashed = s.str.replace_all(r"[年月/.\-]", "-").str.replace_all("日", "").str.strip_chars("-")
        serial = s.str.extract(r"^(\d{1,5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
        parsed = pl.select(
            pl.when(s.str.contains(r"^\d{8}$"))
            .then(s.str.strptime(pl.Date, "%Y%m%d", strict=False))
            .when(serial.is_not_null())
            .then(pl.lit(dt.date(1899, 12, 30)) + pl.duration(days=serial))
            .otherwise(dashed.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        ).to_series()
    in_range = parsed.is_between(dt.date(1900, 1, 1), today)
    out = pl.DataFrame({"s": s, "d": parsed, "ok": in_range})
    return out.select(
        date=pl.when(pl.col("ok")).then(pl.col("d").dt.to_string("%Y-%m-%d")),
        error=pl.when(pl.col("s").is_null()).then(None)
        .when(pl.col("d").is_null()).then(pl.lit("date_format"))
        .when(~pl.col("ok")).then(pl.lit("date_range")),
    )


# GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 not stated. Unknown is a value, not an error.
SEX_CODES: dict[str, str | None] = {
    "男": "M", "男性": "M", "M": "M", "MALE": "M", "1": "M",
    "女": "F", "女性": "F", "F": "F", "FEMALE": "F", "2": "F",
    "0": None, "9": None, "未知": None, "未说明": None, "U": None,
}


def sexes(raw: pl.Series, codes: dict[str, str | None] | None = None) -> pl.DataFrame:
    """Sex codes → 'M' / 'F' / null. `codes` overrides the default table for a department."""
    table = {k.upper(): v for k, v in (codes or SEX_CODES).items()}
    s = _blank_to_null(_halfwidth(raw)).str.to_uppercase().str.replace(r"\.0+$", "")
    known = s.is_in(list(table))
    value = s.replace_strict({k: v for k, v in table.items()}, default=None, return_dtype=pl.String)
    return pl.DataFrame({"s": s, "known": known, "v": value}).select(
        sex=pl.col("v"),
        error=pl.when(pl.col("s").is_not_null() & ~pl.col("known")).then(pl.lit("sex_code")),
    )


def phones(raw: pl.Series) -> pl.DataFrame:
    """Phones: +86/0086 and separators dropped; mobiles 11 digits, landlines 0 + area + number."""
    digits = _blank_to_null(_halfwidth(raw)).str.replace(r"\.0+$", "").str.replace_all(r"\D", "")
    digits = digits.replace("", None)
    # A country code only counts when what remains is a mobile or a 0-prefixed landline.
    local = digits.str.replace(r"^(?:0086|86)(1[3-9]\d{9})$", "$1").str.replace(
        r"^(?:0086|86)(\d{9,11})$", "0$1"
    )
    ok = local.str.contains(r"^(?:1[3-9]\d{9}|0\d{9,11})$")
    return pl.DataFrame({"raw": digits, "p": local, "ok": ok}).select(
        phone=pl.when(pl.col("ok")).then(pl.col("p")),
        error=pl.when(pl.col("raw").is_not_null() & ~pl.col("ok")).then(pl.lit("phone_format")),
    )


def person_names(raw: pl.Series) -> pl.DataFrame:
    """Clean names plus their pinyin keys; digits in a name are rejected."""
    cleaned = _names.clean_names(raw.cast(pl.String))
    bad = cleaned.str.contains(r"[0-9@#$%^&*_=+<>?/\\|{}\[\]]")
    cleaned_ok = pl.select(pl.when(~bad).then(cleaned)).to_series().alias("name")
    keys = _names.pinyin_keys(cleaned_ok)
    error = pl.select(
        pl.when(cleaned.is_null()).then(pl.lit("name_missing")).when(bad).then(pl.lit("name_chars"))
    ).to_series()
    return pl.concat([cleaned_ok.to_frame(), keys, error.alias("error").to_frame()], how="horizontal")


def address_text(raw: pl.Series) -> pl.Series:
    """Address text normalised for comparison: half-width, no whitespace, simplified characters."""
    s = _blank_to_null(_halfwidth(raw).str.replace_all(r"\s+", ""))
    s = s.str.replace_many(_names._FULLWIDTH_LATIN, _names._HALFWIDTH_LATIN)
    chars = _names._distinct_chars(s)
    simp, _ = _names._char_maps([c for c in chars if c >= "\u3400"])
    if simp:
        s = s.str.replace_many(list(simp), list(simp.values()))
    return s


def standardise_frame(
    df: pl.DataFrame,
    file: str,
    *,
    date_format: str | None = None,
    sex_codes: dict[str, str | None] | None = None,
    resolve_addresses: bool = True,
    home_county: str | None = None,
) -> tuple[pl.DataFrame, list[RowError]]:
    """Standardise a frame holding (some of) STANDARD_FIELDS as raw strings.

    Returns the standard record frame (with `_row`, pinyin keys, `id_valid`, division codes) and
    one `RowError` per rejected value. Rows with neither a name nor an ID are dropped and reported.
    """
    if "_row" not in df.columns:
        df = df.with_row_index("_row", offset=1)
    for col in STANDARD_FIELDS:
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    df = df.with_columns(pl.col(c).cast(pl.String) for c in STANDARD_FIELDS)
    ids = id_numbers(df["id_number"])
    nm = person_names(df["name"])
    bd = dates(df["birth_date"], date_format)
    sx = sexes(df["sex"], sex_codes)
    ph = phones(df["phone"])
    out = df.select(
        "_row", "source", "source_record_id",
        name=nm["name"], name_py=nm["name_py"], sur_py=nm["sur_py"], given_py=nm["given_py"],
        name_pyf=nm["name_pyf"], id_number=ids["id_number"], id_valid=ids["id_valid"],
        sex=sx["sex"], birth_date=bd["date"], phone=ph["phone"],
        hukou_address=address_text(df["hukou_address"]),
        current_address=address_text(df["current_address"]),
        employer=_blank_to_null(df["employer"].cast(pl.String)),
    )
    errors_by_field = {
        "id_number": ids["error"], "name": nm["error"], "birth_date": bd["error"],
        "sex": sx["error"], "phone": ph["error"],
    }
    if resolve_addresses:
        from anju.exchange.addresses import resolve_series

        for col in ("hukou_address", "current_address"):
            codes = resolve_series(out[col], home_county)
            prefix = col.split("_")[0]
            out = out.with_columns(
                codes["county_code"].alias(f"{prefix}_county_code"),
                codes["township_code"].alias(f"{prefix}_township_code"),
            )
            errors_by_field[col] = codes["error"]
    # The 18-digit ID carries the birth date; use it when the department left the field empty.
    from_id = pl.col("id_number").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    out = out.with_columns(
        birth_date=pl.coalesce(
            "birth_date", pl.when(pl.col("id_valid")).then(from_id.dt.to_string("%Y-%m-%d"))
        )
    )
    errors = _collect_errors(file, out["_row"], errors_by_field)
    unidentifiable = out.filter(pl.col("name").is_null() & pl.col("id_number").is_null())["_row"]
    errors += [row_error(file, r, WHOLE_ROW, "row_unidentifiable") for r in unidentifiable.to_list()]
    out = out.filter(pl.col("name").is_not_null() | pl.col("id_number").is_not_null())
    return out, errors


def _collect_errors(file: str, rows: pl.Series, by_field: dict[str, pl.Series]) -> list[RowError]:
    errors = []
    for field, codes in by_field.items():
        hit = pl.DataFrame({"row": rows, "code": codes}).drop_nulls("code")
        errors += [row_error(file, r, field, c) for r, c in hit.iter_rows()]
    return sorted(errors, key=lambda e: (e.row, e.field))
