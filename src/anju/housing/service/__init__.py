"""Housing use cases: e-keys, lock vendors and devices, management tasks, the county housing
policy, fees and assisted mode. The lock-event pipeline (ingest, reduction, retention) is in
`anju.housing.events`.

Every function takes the session and the acting identity, asks `Access`, writes, and appends to
the audit chain inside the caller's unit of work. Keys follow registrations: the registry
announces approvals, rejections and ends, and the listeners in `keys` (declared in
`anju.housing.DOMAIN`) issue and revoke.

Registry tables are never read here: what housing needs of rooms, persons, registrations and
permits comes from `anju.registry.reads` as plain values, and every write to them goes through
`anju.registry.service`.

    county.py   the county housing policy (fee, provisional keys, task thresholds)
    keys.py     the listeners, listing, revoking and the daily sweep of e-keys
    locks.py    lock vendors and lock devices
    tasks.py    management tasks: raised by the daily job, listed, counted, resolved
    fees.py     exemptions, monthly statements, fee history, payments
    assist.py   assisted mode: a landlord's consent and what a grid worker does under it
    common.py   what they share: purposes, reach of a person, how an answer shows a record

This package re-exports the public functions, so `from anju.housing import service` then
`service.list_keys(...)` works everywhere.
"""
from __future__ import annotations

from anju.housing.service.assist import (
    assist_choices,
    assisted_create_house,
    assisted_end_tenancy,
    assisted_register_person,
    assisted_register_tenant,
    assisted_revoke_key,
    find_landlords,
    get_consent,
    list_assisted_actions,
    list_consents,
    record_consent,
    withdraw_consent,
)
from anju.housing.service.county import county_policy, read_policy, set_policy
from anju.housing.service.fees import (
    generate_statements,
    import_exemptions,
    list_fees,
    record_payment,
)
from anju.housing.service.keys import (
    list_keys,
    on_house_moved,
    on_registration_approved,
    on_registration_ended,
    on_registration_rejected,
    on_registration_submitted,
    on_registrations_loaded,
    revoke_key,
    sweep_keys,
)
from anju.housing.service.locks import (
    add_vendor,
    register_lock,
    rotate_vendor_secret,
    vendor_cipher,
)
from anju.housing.service.tasks import (
    detect_tasks,
    list_tasks,
    resolve_task,
    task_counts,
    task_counts_by_township,
)

__all__ = [
    "add_vendor", "assist_choices", "assisted_create_house", "assisted_end_tenancy",
    "assisted_register_person", "assisted_register_tenant", "assisted_revoke_key",
    "county_policy", "detect_tasks", "find_landlords", "generate_statements", "get_consent",
    "import_exemptions", "list_assisted_actions", "list_consents", "list_fees", "list_keys",
    "list_tasks", "on_house_moved", "on_registration_approved", "on_registration_ended",
    "on_registration_rejected", "on_registration_submitted", "on_registrations_loaded",
    "read_policy", "record_consent", "record_payment", "register_lock", "resolve_task",
    "revoke_key", "rotate_vendor_secret", "set_policy", "sweep_keys", "task_counts",
    "task_counts_by_township", "vendor_cipher", "withdraw_consent",
]
