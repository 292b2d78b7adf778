"""The demo gives every role that handles cases real work: the resident's own cases (one waiting
for their supplement), human resources' queue with yellow and red cases, the supervisor's
escalated overdue cases, the window clerk's cases opened with consent, the analyst's figures —
and each of their menu pages opens."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from anju.cases.service import stats
from anju.core import identity
from anju.core.models import Account
from anju.demo import build
from anju.web.app import create_app
from tests.support.datadir import county_copy

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    """Built once for the module (its tests only read it, and sign in)."""
    with county_copy(sqlite_template, tmp_path_factory.mktemp("cases-demo")) as db:
        build.ensure_demo(db, persons=200, progress=lambda _m: None)
    yield db
    db.dispose()


def _actor(db, username: str):
    with db.unit_of_work() as s:
        return identity.actor_of(s.execute(
            select(Account).where(Account.username == username)).scalar_one())


def test_every_case_role_has_work(demo):
    who = {name: _actor(demo, name) for name in ("resident", "hrss", "supervisor", "clerk",
                                                 "analyst", "gongan")}
    with demo.unit_of_work() as s:
        mine = stats.my_cases(s, who["resident"])
        assert {c.status for c in mine} >= {"supplement", "approved"}
        queue = list(stats.queue(s, who["hrss"]))
        assert {c.warning for c in queue} >= {"yellow", "red", "none"}
        assert any(c.status == "submitted" for c in queue)
        overdue = list(stats.overdue(s, who["supervisor"]))
        assert overdue and all(c.escalated for c in overdue)
        assert stats.opened_by_me(s, who["clerk"])
        assert stats.counts(s, who["analyst"])
        permits = list(stats.queue(s, who["gongan"]))
        assert {c.service_code for c in permits} == {"residence_permit"}
        assert {c.status for c in permits} == {"submitted", "accepted"}


@pytest.mark.parametrize("username", ["resident", "hrss", "supervisor", "clerk", "analyst",
                                      "gongan"])
def test_the_menu_pages_of_case_roles_open(demo, username):
    with TestClient(create_app(db=demo), base_url="http://localhost") as client:
        csrf = CSRF.search(client.get("/login").text).group(1)
        client.post("/login", data={"username": username, "password": build.PASSWORD,
                                    "csrf_token": csrf, "next": "/"})
        home = client.get("/")
        links = [href for href in re.findall(r'<a href="(/[^"]*)"', home.text)
                 if href.startswith(("/me/cases", "/cases", "/window"))]
        assert links, f"{username}: no case page on the home page"
        for link in links:
            page = client.get(link)
            assert page.status_code == 200, (link, page.text[:500])
            assert "/cases/" in page.text or "<table" in page.text, link
