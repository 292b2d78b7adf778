"""The platform core: settings, database, identities and roles, access policy, audit chain,
divisions, ID numbers, working days, crypto."""
from __future__ import annotations

from anju.core.domain import Domain

DOMAIN = Domain(
    name="core",
    policy="anju.core.permissions",
    models="anju.core.models",
    api="anju.core.api:router",
)
