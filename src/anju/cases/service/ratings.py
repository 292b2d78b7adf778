"""好差评: after a decision the applicant rates the service on the national five-level scale; a
不满意 or 非常不满意 rating opens a rectification (整改) for the department with its own deadline
in working days, which the department answers and the department's supervisor follows up (done,
or sent back). Satisfaction per service, department and window is computed from the ratings.

Rectification states: `open` (the department owes an answer; overdue after its due date) →
`answered` (the supervisor follows it up) → `done`, or back to `open` when sent back. Each step
is on the case's timeline.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import Case, CaseEvent, Rating, Rectification
from anju.cases.rules import (
    RATING_WORDS,
    RECTIFY_WORKING_DAYS,
    CaseStatus,
    needs_rectification,
)
from anju.cases.service.notices import notify, notify_officers
from anju.core import calendars, clock
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Actor
from anju.core.types import Timestamp

RATEABLE = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.NOT_ACCEPTED})
SATISFIED_FROM = 3  # 基本满意 and better count as satisfied (the national 满意率)
MAX_TEXT = 1000


class RatingOut(BaseModel):
    rating_id: int
    case_id: int
    service_code: str
    department: str
    score: int
    score_zh: str
    score_en: str
    comment: str | None = None
    created_at: Timestamp
    rectification_id: int | None = None


class RectificationOut(BaseModel):
    rectification_id: int
    case_id: int
    service_code: str
    department: str
    division_code: str
    score: int
    comment: str | None = None
    due_date: date
    due_provisional: bool
    status: str
    overdue: bool
    answer: str | None = None
    closed_at: Timestamp | None = None


class SatisfactionRow(BaseModel):
    key: str  # a service code, a department code, or a window (the clerk who opened the case)
    ratings: int
    average: float
    satisfied_share: float  # 基本满意 or better
    by_score: dict[int, int]


def _text(value: str | None, field: str, required: bool = False) -> str | None:
    value = (value or "").strip() or None
    if required and not value:
        raise ValidationError("text_required", "请填写内容", "please write something", field=field)
    if value and len(value) > MAX_TEXT:
        raise ValidationError("text_long", f"内容最多 {MAX_TEXT} 字",
                              f"at most {MAX_TEXT} characters", field=field)
    return value


def _event(session: Session, actor: Actor, case: Case, action: str, detail: dict) -> None:
    session.add(CaseEvent(case_id=case.id, action=action, status=case.status,
                          by_username=actor.username, by_role=actor.role.value,
                          department=actor.department, detail=detail))


def rate(session: Session, actor: Actor, case_id: int, score: int,
         comment: str | None = None) -> RatingOut:
    """The applicant rates their decided case, once; a poor rating opens a rectification."""
    if not isinstance(score, int) or score not in RATING_WORDS:
        raise ValidationError("score_range", "评价须为 1–5 级（非常不满意至非常满意）",
                              "a rating is 1-5 (very dissatisfied to very satisfied)",
                              field="score")
    comment = _text(comment, "comment")
    access = Access(session, actor)
    case = access.load(P.CASE_RATE, Case, Case.id == case_id, what="办件", lock=True,
                       purpose=P.SERVICE_EVALUATION)
    if case.status not in RATEABLE:
        raise Conflict("not_rateable", "办件办结后才能评价", "a case can be rated once decided",
                       field="status")
    if session.execute(select(Rating.id).where(Rating.case_id == case.id)).first():
        raise Conflict("already_rated", "该办件已评价过", "this case was rated already",
                       field="case_id")
    rating = Rating(case_id=case.id, person_code=case.person_code, service_code=case.service_code,
                    department=case.department, score=score, comment=comment,
                    window=case.opened_by if case.channel == "window" else None)
    session.add(rating)
    session.flush()
    access.record(AuditEvent(P.CASE_RATE, P.SERVICE_EVALUATION, case.person_code, "case",
                             str(case.id), {"score": score}))
    _event(session, actor, case, "rate", {"score": score})
    rectification = None
    if needs_rectification(score):
        due = calendars.current(session).add(clock.today(), RECTIFY_WORKING_DAYS)
        rectification = Rectification(rating_id=rating.id, case_id=case.id,
                                      department=case.department,
                                      division_code=case.division_code, due_date=due.value,
                                      due_provisional=due.provisional, status="open")
        session.add(rectification)
        session.flush()
        params = {"service_code": case.service_code, "score": score,
                  "due_date": due.value.isoformat()}
        for role in ("dept_officer", "dept_supervisor"):
            notify_officers(session, department=case.department, division_code=case.division_code,
                            role=role, template="rectification_opened", case_id=case.id,
                            params=params)
        _event(session, actor, case, "rectification_opened",
               {"rectification_id": rectification.id, "due_date": due.value.isoformat()})
    return _rating_out(rating, rectification.id if rectification else None)


def _rating_out(rating: Rating, rectification_id: int | None = None) -> RatingOut:
    zh, en = RATING_WORDS[rating.score]
    return RatingOut(rating_id=rating.id, case_id=rating.case_id, service_code=rating.service_code,
                     department=rating.department, score=rating.score, score_zh=zh, score_en=en,
                     comment=rating.comment, created_at=rating.created_at,
                     rectification_id=rectification_id)


def rating_of(session: Session, actor: Actor, case_id: int) -> RatingOut | None:
    """The rating of a case the actor reaches (None: not rated yet)."""
    access = Access(session, actor)
    case = access.load(P.RATING_READ, Case, Case.id == case_id, what="办件",
                       purpose=P.SERVICE_EVALUATION)
    rating = session.execute(select(Rating).where(Rating.case_id == case.id)).scalar()
    if rating is None:
        return None
    rect = session.execute(select(Rectification.id).where(
        Rectification.rating_id == rating.id)).scalar()
    return _rating_out(rating, rect)


# --- rectification ---------------------------------------------------------------------------
def is_overdue(rect: Rectification, today: date | None = None) -> bool:
    return rect.status == "open" and (today or clock.today()) > rect.due_date


def _rect_out(rect: Rectification, rating: Rating, today: date) -> RectificationOut:
    return RectificationOut(rectification_id=rect.id, case_id=rect.case_id,
                            service_code=rating.service_code, department=rect.department,
                            division_code=rect.division_code, score=rating.score,
                            comment=rating.comment, due_date=rect.due_date,
                            due_provisional=rect.due_provisional, status=rect.status,
                            overdue=is_overdue(rect, today), answer=rect.answer,
                            closed_at=rect.closed_at)


def list_rectifications(session: Session, actor: Actor, status: str | None = None) -> list:
    """The department's rectifications in the actor's jurisdiction, oldest due first."""
    if status not in (None, "open", "answered", "done"):
        raise ValidationError("status_unknown", "未知状态", "unknown status", field="status")
    access = Access(session, actor)
    query = select(Rectification, Rating).join(Rating, Rating.id == Rectification.rating_id)
    if status:
        query = query.where(Rectification.status == status)
    rows = access.select(P.RECTIFY, query.order_by(Rectification.due_date, Rectification.id))
    today = clock.today()
    return [_rect_out(rect, rating, today) for rect, rating in rows]


def _load_rect(access: Access, action, rect_id: int) -> tuple[Rectification, Rating, Case]:
    rect = access.load(action, Rectification, Rectification.id == rect_id, what="整改",
                       lock=True, purpose=P.SERVICE_EVALUATION)
    rating = access.session.get(Rating, rect.rating_id)
    case = access.session.get(Case, rect.case_id)
    return rect, rating, case


def answer_rectification(session: Session, actor: Actor, rect_id: int,
                         answer: str) -> RectificationOut:
    """The department says what it changed; the supervisor is asked to follow it up and the
    applicant is told."""
    answer = _text(answer, "answer", required=True)
    access = Access(session, actor)
    rect, rating, case = _load_rect(access, P.RECTIFY, rect_id)
    if rect.status != "open":
        raise Conflict("rectification_state", "该整改已答复", "this rectification was answered",
                       field="status")
    rect.status, rect.answer = "answered", answer
    _event(session, actor, case, "rectification_answered",
           {"rectification_id": rect.id, "answer": answer})
    params = {"service_code": case.service_code, "department": rect.department}
    notify_officers(session, department=rect.department, division_code=rect.division_code,
                    role="dept_supervisor", template="rectification_to_follow", case_id=case.id,
                    params=params)
    notify(session, person_code=case.person_code, template="rectification_answered",
           case_id=case.id, params={**params, "answer": answer}, essential=False)
    return _rect_out(rect, rating, clock.today())


def follow_up(session: Session, actor: Actor, rect_id: int, accepted: bool,
              note: str | None = None) -> RectificationOut:
    """The supervisor closes an answered rectification, or sends it back (with a note) to be
    answered again; sent back, it keeps its deadline."""
    note = _text(note, "note", required=not accepted)
    access = Access(session, actor)
    rect, rating, case = _load_rect(access, P.RECTIFY_FOLLOW_UP, rect_id)
    if rect.status != "answered":
        raise Conflict("rectification_state", "该整改尚未答复或已办结",
                       "this rectification is not waiting for a follow-up", field="status")
    if accepted:
        rect.status, rect.closed_at = "done", utcnow()
    else:
        rect.status = "open"
        notify_officers(session, department=rect.department, division_code=rect.division_code,
                        role="dept_officer", template="rectification_returned", case_id=case.id,
                        params={"service_code": case.service_code, "note": note})
    _event(session, actor, case, "rectification_closed" if accepted else "rectification_returned",
           {"rectification_id": rect.id, "note": note})
    return _rect_out(rect, rating, clock.today())


def overdue_rectifications(session: Session, today: date) -> list[Rectification]:
    """Open rectifications past their due date (the daily job's question; no one's data)."""
    return list(session.execute(select(Rectification).where(
        Rectification.status == "open", Rectification.due_date < today)).scalars())


# --- satisfaction ----------------------------------------------------------------------------
BY = {"service": Rating.service_code, "department": Rating.department, "window": Rating.window}


def satisfaction(session: Session, actor: Actor, by: str = "department") -> list[SatisfactionRow]:
    """Satisfaction computed from the ratings the actor may count: a supervisor their
    department's, an analyst their jurisdiction's (counts only, nobody's rating shown)."""
    if by not in BY:
        raise ValidationError("by_unknown", "统计维度须为 service、department 或 window",
                              "group by service, department or window", field="by")
    access = Access(session, actor)
    where = access.restrict(P.CASE_STATS, division_col=Case.division_code,
                            department_col=(Case.department, Case.provider_code))
    column = BY[by]
    rows = session.execute(select(column, Rating.score).join(Case, Case.id == Rating.case_id)
                           .where(where, column.is_not(None))).all()
    counts: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(RATING_WORDS, 0))
    for key, score in rows:
        counts[key][score] += 1
    access.record(AuditEvent(P.CASE_STATS, P.SERVICE_EVALUATION, None, "satisfaction", by,
                             {"groups": len(counts)}))
    out = []
    for key, by_score in sorted(counts.items()):
        n = sum(by_score.values())
        out.append(SatisfactionRow(
            key=key, ratings=n, by_score=by_score,
            average=round(sum(s * c for s, c in by_score.items()) / n, 2),
            satisfied_share=round(sum(c for s, c in by_score.items() if s >= SATISFIED_FROM) / n,
                                  4)))
    return out
