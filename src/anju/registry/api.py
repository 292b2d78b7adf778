"""Registry JSON routes: parse → one service call → serialise. No queries, no checks here."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import TypeAdapter

from anju.core.lane import lean
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep, committed
from anju.registry import service
from anju.registry.schemas import (
    EligibilityOut,
    EndIn,
    HouseIn,
    HouseOut,
    HouseUpdateIn,
    PermitOut,
    PersonIn,
    PersonView,
    RegistrationIn,
    RegistrationOut,
    RejectIn,
    RoomIn,
    RoomUpdateIn,
    StatusIn,
)

router = APIRouter(prefix="/api/v1", tags=["registry"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
IdPath = RecordId  # the shared bound (anju.core.types)
# The hot routes (a person by code or ID number, a registration) answer through `committed`:
# service call, commit and JSON in one thread-pool hop (anju.core.web); `@lean` lets the fast
# lane (anju.core.lane) serve their plain requests without FastAPI's per-request work.
PERSONS = TypeAdapter(list[PersonView])


@router.post("/persons", status_code=201, response_model=PersonView, response_model_exclude_none=True)
def create_person(body: PersonIn, session: SessionDep, actor: ActorDep, response: Response):
    view = service.create_person(session, actor, body)
    if view.existing:
        response.status_code = 200
    return view


@router.get("/persons", response_model=list[PersonView] | PersonView,
            response_model_exclude_none=True)
@lean
async def find_persons(session: SessionDep, actor: ActorDep, id_number: str | None = None,
                       q: Annotated[str | None, Query(max_length=64)] = None):
    """`?id_number=` answers the one person with that number; `?q=` searches (masked)."""
    if id_number:
        return await committed(session, lambda: service.find_person_by_id_number(
            session, actor, id_number), read=True)
    return await committed(session, lambda: service.search_persons(session, actor, q or ""),
                           adapter=PERSONS, read=True)


@router.get("/persons/{person_code}", response_model=PersonView, response_model_exclude_none=True)
@lean
async def read_person(person_code: str, session: SessionDep, actor: ActorDep):
    return await committed(session, lambda: service.read_person(session, actor, person_code),
                           read=True)


@router.get("/persons/{person_code}/permit-eligibility", response_model=EligibilityOut)
def permit_eligibility(person_code: str, session: SessionDep, actor: ActorDep):
    return service.permit_eligibility(session, actor, person_code)


@router.get("/persons/{person_code}/permits", response_model=list[PermitOut])
def list_permits(person_code: str, session: SessionDep, actor: ActorDep):
    return service.list_permits(session, actor, person_code)


@router.post("/persons/{person_code}/permits", status_code=201, response_model=PermitOut)
def issue_permit(person_code: str, session: SessionDep, actor: ActorDep):
    return service.issue_permit(session, actor, person_code)


@router.post("/permits/{permit_number}/endorse", response_model=PermitOut)
def endorse_permit(permit_number: str, session: SessionDep, actor: ActorDep):
    return service.endorse_permit(session, actor, permit_number)


@router.post("/houses", status_code=201, response_model=HouseOut,
             response_model_exclude_none=True)
def create_house(body: HouseIn, session: SessionDep, actor: ActorDep):
    return service.create_house(session, actor, body)


@router.get("/houses", response_model=list[HouseOut],
            response_model_exclude_none=True)
def list_houses(session: SessionDep, actor: ActorDep):
    return service.list_houses(session, actor)


@router.get("/houses/{house_id}", response_model=HouseOut,
            response_model_exclude_none=True)
def read_house(house_id: IdPath, session: SessionDep, actor: ActorDep):
    return service.read_house(session, actor, house_id)


@router.patch("/houses/{house_id}", response_model=HouseOut, response_model_exclude_none=True)
def update_house(house_id: IdPath, body: HouseUpdateIn, session: SessionDep, actor: ActorDep):
    """Correct a house's address or division (only the fields given change)."""
    return service.update_house(session, actor, house_id, body)


@router.post("/houses/{house_id}/rooms", status_code=201, response_model=HouseOut,
             response_model_exclude_none=True)
def add_room(house_id: IdPath, body: RoomIn, session: SessionDep, actor: ActorDep):
    return service.add_room(session, actor, house_id, body)


@router.patch("/houses/{house_id}/rooms/{room_id}", response_model=HouseOut,
              response_model_exclude_none=True)
def update_room(house_id: IdPath, room_id: IdPath, body: RoomUpdateIn, session: SessionDep,
                actor: ActorDep):
    """Renumber a room or change its capacity (never below the people registered there)."""
    return service.update_room(session, actor, house_id, room_id, body)


@router.delete("/houses/{house_id}/rooms/{room_id}", response_model=HouseOut,
               response_model_exclude_none=True)
def remove_room(house_id: IdPath, room_id: IdPath, session: SessionDep, actor: ActorDep):
    """Remove a room nobody is registered in (its history stays)."""
    return service.remove_room(session, actor, house_id, room_id)


@router.post("/registrations", status_code=201, response_model=RegistrationOut,
             response_model_exclude_none=True)
@lean
async def submit_registration(body: RegistrationIn, session: SessionDep, actor: ActorDep,
                              idempotency_key: IdempotencyKey = None):
    headers: dict[str, str] = {}

    def submit():
        registration, replayed = service.submit_registration(session, actor, body,
                                                             idempotency_key)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return registration

    return await committed(session, submit, status_code=201, headers=headers)


@router.get("/registrations", response_model=list[RegistrationOut],
            response_model_exclude_none=True, responses={200: {"headers": {
    "X-Total-Count": {"description": "how many registrations match in all",
                      "schema": {"type": "integer"}}}}})
def list_registrations(session: SessionDep, actor: ActorDep, response: Response,
                       status: StatusIn | None = None,
                       person_code: Annotated[str | None, Query(max_length=16)] = None,
                       division: Annotated[str | None, Query(
                           max_length=12, description="township or village code")] = None,
                       submitted_from: date | None = None, submitted_to: date | None = None,
                       q: Annotated[str | None, Query(
                           max_length=64, description="name (its start), ID number, "
                           "registration number or person code")] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0):
    """One page of the registrations you reach, newest first; `X-Total-Count` says how many
    match in all (page with `offset`). Submission dates are China Standard Time days."""
    page = service.list_registrations(
        session, actor, status, person_code, limit, offset=offset, division=division,
        submitted_from=submitted_from, submitted_to=submitted_to, query=q)
    response.headers["X-Total-Count"] = str(page.total)
    return list(page)


@router.get("/registrations/{registration_id}", response_model=RegistrationOut,
            response_model_exclude_none=True)
def read_registration(registration_id: IdPath, session: SessionDep, actor: ActorDep):
    return service.read_registration(session, actor, registration_id)


@router.post("/registrations/{registration_id}/approve", response_model=RegistrationOut,
             response_model_exclude_none=True)
def approve_registration(registration_id: IdPath, session: SessionDep, actor: ActorDep):
    return service.approve_registration(session, actor, registration_id)


@router.post("/registrations/{registration_id}/reject", response_model=RegistrationOut,
             response_model_exclude_none=True)
def reject_registration(registration_id: IdPath, body: RejectIn, session: SessionDep, actor: ActorDep):
    return service.reject_registration(session, actor, registration_id, body.reason)


@router.post("/registrations/{registration_id}/end", response_model=RegistrationOut,
             response_model_exclude_none=True)
def end_registration(registration_id: IdPath, body: EndIn, session: SessionDep, actor: ActorDep):
    return service.end_registration(session, actor, registration_id, body.end_date)

