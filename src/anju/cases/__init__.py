"""Public services behind one window (一窗受理): the service catalogue, cases with working-day
deadlines, evidence pulled from the registry and the departments instead of asked for, notices,
ratings and their rectification, suggestions, and service providers."""
from __future__ import annotations

from anju.core.domain import Domain

DOMAIN = Domain(
    name="cases",
    models="anju.cases.models",
    policy="anju.cases.policy",
    api="anju.cases.api:router",
    pages="anju.cases.pages",
    words="anju.cases.words:WORDS",
)
