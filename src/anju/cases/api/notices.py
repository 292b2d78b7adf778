"""Cases JSON routes (notices, ratings, participation): parse → one service call → serialise."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi import Path as FPath
from pydantic import BaseModel, ConfigDict, Field

from anju.cases.service import notices, participation, ratings
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["cases"])
TOTAL = {200: {"headers": {"X-Total-Count": {"description": "how many match in all",
                                             "schema": {"type": "integer"}}}}}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreferenceIn(_In):
    non_essential: bool = Field(description="false: only essential notices (decisions, "
                                            "supplement requests, acceptance) reach you")


class ReadAllOut(BaseModel):
    marked_read: int


class UnreadOut(BaseModel):
    unread: int


class RatingIn(_In):
    score: int = Field(ge=1, le=5, strict=True, description="5 非常满意 … 1 非常不满意")
    comment: str | None = Field(None, max_length=1000)


class AnswerIn(_In):
    answer: str = Field(min_length=1, max_length=2000)


class FollowUpIn(_In):
    accepted: bool
    note: str | None = Field(None, max_length=1000)


class SuggestionIn(_In):
    kind: Literal["suggestion", "complaint"]
    department: str = Field(min_length=2, max_length=32)
    subject: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)


class PublishIn(_In):
    text: str = Field(min_length=1, max_length=2000,
                      description="what the public reads: no name, phone or ID number")


class ProviderIn(_In):
    code: str = Field(min_length=2, max_length=32, description="provider:<letters, digits, _>")
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["legal_aid", "social_org", "migrant_org"]
    division_code: str = Field(min_length=6, max_length=12)


class ProviderActiveIn(_In):
    active: bool


class AssignIn(_In):
    provider_code: str = Field(min_length=2, max_length=32)


class AssignOut(BaseModel):
    case_id: int
    provider_code: str
    provider_name: str


# --- the inbox -------------------------------------------------------------------------------
@router.get("/me/notifications", response_model=list[notices.NoticeOut], responses=TOTAL)
def my_notifications(session: SessionDep, actor: ActorDep, response: Response,
                     unread: bool = False,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50,
                     offset: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0):
    """Your inbox (a person's notices, or your department's for your role), newest first;
    `X-Total-Count` says how many in all."""
    page = notices.inbox(session, actor, unread=unread, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(page.total)
    return list(page)


@router.get("/me/notifications/unread", response_model=UnreadOut)
def my_unread(session: SessionDep, actor: ActorDep):
    return UnreadOut(unread=notices.unread_count(session, actor))


@router.post("/me/notifications/{notice_id}/read", response_model=notices.NoticeOut)
def read_notification(notice_id: RecordId, session: SessionDep, actor: ActorDep):
    return notices.mark_read(session, actor, notice_id)


@router.post("/me/notifications/read-all", response_model=ReadAllOut)
def read_all(session: SessionDep, actor: ActorDep):
    return ReadAllOut(marked_read=notices.mark_all_read(session, actor))


@router.get("/me/notice-preferences", response_model=notices.PreferenceOut)
def my_preference(session: SessionDep, actor: ActorDep):
    return notices.preference(session, actor)


@router.put("/me/notice-preferences", response_model=notices.PreferenceOut)
def set_my_preference(body: PreferenceIn, session: SessionDep, actor: ActorDep):
    return notices.set_preference(session, actor, body.non_essential)


# --- ratings and rectification ---------------------------------------------------------------
@router.post("/cases/{case_id}/rating", status_code=201, response_model=ratings.RatingOut,
             response_model_exclude_none=True)
def rate_case(case_id: RecordId, body: RatingIn, session: SessionDep, actor: ActorDep):
    """好差评: the applicant rates a decided case once; 1 or 2 opens a rectification."""
    return ratings.rate(session, actor, case_id, body.score, body.comment)


@router.get("/cases/{case_id}/rating", response_model=ratings.RatingOut | None,
            response_model_exclude_none=True)
def case_rating(case_id: RecordId, session: SessionDep, actor: ActorDep):
    return ratings.rating_of(session, actor, case_id)


@router.get("/rectifications", response_model=list[ratings.RectificationOut],
            response_model_exclude_none=True)
def list_rectifications(session: SessionDep, actor: ActorDep,
                        status: Literal["open", "answered", "done"] | None = None):
    return ratings.list_rectifications(session, actor, status)


@router.post("/rectifications/{rect_id}/answer", response_model=ratings.RectificationOut,
             response_model_exclude_none=True)
def answer_rectification(rect_id: RecordId, body: AnswerIn, session: SessionDep,
                         actor: ActorDep):
    return ratings.answer_rectification(session, actor, rect_id, body.answer)


@router.post("/rectifications/{rect_id}/follow-up", response_model=ratings.RectificationOut,
             response_model_exclude_none=True)
def follow_up(rect_id: RecordId, body: FollowUpIn, session: SessionDep, actor: ActorDep):
    return ratings.follow_up(session, actor, rect_id, body.accepted, body.note)


@router.get("/satisfaction", response_model=list[ratings.SatisfactionRow])
def satisfaction(session: SessionDep, actor: ActorDep,
                 by: Literal["service", "department", "window"] = "department"):
    """Satisfaction computed from the ratings: count, average, share 基本满意 or better."""
    return ratings.satisfaction(session, actor, by)


# --- suggestions ------------------------------------------------------------------------------
@router.post("/suggestions", status_code=201, response_model=participation.SuggestionOut,
             response_model_exclude_none=True)
def suggest(body: SuggestionIn, session: SessionDep, actor: ActorDep):
    return participation.submit_suggestion(session, actor, kind=body.kind,
                                           department=body.department, subject=body.subject,
                                           body=body.body)


@router.get("/suggestions", response_model=list[participation.SuggestionOut],
            response_model_exclude_none=True)
def list_suggestions(session: SessionDep, actor: ActorDep, unanswered: bool = False):
    """Your own suggestions, or your department's in your jurisdiction (due first)."""
    return participation.list_suggestions(session, actor, unanswered)


@router.post("/suggestions/{suggestion_id}/answer", response_model=participation.SuggestionOut,
             response_model_exclude_none=True)
def answer_suggestion(suggestion_id: RecordId, body: AnswerIn, session: SessionDep,
                      actor: ActorDep):
    return participation.answer_suggestion(session, actor, suggestion_id, body.answer)


@router.post("/suggestions/{suggestion_id}/publish", response_model=participation.SuggestionOut,
             response_model_exclude_none=True)
def publish_suggestion(suggestion_id: RecordId, body: PublishIn, session: SessionDep,
                       actor: ActorDep):
    return participation.publish_suggestion(session, actor, suggestion_id, body.text)


@router.get("/public/suggestions", response_model=list[participation.PublishedOut])
def published_suggestions(session: SessionDep):
    """The published answers (no login): what the department rewrote, naming no one."""
    return participation.published_suggestions(session)


# --- service providers ------------------------------------------------------------------------
@router.get("/providers", response_model=list[participation.ProviderOut])
def list_providers(session: SessionDep, actor: ActorDep):
    return participation.list_providers(session, actor)


@router.post("/providers", status_code=201, response_model=participation.ProviderOut)
def register_provider(body: ProviderIn, session: SessionDep, actor: ActorDep):
    return participation.register_provider(session, actor, code=body.code, name=body.name,
                                           kind=body.kind, division_code=body.division_code)


@router.put("/providers/{code}/active", response_model=participation.ProviderOut)
def provider_active(code: Annotated[str, FPath(max_length=32)], body: ProviderActiveIn,
                    session: SessionDep, actor: ActorDep):
    return participation.set_provider_active(session, actor, code, body.active)


@router.post("/cases/{case_id}/assign", response_model=AssignOut)
def assign(case_id: RecordId, body: AssignIn, session: SessionDep, actor: ActorDep):
    """Assign an open case to a registered provider of a kind its service allows."""
    return participation.assign_to_provider(session, actor, case_id, body.provider_code)
