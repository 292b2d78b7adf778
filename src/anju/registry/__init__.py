"""The registry: persons ("one person, one code"), houses and rooms, residence registrations,
residence permits."""
from __future__ import annotations

from anju.core.domain import Domain

DOMAIN = Domain(
    name="registry",
    policy="anju.registry.policy",
    models="anju.registry.models",
    api="anju.registry.api:router",
    pages="anju.registry.pages",
    words="anju.registry.words:WORDS",
    emits=("registration.submitted", "registration.approved", "registration.rejected",
           "registration.ended",
           "registrations.loaded",  # a bulk load: the list of `bulk.Loaded` it wrote
           "house.moved"),  # a house's division was corrected: (house, old division)
)
