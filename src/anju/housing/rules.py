"""Pure housing rules: key states, the county housing policy, lock-event batches and their
signatures, task kinds and outcomes, fees and exemptions. No I/O."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from anju.core import clock
from anju.core.errors import ValidationError

# --- e-keys ----------------------------------------------------------------------------------
KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class KeyKind(StrEnum):
    TENANT = "tenant"  # issued on an approved registration
    PROVISIONAL = "provisional"  # short key while approval is pending (county policy)


class KeyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"  # never stored: an active key past its valid_until


class RevokeReason(StrEnum):
    REGISTRATION_ENDED = "registration_ended"
    REGISTRATION_REJECTED = "registration_rejected"
    PERMIT_EXPIRED = "permit_expired"
    LANDLORD = "landlord"
    POLICE = "police"
    REPLACED = "replaced"  # a provisional key superseded by the tenant key


REVOKE_REASON_ZH = {
    RevokeReason.REGISTRATION_ENDED: "居住登记已注销", RevokeReason.REGISTRATION_REJECTED: "居住登记未通过",
    RevokeReason.PERMIT_EXPIRED: "居住证已过期", RevokeReason.LANDLORD: "房东收回",
    RevokeReason.POLICE: "派出所收回", RevokeReason.REPLACED: "已换发正式钥匙",
}


def new_key_id() -> str:
    """Opaque random key id ("K" + 15 Crockford base-32 characters); reveals nothing."""
    return "K" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(15))


def key_status(stored: str, valid_until: date | None, today: date) -> KeyStatus:
    if stored == KeyStatus.REVOKED:
        return KeyStatus.REVOKED
    if valid_until is not None and valid_until < today:
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


# --- the county's housing policy ---------------------------------------------------------------
@dataclass(frozen=True)
class CountyPolicy:
    monthly_fee_fen: int | None = None  # service fee per active tenancy and month; None: not set
    provisional_key_days: int = 0  # 0: no key before approval (the default)
    silent_days: int = 14  # an active key silent this long raises a suspected move-out
    unregistered_days: int = 7  # days of use in two weeks that make a key "in regular use"
    reminder_days: int = 30  # permits expiring within this many days raise a reminder
    permit_grace_days: int = 30  # keys of a person whose permit lapsed this long ago are revoked

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {"monthly_fee_fen": (0, 100_000), "provisional_key_days": (0, 30),
              "silent_days": (3, 90), "unregistered_days": (2, 14), "reminder_days": (1, 90),
              "permit_grace_days": (0, 180)}

    def with_changes(self, **changes) -> CountyPolicy:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in changes.items():
            if value is None:
                continue
            low, high = self.LIMITS[name]
            if not low <= value <= high:
                raise ValidationError("policy_out_of_range", f"{name} 应在 {low}–{high} 之间",
                                      f"{name} must be between {low} and {high}", field=name)
            values[name] = value
        return CountyPolicy(**values)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def parse_yuan(text: str) -> int:
    """"15", "15.5", "15.50" → fen; refuses negatives and more than two decimals."""
    raw = text.strip().removeprefix("¥").removesuffix("元")
    whole, _, part = raw.partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
        raise ValidationError("amount_format", "金额格式应为 12.50", "amount must look like 12.50",
                              field="amount")
    return int(whole) * 100 + int((part or "0").ljust(2, "0"))


# --- lock-event batches --------------------------------------------------------------------------
MAX_BATCH = 50_000
MAX_ID = 64
EVENT_KINDS = frozenset({"open", "close", "battery_low", "tamper"})
PRESENCE_KINDS = ("open",)  # only opens count towards presence
# China Standard Time (anju.core.clock.CST) as a plain offset, for the vectorised day arithmetic
# on event times: no daylight saving since 1991, and events are never older than a few days.
CST_OFFSET = 8 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
FUTURE_TOLERANCE_S = 3600  # a device clock may run an hour fast; more is a malformed event


class BatchError(ValidationError):
    """A bad batch: names the event index and the reason; nothing of the batch is stored."""

    def __init__(self, index: int | None, field: str, code: str, zh: str, en: str):
        where_zh = f"第 {index} 条事件：" if index is not None else ""
        where_en = f"event {index}: " if index is not None else ""
        loc = f"events.{index}.{field}" if index is not None else field
        super().__init__(code, where_zh + zh, where_en + en, field=loc)
        self.index = index


def signature(secret: str, body: bytes) -> str:
    """The vendor's signature: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(signature(secret, body), given.strip().lower())


def envelope(data: object) -> tuple[str, list]:
    """The batch's vendor and events list, or a BatchError."""
    if not isinstance(data, dict):
        raise BatchError(None, "body", "batch_malformed", "请求体应为 JSON 对象",
                         "the body must be a JSON object")
    vendor, events = data.get("vendor"), data.get("events")
    if not isinstance(vendor, str) or not vendor:
        raise BatchError(None, "vendor", "batch_malformed", "缺少厂商名称", "vendor is missing")
    if not isinstance(events, list):
        raise BatchError(None, "events", "batch_malformed", "events 应为列表",
                         "events must be a list")
    if len(events) > MAX_BATCH:
        raise BatchError(None, "events", "batch_too_large", f"每批最多 {MAX_BATCH} 条事件",
                         f"at most {MAX_BATCH} events per batch")
    return vendor, events


def epoch_seconds(ts: object) -> float | None:
    """Seconds since the epoch from ISO 8601 (no offset: China time) or a number; None if bad."""
    if type(ts) is str:
        try:
            moment = datetime.fromisoformat(ts)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.CST)
        return moment.timestamp()
    if type(ts) in (int, float) and ts > 0:
        return float(ts)
    return None


def local_day(epoch_s: float) -> date:
    """The China-time calendar day of an instant."""
    return date.fromordinal(_EPOCH_ORDINAL + int((epoch_s + CST_OFFSET) // 86400))


def _ident(event: dict, index: int, name: str) -> str:
    value = event.get(name)
    if type(value) is not str or not value or len(value) > MAX_ID:
        raise BatchError(index, name, "event_malformed", f"{name} 应为 1–{MAX_ID} 个字符的文本",
                         f"{name} must be a string of 1–{MAX_ID} characters")
    return value


def check_event(event: object, index: int, now_s: float) -> tuple[str, str, str, float, str]:
    """(event_id, lock_id, key_id, epoch seconds, kind) of a well-formed event, else BatchError."""
    if type(event) is not dict:
        raise BatchError(index, "event", "event_malformed", "事件应为 JSON 对象",
                         "an event must be a JSON object")
    event_id = _ident(event, index, "event_id")
    lock_id = _ident(event, index, "lock_id")
    key_id = _ident(event, index, "key_id")
    kind = event.get("kind")
    if kind not in EVENT_KINDS:
        raise BatchError(index, "kind", "event_kind", f"事件类型应为 {'/'.join(sorted(EVENT_KINDS))}",
                         f"kind must be one of {', '.join(sorted(EVENT_KINDS))}")
    seconds = epoch_seconds(event.get("ts"))
    if seconds is None:
        raise BatchError(index, "ts", "event_ts", "时间应为 ISO 8601（如 2026-11-23T08:15:00+08:00）",
                         "ts must be ISO 8601 (e.g. 2026-11-23T08:15:00+08:00) or epoch seconds")
    if seconds > now_s + FUTURE_TOLERANCE_S:
        raise BatchError(index, "ts", "event_in_future", "事件时间晚于当前时间",
                         "ts lies in the future")
    return event_id, lock_id, key_id, seconds, kind


def raw_cutoff(today: date, retention_days: int) -> date:
    """Raw events of days before this are gone (and arriving ones are not stored)."""
    return today - timedelta(days=retention_days)


# --- management tasks ----------------------------------------------------------------------------
class TaskKind(StrEnum):
    SUSPECTED_MOVE_OUT = "suspected_move_out"
    UNREGISTERED_OCCUPANT = "unregistered_occupant"
    PERMIT_EXPIRING = "permit_expiring"


TASK_KIND_ZH = {TaskKind.SUSPECTED_MOVE_OUT: "疑似搬离", TaskKind.UNREGISTERED_OCCUPANT: "疑似未登记居住",
                TaskKind.PERMIT_EXPIRING: "居住证即将到期"}
TASK_KIND_WORDS = {
    TaskKind.SUSPECTED_MOVE_OUT: ("疑似搬离", "Suspected move-out"),
    TaskKind.UNREGISTERED_OCCUPANT: ("疑似未登记居住", "Possible unregistered occupant"),
    TaskKind.PERMIT_EXPIRING: ("居住证即将到期", "Residence permit expiring"),
}


class Outcome(StrEnum):
    """What a grid worker found on a visit."""

    MOVED_OUT = "moved_out"
    STILL_LIVING = "still_living"
    REGISTERED = "registered"
    NO_EXTRA_OCCUPANT = "no_extra_occupant"
    REMINDED = "reminded"
    NOT_NEEDED = "not_needed"


OUTCOME_WORDS = {
    Outcome.MOVED_OUT: ("已搬离", "Moved out"), Outcome.STILL_LIVING: ("仍在居住", "Still living there"),
    Outcome.REGISTERED: ("已补登记", "Occupant registered"),
    Outcome.NO_EXTRA_OCCUPANT: ("无额外居住人员", "No extra occupant"),
    Outcome.REMINDED: ("已提醒", "Reminded"), Outcome.NOT_NEEDED: ("无需提醒", "Not needed"),
}

# outcome → resulting task status; "moved_out" also ends the registration (and so the key).
OUTCOMES: dict[TaskKind, dict[str, str]] = {
    TaskKind.SUSPECTED_MOVE_OUT: {Outcome.MOVED_OUT: "resolved", Outcome.STILL_LIVING: "dismissed"},
    TaskKind.UNREGISTERED_OCCUPANT: {Outcome.REGISTERED: "resolved",
                                     Outcome.NO_EXTRA_OCCUPANT: "dismissed"},
    TaskKind.PERMIT_EXPIRING: {Outcome.REMINDED: "resolved", Outcome.NOT_NEEDED: "dismissed"},
}


def task_status_after(kind: str, outcome: str) -> str:
    allowed = OUTCOMES[TaskKind(kind)]
    if outcome not in allowed:
        zh = "、".join(OUTCOME_WORDS[Outcome(o)][0] for o in allowed)
        en = ", ".join(OUTCOME_WORDS[Outcome(o)][1].lower() for o in allowed)
        raise ValidationError("task_outcome", f"该任务的处理结果应为：{zh}",
                              f"outcome must be one of: {en}", field="outcome")
    return allowed[outcome]


# --- assisted mode -----------------------------------------------------------------------------
class ConsentMethod(StrEnum):
    PAPER_FORM = "paper_form"
    IN_PERSON = "in_person"


CONSENT_METHOD_WORDS = {
    ConsentMethod.PAPER_FORM: ("书面同意书", "书面同意", "Signed paper form", "paper form"),
    ConsentMethod.IN_PERSON: ("当面口头同意", "当面同意", "In person", "in person"),
}


# --- fees ------------------------------------------------------------------------------------------
class Exemption(StrEnum):
    DIBAO = "dibao"  # 最低生活保障
    TEKUN = "tekun"  # 特困人员供养


EXEMPTION_ZH = {Exemption.DIBAO: "低保", Exemption.TEKUN: "特困"}
_EXEMPTION_WORDS = {"低保": Exemption.DIBAO, "最低生活保障": Exemption.DIBAO, "dibao": Exemption.DIBAO,
                    "特困": Exemption.TEKUN, "特困供养": Exemption.TEKUN, "特困人员": Exemption.TEKUN,
                    "tekun": Exemption.TEKUN}


def exemption_category(text: str) -> Exemption:
    found = _EXEMPTION_WORDS.get(text.strip().lower())
    if found is None:
        raise ValidationError("exemption_category", "类别应为 低保 或 特困",
                              "category must be 低保 (dibao) or 特困 (tekun)", field="category")
    return found


def exemption_reason(category: str | None) -> tuple[str, str] | None:
    if not category:
        return None
    zh = EXEMPTION_ZH[Exemption(category)]
    return (f"{zh}对象，依民政部门名单免收服务费",
            f"exempt: listed by civil affairs as {Exemption(category).value} ({zh})")


def parse_month(text: str) -> tuple[date, date]:
    """"2026-11" → (first day, last day)."""
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationError("month_format", "月份格式应为 YYYY-MM", "month must be YYYY-MM",
                              field="month") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def billable(start: date, end: date | None, month_first: date, month_last: date) -> bool:
    """A tenancy pays for a month when it covers at least half of the month's days."""
    lo, hi = max(start, month_first), min(end or month_last, month_last)
    days = (hi - lo).days + 1
    return days > 0 and days * 2 >= (month_last - month_first).days + 1
