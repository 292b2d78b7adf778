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
        # notices (ca3): the outbox of text messages, and the daily digests and reminders
        Job("cases.notices", "anju.cases.service.digest:deliver", "every 5 minutes",
            "发送待发的办事短信通知", "send the pending service text messages"),
        Job("cases.digest", "anju.cases.service.digest:daily", "daily 07:30",
            "居住证到期提醒、整改逾期提醒、部门每日待办汇总和居民每日消息汇总",
            "permit expiry reminders, overdue rectifications, the officers' daily digest and "
            "residents' daily digest"),
    ),
)
