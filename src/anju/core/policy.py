"""The one access policy: role × action × reach → allowed, and which fields a purpose sees.

Each domain declares its own part in `anju/<domain>/policy.py` — its actions and purposes (typed
values with Chinese and English labels) and the rules saying which role may do what how far —
and `merged()` puts them together once, refusing a rule that names an undeclared action or
purpose. This module holds only the vocabulary they share: roles, scopes, the acting identity,
the `Action` and `Purpose` types and the field names of a person. Pure data and functions:
`anju.core.access` applies them inside service functions, so the API, the pages, the CLI and the
jobs pass through the same check.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType


class Role(StrEnum):
    RESIDENT = "resident"
    LANDLORD = "landlord"
    GRID_WORKER = "grid_worker"
    POLICE = "police"
    DEPT_OFFICER = "dept_officer"
    DATA_STEWARD = "data_steward"
    ANALYST = "analyst"
    LEADER = "leader"  # a county (or township) leader: released aggregates of the jurisdiction
    AUDITOR = "auditor"
    ADMIN = "admin"
    WINDOW_CLERK = "window_clerk"  # 综合窗口: opens cases for people, with their consent
    DEPT_SUPERVISOR = "dept_supervisor"  # a department's supervisor: overdue cases, satisfaction
    SERVICE_PROVIDER = "service_provider"  # a legal-aid station, social organisation, …
    # The platform itself: the operator's console and the scheduled jobs, each named in the
    # audit log ("system", "job:housing.daily"). No account can hold this role.
    SYSTEM = "system"


ACCOUNT_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)


class Scope(StrEnum):
    """How far an allowed action reaches."""

    JURISDICTION = "jurisdiction"  # records whose division lies in the actor's subtree
    SELF = "self"  # the actor's own person record and what hangs off it
    OWN_PROPERTY = "own_property"  # houses the actor lets, their rooms and tenants
    DEPARTMENT = "department"  # records of the actor's own department, in their jurisdiction
    AGGREGATE = "aggregate"  # released aggregates of the actor's jurisdiction, never a person
    GLOBAL = "global"  # not about a person (audit verification, accounts, county settings)


@dataclass(frozen=True)
class Actor:
    """Who is acting. Built from an account by `anju.core.identity`; never from user input."""

    account_id: int | None
    username: str
    role: Role
    division_code: str  # canonical 12-digit root of the jurisdiction
    department: str | None = None
    person_code: str | None = None
    binding_pending: bool = False  # a resident/landlord account waiting for its person binding


# --- the vocabulary: actions, purposes, fields ----------------------------------------------
class Action(str):
    """An action the policy governs and the audit log records: its code ("person.read") is the
    string itself; its labels say it to people in both languages."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str, en: str) -> Action:
        if not code or not zh or not en:
            raise ValueError(f"action {code!r} needs a code and both labels")
        action = super().__new__(cls, code)
        action.zh, action.en = zh, en
        return action

    @property
    def code(self) -> str:
        return str.__str__(self)


# The field vocabulary. A registry person holds PERSON_FIELDS; a golden record of the exchange hub
# holds GOLDEN_FIELDS. "current_address" is where the person lives: the house address and room of
# a registration, e-key, task or fee statement (registry, housing), or the address departments
# report (exchange). "division_code" is the registry's managing division (set by an approved
# registration); "current_division_code" the division of the departments' current address.
PERSON_FIELDS = (
    "person_code", "name", "id_number", "sex", "birth_date", "phone", "hukou_address",
    "hukou_division_code", "division_code", "status",
)
GOLDEN_FIELDS = (
    "person_code", "golden_id", "name", "id_number", "sex", "birth_date", "phone",
    "hukou_address", "hukou_division_code", "current_address", "current_division_code",
    "employer", "insurance", "civil_affairs", "school",
)
ADDRESS = "current_address"
FIELDS = tuple(dict.fromkeys(PERSON_FIELDS + GOLDEN_FIELDS))


@dataclass(frozen=True)
class Purpose:
    """Why personal data is touched; recorded with every audit entry. A purpose under which
    persons are *read* lists the fields it may see (`anju.core.access.shown` applies it); a
    purpose that only names why something was written lists none."""

    name: str
    zh: str
    en: str
    fields: tuple[str, ...] = ()
    id_whole: bool = False  # False: the ID number is shown masked (330522********1234)
    phone_whole: bool = True
    minors_only: bool = False  # e.g. education: adults are out of purpose and look missing

    def __post_init__(self) -> None:
        if not self.name or not self.zh or not self.en:
            raise ValueError(f"purpose {self.name!r} needs a name and both labels")
        unknown = set(self.fields) - set(FIELDS)
        if self.fields and (unknown or "person_code" not in self.fields):
            # every view names whom it is about
            raise ValueError(f"purpose {self.name}: unknown fields {sorted(unknown)} or no "
                             "person_code")

    @property
    def reads_persons(self) -> bool:
        return bool(self.fields)


# --- one policy, merged from every domain's part ---------------------------------------------
Rules = Mapping[Role, Mapping[Action, tuple[Scope, ...]]]


class PolicyError(Exception):
    """A domain's policy names something no domain declares (found when the policy is merged)."""


@dataclass(frozen=True)
class Policy:
    actions: dict[str, Action]
    purposes: dict[str, Purpose]
    rules: dict[Role, dict[str, tuple[Scope, ...]]]
    role_purposes: dict[Role, Purpose]  # the purpose each role reads persons under
    department_purposes: dict[str, Purpose] = field(default_factory=dict)
    department_aliases: dict[str, str] = field(default_factory=dict)


def merge(parts: Iterable[tuple[str, ModuleType]]) -> Policy:
    """Merge each domain's policy module (ACTIONS, PURPOSES, RULES and optionally
    ROLE_PURPOSES, DEPARTMENT_PURPOSES, DEPARTMENT_ALIASES) into one, checking every name."""
    parts = list(parts)
    actions: dict[str, Action] = {}
    purposes: dict[str, Purpose] = {}
    for owner, module in parts:
        for action in getattr(module, "ACTIONS", ()):
            if not isinstance(action, Action):
                raise PolicyError(f"{owner}: {action!r} in ACTIONS is not an Action")
            if action in actions:
                raise PolicyError(f"{owner}: action {action} is declared twice")
            actions[action] = action
        for purpose in getattr(module, "PURPOSES", ()):
            if purpose.name in purposes:
                raise PolicyError(f"{owner}: purpose {purpose.name} is declared twice")
            purposes[purpose.name] = purpose
    policy = Policy(actions=actions, purposes=purposes, rules={}, role_purposes={})
    for owner, module in parts:
        for role, granted in getattr(module, "RULES", {}).items():
            for action, scopes in granted.items():
                if action not in actions or not isinstance(action, Action):
                    raise PolicyError(f"{owner}: rule for {role} names undeclared action "
                                      f"{action!r}")
                if not scopes or not all(isinstance(s, Scope) for s in scopes):
                    raise PolicyError(f"{owner}: rule {role} {action} needs scopes")
                policy.rules.setdefault(Role(role), {})[str(action)] = tuple(scopes)
        for source, target in ((getattr(module, "ROLE_PURPOSES", {}), policy.role_purposes),
                               (getattr(module, "DEPARTMENT_PURPOSES", {}),
                                policy.department_purposes)):
            for key, purpose in source.items():
                if purposes.get(purpose.name) is not purpose:
                    raise PolicyError(f"{owner}: purpose {purpose.name} of {key} is not declared "
                                      "in any PURPOSES")
                if not purpose.reads_persons:
                    raise PolicyError(f"{owner}: {key} reads persons under {purpose.name}, "
                                      "which lists no fields")
                if key in target:
                    raise PolicyError(f"{owner}: a purpose for {key} is declared twice")
                target[key] = purpose
        policy.department_aliases.update(getattr(module, "DEPARTMENT_ALIASES", {}))
    return policy


@functools.cache
def merged() -> Policy:
    """The platform's policy: every domain's part, merged once per process."""
    from anju.core.domain import parts

    return merge((d.name, module) for d, module in parts("policy"))


def scopes_for(role: Role, action: str) -> tuple[Scope, ...]:
    return merged().rules.get(role, {}).get(action, ())


def is_allowed(role: Role, action: str) -> bool:
    return bool(scopes_for(role, action))


def action(code: str) -> Action | None:
    """The declared action of an audit entry's code (None for a code no domain declares)."""
    return merged().actions.get(code)


def purpose(name: str) -> Purpose | None:
    return merged().purposes.get(name)


def department_code(department: str | None) -> str | None:
    """The connector code of an account's department (aliases resolved), or None."""
    if not department:
        return None
    return merged().department_aliases.get(department, department)


def departments() -> dict[str, Purpose]:
    """Every department the platform knows, with the purpose its officers read persons under."""
    return merged().department_purposes


def department_purpose(department: str | None) -> Purpose | None:
    return merged().department_purposes.get(department_code(department) or "")


def purpose_for(role: Role, department: str | None = None) -> Purpose | None:
    """The purpose an actor reads persons under: their department's for a department officer
    (None for a department without one: such an officer sees no person), else their role's."""
    if role is Role.DEPT_OFFICER:
        return department_purpose(department)
    return merged().role_purposes.get(role)
