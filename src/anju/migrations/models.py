"""Every domain's tables, for Alembic and the migrations-in-sync test."""
from __future__ import annotations

from importlib import import_module

from anju.core.modules import present

DOMAINS = ("anju.core", "anju.registry", "anju.housing", "anju.exchange", "anju.cases")


def import_all_models() -> None:
    """Import each domain's models module so Base.metadata knows all tables."""
    for domain in DOMAINS:
        if present(f"{domain}.models"):
            import_module(f"{domain}.models")
