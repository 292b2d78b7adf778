"""The cases API: one router made of the parts' routers (each part owns its module)."""
from __future__ import annotations

from fastapi import APIRouter

from anju.cases.api import cases, evidence, notices

router = APIRouter()
for _part in (cases, evidence, notices):
    router.include_router(_part.router)
