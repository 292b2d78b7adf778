"""Cross-domain reactions, declared rather than subscribed at import.

A domain announces what happened (`emit(session, actor, "registration.approved", registration)`)
inside the use case's unit of work; the listeners every domain declares for that event in its
descriptor run there too, so the reaction commits or rolls back with the cause. The dispatcher
reads the descriptors itself, so a process that imports only the emitting domain still runs
every reaction ("no registration, no key" holds in the CLI, the demo, a script).
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy.orm import Session

from anju.core.domain import domains, resolve
from anju.core.policy import Actor

Listener = Callable[[Session, Actor, object], None]


@functools.cache
def _table() -> dict[str, tuple[Listener, ...]]:
    declared = {event for domain in domains() for event in domain.emits}
    table: dict[str, list[Listener]] = {}
    for domain in domains():
        for event, target in domain.listeners:
            if event not in declared:
                raise RuntimeError(f"{domain.name} listens to {event!r}, which no domain emits")
            table.setdefault(event, []).append(resolve(target))
    return {event: tuple(listeners) for event, listeners in table.items()}


def emit(session: Session, actor: Actor, event: str, subject: object) -> None:
    """Run every declared listener of `event`, in domain order, in the caller's transaction."""
    if event not in {e for domain in domains() for e in domain.emits}:
        raise RuntimeError(f"event {event!r} is not declared by any domain's `emits`")
    for listener in _table().get(event, ()):
        listener(session, actor, subject)
