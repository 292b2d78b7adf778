"""Resident ID numbers (公民身份号码, GB 11643-1999): the one place for their rules.

Layout: 6-digit region code, 8-digit birth date, 3-digit sequence (odd = male), 1 check character.
An unknown or retired region code is only a warning: the code is the one in force when the number
was issued, and our table can lag behind newly created counties.
Error messages never echo the number itself, so they are safe to log.

The rules — what typing noise is dropped, the 15→18 upgrade, which birth dates are possible, the
MOD 11-2 weights and check characters — are written here once, in two forms that answer the same:
`check_id_number` for one value (registration, bulk loads, real-time matching) and
`check_id_numbers` for a Polars column (department extracts, million-row linkage inputs).
Polars is imported inside the latter only, so this module stays pure rules.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from anju.core import clock, divisions
from anju.core.errors import ValidationError, ValidationIssue

if TYPE_CHECKING:
    import polars as pl

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH = date(1900, 1, 1)
# What people type or paste between the characters, dropped after NFKC (which turns full-width
# digits and letters, ideographic and no-break spaces into ASCII): whitespace, hyphens and
# dashes, zero-width characters. Written out rather than `\s` so that Python's `re` and Polars'
# regex engine read exactly the same class.
NOISE = (r"[\t\n\v\f\r \x1c-\x1f\x85\u1680\u2028\u2029"
         r"\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]+")
_NOISE_RE = re.compile(NOISE)
# residence permits for Hong Kong, Macao and Taiwan residents use these region codes
_PERMIT_REGIONS = {
    "810000": "香港特别行政区（港澳居民居住证）",
    "820000": "澳门特别行政区（港澳居民居住证）",
    "830000": "台湾居民居住证",
}
FIELD = "id_number"
# Why a number is not valid, in the order the checks run (the codes of ValidationError here,
# and of the exchange's row errors).
ERRORS = ("id_length", "id_chars", "id_birth_date", "id_checksum")


@dataclass(frozen=True, slots=True)
class IdNumberInfo:
    number: str  # normalised, 18 characters
    birth_date: date
    sex: str  # "M" or "F"
    region_code: str  # 6 digits
    region_known: bool
    region_name: str | None  # full name, e.g. "浙江省湖州市长兴县"; retired codes keep their name
    warnings: tuple[ValidationIssue, ...] = ()

    def age(self, on: date) -> int:
        """Completed years on the given date."""
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalize_id_number(raw: str | int | None) -> str:
    """Clean what people type: full-width characters, separators, lowercase x; upgrade a
    15-digit legacy number to 18 digits. Does not validate."""
    if raw is None:
        return ""
    s = unicodedata.normalize("NFKC", str(raw))  # full-width ０-９/Ｘ/ｘ -> ASCII
    s = _NOISE_RE.sub("", s).upper()
    if len(s) == 15 and s.isascii() and s.isdigit():
        # legacy numbers: 2-digit year of the 1900s and no check character
        first17 = s[:6] + "19" + s[6:]
        s = first17 + check_digit(first17)
    return s


@dataclass(frozen=True, slots=True)
class Checked:
    """What the rules say about one value: the number (normalised, 18 characters) when it is
    shaped like one — 17 digits and a digit or X, whatever its date or check character — and
    the first rule it breaks (one of ERRORS), None when it is valid."""

    number: str | None
    error: str | None

    @property
    def valid(self) -> bool:
        return self.error is None


def check_id_number(raw: str | int | None, today: date | None = None) -> Checked:
    """The rules applied to one value, without raising (`parse_id_number` raises and decodes).
    A wrong check character or an impossible date keeps the number: it still helps linkage."""
    s = normalize_id_number(raw)
    if len(s) != 18:
        return Checked(None, "id_length")
    if not (s[:17].isascii() and s[:17].isdigit()) or s[17] not in "0123456789X":
        return Checked(None, "id_chars")
    if _born(s[6:14], today or clock.today()) is None:
        return Checked(s, "id_birth_date")
    if check_digit(s[:17]) != s[17]:
        return Checked(s, "id_checksum")
    return Checked(s, None)


def check_id_numbers(raw: pl.Series, today: date | None = None) -> pl.DataFrame:
    """`check_id_number` for a column, vectorised: `id_number`, `id_valid` and `error` per
    value, the same answers value by value (tests/core/test_idnumber.py checks it on a large
    sample). A null stays null, with no error: a missing value is not a wrong one."""
    import polars as pl

    today = today or clock.today()
    s = (raw.cast(pl.String).str.normalize("NFKC").str.replace_all(NOISE, "")
         .str.to_uppercase())
    frame = pl.DataFrame({"s": s}).with_columns(legacy=pl.col("s").str.contains(r"^[0-9]{15}$"))
    frame = frame.with_columns(  # a legacy number: 2-digit year of the 1900s, no check character
        s=pl.when("legacy").then(pl.concat_str([pl.col("s").str.slice(0, 6), pl.lit("19"),
                                                 pl.col("s").str.slice(6)]))
        .otherwise("s"))
    # 17 digits fit in an Int64: the check character and the birth date by arithmetic
    frame = frame.with_columns(d17=pl.col("s").str.slice(0, 17).cast(pl.Int64, strict=False))
    frame = frame.with_columns(check=_check_of(pl.col("d17")),
                               ymd=pl.col("d17") // 1000 % 100_000_000)
    frame = frame.with_columns(
        number=pl.when("legacy").then(pl.concat_str(["s", "check"])).otherwise("s"),
        n=pl.when("legacy").then(18).otherwise(pl.col("s").str.len_chars()))
    year, month, day = pl.col("ymd") // 10_000, pl.col("ymd") // 100 % 100, pl.col("ymd") % 100
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = month.replace_strict(
        {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31},
        default=0, return_dtype=pl.Int64) + (leap & (month == 2)).cast(pl.Int64)
    born = (year >= EARLIEST_BIRTH.year) & (day >= 1) & (day <= month_days) & \
        (pl.col("ymd") <= today.year * 10_000 + today.month * 100 + today.day)
    frame = frame.with_columns(shaped=pl.col("number").str.contains(r"^[0-9]{17}[0-9X]$"))
    frame = frame.with_columns(error=pl.when(pl.col("s").is_null()).then(None)
                               .when(pl.col("n") != 18).then(pl.lit("id_length"))
                               .when(~pl.col("shaped")).then(pl.lit("id_chars"))
                               .when(~born).then(pl.lit("id_birth_date"))
                               .when(pl.col("number").str.slice(17, 1) != pl.col("check"))
                               .then(pl.lit("id_checksum")))
    return frame.select(id_number=pl.when("shaped").then("number"),
                        id_valid=pl.col("error").is_null() & pl.col("s").is_not_null(),
                        error="error")


def _check_of(digits: pl.Expr) -> pl.Expr:
    """`check_digit` of the first 17 digits held as an integer (null stays null)."""
    import polars as pl

    # a plain sum of the weighted digits (several times faster than sum_horizontal here)
    total = functools.reduce(operator.add, [(digits // 10 ** (16 - i)) % 10 * w
                                            for i, w in enumerate(WEIGHTS)])
    return (total % 11).replace_strict(dict(enumerate(CHECK_CHARS)), default=None,
                                       return_dtype=pl.String)


def _error(code: str, zh: str, en: str) -> ValidationError:
    return ValidationError(code, zh, en, field=FIELD)


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumberInfo:
    """Validate and decode an ID number; raises ValidationError (field "id_number")."""
    checked = check_id_number(raw, today)
    if checked.error is not None:
        raise _refusal(checked.error, len(normalize_id_number(raw)))
    s = checked.number
    birth = _born(s[6:14], today or clock.today())
    region, known, name, warnings = s[:6], False, None, []
    if region in _PERMIT_REGIONS:
        known, name = True, _PERMIT_REGIONS[region]
    else:
        d = _division(region)
        if d is None:
            warnings.append(ValidationIssue(
                "id_region_unknown", f"身份证号码的地区码{region}不在区划表中（可能是新设区县）",
                f"region code {region} is not in the division table (possibly a new county)"))
        else:
            known, name = True, divisions.full_name(d.code)
            if d.retired:
                warnings.append(ValidationIssue(
                    "id_region_retired", f"身份证号码的地区码{region}（{name}）已撤销，号码仍有效",
                    f"region code {region} ({name}) has been retired; the number remains valid"))
    sex = "M" if int(s[16]) % 2 else "F"
    return IdNumberInfo(s, birth, sex, region, known, name, tuple(warnings))


def _refusal(code: str, length: int) -> ValidationError:
    if code == "id_length":
        return _error(code, f"身份证号码应为18位（或15位旧号码），实际为{length}位",
                      "ID number must have 18 characters (or 15 for legacy numbers), "
                      f"got {length}")
    if code == "id_chars":
        return _error(code, "身份证号码含非法字符（前17位须为数字，末位为数字或X）",
                      "ID number has invalid characters (17 digits then a digit or X)")
    if code == "id_birth_date":
        return _error(code, "身份证号码中的出生日期无效（不存在、早于1900年或晚于今天）",
                      "ID number holds an invalid birth date (impossible, before 1900 or in "
                      "the future)")
    return _error(code, "身份证号码校验位错误，请核对号码",
                  "ID number check digit does not match; please re-check the number")


def _born(yyyymmdd: str, today: date) -> date | None:
    """The birth date the digits name, if it is a real day from 1900 to today."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None
    return born if EARLIEST_BIRTH <= born <= today else None


def _division(region: str) -> divisions.Division | None:
    try:
        return divisions.get(region)
    except ValidationError:  # e.g. "00xxxx": not even a well-formed region code
        return None


def is_valid_id_number(raw: str) -> bool:
    try:
        parse_id_number(raw)
    except ValidationError:
        return False
    return True
