"""Envelopes and receipts: their shape, what a signature covers, and the checks an incoming one
must pass. Pure: no database, no network (the service passes the clock and the keys).

An envelope is `{version, message_id, sender, receiver, sent_at, type, body, signature}`; the
signature is the sender's SM2 signature over the canonical JSON of everything but itself. A
receipt is `{version, message_id, sender, receiver, received_at, digest, status, answer,
signature}`, signed by the receiver, where `digest` is SM3 of the canonical envelope received —
so a receipt proves which exact envelope arrived.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from anju.core.crypto import sm3_hex
from anju.core.errors import AnjuError, Conflict, ValidationError
from anju.core.signing import canonical

VERSION = "anju-federation/1"
TYPES = ("stats", "continuity", "arrival")
STATES = ("queued", "delivered", "failed")
_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_COUNTY = re.compile(r"^\d{6}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
FIELDS = ("version", "message_id", "sender", "receiver", "sent_at", "type", "body", "signature")


class Unauthenticated(AnjuError):
    """The sender is unknown, the signature does not hold, or the message is outside the window."""

    http_status = 401


def unsigned(document: dict) -> dict:
    """What a signature covers: the document without its signature."""
    return {k: v for k, v in document.items() if k != "signature"}


def digest(envelope: dict) -> str:
    return sm3_hex(canonical(envelope))


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("no offset")
    return at.astimezone(UTC)


def malformed(field: str, zh: str, en: str) -> ValidationError:
    return ValidationError("envelope_malformed", f"报文格式不正确：{field} {zh}",
                           f"malformed envelope: {field} {en}", field=field)


def check_shape(envelope: object, receiver: str) -> dict:
    """The envelope's fields, each checked; 422 naming the first field at fault."""
    if not isinstance(envelope, dict):
        raise malformed("envelope", "须为 JSON 对象", "must be a JSON object")
    if not isinstance(envelope.get("signature"), str) or not envelope["signature"]:
        # unsigned is unauthenticated before it is malformed
        raise Unauthenticated("signature_missing", "报文没有签名", "the message is not signed",
                              field="signature")
    for name in FIELDS:
        if name not in envelope:
            raise malformed(name, "缺失", "is missing")
    extra = sorted(set(envelope) - set(FIELDS))
    if extra:
        raise malformed(extra[0], "不是报文字段", "is not an envelope field")
    if envelope["version"] != VERSION:
        raise malformed("version", f"须为 {VERSION}", f"must be {VERSION}")
    if not isinstance(envelope["message_id"], str) or not _ID.match(envelope["message_id"]):
        raise malformed("message_id", "须为 8–64 位字母、数字或连字符",
                        "must be 8-64 letters, digits or hyphens")
    for name in ("sender", "receiver"):
        if not isinstance(envelope[name], str) or not _COUNTY.match(envelope[name]):
            raise malformed(name, "须为 6 位县级行政区划代码", "must be a 6-digit county code")
    if envelope["receiver"] != receiver:
        raise malformed("receiver", "不是本县", "is not this installation")
    try:
        parse_stamp(envelope["sent_at"])
    except (TypeError, ValueError, AttributeError):
        raise malformed("sent_at", "须为带时区的 ISO 8601 时间",
                        "must be an ISO 8601 time with its offset") from None
    if envelope["type"] not in TYPES:
        raise malformed("type", f"须为 {'、'.join(TYPES)} 之一", f"must be one of {', '.join(TYPES)}")
    if not isinstance(envelope["body"], dict):
        raise malformed("body", "须为 JSON 对象", "must be a JSON object")
    if not isinstance(envelope["signature"], str) or len(envelope["signature"]) > 200:
        raise malformed("signature", "须为字符串", "must be a string")
    return envelope


def check_window(envelope: dict, now: datetime, window_seconds: int) -> None:
    sent = parse_stamp(envelope["sent_at"])
    if abs(now - sent) > timedelta(seconds=window_seconds):
        raise Unauthenticated("message_stale",
                              f"报文时间 {envelope['sent_at']} 超出允许的 {window_seconds} 秒时间窗",
                              f"the message time {envelope['sent_at']} is outside the "
                              f"{window_seconds}-second window", field="sent_at")


def unknown_peer(sender: object) -> Unauthenticated:
    return Unauthenticated("peer_unknown", f"发送方 {sender} 不是本县的互联县",
                           f"the sender {sender} is not a peer of this installation",
                           field="sender")


def bad_signature() -> Unauthenticated:
    return Unauthenticated("signature_invalid", "签名验证失败", "the signature does not verify",
                           field="signature")


def replay(message_id: str) -> Conflict:
    return Conflict("message_replayed", f"报文 {message_id} 已收到过（重放）",
                    f"message {message_id} was received before (replay)", field="message_id")


# --- the bodies -------------------------------------------------------------------------------
def check_body(kind: str, body: dict) -> dict:
    """Each type's body, checked: 422 naming the field (body.<name>)."""
    if kind == "stats":
        if not isinstance(body.get("month"), str) or not _MONTH.match(body["month"]):
            raise malformed("body.month", "须为 YYYY-MM", "must be YYYY-MM")
        cells = body.get("cells")
        if not isinstance(cells, list):
            raise malformed("body.cells", "须为列表", "must be a list")
        for cell in cells:
            if not isinstance(cell, dict) or not {"origin", "destination"} <= set(cell):
                raise malformed("body.cells", "每格须有 origin 与 destination",
                                "each cell needs origin and destination")
            for measure in ("arrivals", "departures", "stock"):
                value = cell.get(measure)
                if value is not None and (not isinstance(value, int) or 0 < value < 16):
                    raise malformed("body.cells", "含未发布的小数值（1–15）",
                                    "holds an unreleased small count (1-15)")
    elif kind in ("continuity", "arrival"):
        if not isinstance(body.get("link_hash"), str) or not _HASH.match(body["link_hash"]):
            raise malformed("body.link_hash", "须为 64 位十六进制", "must be 64 hex digits")
        if kind == "continuity" and not isinstance(body.get("purpose"), str):
            raise malformed("body.purpose", "缺失", "is missing")
    return body
