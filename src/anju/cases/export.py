"""Read-only export of case facts for statistics (the monitoring domain's snapshot).

What leaves, per case decided in the window: the case's division, the day it was decided (China
Standard Time), its handling time in working days (accepted → decided, less the working days the
clock stood still for a supplement), whether it was decided by its deadline, and — when the
applicant rated it — whether the rating counts as satisfied on the national five-level scale
(满意 as this domain decides it: no rectification needed). No case ids, person codes, services'
forms or comments. And, from the latest proactive-eligibility snapshot, per division and service
the number of people eligible and how many of them were notified (counts, no person), for the
"eligible people notified" KPI. One audit entry for the whole export.
"""
from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases import eligibility
from anju.cases.models import Case, Rating
from anju.cases.rules import CaseStatus, needs_rectification
from anju.core import audit, workdays
from anju.core.access import Access
from anju.core.policy import Action, Actor
from anju.registry.export import STATISTICS

# Declared here and listed in anju.monitoring.policy (ACTIONS, RULES), the one reader.
EXPORT = Action("cases.statistics_export", "导出办件统计快照（不含身份信息）",
                "Exported case statistics snapshot (no identities)")
CASE_SCHEMA = pa.schema([("division", pa.string()), ("decided", pa.date32()),
                         ("working_days", pa.int64()), ("on_time", pa.bool_()),
                         ("satisfied", pa.bool_())])
NOTICE_SCHEMA = pa.schema([("division", pa.string()), ("service", pa.string()),
                           ("eligible", pa.int64()), ("notified", pa.int64())])
DECIDED = (CaseStatus.APPROVED.value, CaseStatus.REJECTED.value)


def _working_days(start: date, end: date, paused: int) -> int | None:
    try:
        return max(0, workdays.working_days_between(start, end) - (paused or 0))
    except Exception:  # a day beyond the calendar's years: not counted rather than guessed
        return None


def statistics_snapshot(session: Session, actor: Actor, since: date) -> dict[str, pa.Table]:
    """Cases decided on or after `since`, one row each, no identities."""
    Access(session, actor).allow(EXPORT)
    rows = session.execute(
        select(Case.division_code, Case.accepted_on, Case.decided_at, Case.due_date,
               Case.paused_working_days, Rating.score)
        .outerjoin(Rating, Rating.case_id == Case.id)
        .where(Case.status.in_(DECIDED), Case.decided_at.is_not(None),
               Case.decided_at >= since - timedelta(days=1))).all()
    out = {"division": [], "decided": [], "working_days": [], "on_time": [], "satisfied": []}
    for division, accepted, decided_at, due, paused, score in rows:
        decided = (decided_at + timedelta(hours=8)).date()  # stored UTC, counted in CST
        if decided < since:
            continue
        out["division"].append(division)
        out["decided"].append(decided)
        out["working_days"].append(_working_days(accepted, decided, paused) if accepted
                                   else None)
        out["on_time"].append(decided <= due if due else None)
        out["satisfied"].append(None if score is None else not needs_rectification(score))
    table = pa.table(out, schema=CASE_SCHEMA)
    notices = eligibility.counts_by_division(session)
    notice_table = pa.table([list(column) for column in zip(*notices, strict=True)]
                            if notices else [[], [], [], []], schema=NOTICE_SCHEMA)
    audit.append(session, actor, [audit.AuditEvent(
        EXPORT, STATISTICS, None, "statistics_snapshot", None,
        {"cases": table.num_rows, "notice_counts": notice_table.num_rows,
         "identities": "none"})])
    return {"cases": table, "notices": notice_table}
