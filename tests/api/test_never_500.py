"""Malformed input anywhere in the API gets a 4xx with a reason, never a 500."""
from __future__ import annotations

import re

from tests.api.test_route_contract import all_routes
from tests.factories import token

ODD_BODIES = [
    None, {}, [], "text", 12, {"name": None}, {"name": "x" * 5000, "id_number": "１２３"},
    {"person_code": "P" * 40, "room_id": -1, "start_date": "0000-00-00", "reason": "fun"},
    {"room_id": 10**30, "start_date": "2026-02-30", "reason": "work", "person_code": "P"},
    {"address": "", "division_code": "abc", "landlord_person_code": "", "rooms": []},
    {"address": "某地", "division_code": "33052200100199", "landlord_person_code": "x",
     "rooms": [{"label": "1", "capacity": 0}]},
    {"end_date": "yesterday"}, {"reason": ""}, {"events": "nope"},
]
ODD_PATH_VALUES = ["0", "-1", "99999999999999999999", "PXXXXXXXXXXX", "%E4%BD%A0", "1.5"]


def test_no_route_answers_500_to_bad_input(client, world):
    headers = token(client, world.police.username)
    exempt = {"/api/v1/auth/token"}
    failures = []
    for route_path, methods in all_routes(client.app):
        if not route_path.startswith("/api/") or route_path in exempt:
            continue
        for value in ODD_PATH_VALUES:
            path = re.sub(r"\{[^}]+\}", value, route_path)
            for method in methods - {"HEAD", "OPTIONS"}:
                bodies = ODD_BODIES if method in ("POST", "PUT", "PATCH") else [None]
                for body in bodies:
                    response = client.request(method, path, json=body, headers=headers,
                                              params={"id_number": "bad", "q": "x" * 10,
                                                      "limit": "-5", "status": "weird"})
                    if response.status_code >= 500:
                        failures.append(f"{method} {path} {body!r:.60} → {response.status_code}")
    assert not failures, "\n".join(failures[:20])
