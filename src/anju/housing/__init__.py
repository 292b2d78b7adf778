"""Rental housing and smart locks: e-keys that follow residence registrations, lock events kept
briefly and reduced to daily presence, management tasks for grid workers, and service fees.

Keys follow registrations through the listeners declared below: whichever process approves or
ends a registration (API, pages, CLI, demo, a script importing only the registry) issues or
revokes the key, because `anju.core.events` reads these declarations itself.
"""
from __future__ import annotations

from anju.core.domain import Domain, Job

_ON = "anju.housing.service.keys"

DOMAIN = Domain(
    name="housing",
    policy="anju.housing.policy",
    models="anju.housing.models",
    api="anju.housing.api:router",
    pages="anju.housing.pages",
    words="anju.housing.words:WORDS",
    cli=(("locks", "anju.housing.cli:app"),),
    signed_paths=("/api/v1/lock-events",),  # lock vendors sign their batches (HMAC-SHA256)
    listeners=(
        ("registration.submitted", f"{_ON}:on_registration_submitted"),
        ("registration.approved", f"{_ON}:on_registration_approved"),
        ("registration.rejected", f"{_ON}:on_registration_rejected"),
        ("registration.ended", f"{_ON}:on_registration_ended"),
        ("registrations.loaded", f"{_ON}:on_registrations_loaded"),
        ("house.moved", f"{_ON}:on_house_moved"),
    ),
    jobs=(Job("housing.daily", "anju.housing.jobs:daily", "daily 02:00",
              "将门锁事件归并为每日在住情况、删除过期原始事件、收回居住证失效人员的钥匙并生成管理任务",
              "reduce lock events to daily presence, delete raw events past retention, revoke "
              "keys of lapsed permits and raise management tasks"),),
)
