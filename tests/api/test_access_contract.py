"""Every route that shows a person passes through the access layer: called by every demo role
over the API and the pages, each person whose code appears in an answer (other than the actor
themselves) has an entry on the audit chain made by that very request. A service that read a
person without `Access` recording it would show the code with no entry and fail here.

The demo county (small) plus a department import and a subscription give every route something
to show; the paths are filled from its records.
"""
from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from anju.core import identity
from anju.core.crypto import id_cipher
from anju.core.db import Database
from anju.core.models import Account, AuditRecord
from anju.demo import build
from anju.registry.models import House, Person, Registration
from anju.web.app import create_app
from tests.api.test_route_contract import all_routes

CODE = re.compile(r"\bP[0-9A-HJKMNP-TV-Z]{11}\b")
SKIP = {"/logout", "/lang/{code}", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
        "/healthz", "/login", "/static"}


@pytest.fixture(scope="module")
def county(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("contract") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    build.ensure_demo(db, persons=200, progress=lambda _m: None)
    _department_import(db, tmp_path_factory.mktemp("extract"))
    yield db
    db.dispose()


def _department_import(db: Database, folder) -> None:
    """A public-security extract naming ten demo residents, so the hub has golden records tied
    to registry persons, and the human-resources officer subscribes to them."""
    from anju.exchange import service as exchange
    from tests.exchange.conftest import Extracts

    with db.unit_of_work() as s:
        people = s.execute(select(Person).join(
            Registration, Registration.person_code == Person.person_code)
            .where(Registration.status == "approved").limit(10)).scalars().all()
        rows = [[f"GA{i}", p.name, id_cipher().decrypt(p.id_cipher), "", "", "",
                 "浙江省湖州市长兴县雉城街道", "", ""] for i, p in enumerate(people)]
    extract = Extracts(folder).gongan(rows)
    with db.unit_of_work() as s:
        steward = _actor(s, "steward")
        exchange.import_extract(s, steward, extract, "gongan")
    with db.unit_of_work() as s:
        exchange.subscribe(s, _actor(s, "hrss"), None, True)


def _actor(session, username: str):
    return identity.actor_of(session.execute(
        select(Account).where(Account.username == username)).scalar_one())


def _values(db: Database, actor_name: str) -> dict[str, str]:
    """Concrete path values: records the actor has reason to ask for (their own, or of their
    area), so that answers carry persons."""
    from anju.exchange.models import GoldenRecord, ReviewPair

    with db.unit_of_work() as s:
        actor = _actor(s, actor_name)
        person = actor.person_code or s.execute(select(Registration.person_code).where(
            Registration.status == "approved").order_by(Registration.id)).scalars().first()
        reg = s.execute(select(Registration.id).where(
            Registration.person_code == person).order_by(Registration.id.desc())).scalar()
        house = s.execute(select(House.id).order_by(House.id)).scalar()
        golden = s.execute(select(GoldenRecord.id).where(
            GoldenRecord.person_code.is_not(None)).order_by(GoldenRecord.id)).scalar()
        pair = s.execute(select(ReviewPair.id).order_by(ReviewPair.id)).scalar() or 1
    return {"person_code": person, "registration_id": str(reg or 1), "house_id": str(house),
            "golden_id": str(golden or 1), "pair_id": str(pair), "import_id": "1",
            "job_id": "1", "request_id": "1", "consent_id": "1", "username": actor_name}


def _paths(app, values: dict[str, str], api: bool) -> list[str]:
    found = []
    for path, methods in all_routes(app):
        if "GET" not in methods or path in SKIP or path.startswith("/api/") != api:
            continue
        found.append(re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "1"), path))
    person = values["person_code"]
    if api:
        found += [f"/api/v1/persons?q={person}", f"/api/v1/keys?person_code={person}",
                  f"/api/v1/fees?person_code={person}", "/api/v1/registrations?status=submitted"]
    else:
        found += [f"/persons?q={person}", "/police/queue?status=approved"]
    return found


def _new_entries(db: Database, after: int) -> set[str]:
    with db.unit_of_work() as s:
        return set(s.execute(select(AuditRecord.person_code).where(
            AuditRecord.id > after, AuditRecord.person_code.is_not(None))).scalars())


def _last_id(db: Database) -> int:
    with db.unit_of_work() as s:
        return s.execute(select(func.coalesce(func.max(AuditRecord.id), 0))).scalar_one()


@pytest.mark.parametrize("username", [a.username for a in build.ACCOUNTS])
def test_every_person_an_answer_shows_is_on_the_audit_chain(county, username):
    app = create_app(db=county)
    values = _values(county, username)
    with county.unit_of_work() as s:
        own = _actor(s, username).person_code
    unaudited, shown = [], 0
    with TestClient(app, base_url="http://localhost") as client:
        token = client.post("/api/v1/auth/token", data={
            "username": username, "password": build.PASSWORD}).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        page = client.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": username, "password": build.PASSWORD,
                                    "csrf_token": csrf, "next": "/"})
        for api in (True, False):
            for path in _paths(app, values, api):
                before = _last_id(county)
                answer = client.get(path, headers=bearer if api else {})
                codes = set(CODE.findall(answer.text)) - {own}
                if answer.status_code >= 400:  # a refusal page echoes the address it was asked
                    codes -= set(CODE.findall(path))
                shown += len(codes)
                missing = codes - _new_entries(county, before)
                if missing:
                    unaudited.append(f"{path} ({answer.status_code}) shows {sorted(missing)}")
    assert not unaudited, f"{username}: persons shown without an audit entry:\n" + \
        "\n".join(unaudited)
    if username in ("police", "grid", "landlord", "steward"):
        assert shown, f"{username}: no route showed anyone; the test proves nothing"
