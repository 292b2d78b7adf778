"""Cases JSON routes (notices): parse → one service call → serialise."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["cases"])
