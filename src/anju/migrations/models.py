"""Every domain's tables, for Alembic and the migrations-in-sync test."""
from __future__ import annotations

from anju.core import domain


def import_all_models() -> None:
    """Import each domain's models module so Base.metadata knows all tables."""
    domain.parts("models")
