"""The single choke point for access: every service function goes through `Access` to touch a
person's data, and `Access` records the touch on the audit chain itself.

- `allow` (alias `scopes`): may the role take this action at all? (403 otherwise)
- `reaches` / `check` / `restrict`: is the record, or which rows are, within the actor's reach
  for the action — their jurisdiction, their own record, their own property, their department?
  A record out of reach raises NotFound, so forbidden records look exactly like missing ones.
- `load` / `select` (tables that declare their `Reach`) and `touch` (anything else): check the
  reach *and* append the audit entry in one call, so a service cannot read personal data
  without it being recorded; `view` returns only the fields the actor's purpose allows.

Every refusal raised here (NotFound for a record out of reach, Forbidden for an action the role
may never take) is also noted as an attempt on the audit chain — written even though the
request's own transaction rolls back (see anju.core.audit.note_refusal). The actor cannot read
the chain, so the entry reveals nothing to them; the person it names sees it in their access log.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from anju.core import audit, clock, divisions
from anju.core.crypto import mask_id_number, mask_name, mask_phone
from anju.core.errors import Forbidden, NotFound
from anju.core.permissions import ADMINISTRATION, PERSONAL_DATA
from anju.core.policy import (
    Action,
    Actor,
    Purpose,
    Role,
    Scope,
    department_code,
    purpose_for,
    scopes_for,
)


def not_found(what_zh: str = "记录", what_en: str = "record", field: str | None = None) -> NotFound:
    """The one "not found": the same answer whether the record is missing or out of reach."""
    return NotFound("not_found", f"{what_zh}不存在", f"{what_en} not found", field=field)


_not_found = not_found


@dataclass(frozen=True)
class Reach:
    """Which columns of a table decide who reaches a row, and how the audit log names it.
    Declared on a model as `__reach__ = Reach(...)`; `Access.load` and `Access.select` read it."""

    kind: str  # the audit log's object type ("registration", "ekey")
    division: str | None = None  # a canonical division code column
    person: str | None = None  # the person the row is about (audited against them)
    landlord: str | None = None  # the landlord's person code, for own-property reach
    # the column (or columns) holding a department's code, for own-department reach
    department: str | tuple[str, ...] | None = None
    key: str = "id"  # the column naming the row in the audit log


class Access:
    """What one actor may do, bound to one unit of work."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    # --- refusals are attempts on the record ------------------------------------------
    def refuse(self, action: Action, error: NotFound | Forbidden, *,
               division_code: str | None = None, person_codes: Iterable[str | None] = (),
               **_) -> NotFound | Forbidden:
        """Note the refused attempt on the audit chain and hand back `error` to raise."""
        person = next((code for code in person_codes if code), None)
        audit.note_refusal(self.session, self.actor, audit.attempt_event(
            action, person, person or division_code, error.http_status))
        return error

    # --- may the role do this at all? ---------------------------------------------------
    def allow(self, action: Action, **reach) -> tuple[Scope, ...]:
        scopes = scopes_for(self.actor.role, action)
        if not scopes:
            # Said without the action's code: people read this on pages too.
            raise self.refuse(action, Forbidden(
                "forbidden", "当前角色无权执行该操作", "your role may not do this"), **reach)
        return scopes

    scopes = allow

    # --- may it reach this record? ------------------------------------------------------
    def reaches(self, action: Action, *, division_code: str | None = None,
                person_codes: Iterable[str | None] = (), landlord_code: str | None = None,
                department: str | tuple[str | None, ...] | None = None) -> bool:
        actor, person_codes = self.actor, tuple(person_codes)
        for scope in self.allow(action, division_code=division_code, person_codes=person_codes):
            if scope is Scope.GLOBAL:
                return True
            if scope in (Scope.JURISDICTION, Scope.DEPARTMENT) and division_code and \
                    division_code.startswith(divisions.significant_prefix(actor.division_code)):
                if scope is Scope.JURISDICTION or department_code(actor.department) in {
                        department_code(d) for d in (
                            department if isinstance(department, tuple) else (department,)) if d}:
                    return True
            if scope is Scope.SELF and actor.person_code and actor.person_code in person_codes:
                return True
            if scope is Scope.OWN_PROPERTY and actor.person_code and \
                    landlord_code == actor.person_code:
                return True
        return False

    def check(self, action: Action, what: str = "记录", **reach) -> None:
        """Raise NotFound unless the actor reaches the record (noting the refused attempt)."""
        reach["person_codes"] = tuple(reach.get("person_codes", ()))
        if not self.reaches(action, **reach):
            raise self.refuse(action, not_found(what), **reach)

    def restrict(self, action: Action, *, division_col=None, person_col=None,
                 landlord_col=None, department_col=None) -> ColumnElement[bool]:
        """A WHERE clause selecting only the rows this actor reaches for `action`."""
        actor, clauses = self.actor, []
        scopes = self.allow(action)  # refused first: the system actor has no jurisdiction
        if Scope.GLOBAL in scopes:
            return true()
        prefix = divisions.significant_prefix(actor.division_code)
        for scope in scopes:
            if scope is Scope.JURISDICTION and division_col is not None:
                clauses.append(division_col.like(prefix + "%"))
            if scope is Scope.DEPARTMENT and department_col is not None and actor.department:
                # one column, or several (a case is its department's, and its provider's)
                columns = department_col if isinstance(department_col, tuple) else (department_col,)
                clause = or_(*(c == department_code(actor.department) for c in columns))
                if division_col is not None:
                    clause = clause & division_col.like(prefix + "%")
                clauses.append(clause)
            if scope is Scope.SELF and person_col is not None and actor.person_code:
                clauses.append(person_col == actor.person_code)
            if scope is Scope.OWN_PROPERTY and landlord_col is not None and actor.person_code:
                clauses.append(landlord_col == actor.person_code)
        return or_(*clauses) if clauses else false()

    # --- reads that record themselves ---------------------------------------------------
    def touch(self, action: Action, *, person_code: str | None, kind: str,
              object_id: str | None, what: str = "记录", purpose: Purpose | None = None,
              detail: dict | None = None, own: bool = False, **reach) -> Purpose | None:
        """Check the actor reaches the record (NotFound otherwise) and record the touch on the
        audit chain — not a person's touch of their own record, unless `own` says that one is
        kept on the trail too (a person reading their own registry record). Returns the purpose
        the record is read under (the actor's reading purpose unless one is given), to shape
        the answer."""
        person_codes = tuple(reach.pop("person_codes", ())) or (person_code,)
        self.check(action, what, person_codes=person_codes, **reach)
        if purpose is None and person_code:
            purpose = self.purpose(person_code)
        if own or person_code != self.actor.person_code or person_code is None:
            self.record(audit.AuditEvent(action, purpose or self._any_purpose(), person_code,
                                         kind, object_id, detail))
        return purpose

    def load(self, action: Action, model, *where, what: str = "记录", lock: bool = False,
             purpose: Purpose | None = None, detail: dict | None = None):
        """The one row of `model` matching `where`, if the actor reaches it for `action`;
        recorded on the audit chain against the person it is about. Missing or out of reach:
        NotFound, the same answer."""
        reach: Reach = model.__reach__
        query = select(model).where(*where)
        row = self.session.execute(query.with_for_update() if lock else query).scalar()
        if row is None:
            self.allow(action)
            raise self.refuse(action, not_found(what))
        self.touch(action, what=what, purpose=purpose, detail=detail, **self._reach_of(reach, row))
        return row

    def select(self, action: Action, query: Select | type, *where, model=None,
               detail: dict | None = None) -> list:
        """The rows the actor reaches for `action` (a model, or a select whose first entity is
        one), each recorded on the audit chain against the person it is about (a person's own
        rows are not)."""
        if isinstance(query, type):
            model, query = query, select(query)
        model = model or query.column_descriptions[0]["entity"]
        reach: Reach = model.__reach__
        rows = self.session.execute(query.where(self.restrict_model(action, model), *where)).all()
        events = []
        for row in rows:
            record = row[0]
            person = getattr(record, reach.person) if reach.person else None
            if person and person == self.actor.person_code:
                continue
            purpose = self.purpose(person) if person else self._any_purpose()
            events.append(audit.AuditEvent(action, purpose, person, reach.kind,
                                           str(getattr(record, reach.key)),
                                           {"listing": True} | (detail or {})))
        self.record(*events)
        return [row[0] if len(row) == 1 else row for row in rows]

    def restrict_model(self, action: Action, model) -> ColumnElement[bool]:
        reach: Reach = model.__reach__

        def column(name):
            if isinstance(name, tuple):
                return tuple(getattr(model, n) for n in name)
            return getattr(model, name) if name else None

        return self.restrict(action, division_col=column(reach.division),
                             person_col=column(reach.person),
                             landlord_col=column(reach.landlord),
                             department_col=column(reach.department))

    @staticmethod
    def _reach_of(reach: Reach, row) -> dict:
        def value(name):
            if isinstance(name, tuple):
                return tuple(getattr(row, n) for n in name)
            return getattr(row, name) if name else None

        person = value(reach.person)
        return {"person_code": person, "kind": reach.kind, "object_id": str(value(reach.key)),
                "division_code": value(reach.division), "person_codes": (person,),
                "landlord_code": value(reach.landlord), "department": value(reach.department)}

    def _any_purpose(self) -> Purpose:
        # a record about no person (a vendor, a county setting): the actor's purpose if they
        # have one, else the record names none of anyone's data
        return purpose_for(self.actor.role, self.actor.department) or ADMINISTRATION

    # --- purpose and fields -------------------------------------------------------------
    def purpose(self, person_code: str | None = None) -> Purpose:
        """The purpose the actor reads a person under (a person reading themselves: self-service;
        a department officer: their department's)."""
        if person_code and person_code == self.actor.person_code:
            return purpose_for(Role.RESIDENT)
        purpose = purpose_for(self.actor.role, self.actor.department)
        if purpose is None:
            raise self.refuse(PERSONAL_DATA, Forbidden("forbidden", "当前角色不能查看个人信息",
                                                       "your role may not see personal data"),
                              person_codes=[person_code])
        return purpose

    def view(self, values: Mapping[str, object], person_code: str | None = None, *,
             masked: bool = False) -> dict:
        """Exactly the fields of `values` the actor's purpose for this person allows."""
        return shown(self.purpose(person_code), values, masked=masked)

    def serves(self, birth_date: date | str | None, person_code: str | None = None) -> bool:
        """Whether a person of this birth date lies within the actor's purpose (education serves
        minors only); a person outside it must look missing."""
        purpose = self.purpose(person_code)
        return not purpose.minors_only or is_minor(birth_date, clock.today())

    def check_serves(self, birth_date: date | str | None, person_code: str | None = None,
                     what: str = "人员", action: Action = PERSONAL_DATA) -> None:
        if not self.serves(birth_date, person_code):
            raise self.refuse(action, not_found(what), person_codes=[person_code])

    def serves_clause(self, birth_col, person_col=None) -> ColumnElement[bool]:
        """`serves` as a WHERE clause over a person's birth-date column."""
        purpose = self.purpose()
        if not purpose.minors_only:
            return true()
        clause = birth_col > adult_born_by(clock.today())
        if person_col is not None and self.actor.person_code:
            clause = or_(clause, person_col == self.actor.person_code)
        return clause

    # --- writes -------------------------------------------------------------------------
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

