"""The one access policy: role × action × jurisdiction → allowed, and which fields a purpose sees.

Pure data and functions; `anju.core.access` applies them inside service functions, so the API,
the pages and the CLI all pass through the same check.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    RESIDENT = "resident"
    LANDLORD = "landlord"
    GRID_WORKER = "grid_worker"
    POLICE = "police"
    DEPT_OFFICER = "dept_officer"
    DATA_STEWARD = "data_steward"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Scope(StrEnum):
    """How far an allowed action reaches."""

    JURISDICTION = "jurisdiction"  # records whose division lies in the actor's subtree
    SELF = "self"  # the actor's own person record and what hangs off it
    OWN_PROPERTY = "own_property"  # houses the actor lets, their rooms and tenants
    GLOBAL = "global"  # not about a person (audit verification, accounts)


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


# --- actions -----------------------------------------------------------------------------
PERSON_CREATE = "person.create"
PERSON_READ = "person.read"
PERSON_SEARCH = "person.search"
HOUSE_CREATE = "house.create"
HOUSE_READ = "house.read"
# Correct a house's address or division, add, change or remove its rooms: whoever may register
# the house in that reach may edit it.
HOUSE_UPDATE = "house.update"
REGISTRATION_SUBMIT = "registration.submit"
REGISTRATION_READ = "registration.read"
REGISTRATION_APPROVE = "registration.approve"  # also reject
REGISTRATION_END = "registration.end"
PERMIT_READ = "permit.read"
PERMIT_ISSUE = "permit.issue"
PERMIT_ENDORSE = "permit.endorse"
ACCESS_LOG_READ = "access_log.read"
AUDIT_VERIFY = "audit.verify"
AUDIT_READ = "audit.read"
ACCOUNT_MANAGE = "account.manage"
# Confirming (or refusing) that an account an administrator created belongs to a person: the
# police officer whose jurisdiction reaches the person (anju.core.accounts).
ACCOUNT_BIND = "account.bind_decide"
# Bulk loads of registry records made elsewhere (department migrations, the demo, benchmarks).
# No route exposes them; see anju.registry.bulk.
PERSON_IMPORT = "person.import"

ALL_ACTIONS = (
    PERSON_CREATE, PERSON_READ, PERSON_SEARCH, HOUSE_CREATE, HOUSE_READ, HOUSE_UPDATE,
    REGISTRATION_SUBMIT,
    REGISTRATION_READ, REGISTRATION_APPROVE, REGISTRATION_END, PERMIT_READ, PERMIT_ISSUE,
    PERMIT_ENDORSE, ACCESS_LOG_READ, AUDIT_VERIFY, AUDIT_READ, ACCOUNT_MANAGE, ACCOUNT_BIND,
    PERSON_IMPORT,
)

R, S, J, O, G = Role, Scope.SELF, Scope.JURISDICTION, Scope.OWN_PROPERTY, Scope.GLOBAL

# Each role lists what it may do and how far. Anything absent is denied. A role may hold more
# than one scope for an action (a landlord reads their own record and their tenants').
RULES: dict[Role, dict[str, tuple[Scope, ...]]] = {
    R.RESIDENT: {
        PERSON_READ: (S,), REGISTRATION_SUBMIT: (S,), REGISTRATION_READ: (S,),
        REGISTRATION_END: (S,), PERMIT_READ: (S,), ACCESS_LOG_READ: (S,), HOUSE_READ: (S,),
    },
    R.LANDLORD: {
        PERSON_READ: (S, O), PERSON_CREATE: (O,), HOUSE_CREATE: (O,), HOUSE_READ: (O,),
        HOUSE_UPDATE: (O,),
        REGISTRATION_SUBMIT: (S, O), REGISTRATION_READ: (S, O), REGISTRATION_END: (S, O),
        PERMIT_READ: (S,), ACCESS_LOG_READ: (S,),
    },
    R.GRID_WORKER: {
        PERSON_READ: (J,), PERSON_SEARCH: (J,), PERSON_CREATE: (J,), HOUSE_CREATE: (J,),
        HOUSE_UPDATE: (J,),
        HOUSE_READ: (J,), REGISTRATION_SUBMIT: (J,), REGISTRATION_READ: (J,),
        REGISTRATION_END: (J,), PERMIT_READ: (J,),
    },
    R.POLICE: {
        PERSON_READ: (J,), PERSON_SEARCH: (J,), PERSON_CREATE: (J,), HOUSE_CREATE: (J,),
        HOUSE_UPDATE: (J,),
        HOUSE_READ: (J,), REGISTRATION_SUBMIT: (J,), REGISTRATION_READ: (J,),
        REGISTRATION_APPROVE: (J,), REGISTRATION_END: (J,), PERMIT_READ: (J,),
        PERMIT_ISSUE: (J,), PERMIT_ENDORSE: (J,), PERSON_IMPORT: (J,), ACCOUNT_BIND: (J,),
    },
    R.DEPT_OFFICER: {
        PERSON_READ: (J,), PERSON_SEARCH: (J,), REGISTRATION_READ: (J,), PERMIT_READ: (J,),
    },
    R.DATA_STEWARD: {PERSON_READ: (J,), PERSON_SEARCH: (J,), PERSON_IMPORT: (J,)},
    # Analysts see aggregates only (monitoring); no person-level action at all.
    R.ANALYST: {},
    R.AUDITOR: {AUDIT_VERIFY: (G,), AUDIT_READ: (G,)},
    # Administrators manage accounts; they get no person data by virtue of being admin. Import
    # writes but returns no personal fields; it is what the command line's SYSTEM actor runs.
    R.ADMIN: {ACCOUNT_MANAGE: (G,), AUDIT_VERIFY: (G,), PERSON_IMPORT: (G,)},
}


# --- housing: e-keys, locks, management tasks, fees --------------------------------------
# A tenant sees their own keys and fees; a landlord their rooms' keys and fees and may revoke a
# key on them; grid workers and police work the tasks of their jurisdiction. A lock vendor is no
# role: it authenticates by its HMAC signature (anju.housing.events).
KEY_READ = "key.read"
KEY_REVOKE = "key.revoke"
LOCK_MANAGE = "lock.manage"  # register a lock device on a room
HOUSING_TASK_READ = "housing_task.read"
HOUSING_TASK_RESOLVE = "housing_task.resolve"
FEE_READ = "fee.read"
FEE_PAY = "fee.pay"
HOUSING_ADMIN = "housing.admin"  # vendors, county housing policy, fee runs, exemption imports
HOUSING_ACTIONS = (KEY_READ, KEY_REVOKE, LOCK_MANAGE, HOUSING_TASK_READ, HOUSING_TASK_RESOLVE,
                   FEE_READ, FEE_PAY, HOUSING_ADMIN)
ALL_ACTIONS = ALL_ACTIONS + HOUSING_ACTIONS

HOUSING_RULES: dict[Role, dict[str, tuple[Scope, ...]]] = {
    R.RESIDENT: {KEY_READ: (S,), FEE_READ: (S,), FEE_PAY: (S,)},
    R.LANDLORD: {KEY_READ: (S, O), KEY_REVOKE: (O,), LOCK_MANAGE: (O,), FEE_READ: (S, O),
                 FEE_PAY: (S,)},
    R.GRID_WORKER: {KEY_READ: (J,), LOCK_MANAGE: (J,), HOUSING_TASK_READ: (J,),
                    HOUSING_TASK_RESOLVE: (J,)},
    R.POLICE: {KEY_READ: (J,), KEY_REVOKE: (J,), LOCK_MANAGE: (J,), HOUSING_TASK_READ: (J,),
               HOUSING_TASK_RESOLVE: (J,)},
    R.ADMIN: {HOUSING_ADMIN: (G,), FEE_PAY: (G,)},
}
for _role, _granted in HOUSING_RULES.items():
    RULES.setdefault(_role, {}).update(_granted)

# Assisted mode: a grid worker records an (elderly) landlord's consent — who, how, when — and then
# registers a house or a tenant, ends a tenancy or revokes a key for them, within the worker's
# jurisdiction and only under a live consent (anju.housing.service). The landlord reads what was
# done on their behalf; the grid worker reads the consents and actions of their jurisdiction.
HOUSING_ASSIST = "housing.assist"
HOUSING_ASSIST_READ = "housing_assist.read"
HOUSING_ASSIST_ACTIONS = (HOUSING_ASSIST, HOUSING_ASSIST_READ)
ALL_ACTIONS = ALL_ACTIONS + HOUSING_ASSIST_ACTIONS
for _role, _granted in {R.GRID_WORKER: {HOUSING_ASSIST: (J,), HOUSING_ASSIST_READ: (J,)},
                        R.LANDLORD: {HOUSING_ASSIST_READ: (S,)}}.items():
    RULES.setdefault(_role, {}).update(_granted)


# --- exchange: department imports, golden records, review, conflicts, sharing back --------
# A data steward runs imports and clerical review and approves data-access requests in their
# jurisdiction; a department officer subscribes, reads the feed and requests datasets for their
# own department only (anju.exchange.service narrows to actor.department). Analysts: nothing.
EXCHANGE_IMPORT = "exchange.import"  # run a department import, read import reports
EXCHANGE_REVIEW = "exchange.review"  # clerical review of uncertain matches (read + decide)
GOLDEN_READ = "golden.read"  # a golden record with the provenance of every value
CONFLICT_READ = "conflict.read"  # conflict lists and the per-department/per-field summary
SUBSCRIPTION_MANAGE = "subscription.manage"
FEED_READ = "exchange.feed"  # the change feed of subscribed persons, purpose fields only
DATA_REQUEST_CREATE = "data_request.create"
DATA_REQUEST_READ = "data_request.read"
DATA_REQUEST_DECIDE = "data_request.decide"
DATA_REQUEST_DELIVER = "data_request.deliver"
EXCHANGE_ACTIONS = (EXCHANGE_IMPORT, EXCHANGE_REVIEW, GOLDEN_READ, CONFLICT_READ,
                    SUBSCRIPTION_MANAGE, FEED_READ, DATA_REQUEST_CREATE, DATA_REQUEST_READ,
                    DATA_REQUEST_DECIDE, DATA_REQUEST_DELIVER)
ALL_ACTIONS = ALL_ACTIONS + EXCHANGE_ACTIONS

EXCHANGE_RULES: dict[Role, dict[str, tuple[Scope, ...]]] = {
    R.DATA_STEWARD: {EXCHANGE_IMPORT: (J,), EXCHANGE_REVIEW: (J,), GOLDEN_READ: (J,),
                     CONFLICT_READ: (J,), DATA_REQUEST_READ: (J,), DATA_REQUEST_DECIDE: (J,)},
    R.DEPT_OFFICER: {CONFLICT_READ: (J,), SUBSCRIPTION_MANAGE: (J,), FEED_READ: (J,),
                     DATA_REQUEST_CREATE: (J,), DATA_REQUEST_READ: (J,),
                     DATA_REQUEST_DELIVER: (J,)},
}
for _role, _granted in EXCHANGE_RULES.items():
    RULES.setdefault(_role, {}).update(_granted)


def scopes_for(role: Role, action: str) -> tuple[Scope, ...]:
    return RULES.get(role, {}).get(action, ())


def is_allowed(role: Role, action: str) -> bool:
    return bool(scopes_for(role, action))


# --- purposes and fields -----------------------------------------------------------------
# One purpose per role, and for department officers one per department: it decides which fields
# of a person the actor sees, wherever they come from, and whether ID numbers and phones are whole
# or masked. The purpose's name is recorded in the audit log. `anju.core.access.shown` is the one
# function that applies a purpose to a record; docs/architecture.md has the table.
#
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
    name: str
    fields: tuple[str, ...]
    id_whole: bool  # False: the ID number is shown masked (330522********1234)
    phone_whole: bool = True
    minors_only: bool = False  # e.g. education: adults are out of purpose and look missing

    def __post_init__(self) -> None:
        unknown = set(self.fields) - set(FIELDS)
        if unknown or "person_code" not in self.fields:  # every view names whom it is about
            raise ValueError(f"purpose {self.name}: unknown fields {sorted(unknown)} or no "
                             "person_code")


ROLE_PURPOSES: dict[Role, Purpose] = {
    R.RESIDENT: Purpose("self_service", PERSON_FIELDS + (ADDRESS,), id_whole=True),
    # A landlord sees their tenants enough to know who lives there, not their papers.
    R.LANDLORD: Purpose(
        "tenancy_management",
        ("person_code", "name", "id_number", "sex", "phone", "status", ADDRESS), id_whole=False,
    ),
    R.GRID_WORKER: Purpose(
        "field_verification",
        ("person_code", "name", "id_number", "sex", "birth_date", "phone", "hukou_address",
         "division_code", "status", ADDRESS),
        id_whole=False,
    ),
    R.POLICE: Purpose("registration_management", PERSON_FIELDS + (ADDRESS,), id_whole=True),
    # Data quality compares every value of every source, but never needs a number whole.
    R.DATA_STEWARD: Purpose("data_quality", FIELDS, id_whole=False, phone_whole=False),
}


# Department officers: the purpose follows the department, for registry reads and for what the
# exchange hub shares back alike. Departments are named by their connector code
# (anju/exchange/connectors/*.toml); accounts may carry a common English alias.
DEPARTMENT_PURPOSES: dict[str, Purpose] = {
    "gongan": Purpose(
        "public_security",
        ("person_code", "golden_id", "name", "id_number", "sex", "birth_date", "phone",
         "hukou_address", "hukou_division_code", "division_code", "status", ADDRESS,
         "current_division_code", "employer"),
        id_whole=True, phone_whole=True),
    "renshe": Purpose(
        "employment", ("person_code", "golden_id", "name", "id_number", "employer", "insurance"),
        id_whole=False),
    "shichang": Purpose(
        "market_regulation", ("person_code", "golden_id", "name", "id_number", "employer"),
        id_whole=False),
    "yibao": Purpose(
        "medical_insurance", ("person_code", "golden_id", "name", "id_number", "sex",
                              "birth_date", "employer", "insurance"), id_whole=True),
    "weijian": Purpose(
        "health", ("person_code", "golden_id", "name", "id_number", "sex", "birth_date",
                   "phone", "division_code", ADDRESS, "current_division_code"),
        id_whole=False, phone_whole=False),
    "jiaoyu": Purpose(
        "education", ("person_code", "golden_id", "name", "sex", "birth_date", "division_code",
                      ADDRESS, "current_division_code", "school"),
        id_whole=False, minors_only=True),
    "minzheng": Purpose(
        "civil_affairs", ("person_code", "golden_id", "name", "id_number", "sex", "birth_date",
                          "hukou_address", "hukou_division_code", "division_code", ADDRESS,
                          "civil_affairs"),
        id_whole=False),
    "zhujian": Purpose(
        "housing_administration", ("person_code", "golden_id", "name", "id_number", "phone",
                                   "division_code", ADDRESS, "current_division_code"),
        id_whole=False, phone_whole=False),
}
DEPARTMENT_ALIASES = {"police": "gongan", "hrss": "renshe", "market_regulation": "shichang",
                      "medical_insurance": "yibao", "health": "weijian", "education": "jiaoyu",
                      "civil_affairs": "minzheng", "housing": "zhujian"}


def department_code(department: str | None) -> str | None:
    """The connector code of an account's department (aliases resolved), or None."""
    if not department:
        return None
    return DEPARTMENT_ALIASES.get(department, department)


def department_purpose(department: str | None) -> Purpose | None:
    return DEPARTMENT_PURPOSES.get(department_code(department) or "")


def purpose_for(role: Role, department: str | None = None) -> Purpose | None:
    """The purpose an actor reads persons under: their department's for a department officer
    (None for a department without one: such an officer sees no person), else their role's."""
    if role is Role.DEPT_OFFICER:
        return department_purpose(department)
    return ROLE_PURPOSES.get(role)
