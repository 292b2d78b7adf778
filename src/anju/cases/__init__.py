"""Public services behind one window (一窗受理): the service catalogue, cases with working-day
deadlines, evidence pulled from the registry and the departments instead of asked for, notices,
ratings and their rectification, suggestions, and service providers."""
from __future__ import annotations

from anju.core.domain import Domain, Job

DOMAIN = Domain(
    name="cases",
    models="anju.cases.models",
    policy="anju.cases.policy",
    api="anju.cases.api:router",
    pages="anju.cases.pages",
    words="anju.cases.words:WORDS",
    # points, school places and proactive eligibility (issue 11)
    emits=("points.facts_wanted",),  # department facts asked of the exchange hub
    cli=(("schools", "anju.cases.points.cli:schools"),
         ("eligibility", "anju.cases.points.cli:eligibility")),
    jobs=(Job("cases.eligibility", "anju.cases.eligibility:nightly", "daily 03:00",
              "按各项服务的条件主动告知符合条件且尚未申请的居民",
              "tell everyone eligible for a service who has not applied, and why"),),
)
