"""Public services behind one window (一窗受理): the service catalogue, cases with working-day
deadlines, evidence pulled from the registry and the departments instead of asked for, notices,
ratings and their rectification, suggestions, service providers, and (issue 11) points, school
places and proactive eligibility."""
from __future__ import annotations

from anju.core.domain import Domain, Job

DOMAIN = Domain(
    name="cases",
    models="anju.cases.models",
    policy="anju.cases.policy",
    api="anju.cases.api:router",
    pages="anju.cases.pages",
    words="anju.cases.words:WORDS",
    # evidence and department facts asked of the exchange hub (service.evidence, points)
    emits=("case.evidence_wanted", "points.facts_wanted"),
    cli=(("permit", "anju.cases.cli:app"),
         ("schools", "anju.cases.points.cli:schools"),
         ("eligibility", "anju.cases.points.cli:eligibility")),
    jobs=(
        # cases core: deadline warnings and escalation
        Job("cases.daily", "anju.cases.service.sweep:daily", "daily 01:30",
            "办件时限巡检：临期（剩余两个工作日内）提醒承办部门，逾期办件报部门负责人督办",
            "case deadlines: warn the department of cases due within two working days, escalate "
            "overdue cases to the department's supervisor"),
        # notices: the outbox of text messages, and the daily digests and reminders
        Job("cases.notices", "anju.cases.service.digest:deliver", "every 5 minutes",
            "发送待发的办事短信通知", "send the pending service text messages"),
        Job("cases.digest", "anju.cases.service.digest:daily", "daily 07:30",
            "居住证到期提醒、整改逾期提醒、部门每日待办汇总和居民每日消息汇总",
            "permit expiry reminders, overdue rectifications, the officers' daily digest and "
            "residents' daily digest"),
        # proactive eligibility (issue 11)
        Job("cases.eligibility", "anju.cases.eligibility:nightly", "daily 03:00",
            "按各项服务的条件主动告知符合条件且尚未申请的居民",
            "tell everyone eligible for a service who has not applied, and why"),
    ),
)
