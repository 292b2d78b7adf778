"""Verifying an electronic residence permit (its QR code's text, `anju.registry.epermit`).

`check` is the offline part: the signature against a public key (the county's, or one given),
then the validity dates against today. `verify` is the public page's and API's: after the offline
check, the permit is looked up, so a revoked permit, or one whose holder does not match, is
invalid, and one endorsed since its code was printed shows its current validity. Anyone may
verify; a look-up of a validly signed permit is recorded on the holder's trail (who checked my
permit), an unsigned text reads nothing and records nothing. The answer carries only what a
checker needs: valid or not and why, the permit number, the validity dates, the masked name.
"""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.core import clock, signing
from anju.core.access import Access
from anju.core.policy import Actor, Role
from anju.registry import epermit, reads

VERIFIER = Actor(account_id=None, username="public:permit-verify", role=Role.SYSTEM,
                 division_code="000000000000")
MAX_PAYLOAD = 2000

REASONS = {  # reason → (zh, en)
    "valid": ("电子居住证有效", "the electronic permit is valid"),
    "malformed": ("不是安居电子居住证二维码内容", "not the text of an Anju electronic permit"),
    "bad_signature": ("签名验证失败：内容被篡改或不是本县签发",
                      "the signature does not hold: altered, or not issued by this county"),
    "not_yet_valid": ("尚未到有效期起始日", "not valid yet"),
    "lapsed": ("已过有效期", "the permit has lapsed"),
    "revoked": ("居住证已注销", "the permit was revoked"),
    "unknown": ("本县无此居住证记录", "this county holds no such permit"),
}


class VerifyOut(BaseModel):
    valid: bool
    reason: str
    reason_zh: str
    reason_en: str
    permit_number: str | None = None
    holder: str | None = None  # the masked name the code carries
    valid_from: date | None = None
    valid_until: date | None = None


def _out(reason: str, facts: dict | None = None, valid_until: date | None = None) -> VerifyOut:
    zh, en = REASONS[reason]
    shown = {}
    if facts:
        shown = {"permit_number": facts["permit_number"], "holder": facts["holder"],
                 "valid_from": date.fromisoformat(facts["valid_from"]),
                 "valid_until": valid_until or date.fromisoformat(facts["valid_until"])}
    return VerifyOut(valid=reason == "valid", reason=reason, reason_zh=zh, reason_en=en, **shown)


def check(payload: str, key: signing.PublicKey | None = None,
          today: date | None = None) -> tuple[VerifyOut, epermit.Reading]:
    """Offline: the signature against `key` (this installation's by default), then the dates."""
    reading = epermit.read((payload or "")[:MAX_PAYLOAD], key or signing.public_key)
    if not reading.signed:
        return _out(reading.reason), reading
    today = today or clock.today()
    if reading.day("valid_from") > today:
        return _out("not_yet_valid", reading.facts), reading
    if reading.day("valid_until") < today:
        return _out("lapsed", reading.facts), reading
    return _out("valid", reading.facts), reading


def verify(session: Session, payload: str) -> VerifyOut:
    """The public check: offline first, then the permit as the registry holds it now."""
    result, reading = check(payload)
    if not reading.signed:
        return result
    facts, today = reading.facts, clock.today()
    state = reads.permit_state(session, facts["permit_number"])
    if state is None or state.person_code != facts["person_code"]:
        return _out("unknown", facts)
    Access(session, VERIFIER).touch(P.PERMIT_VERIFY, person_code=state.person_code,
                                    kind="permit", object_id=state.permit_number,
                                    purpose=P.PERMIT_CHECK)
    if state.status != "valid":
        return _out("revoked", facts)
    if state.valid_until < today:  # the registry's date rules: an endorsement moves it later
        return _out("lapsed", facts, state.valid_until)
    if reading.day("valid_from") > today:
        return result
    return _out("valid", facts, state.valid_until)
