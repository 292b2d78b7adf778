"""The old home of the house corrections, kept so `from anju.registry import houses` goes on
working (other domains' tests use it). They live in `anju.registry.service.houses` now and are
reached as `service.update_house`, `service.add_room`, …"""
from __future__ import annotations

from anju.registry.service.houses import add_room, remove_room, update_house, update_room

__all__ = ["add_room", "remove_room", "update_house", "update_room"]
