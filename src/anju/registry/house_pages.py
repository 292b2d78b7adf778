"""House pages after registration: officials find the houses of their area by address; a
landlord (their own) or an official (their jurisdiction) corrects a house's address or place and
adds, changes or removes rooms. Part of the registry's pages (included by pages.py); every
change goes through anju.registry.service (its houses module), which checks policy and audits it.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.core import divisions, inputs
from anju.core.errors import AnjuError
from anju.core.pages import confirm, confirmed
from anju.core.policy import Actor, Scope, scopes_for
from anju.core.web import ActorDep, SessionDep
from anju.registry import policy as P
from anju.registry import service
from anju.registry.schemas import HouseUpdateIn, RoomIn, RoomUpdateIn

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]  # a database integer
NOTICES = {"house_updated", "room_added", "room_updated", "room_removed"}


def division_groups(actor: Actor) -> list[tuple[str, list[tuple[str, str]]]]:
    """Townships of the actor's reach with their villages, by name, for a house's place."""
    return [(t.name, [(t.code, t.name)] + [(v.code, v.name) for v in villages])
            for t, villages in divisions.townships_with_villages(actor.division_code)]


def _edit_page(request: Request, session: Session, actor: Actor, house_id: int,
               error: AnjuError | None = None) -> Response:
    house = service.read_house(session, actor, house_id)
    notices = [f"registry.notice.{n}" for n in request.query_params.getlist("notice")
               if n in NOTICES]
    # Back to the houses one edits as their landlord, or to the area's houses (an official).
    own = Scope.OWN_PROPERTY in scopes_for(actor.role, P.HOUSE_UPDATE)
    back = "/landlord/houses" if own else "/houses"
    return request.app.state.templates.TemplateResponse(
        request, "registry/house_edit.html",
        {"house": house, "groups": division_groups(actor), "error": error, "notices": notices,
         "back": back}, error.http_status if error else 200)


def _edited(request: Request, session: Session, actor: Actor, house_id: int, notice: str,
            change) -> Response:
    """Run one change; back to the edit page with a notice, or with the refusal shown there."""
    try:
        change()
    except AnjuError as error:
        session.rollback()
        return _edit_page(request, session, actor, house_id, error)
    return RedirectResponse(f"/houses/{house_id}/edit?notice={notice}", status_code=303)


@router.get("/houses")
def find_houses(request: Request, session: SessionDep, actor: ActorDep, q: str = ""):
    """The houses of the actor's area, newest first, or those whose address contains `q`."""
    found = service.list_houses(session, actor, limit=50, query=q[:64] or None)
    return request.app.state.templates.TemplateResponse(
        request, "registry/houses_find.html", {"houses": found, "q": q, "error": None})


@router.get("/houses/{house_id}/edit")
def edit_house(house_id: IdPath, request: Request, session: SessionDep, actor: ActorDep):
    return _edit_page(request, session, actor, house_id)


@router.post("/houses/{house_id}")
def update_house(house_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
                 address: Text = "", division_code: Text = ""):
    return _edited(request, session, actor, house_id, "house_updated", lambda: service.update_house(
        session, actor, house_id, inputs.parse(HouseUpdateIn, {
            "address": address or None, "division_code": division_code or None})))


@router.post("/houses/{house_id}/rooms")
def add_room(house_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
             label: Text = "", capacity: Text = ""):
    return _edited(request, session, actor, house_id, "room_added", lambda: service.add_room(
        session, actor, house_id, inputs.parse(RoomIn, {"label": label, "capacity": capacity})))


@router.post("/houses/{house_id}/rooms/{room_id}")
def update_room(house_id: IdPath, room_id: IdPath, request: Request, session: SessionDep,
                actor: ActorDep, label: Text = "", capacity: Text = ""):
    return _edited(request, session, actor, house_id, "room_updated", lambda: service.update_room(
        session, actor, house_id, room_id, inputs.parse(RoomUpdateIn, {
            "label": label or None, "capacity": capacity or None})))


@router.post("/houses/{house_id}/rooms/{room_id}/remove")
def remove_room(house_id: IdPath, room_id: IdPath, request: Request, session: SessionDep,
                actor: ActorDep, confirmed_: Annotated[str, Form(alias="confirmed")] = ""):
    if not confirmed(confirmed_):
        try:
            house = service.read_house(session, actor, house_id)
        except AnjuError as error:
            session.rollback()
            return _edit_page(request, session, actor, house_id, error)
        room = next((r for r in house.rooms if r.room_id == room_id and not r.occupants), None)
        if room is not None:
            return confirm(request, title="registry.confirm.remove_room_title",
                           question="registry.confirm.remove_room_question",
                           action=f"/houses/{house_id}/rooms/{room_id}/remove",
                           back=f"/houses/{house_id}/edit", fields={},
                           facts=[("field.address", house.address),
                                  ("registry.field.room_label", room.label),
                                  ("registry.field.capacity", room.capacity)],
                           button="registry.confirm.remove_room_button")
    return _edited(request, session, actor, house_id, "room_removed",
                   lambda: service.remove_room(session, actor, house_id, room_id))
