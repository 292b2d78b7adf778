"""What one domain shows on another domain's page, declared rather than imported.

The layers forbid a lower domain to import a higher one (registry cannot import federation,
monitoring cannot either), yet a resident's registration should say that an arrival notice was
sent, and the dashboard should show the flows exchanged with peer counties. So a domain
declares, in its descriptor, `notes=((slot, "module:function"), ...)`; the page that owns the
slot asks this module, which resolves the declared functions from `anju.core.domain`'s list.

Slots (the page that owns each, and what a contributor returns):
- "registration": the resident's registrations page; `(session, actor, ids) -> {registration
  id: [Note]}`, lines shown under each registration.
- "dashboard": the monitoring dashboard; `(session, actor) -> [Panel]`, panels shown after
  its own (a contributor returns nothing to a role that may not see its panel).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from anju.core.domain import domains, resolve
from anju.core.policy import Actor

SLOTS = ("registration", "dashboard")


@dataclass(frozen=True)
class Note:
    """One line: a words key (the contributing domain's) and its parameters."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Panel:
    """A block of another domain's page: its template (under the domain's templates) and the
    context that template reads as `panel`."""

    template: str
    context: Mapping[str, object] = field(default_factory=dict)


def contributors(slot: str) -> list[Callable]:
    if slot not in SLOTS:
        raise KeyError(f"unknown notes slot {slot!r}")
    return [resolve(target) for domain in domains()
            for declared, target in getattr(domain, "notes", ()) if declared == slot]


def lines(slot: str, session: Session, actor: Actor, ids: Iterable[int]) -> dict[int, list[Note]]:
    ids, out = list(ids), {}
    if not ids:
        return out
    for contribute in contributors(slot):
        for key, notes in contribute(session, actor, ids).items():
            out.setdefault(key, []).extend(notes)
    return out


def panels(slot: str, session: Session, actor: Actor) -> list[Panel]:
    return [panel for contribute in contributors(slot) for panel in contribute(session, actor)]
