"""Rental housing and smart locks: e-keys that follow residence registrations, lock events kept
briefly and reduced to daily presence, management tasks for grid workers, and service fees.

Importing the package subscribes housing to the registry's registration events, so whichever
process approves or ends a registration (API, pages, CLI, demo) also issues or revokes the key.
The registry never imports housing.
"""
from __future__ import annotations

from anju.registry import service as _registry


def _listener(name: str):
    def call(session, actor, registration) -> None:
        from anju.housing import service

        getattr(service, name)(session, actor, registration)

    call.__name__ = name
    return call


_LISTENERS = {event: _listener(f"on_{event.replace('.', '_')}")
              for event in ("registration.submitted", "registration.approved",
                            "registration.rejected", "registration.ended", "house.moved",
                            "registrations.loaded")}
for _event, _call in _LISTENERS.items():
    _registry.on(_event, _call)
