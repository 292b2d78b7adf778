"""Resident ID numbers (公民身份号码, GB 11643-1999).

Layout: 6-digit region code, 8-digit birth date, 3-digit sequence (odd = male), 1 check character.
An unknown or retired region code is only a warning: the code is the one in force when the number
was issued, and our table can lag behind newly created counties.
Error messages never echo the number itself, so they are safe to log.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from anju.core import clock, divisions
from anju.core.errors import ValidationError, ValidationIssue

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# separators people type or paste: spaces, hyphens/dashes, zero-width characters
_NOISE_RE = re.compile(r"[\s\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]+")
# residence permits for Hong Kong, Macao and Taiwan residents use these region codes
_PERMIT_REGIONS = {
    "810000": "香港特别行政区（港澳居民居住证）",
    "820000": "澳门特别行政区（港澳居民居住证）",
    "830000": "台湾居民居住证",
}
FIELD = "id_number"


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
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


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


def _error(code: str, zh: str, en: str) -> ValidationError:
    return ValidationError(code, zh, en, field=FIELD)


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumberInfo:
    """Validate and decode an ID number; raises ValidationError (field "id_number")."""
    s = normalize_id_number(raw)
    if len(s) != 18:
        raise _error("id_length", f"身份证号码应为18位（或15位旧号码），实际为{len(s)}位",
                     f"ID number must have 18 characters (or 15 for legacy numbers), got {len(s)}")
    if not (s[:17].isascii() and s[:17].isdigit()) or s[17] not in "0123456789X":
        raise _error("id_chars", "身份证号码含非法字符（前17位须为数字，末位为数字或X）",
                     "ID number has invalid characters (17 digits then a digit or X)")
    birth = _birth_date(s[6:14], today or clock.today())
    if check_digit(s[:17]) != s[17]:
        raise _error("id_checksum", "身份证号码校验位错误，请核对号码",
                     "ID number check digit does not match; please re-check the number")
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


def _birth_date(yyyymmdd: str, today: date) -> date:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > today:
        raise _error("id_birth_date", "身份证号码中的出生日期无效（不存在、早于1900年或晚于今天）",
                     "ID number holds an invalid birth date (impossible, before 1900 or in the future)")
    return born


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
