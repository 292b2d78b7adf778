"""The single choke point for access: every service function asks `Access` before it touches a
person's data, and records what it did in the audit chain through it.

Authorisation is a query filter (`restrict`) or a reach check (`check`): a record outside the
actor's reach raises NotFound, so forbidden records look exactly like missing ones. Every refusal
raised here (NotFound for a record out of reach, Forbidden for an action the role may never
take) is also noted as an attempt on the audit chain — written even though the request's own
transaction rolls back (see anju.core.audit.note_refusal). The actor cannot read the chain, so
the entry reveals nothing to them; the person it names sees it in their access log.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import Session

from anju.core import audit, clock, divisions
from anju.core.crypto import mask_id_number, mask_name, mask_phone
from anju.core.errors import Forbidden, NotFound
from anju.core.policy import (
    PERSON_READ,
    ROLE_PURPOSES,
    Actor,
    Purpose,
    Role,
    Scope,
    purpose_for,
    scopes_for,
)


def _not_found(what: str) -> NotFound:
    # Same answer whether the record is missing or out of reach, so nothing leaks.
    return NotFound("not_found", f"{what}不存在", "not found")


class Access:
    """What one actor may do, bound to one unit of work."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    # --- refusals are attempts on the record ------------------------------------------
    def refuse(self, action: str, error: NotFound | Forbidden, *, division_code: str | None = None,
               person_codes: Iterable[str | None] = (), **_) -> NotFound | Forbidden:
        """Note the refused attempt on the audit chain and hand back `error` to raise."""
        person = next((code for code in person_codes if code), None)
        audit.note_refusal(self.session, self.actor, audit.attempt_event(
            action, person, person or division_code, error.http_status))
        return error

    # --- may the role do this at all? ---------------------------------------------------
    def scopes(self, action: str, **reach) -> tuple[Scope, ...]:
        scopes = scopes_for(self.actor.role, action)
        if not scopes:
            # Said without the action's code: people read this on pages too.
            raise self.refuse(action, Forbidden(
                "forbidden", "当前角色无权执行该操作", "your role may not do this"), **reach)
        return scopes

    # --- may it reach this record? ------------------------------------------------------
    def reaches(self, action: str, *, division_code: str | None = None,
                person_codes: Iterable[str | None] = (),
                landlord_code: str | None = None) -> bool:
        actor, person_codes = self.actor, tuple(person_codes)
        for scope in self.scopes(action, division_code=division_code, person_codes=person_codes):
            if scope is Scope.GLOBAL:
                return True
            if scope is Scope.JURISDICTION and division_code and \
                    division_code.startswith(divisions.significant_prefix(actor.division_code)):
                return True
            if scope is Scope.SELF and actor.person_code and actor.person_code in set(person_codes):
                return True
            if scope is Scope.OWN_PROPERTY and actor.person_code and landlord_code == actor.person_code:
                return True
        return False

    def check(self, action: str, what: str = "记录", **reach) -> None:
        """Raise NotFound unless the actor reaches the record."""
        reach["person_codes"] = tuple(reach.get("person_codes", ()))
        if not self.reaches(action, **reach):
            raise self.refuse(action, _not_found(what), **reach)

    def restrict(self, action: str, *, division_col=None, person_col=None,
                 landlord_col=None) -> ColumnElement[bool]:
        """A WHERE clause selecting only the rows this actor reaches for `action`."""
        actor, clauses = self.actor, []
        for scope in self.scopes(action):
            if scope is Scope.GLOBAL:
                return or_(True)
            if scope is Scope.JURISDICTION and division_col is not None:
                clauses.append(division_col.like(divisions.significant_prefix(actor.division_code) + "%"))
            if scope is Scope.SELF and person_col is not None and actor.person_code:
                clauses.append(person_col == actor.person_code)
            if scope is Scope.OWN_PROPERTY and landlord_col is not None and actor.person_code:
                clauses.append(landlord_col == actor.person_code)
        return or_(*clauses) if clauses else false()

    # --- purpose and audit --------------------------------------------------------------
    def purpose(self, person_code: str | None = None) -> Purpose:
        """The purpose the actor reads a person under (a person reading themselves: self-service;
        a department officer: their department's)."""
        if person_code and person_code == self.actor.person_code:
            return ROLE_PURPOSES[Role.RESIDENT]
        purpose = purpose_for(self.actor.role, self.actor.department)
        if purpose is None:
            raise self.refuse(PERSON_READ, Forbidden("forbidden", "当前角色不能查看个人信息",
                                                     "your role may not see personal data"),
                              person_codes=[person_code])
        return purpose

    def serves(self, birth_date: date | str | None, person_code: str | None = None) -> bool:
        """Whether a person of this birth date lies within the actor's purpose (education serves
        minors only); a person outside it must look missing."""
        purpose = self.purpose(person_code)
        return not purpose.minors_only or is_minor(birth_date, clock.today())

    def check_serves(self, birth_date: date | str | None, person_code: str | None = None,
                     what: str = "人员") -> None:
        if not self.serves(birth_date, person_code):
            raise _not_found(what)

    def serves_clause(self, birth_col, person_col=None) -> ColumnElement[bool]:
        """`serves` as a WHERE clause over a person's birth-date column."""
        purpose = self.purpose()
        if not purpose.minors_only:
            return true()
        clause = birth_col > adult_born_by(clock.today())
        if person_col is not None and self.actor.person_code:
            clause = or_(clause, person_col == self.actor.person_code)
        return clause

    def record(self, *events: audit.AuditEvent) -> None:
        audit.append(self.session, self.actor, events)

    def record_refusal(self, *events: audit.AuditEvent, status: int = 422,
                       reason: str | None = None) -> None:
        """Audit refused attempts (a domain refusal such as a name that does not match): kept
        even though the refusal rolls the unit of work back."""
        for event in events:
            audit.note_refusal(self.session, self.actor, audit.as_attempt(event, status, reason))


# --- the one field filter -------------------------------------------------------------------------
def shown(purpose: Purpose, values: Mapping[str, object], *, masked: bool = False) -> dict:
    """Of a record's `values` (field vocabulary of anju.core.policy → value), exactly those the
    purpose lists, the ID number and phone masked unless the purpose needs them whole. `masked`
    masks names, ID numbers and phones whatever the purpose (search results, queues). A value may
    be a zero-argument callable, called only when the field is shown (decrypting costs)."""
    out: dict = {}
    for field in purpose.fields:
        if field not in values:
            continue
        value = values[field]
        if callable(value):
            value = value()
        if isinstance(value, str) and value:
            if field == "id_number" and (masked or not purpose.id_whole):
                value = mask_id_number(value)
            elif field == "phone" and (masked or not purpose.phone_whole):
                value = mask_phone(value)
            elif field == "name" and masked:
                value = mask_name(value)
        out[field] = value
    return out


def adult_born_by(today: date) -> date:
    """The latest birth date of someone who is 18 or older on `today`."""
    year = today.year - 18
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    return date(year, today.month, day)


def is_minor(birth_date: date | str | None, today: date) -> bool:
    """Under 18 on `today` (an unknown birth date is not a minor)."""
    if not birth_date:
        return False
    if isinstance(birth_date, str):
        try:
            birth_date = date.fromisoformat(birth_date)
        except ValueError:
            return False
    return birth_date > adult_born_by(today)
