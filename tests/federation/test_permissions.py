"""The federation permission matrix: every role × action × inside / outside its reach, at the
service layer ("ok"; "empty" — allowed, nothing in reach; "403" — never; "404" — out of reach,
so it looks missing). Written out by hand: it is the specification.

Administrators run the exchange but read no person: the inbox and outbox carry a continuity
request as a keyed hash and a purpose. Analysts read the statistics only. Only those who serve
people at a window or in a department ask another county about a person in their jurisdiction."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from anju.core.identity import SYSTEM
from anju.federation import rules, service
from tests.factories import COUNTY, OTHER_COUNTY, make_account, make_person, valid_id
from tests.federation.conftest import PEER_CODE
from tests.support.matrix import mismatches

ROLES = ["resident", "window_clerk", "dept_officer", "dept_supervisor", "police", "analyst",
         "auditor", "admin", "system"]
NO = "403/403"
ASK = "ok/404"
# op: (resident, window_clerk, dept_officer, dept_supervisor, police, analyst, auditor, admin,
#      system)
MATRIX = {
    "peers.list":          (NO, NO, NO, NO, NO, NO, NO, "ok/ok", "ok/ok"),
    "peers.add":           (NO, NO, NO, NO, NO, NO, NO, "ok/ok", "ok/ok"),
    "inbox.stats":         (NO, NO, NO, NO, NO, "ok/ok", NO, "ok/ok", "ok/ok"),
    "outbox.all":          (NO, NO, NO, NO, NO, "ok/ok", NO, "ok/ok", "ok/ok"),
    "inbox.continuity":    (NO, NO, NO, NO, NO, "404/404", NO, "empty/empty", "empty/empty"),
    "stats.send":          (NO, NO, NO, NO, NO, NO, NO, "ok/ok", "ok/ok"),
    "continuity.request":  (NO, ASK, ASK, ASK, NO, NO, NO, NO, NO),
    "continuity.read":     (NO, ASK, ASK, ASK, NO, NO, NO, NO, NO),
    "own.read":            ("ok/empty", NO, NO, NO, NO, NO, NO, NO, NO),
}
# nobody's personal data: peers, statistics, a keyed hash and a purpose
UNAUDITED = {"peers.list", "inbox.stats", "outbox.all", "inbox.continuity"}
OWN = {"own.read"}  # a person reading what concerns them


class Setup:
    def __init__(self, db, peer):
        self.db = db
        police = make_account(db, "police")
        self.person = make_person(db, police, "陈小梅", id_number=valid_id("330523"))
        self.stranger = make_person(db, police, "路人", id_number=valid_id("330523"))
        envelope = {"version": rules.VERSION, "message_id": "s-0000000001", "sender": PEER_CODE,
                    "receiver": "330522", "sent_at": rules.stamp(datetime.now(UTC)),
                    "type": "stats", "body": {"month": "2026-11", "cells": []}}
        envelope["signature"] = peer.key.sign(envelope)
        assert service.receive(db, json.dumps(envelope).encode())[0] == 200
        clerk = make_account(db, "window_clerk")
        with db.unit_of_work() as s:
            self.asked = service.request_continuity(
                s, clerk, peer=PEER_CODE, person_code=self.person,
                purpose="federation.social_insurance").message_id
        self.key = peer.key

    def actor(self, role: str, inside: bool):
        if role == "system":
            return SYSTEM
        kw = {}
        if role == "resident":
            kw["person_code"] = self.person if inside else self.stranger
        if role in ("dept_officer", "dept_supervisor"):
            kw["department"] = "hrss"
        division = COUNTY if inside or role == "resident" else OTHER_COUNTY
        return make_account(self.db, role, division=division, **kw)

    def call(self, op: str, session, actor, inside: bool):
        match op:
            case "peers.list":
                return service.list_peers(session, actor)
            case "peers.add":
                return service.add_peer(session, actor, name="德清县", division="330521",
                                        url="http://deqing.invalid",
                                        public_key=self.key.public.to_text())
            case "inbox.stats":
                return service.list_messages(session, actor, "in", kind="stats")
            case "outbox.all":
                return service.list_messages(session, actor, "out", kind="stats") + [None]
            case "inbox.continuity":
                return service.list_messages(session, actor, "in", kind="continuity")
            case "stats.send":
                return service.send_stats(session, actor, "2026-11")
            case "continuity.request":
                return service.request_continuity(session, actor, peer=PEER_CODE,
                                                  person_code=self.person,
                                                  purpose="federation.benefit_stopped")
            case "continuity.read":
                return service.continuity_answer(session, actor, self.asked)
            case "own.read":
                return service.my_requests(session, actor)
        raise AssertionError(op)


@pytest.mark.parametrize("role", ROLES)
def test_federation_permission_matrix(db, peer, role):
    setup = Setup(db, peer)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor, setup.call, unaudited=UNAUDITED,
                       audit_optional=OWN)
    assert not found, "\n".join(found)


# --- the flows panel on the monitoring dashboard (anju.core.notes "dashboard") -------------------
# role: whether the panel is there. The dashboard's readers are leader, analyst, police, grid
# worker and department officer; only those who read the exchanged statistics see the panel.
PANEL = {"leader": True, "analyst": True, "admin": True, "police": False, "grid_worker": False,
         "dept_officer": False, "dept_supervisor": False, "window_clerk": False,
         "auditor": False}


def test_the_dashboard_flows_panel_by_role_with_exact_fields(db, peer):
    from anju.core import notes

    cells = [{"origin": "330522001000", "destination": "330523100000", "arrivals": 20,
              "departures": None, "stock": 44},
             {"origin": "330522002000", "destination": "330523100000", "arrivals": None,
              "departures": 0, "stock": None}]
    for month, message_id in (("2026-10", "s-0000000010"), ("2026-11", "s-0000000011")):
        envelope = {"version": rules.VERSION, "message_id": message_id, "sender": PEER_CODE,
                    "receiver": "330522", "sent_at": rules.stamp(datetime.now(UTC)),
                    "type": "stats", "body": {"month": month, "cells": cells}}
        envelope["signature"] = peer.key.sign(envelope)
        assert service.receive(db, json.dumps(envelope).encode())[0] == 200
    found = []
    police = make_account(db, "police")
    resident = make_account(db, "resident", person_code=make_person(db, police, "陈小梅"))
    with db.unit_of_work() as s:
        found += ["resident: sees the panel"] if notes.panels("dashboard", s, resident) else []
    for role, sees in PANEL.items():
        actor = make_account(db, role, department="hrss" if role.startswith("dept") else None)
        with db.unit_of_work() as s:
            panels = notes.panels("dashboard", s, actor)
        if not sees:
            found += [f"{role}: sees the panel"] if panels else []
            continue
        [panel] = panels
        expected = [{"peer": "安吉县", "out": None, "in": {
            "month": "2026-11", "state": "delivered", "arrivals": 20, "withheld": 3}}]
        if dict(panel.context) != {"rows": expected, "link": "/federation/flows"}:
            found.append(f"{role}: {panel.context}")
    assert not found, "\n".join(found)
