"""The cases pages: one router, one template folder and one menu made of the parts'."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from anju.cases.pages import cases, evidence, notices

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
router = APIRouter(include_in_schema=False)
MENU: dict[str, list[tuple[str, str]]] = {}
for _part in (cases, evidence, notices):
    router.include_router(_part.router)
    for _role, _links in _part.MENU.items():
        MENU.setdefault(_role, []).extend(_links)
