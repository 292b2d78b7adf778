"""Notices: every case event that concerns a person lands in their inbox (and, through the
outbound channel, as a text message); officers' notices (due soon, escalations) land on the
home page of the department's officers of the jurisdiction.

`notify` and `notify_officers` are what the other case modules call; templates, delivery,
preferences and the daily digest build on the rows they write."""
from __future__ import annotations

from sqlalchemy.orm import Session

from anju.cases.models import Notification


def notify(session: Session, *, person_code: str, template: str, case_id: int | None = None,
           params: dict | None = None, essential: bool = True) -> Notification:
    """Put a notice in a person's inbox (the caller's use case is already audited)."""
    notice = Notification(person_code=person_code, template=template, case_id=case_id,
                          params=params or {}, essential=essential)
    session.add(notice)
    return notice


def notify_officers(session: Session, *, department: str, division_code: str, role: str,
                    template: str, case_id: int | None = None,
                    params: dict | None = None) -> Notification:
    """Put a notice on the home page of a department's officers (or supervisors: `role`) whose
    jurisdiction holds `division_code`."""
    notice = Notification(department=department, division_code=division_code, role=role,
                          template=template, case_id=case_id, params=params or {},
                          essential=True)
    session.add(notice)
    return notice
