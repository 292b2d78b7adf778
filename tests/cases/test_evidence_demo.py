"""In the demo county, evidence is really pulled: the demo resident's cases of every catalogue
service find at least 80% of their evidence at the registry and the departments (issue 9's
target), and the figures per service are checked."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from anju.cases import catalogue
from anju.cases.models import Case
from anju.cases.service import evidence
from anju.core import identity
from anju.core.access import Access
from anju.core.db import Database
from anju.core.models import Account
from anju.demo import build
from anju.registry import service as registry


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    messages: list[str] = []
    build.ensure_demo(db, persons=120, progress=messages.append)
    yield db, messages
    db.dispose()


def _actor(db, username: str):
    with db.unit_of_work() as s:
        return identity.actor_of(s.execute(select(Account).where(
            Account.username == username)).scalar_one())


def _measure(db, resident) -> tuple[int, int, dict[str, str]]:
    pulled = total = 0
    per_service = {}
    for code, service in catalogue.load().items():
        with db.unit_of_work() as s:
            case = Case(service_code=code, person_code=resident.person_code,
                        division_code=resident.division_code, department=service.department,
                        status="submitted", channel="online", opened_by="resident",
                        form={"child_name": _child(s, resident)})
            s.add(case)
            s.flush()
            rows = evidence.collect(Access(s, resident), case, service)
            got = sum(r.obtained_on is not None for r in rows)
        per_service[code] = f"{got}/{len(rows)}"
        pulled, total = pulled + got, total + len(rows)
    return pulled, total, per_service


def test_the_demo_resident_gets_most_evidence_pulled(demo):
    db, messages = demo
    assert any(m.startswith("demo: department data: renshe") for m in messages), messages
    resident = _actor(db, "resident")
    # before they hold a permit, only the items naming the permit (and the uploads) are missing
    pulled, total, per_service = _measure(db, resident)
    assert (pulled, total) == (32, 40), per_service
    assert per_service["permit_endorsement"] == "1/2", per_service
    # the persona is eligible: once the police issue the permit, the target is reached
    with db.unit_of_work() as s:
        registry.issue_permit(s, _actor(db, "police"), resident.person_code)
    pulled, total, per_service = _measure(db, resident)
    assert (pulled, total) == (35, 40) and pulled / total >= 0.8, per_service
    # every source the catalogue names answers for the demo resident
    assert per_service["residence_permit"] == "3/3", per_service
    assert per_service["legal_aid"] == "4/5", per_service


def _child(session, resident) -> str:
    """The name the education bureau's demo list gives the resident's child."""
    from anju.exchange.models import SourceRecord
    from anju.registry.reads import person_phones

    phone = person_phones(session, [resident.person_code])[resident.person_code]
    return session.execute(select(SourceRecord.name).where(
        SourceRecord.department == "jiaoyu", SourceRecord.phone == phone)).scalar() or ""
