"""Page-test fixtures: the small county of tests/factories.py on SQLite, behind the real app.

Page tests check HTTP behaviour (sessions, CSRF, redirects, rendering); the service rules under
them are tested on both backends in tests/registry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from anju.web.app import create_app
from tests.factories import PASSWORD, World, build_world

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Site:
    world: World
    client: TestClient

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on `path` (as a browser would read it)."""
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return CSRF.search(page.text).group(1)

    def login(self, username: str, password: str = PASSWORD, follow: bool = False):
        token = self.csrf("/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token, "next": "/"},
                                follow_redirects=follow)

    def post(self, path: str, data: dict, form_page: str | None = None, **kw):
        """POST a page form with the CSRF token taken from `form_page` (default: home)."""
        token = self.csrf(form_page or "/")
        return self.client.post(path, data={**data, "csrf_token": token}, **kw)


@pytest.fixture
def site(sqlite_db):
    world = build_world(sqlite_db)
    # http://localhost: session cookies are not marked Secure there, as on a developer machine.
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield Site(world, client)
