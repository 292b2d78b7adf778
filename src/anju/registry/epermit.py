"""The electronic residence permit: what its QR code encodes, signed with the installation's SM2
key (`anju.core.signing`), and reading such a text back.

The text is `ANJU-RP1.<facts>.<signature>`: the facts (permit number, person code, validity,
the holder's masked name) as base64url of their canonical JSON, and the SM2 signature over
those facts. Anyone holding the county's public key can check it offline; only what a checker
needs is in it — never the ID number, the full name or an address.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from anju.core import signing
from anju.core.crypto import mask_name

PREFIX = "ANJU-RP1"
FACTS = ("permit_number", "person_code", "valid_from", "valid_until", "holder")


def facts_of(permit, name: str | None) -> dict:
    """The facts a permit row (anything with the permit's columns) puts in its QR code."""
    return {"permit_number": permit.permit_number, "person_code": permit.person_code,
            "valid_from": permit.issued_on.isoformat(),
            "valid_until": permit.valid_until.isoformat(), "holder": mask_name(name)}


def sign(facts: dict, key: signing.KeyPair | None = None) -> str:
    key = key or signing.installation_key()
    body = base64.urlsafe_b64encode(signing.canonical(facts)).decode("ascii").rstrip("=")
    return f"{PREFIX}.{body}.{key.sign(facts)}"


@dataclass(frozen=True)
class Reading:
    """A payload read back: `facts` only when the signature holds (else `reason` says why)."""

    facts: dict | None
    reason: str | None = None  # malformed | bad_signature

    @property
    def signed(self) -> bool:
        return self.facts is not None

    def day(self, name: str) -> date:
        return date.fromisoformat(self.facts[name])


def read(text: str, key: signing.PublicKey | Callable[[], signing.PublicKey]) -> Reading:
    """Check a payload's form and signature against `key` (or the function giving it, asked
    only for a payload of the right form). Nothing unsigned is returned."""
    parts = (text or "").strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return Reading(None, "malformed")
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        facts = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Reading(None, "malformed")
    if not isinstance(facts, dict) or set(facts) != set(FACTS) or \
            not all(isinstance(facts[k], str) for k in FACTS):
        return Reading(None, "malformed")
    key = key() if callable(key) else key
    # the signature covers the canonical form; a payload re-encoded any other way is refused
    if signing.canonical(facts) != raw or not key.verify(facts, parts[2]):
        return Reading(None, "bad_signature")
    try:
        date.fromisoformat(facts["valid_from"]), date.fromisoformat(facts["valid_until"])
    except ValueError:
        return Reading(None, "malformed")
    return Reading(facts)
