"""The permission-matrix runner shared by every domain's test_permissions.py.

A matrix maps an operation to one "inside/outside" cell per role. Outcomes: "ok"; "empty" (the
role may, but a search finds nothing within reach); "403" (the role may never); "404" (outside
its reach, so it looks missing); "-" (not applicable); or an error code (a refusal the cell
names, e.g. "name_id_mismatch"). Each cell runs in its own transaction, rolled back afterwards,
and checks the audit rule too: a permitted touch leaves an entry; a refused one leaves no entry
of a touch, but an attempt entry ("refused") that the unit of work writes after its rollback —
the runner rolls back and runs the same failure hooks to see it.

`passed` names, per op, the domain refusals that mean the policy let the call through (e.g.
"permit_not_eligible" after a permit issue passed the policy); any other error fails the cell.
`composite` ops write a first step before the one the cell is about (submit someone, then try to
read them): their first step's audit entry does not count against a refusal.
`fields` (optional) gives the exact set of fields an "ok" answer carries for (op, role, inside):
every returned record (each item of a list) must hold exactly those non-null fields, so a
purpose that leaks a field, or loses one, fails its cell.
"""
from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel
from sqlalchemy import select

from anju.core import audit
from anju.core.db import run_failure_hooks
from anju.core.errors import AnjuError, Forbidden, NotFound
from anju.core.models import AuditRecord

STANDARD = {"ok", "empty", "403", "404", "-"}


def outcome(fn: Callable[[], object], is_empty: Callable[[object], bool] = lambda r: r == [],
            codes: frozenset[str] = frozenset(), passed: frozenset[str] = frozenset()) -> str:
    return _attempt(fn, is_empty, codes, passed)[0]


def _attempt(fn, is_empty, codes, passed=frozenset()) -> tuple[str, object]:
    """The cell's outcome. A domain refusal counts as "ok" (the policy let the call through)
    only when the matrix says that refusal is expected for the op (`passed`); any other is an
    unexpected error and fails the cell ("error:<code>")."""
    try:
        result = fn()
    except Forbidden:
        return "403", None
    except NotFound:
        return "404", None
    except AnjuError as error:
        if error.code in codes:
            return error.code, None
        return ("ok" if error.code in passed else f"error:{error.code}"), None
    return ("empty" if is_empty(result) else "ok"), result


def returned_fields(record) -> frozenset[str]:
    """The fields of one returned record: a model's non-null ones (the routes leave out nulls),
    a dict's keys (shared records carry every field of their purpose, null when unknown)."""
    if isinstance(record, BaseModel):
        return frozenset(record.model_dump(exclude_none=True))
    return frozenset(record)


def _records(result) -> list:
    return result if isinstance(result, list) else [result]


def _new_entries(session, after_id: int) -> list[AuditRecord]:
    session.flush()
    return list(session.execute(select(AuditRecord).where(AuditRecord.id > after_id)).scalars())


def mismatches(db, matrix: dict[str, tuple[str, ...]], roles: list[str], role: str,
               make_actor: Callable[[str, bool], object],
               call: Callable[[str, object, object, bool], object],
               unaudited: set[str] = frozenset(), audit_optional: set[str] = frozenset(),
               is_empty: Callable[[object], bool] = lambda r: r == [],
               fields: Callable[[str, str, bool], frozenset[str] | None] | None = None,
               records: Callable[[str, object], list] = lambda op, result: _records(result),
               composite: set[str] = frozenset(),
               passed: dict[str, set[str]] | None = None) -> list[str]:
    column, found = roles.index(role), []
    codes = frozenset(c for row in matrix.values() for cell in row for c in cell.split("/")
                      if c not in STANDARD)
    for inside in (True, False):
        actor = make_actor(role, inside)
        for op, row in matrix.items():
            expected = row[column].split("/")[0 if inside else 1]
            if expected == "-":
                continue
            session = db.sessions()
            try:
                last_id = session.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc())
                                          .limit(1)).scalar() or 0
                got, result = _attempt(
                    lambda op=op, s=session, a=actor, i=inside: call(op, s, a, i), is_empty, codes,
                    frozenset((passed or {}).get(op, ())))
                touched = [e for e in _new_entries(session, last_id) if not audit.is_attempt(e)]
                session.rollback()  # as the unit of work does when the request fails
                run_failure_hooks(session, commit=False)
                attempts = [e for e in _new_entries(session, last_id) if audit.is_attempt(e)]
            finally:
                session.rollback()
                session.close()
            where = f"{role} {op} {'inside' if inside else 'outside'}"
            if got != expected:
                found.append(f"{where}: expected {expected}, got {got}")
            want = fields(op, role, inside) if fields and got == "ok" and result is not None \
                else None
            for record in records(op, result) if want is not None else []:
                have = returned_fields(record)
                if have != want:
                    found.append(f"{where}: fields {sorted(have)}, expected {sorted(want)} "
                                 f"(extra {sorted(have - want)}, missing {sorted(want - have)})")
                    break
            if got == "ok" and op not in unaudited | audit_optional and not touched:
                found.append(f"{where}: succeeded without an audit entry")
            # a composite op writes (and audits) a first step before the step its cell is about
            if got not in ("ok", "empty") and touched and op not in composite:
                found.append(f"{where}: refused but still wrote an audit entry of a touch")
            if got in ("403", "404") and not attempts:
                found.append(f"{where}: refused without an attempt entry on the audit chain")
    return found
