"""The single choke point for access: every service function asks `Access` before it touches a
person's data, and records what it did in the audit chain through it.

Authorisation is a query filter (`restrict`) or a reach check (`check`): a record outside the
actor's reach raises NotFound, so forbidden records look exactly like missing ones.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import Session

from anju.core import audit, divisions
from anju.core.errors import Forbidden, NotFound
from anju.core.policy import PURPOSES, Actor, Purpose, Role, Scope, purpose_for, scopes_for


def _not_found(what: str) -> NotFound:
    # Same answer whether the record is missing or out of reach, so nothing leaks.
    return NotFound("not_found", f"{what}不存在", "not found")


class Access:
    """What one actor may do, bound to one unit of work."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    # --- may the role do this at all? ---------------------------------------------------
    def scopes(self, action: str) -> tuple[Scope, ...]:
        scopes = scopes_for(self.actor.role, action)
        if not scopes:
            # Said without the action's code: people read this on pages too.
            raise Forbidden("forbidden", "当前角色无权执行该操作", "your role may not do this")
        return scopes

    # --- may it reach this record? ------------------------------------------------------
    def reaches(self, action: str, *, division_code: str | None = None,
                person_codes: Iterable[str | None] = (),
                landlord_code: str | None = None) -> bool:
        actor = self.actor
        for scope in self.scopes(action):
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
        if not self.reaches(action, **reach):
            raise _not_found(what)

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
        """The purpose the actor reads a person under (a person reading themselves: self-service)."""
        if person_code and person_code == self.actor.person_code:
            return PURPOSES[Role.RESIDENT]
        purpose = purpose_for(self.actor.role)
        if purpose is None:
            raise Forbidden("forbidden", "当前角色不能查看个人信息",
                            "your role may not see personal data")
        return purpose

    def record(self, *events: audit.AuditEvent) -> None:
        audit.append(self.session, self.actor, events)
