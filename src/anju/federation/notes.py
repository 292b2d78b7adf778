"""What federation shows on lower domains' pages, through `anju.core.notes` (declared in this
domain's descriptor; registry and monitoring never import federation):

- "registration": under a resident's registration, that an arrival (or leaving) notice went to
  the county of their household registration, and to which one — or is waiting to go.
- "dashboard": for those who read the exchanged statistics (analysts, leaders), a panel with the
  latest month exchanged with each peer and a link to the full flows page. Its figures are the
  released cells as they travelled (no count from 1 to 15 ever leaves or is accepted), summed
  only over the published cells, with the number withheld shown beside them.
"""
from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.access import Access
from anju.core.clock import CST
from anju.core.notes import Note, Panel
from anju.core.policy import Actor, is_allowed
from anju.federation.models import Message, Peer
from anju.federation.policy import OWN_READ, STATS_READ
from anju.federation.service.messages import list_messages


def registration_notes(session: Session, actor: Actor, ids: list[int]) -> dict[int, list[Note]]:
    """Lines under the person's own registrations (through the access layer, self scope)."""
    if not actor.person_code or not is_allowed(actor.role, OWN_READ):
        return {}
    rows = Access(session, actor).select(OWN_READ, select(Message).where(
        Message.type == "arrival", Message.direction == "out",
        Message.registration_id.in_(ids)).order_by(Message.id))
    names = dict(session.execute(select(Peer.id, Peer.name)).all())
    out: dict[int, list[Note]] = {}
    for m in rows:
        event = "ended" if m.body.get("event") == "ended" else "arrived"
        sent = m.state == "delivered" and m.delivered_at is not None
        at = m.delivered_at.replace(tzinfo=UTC).astimezone(CST).date().isoformat() if sent else ""
        out.setdefault(m.registration_id, []).append(Note(
            f"federation.note_{event}_{'sent' if sent else 'pending'}",
            {"peer": names.get(m.peer_id, ""), "at": at}))
    return out


def _published(body: dict) -> tuple[int, int]:
    """(sum of the published arrivals, number of cells withheld) of a statistics body."""
    cells = body.get("cells") or []
    return (sum(c["arrivals"] for c in cells if isinstance(c.get("arrivals"), int)),
            sum(1 for c in cells for k in ("arrivals", "departures", "stock") if c.get(k) is None))


def dashboard_panels(session: Session, actor: Actor) -> list[Panel]:
    """The flows exchanged with each peer, latest month each way; nothing for a role that may
    not read the exchanged statistics."""
    if not is_allowed(actor.role, STATS_READ):
        return []
    latest: dict[str, dict] = {}
    for direction in ("in", "out"):
        for m in list_messages(session, actor, direction, kind="stats", limit=200):
            row = latest.setdefault(m.peer, {"peer": m.peer_name, "in": None, "out": None})
            month = m.body.get("month")
            if m.state == "failed" or (row[direction] and row[direction]["month"] >= month):
                continue
            arrivals, withheld = _published(m.body)
            row[direction] = {"month": month, "state": m.state, "arrivals": arrivals,
                              "withheld": withheld}
    rows = sorted(latest.values(), key=lambda r: r["peer"])
    return [Panel("federation/_dashboard_panel.html", {"rows": rows, "link": "/federation/flows"})]
