"""Schemathesis over every API operation, as several roles: no answer is a 5xx, and every
answer matches the documented schema (status code, content type, body). In CI it runs a small
example budget per operation; the full run is `./dev fuzz` (docs/development.md), which sets
ANJU_FUZZ_EXAMPLES and ANJU_FUZZ_ROLES.

Excluded per role: operations that would lock the fuzzing accounts out of the rest of the run
(an admin disabling or resetting accounts, logging out a token), listed in EXCLUDED.
"""
from __future__ import annotations

import os
import re

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from anju.web.app import create_app
from tests.factories import build_world, token

EXAMPLES = int(os.environ.get("ANJU_FUZZ_EXAMPLES", "4"))
ROLES = os.environ.get("ANJU_FUZZ_ROLES", "police,resident,admin").split(",")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# (role or "*", method, path pattern): never fuzzed for that role
EXCLUDED = [
    ("admin", "POST", r"^/api/v1/accounts/\{[^}]+\}/"),  # disable / reset: locks accounts out
    ("*", "POST", r"/logout$"),  # would revoke the very token the run uses
]


def _excluded(role: str, method: str, path: str) -> bool:
    return any(who in (role, "*") and method.upper() == m and re.search(pattern, path)
               for who, m, pattern in EXCLUDED)


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_to_its_schema(sqlite_db, role):
    world = build_world(sqlite_db)
    app = create_app(db=sqlite_db)
    with TestClient(app) as client:
        headers = token(client, world.actor(role).username)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if _excluded(role, operation.method, operation.path):
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, headers)
            except Unsatisfiable:  # nothing to make invalid (an operation without input)
                continue
            except Exception as error:  # noqa: BLE001 - every operation's findings are listed
                failures.append(f"{operation.label} [{mode.value}]: "
                                f"{str(error).strip().splitlines()[0][:300]}")
    assert operations >= 40, operations
    assert not failures, f"{len(failures)} operations broke their schema:\n" + "\n".join(failures)


def _fuzz(operation, mode, headers: dict) -> None:
    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
