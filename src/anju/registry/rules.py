"""Pure registry rules: person codes, phones, houses and rooms, the registration state machine,
permit eligibility, expiry and numbering.

Each rule is written once here and called by both the service (one record at a time) and the bulk
loads, so the two answer alike: the same code, status and message in both languages.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import zhconv

from anju.core import divisions
from anju.core.errors import Conflict, ValidationError

# --- names -----------------------------------------------------------------------------------
_NAME_NOISE = re.compile(r"[\s·•・‧∙.．。･⋅]")


def name_key(name: str) -> str:
    """A name as two spellings of it compare: full-width folded to half-width (NFKC), spaces
    and the middle dots of minority names dropped, traditional characters made simplified,
    Latin letters case-folded."""
    folded = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", name or ""))
    return zhconv.convert(folded, "zh-cn").casefold()


def same_name(a: str, b: str) -> bool:
    return bool(name_key(a)) and name_key(a) == name_key(b)


def name_id_mismatch() -> ValidationError:
    """The refusal of an ID number already recorded under another name: it says only that."""
    return ValidationError("name_id_mismatch", "姓名与身份证号码不一致",
                           "name and ID number do not match", field="name")


# --- phones and sex ---------------------------------------------------------------------------
def normalise_phone(raw: str | None) -> str | None:
    """A phone number as stored: digits only, without +86 (None when none is given)."""
    if raw is None or not raw.strip():
        return None
    digits = re.sub(r"[\s\-()（）]", "", raw)
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not re.fullmatch(r"\d{7,12}", digits) or (len(digits) == 11 and digits[0] != "1"):
        raise ValidationError("phone_format", "电话号码格式不正确", "phone number is malformed",
                              field="phone")
    return digits


def normalise_sex(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = {"男": "M", "女": "F", "1": "M", "2": "F", "m": "M", "f": "F"}.get(raw.strip().lower(),
                                                                             raw.strip().upper())
    if value not in ("M", "F"):
        raise ValidationError("sex_code", "性别应为男或女", "sex must be M or F", field="sex")
    return value


# --- houses and rooms --------------------------------------------------------------------------
MAX_ROOMS = 500
MAX_CAPACITY = 200


def house_division(raw: str) -> str:
    """A house's division code, canonical: a known division of township level or finer (a house
    is found in its community, not just its county)."""
    code = divisions.canonical(raw)
    if divisions.require(code).level < divisions.TOWNSHIP:
        raise ValidationError("division_too_coarse", "房屋须登记到乡镇（街道）或村（社区）",
                              "a house needs a township or community division code",
                              field="division_code")
    return code


def landlord_unknown() -> ValidationError:
    """A house's landlord who is not recorded — or not one the registering actor may name: the
    two answer alike."""
    return ValidationError("landlord_unknown", "房东人员编码不存在", "landlord person code not found",
                           field="landlord_person_code")


def check_rooms(rooms: list[tuple[str, int]]) -> None:
    """A house's rooms as (label, capacity): 1–500 of them, labels given once each, capacities
    1–200."""
    if not 1 <= len(rooms) <= MAX_ROOMS:
        raise ValidationError("rooms_count", "每处房屋应有 1–500 个房间",
                              "a house needs 1–500 rooms", field="rooms")
    labels = [label for label, _ in rooms]
    if len(set(labels)) != len(labels):
        raise ValidationError("room_label_repeated", "房间号重复", "room labels repeat",
                              field="rooms")
    for _, capacity in rooms:
        if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise ValidationError("room_capacity", "房间核定人数应为 1–200",
                                  "room capacity must be 1–200", field="rooms")


def room_capacity(capacity: int, occupants: int, *, refuse: bool) -> list[dict]:
    """Registering one more person into a room `occupants` people are registered in (submitted or
    approved): past its capacity that is a warning to look into — or, where the county refuses
    such registrations (ANJU_ROOM_CAPACITY_WARNING=false), a refusal."""
    if occupants + 1 <= capacity:
        return []
    if refuse:
        raise Conflict("room_full",
                       f"房间核定居住 {capacity} 人，已有 {occupants} 人登记，不能再登记",
                       f"the room holds {capacity} and {occupants} are registered there; no one "
                       "more can be registered", field="room_id")
    return [{"code": "room_over_capacity",
             "message_zh": f"房间核定居住 {capacity} 人，登记后为 {occupants + 1} 人",
             "message_en": f"room holds {capacity}; this makes {occupants + 1}"}]


# --- person code: "one person, one code" ---------------------------------------------------
# Opaque and random (never derived from the ID number, which changes on 15→18 upgrades and
# must not leak), Crockford base-32 without I L O U, with a Luhn mod-32 check character so a
# mistyped code is caught at the counter.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PERSON_CODE_PREFIX = "P"
PERSON_CODE_BODY = 10


def _luhn_check_char(body: str) -> str:
    n, total, factor = len(ALPHABET), 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_person_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(PERSON_CODE_BODY))
    return PERSON_CODE_PREFIX + body + _luhn_check_char(body)


# byte -> alphabet letter; 256 is a multiple of 32, so every letter stays equally likely
_BYTE_TO_CHAR = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))


def new_person_codes(count: int) -> list[str]:
    """`count` codes at once for bulk loads: one read of the OS random source, not ten per code."""
    raw = secrets.token_bytes(count * PERSON_CODE_BODY).translate(_BYTE_TO_CHAR).decode("ascii")
    bodies = (raw[i:i + PERSON_CODE_BODY] for i in range(0, len(raw), PERSON_CODE_BODY))
    return [PERSON_CODE_PREFIX + body + _luhn_check_char(body) for body in bodies]


def is_valid_person_code(code: str) -> bool:
    if len(code) != 2 + PERSON_CODE_BODY or not code.startswith(PERSON_CODE_PREFIX):
        return False
    body, check = code[1:-1], code[-1]
    if any(c not in ALPHABET for c in body):
        return False
    return _luhn_check_char(body) == check


# --- residence registration -----------------------------------------------------------------
class RegistrationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ENDED = "ended"


class Reason(StrEnum):
    WORK = "work"  # 务工
    STUDY = "study"  # 就学
    STABLE_HOME = "stable_home"  # 稳定住所
    FAMILY = "family"  # 投亲
    BUSINESS = "business"  # 经商
    OTHER = "other"


REASON_ZH = {Reason.WORK: "务工", Reason.STUDY: "就学", Reason.STABLE_HOME: "稳定住所",
             Reason.FAMILY: "投亲靠友", Reason.BUSINESS: "经商", Reason.OTHER: "其他"}
STATUS_ZH = {RegistrationStatus.SUBMITTED: "待审核", RegistrationStatus.APPROVED: "已登记",
             RegistrationStatus.REJECTED: "已退回", RegistrationStatus.ENDED: "已注销"}

# How people write each value (the Chinese label first); read by `anju.core.inputs.choice`.
REASON_WORDS = {
    Reason.WORK: ("务工", "Work"), Reason.STUDY: ("就学", "Study"),
    Reason.STABLE_HOME: ("稳定住所", "Stable home", "stable home"),
    Reason.FAMILY: ("投亲靠友", "投亲", "Family"), Reason.BUSINESS: ("经商", "Business"),
    Reason.OTHER: ("其他", "其它", "Other"),
}
STATUS_WORDS = {
    RegistrationStatus.SUBMITTED: ("待审核", "Pending review", "pending"),
    RegistrationStatus.APPROVED: ("已登记", "已通过", "Registered", "Approved"),
    RegistrationStatus.REJECTED: ("已退回", "Returned", "Rejected"),
    RegistrationStatus.ENDED: ("已注销", "Ended"),
}


class Sex(StrEnum):
    """As stored: GB/T 2261.1 codes 1 (male) and 2 (female) are accepted as spellings."""

    MALE = "M"
    FEMALE = "F"


SEX_WORDS = {Sex.MALE: ("男", "1", "male", "Male", "m"),
             Sex.FEMALE: ("女", "2", "female", "Female", "f")}

ACTIVE_STATES = (RegistrationStatus.SUBMITTED, RegistrationStatus.APPROVED)

TRANSITIONS = {
    RegistrationStatus.SUBMITTED: {RegistrationStatus.APPROVED, RegistrationStatus.REJECTED,
                                   RegistrationStatus.ENDED},
    RegistrationStatus.APPROVED: {RegistrationStatus.ENDED},
    RegistrationStatus.REJECTED: set(),
    RegistrationStatus.ENDED: set(),
}


def require_transition(current: str, target: RegistrationStatus) -> None:
    if target not in TRANSITIONS[RegistrationStatus(current)]:
        raise Conflict(
            "registration_state",
            f"登记状态为“{STATUS_ZH[RegistrationStatus(current)]}”，不能变为“{STATUS_ZH[target]}”",
            f"a {current} registration cannot become {target}",
            field="status",
        )


def check_period(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise ValidationError("end_before_start", "结束日期早于开始日期",
                              "end date is before the start date", field="end_date")


PLAUSIBLE_YEARS_AHEAD = 10  # nobody names the end of a residence further ahead than this


def check_end_date(end: date | None, today: date) -> None:
    """An end of residence is a day people can name: not more than ten years ahead (9999-12-31
    means "no end", which is what leaving it empty says)."""
    if end is not None and end > _years_after(today, PLAUSIBLE_YEARS_AHEAD):
        raise ValidationError("end_date_implausible", "结束日期不合理：不能晚于今天起十年",
                              "end date is implausible: more than ten years ahead",
                              field="end_date")


def check_birth_date(born: date | None, today: date) -> None:
    """A birth date lies in the past, and not before 1880 (as GB 11643 ID numbers allow)."""
    if born is not None and not date(1880, 1, 1) <= born <= today:
        raise ValidationError("birth_date_implausible", "出生日期不合理（不能在未来或 1880 年以前）",
                              "birth date is implausible (in the future or before 1880)",
                              field="birth_date")


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def periods_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def check_start_date(start: date, today: date) -> None:
    # Registration is declared within days of moving in; far-future or ancient starts are typos.
    if (start - today).days > 30:
        raise ValidationError("start_in_future", "开始日期不能晚于今天 30 天以上",
                              "start date is more than 30 days in the future", field="start_date")
    if start.year < 1950:
        raise ValidationError("start_too_early", "开始日期不合理", "start date is implausible",
                              field="start_date")


def overlap_refusal(status: str | None = None, registration_id: int | None = None) -> Conflict:
    """One active registration at a time: the refusal of a second one for the same period. It
    names the registration in the way (its state and number) only when given them, that is to
    someone who reaches that registration; to anyone else, that there is one is all it says."""
    if status is not None and registration_id is not None:
        return Conflict(
            "registration_overlap",
            f"该人员已有一条{STATUS_ZH[RegistrationStatus(status)]}的居住登记（编号 {registration_id}），"
            "请先注销原登记",
            f"this person already has a {status} registration ({registration_id}) for that "
            "period; end it first", field="start_date")
    return Conflict("registration_overlap", "该人员在此期间已有居住登记，请先注销原登记",
                    "this person already has a registration for that period; it must be ended "
                    "first", field="start_date")


def check_registration_record(status: str, reason: str, start: date, end: date | None,
                              rejection_reason: str | None, today: date) -> None:
    """A registration recorded elsewhere (a bulk load), in any state: a known state and reason,
    plausible dates, and what each state needs (an end date when ended, a reason when returned)."""
    try:
        state, _ = RegistrationStatus(status), Reason(reason)
    except ValueError:
        raise ValidationError("registration_code", f"未知的状态或事由：{status}/{reason}",
                              f"unknown status or reason: {status}/{reason}",
                              field="status") from None
    check_start_date(start, today)
    check_period(start, end)
    check_end_date(end, today)
    if (state is RegistrationStatus.ENDED) != (end is not None):
        raise ValidationError("end_date_state", "只有已注销的登记有结束日期，且必须有",
                              "an ended registration needs an end date; only it has one",
                              field="end_date")
    if (state is RegistrationStatus.REJECTED) != bool((rejection_reason or "").strip()):
        raise ValidationError("rejection_reason_state", "退回的登记须写明原因，其他状态不填",
                              "a rejected registration needs a reason; others have none",
                              field="rejection_reason")
    if rejection_reason and len(rejection_reason) > 200:
        raise ValidationError("rejection_reason_length", "退回原因不超过200字",
                              "rejection reason is longer than 200 characters",
                              field="rejection_reason")


# --- residence permit (居住证暂行条例 第九条) -------------------------------------------------
PERMIT_MONTHS_REQUIRED = 6
PERMIT_REASONS = (Reason.WORK, Reason.STUDY, Reason.STABLE_HOME)


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(d.day, days))


@dataclass
class Eligibility:
    eligible: bool
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    eligible_from: date | None = None


@dataclass(frozen=True)
class ResidenceSpell:
    start: date
    end: date | None
    reason: str


def permit_eligibility(spells: list[ResidenceSpell], today: date) -> Eligibility:
    """Six months' continuous approved residence in the county, plus work, study or a stable home.

    `spells` are the person's approved registrations; back-to-back spells (a move between rooms)
    count as continuous.
    """
    if not spells:
        return Eligibility(False, ["尚无已登记的居住登记"], ["no approved residence registration"])
    spells = sorted(spells, key=lambda s: s.start)
    current = [s for s in spells if s.end is None or s.end >= today]
    if not current:
        return Eligibility(False, ["当前无有效居住登记"], ["no current residence registration"])
    # Walk back from the current spell while spells join up (gap of at most one day).
    chain_start = current[-1].start
    for spell in reversed(spells[:-1]):
        if spell.end is not None and (chain_start - spell.end).days <= 1:
            chain_start = min(chain_start, spell.start)
    eligible_from = add_months(chain_start, PERMIT_MONTHS_REQUIRED)
    result = Eligibility(True, eligible_from=eligible_from)
    if today < eligible_from:
        result.eligible = False
        result.reasons_zh.append(f"连续居住未满半年，{eligible_from.isoformat()} 起可申请")
        result.reasons_en.append(f"six months' residence not reached; eligible from {eligible_from}")
    if not any(s.reason in PERMIT_REASONS for s in current):
        result.eligible = False
        result.reasons_zh.append("须有合法稳定就业、合法稳定住所或连续就读之一")
        result.reasons_en.append("needs stable work, a stable home or continuous study")
    return result


def permit_number(county_code6: str, year: int, serial: int) -> str:
    """Permit number: county, year, serial and a mod-11 check digit (as in ID numbers)."""
    body = f"{county_code6}{year:04d}{serial:07d}"
    total = sum(int(c) * (i % 9 + 2) for i, c in enumerate(reversed(body)))
    return body + "0123456789X"[total % 11]


def require_permit_eligibility(spells: list[ResidenceSpell], day: date) -> None:
    """Refuse a permit to someone not eligible on `day`, saying why in both languages."""
    found = permit_eligibility(spells, day)
    if not found.eligible:
        raise Conflict("permit_not_eligible", "；".join(found.reasons_zh),
                       "; ".join(found.reasons_en), field="person_code")


def permit_valid_until(issued: date) -> date:
    """A permit is valid one year from issue (29 February: until 28 February)."""
    if issued.month == 2 and issued.day == 29:
        return date(issued.year + 1, 2, 28)
    return issued.replace(year=issued.year + 1)


def permit_county(division_code: str) -> str:
    """The county a permit is numbered in: the six-digit county of its registration's division."""
    return divisions.short_code(division_code)[:6]


def permit_serial_key(county_code6: str, year: int) -> str:
    """Serials run per county and year (the row of `PermitSerial` holding the last one)."""
    return f"{county_code6}{year}"
