"""Tampering with the audit log is found, and `anju audit verify` names the entry."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from anju.cli.main import app as cli
from anju.core import audit
from anju.core.audit import AuditEvent
from anju.core.models import AuditEntry
from anju.core.policy import Actor, Role

ACTOR = Actor(account_id=1, username="police-1", role=Role.POLICE, division_code="330522000000")


def _fill(db, n: int = 6) -> None:
    for i in range(n):
        with db.unit_of_work() as s:
            audit.append(s, ACTOR, [AuditEvent("person.read", "registration_management",
                                               f"P{i:011d}", "person", str(i), {"i": i})])


def _verify(db) -> audit.VerifyResult:
    with db.unit_of_work() as s:
        return audit.verify_chain(s)


def test_intact_chain_verifies(db):
    _fill(db)
    result = _verify(db)
    assert result.ok and result.checked == 6


def test_altered_entry_is_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(purpose="curiosity"))
    result = _verify(db)
    assert not result.ok and result.bad_seq == 3 and "altered" in result.reason


def test_deleted_entry_is_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    result = _verify(db)
    assert not result.ok and result.bad_seq == 4


def test_deleted_last_entry_is_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 6))
    result = _verify(db)
    assert not result.ok and result.bad_seq == 6


def test_reordered_entries_are_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        rows = {e.seq: e for e in s.execute(select(AuditEntry).where(AuditEntry.seq.in_([2, 5]))).scalars()}
        fields = ["at", "username", "action", "person_code", "object_id", "detail", "prev_hash",
                  "entry_hash", "purpose"]
        two, five = ({f: getattr(rows[k], f) for f in fields} for k in (2, 5))
        for f in fields:
            setattr(rows[2], f, five[f])
            setattr(rows[5], f, two[f])
    result = _verify(db)
    assert not result.ok and result.bad_seq == 2


def test_rehashed_forgery_is_still_caught_by_the_next_link(db):
    """Altering an entry and recomputing its own hash breaks the following entry's link."""
    _fill(db)
    with db.unit_of_work() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.seq == 2)).scalar_one()
        entry.purpose = "curiosity"
        entry.entry_hash = audit.chain_hash(entry.prev_hash, entry)
    result = _verify(db)
    assert not result.ok and result.bad_seq == 3


@pytest.fixture
def cli_env(sqlite_db, monkeypatch):
    from anju.core.config import reset_settings_cache

    monkeypatch.setenv("ANJU_DATABASE_URL", sqlite_db.url)
    reset_settings_cache()
    return sqlite_db


def test_cli_audit_verify_exit_codes(cli_env):
    _fill(cli_env)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "6" in ok.output
    with cli_env.unit_of_work() as s:
        s.execute(text("UPDATE audit_entries SET username = 'someone-else' WHERE seq = 5"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1 and "entry 5" in broken.output


def test_entries_are_sealed_at_commit_and_savepoint_rollbacks_leave_none(db):
    with db.unit_of_work() as s:
        audit.append(s, ACTOR, [AuditEvent("person.read", "p", "P1")])
        try:
            with s.begin_nested():
                audit.append(s, ACTOR, [AuditEvent("person.read", "p", "P2")])
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        audit.append(s, ACTOR, [AuditEvent("person.read", "p", "P3")])
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        assert [(e.seq, e.person_code) for e in rows] == [(1, "P1"), (2, "P3")]
    assert _verify(db).ok


def test_an_unsealed_row_is_reported(db):
    _fill(db, 2)
    with db.unit_of_work() as s:
        s.execute(text("INSERT INTO audit_entries (at, username, role, action, purpose) "
                       "VALUES ('2026-01-01 00:00:00', 'ghost', 'police', 'person.read', 'x')"))
    result = _verify(db)
    assert not result.ok and "never sealed" in result.reason


def test_concurrent_writers_keep_one_gapless_chain(db):
    """Many transactions sealing at once (threads, as in a server) still make one chain."""
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> None:
        with db.unit_of_work() as s:
            audit.append(s, ACTOR, [AuditEvent("person.read", "p", f"P{i}"),
                                    AuditEvent("person.read", "p", f"Q{i}")])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(60)))
    result = _verify(db)
    assert result.ok and result.checked == 120
