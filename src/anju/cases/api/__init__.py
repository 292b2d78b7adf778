"""The cases API: one router made of the parts' routers (each part owns its module)."""
from __future__ import annotations

from fastapi import APIRouter

from anju.cases.api import cases, evidence, notices

router = APIRouter()
for _part in (cases, evidence, notices):
    router.include_router(_part.router)

from anju.cases.api import points as _points  # noqa: E402 — points, schools, eligibility (pts11)

router.include_router(_points.router)
