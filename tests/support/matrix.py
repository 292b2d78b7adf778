"""The permission-matrix runner shared by every domain's test_permissions.py.

A matrix maps an operation to one "inside/outside" cell per role. Outcomes: "ok"; "empty" (the
role may, but a search finds nothing within reach); "403" (the role may never); "404" (outside
its reach, so it looks missing); "-" (not applicable). Each cell runs in its own transaction,
rolled back afterwards, and checks the audit rule too: a permitted touch leaves an entry; a
refused one leaves no entry of a touch, but an attempt entry ("refused") that the unit of work
writes after its rollback — the runner rolls back and runs the same failure hooks to see it.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from anju.core import audit
from anju.core.db import run_failure_hooks
from anju.core.errors import AnjuError, Forbidden, NotFound
from anju.core.models import AuditEntry


def outcome(fn: Callable[[], object], is_empty: Callable[[object], bool] = lambda r: r == []) -> str:
    try:
        result = fn()
    except Forbidden:
        return "403"
    except NotFound:
        return "404"
    except AnjuError:  # a domain refusal means the policy let the call through
        return "ok"
    return "empty" if is_empty(result) else "ok"


def _new_entries(session, after_id: int) -> list[AuditEntry]:
    session.flush()
    return list(session.execute(select(AuditEntry).where(AuditEntry.id > after_id)).scalars())


def mismatches(db, matrix: dict[str, tuple[str, ...]], roles: list[str], role: str,
               make_actor: Callable[[str, bool], object],
               call: Callable[[str, object, object, bool], object],
               unaudited: set[str] = frozenset(), audit_optional: set[str] = frozenset(),
               is_empty: Callable[[object], bool] = lambda r: r == []) -> list[str]:
    column, found = roles.index(role), []
    for inside in (True, False):
        actor = make_actor(role, inside)
        for op, row in matrix.items():
            expected = row[column].split("/")[0 if inside else 1]
            if expected == "-":
                continue
            session = db.sessions()
            try:
                last_id = session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc())
                                          .limit(1)).scalar() or 0
                got = outcome(lambda op=op, s=session, a=actor, i=inside: call(op, s, a, i),
                              is_empty)
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
            if got == "ok" and op not in unaudited | audit_optional and not touched:
                found.append(f"{where}: succeeded without an audit entry")
            if got not in ("ok", "empty") and touched:
                found.append(f"{where}: refused but still wrote an audit entry of a touch")
            if got in ("403", "404") and not attempts:
                found.append(f"{where}: refused without an attempt entry on the audit chain")
    return found
