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
    jobs=(
        # cases core: deadline warnings and escalation
        Job("cases.daily", "anju.cases.service.sweep:daily", "daily 01:30",
            "办件时限巡检：临期（剩余两个工作日内）提醒承办部门，逾期办件报部门负责人督办",
            "case deadlines: warn the department of cases due within two working days, escalate "
            "overdue cases to the department's supervisor"),
    ),
    emits=("case.evidence_wanted",),  # evidence asked of the exchange hub (service.evidence)
    cli=(("permit", "anju.cases.cli:app"),),
)
