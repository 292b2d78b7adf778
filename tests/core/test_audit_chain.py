"""Tampering with the audit log is found, and `anju audit verify` names the entry — including
truncation and re-hashing, which a chain inside the database cannot see by itself: its hashes
are keyed and its head is witnessed outside the database (anju.core.witness)."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from anju.cli.main import app as cli
from anju.core import audit, witness
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.crypto import sm3_hex
from anju.core.errors import Forbidden, NotFound
from anju.core.models import AuditEntry, AuditHead
from anju.core.permissions import AUDIT, AUDIT_READ
from anju.core.policy import Actor, Role
from anju.registry.policy import PERSON_READ, PERSON_SEARCH, REGISTRATION_MANAGEMENT

ACTOR = Actor(account_id=1, username="police-1", role=Role.POLICE, division_code="330522000000")


def _fill(db, n: int = 6) -> None:
    for i in range(n):
        with db.unit_of_work() as s:
            audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT,
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
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P1")])
        try:
            with s.begin_nested():
                audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P2")])
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P3")])
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
            audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, f"P{i}"),
                                    AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, f"Q{i}")])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(60)))
    result = _verify(db)
    assert result.ok and result.checked == 120


# --- keyed hashes and the witness ------------------------------------------------------------
def _witness(db) -> witness.Witness:
    with db.unit_of_work() as s:
        return audit.witness_head(s)


def test_chain_hashes_are_keyed_not_the_public_sm3(db):
    _fill(db, 2)
    with db.unit_of_work() as s:
        first = s.execute(select(AuditEntry).where(AuditEntry.seq == 1)).scalar_one()
        public = sm3_hex(audit.GENESIS + "\n" + audit.canonical(first))
        assert first.entry_hash != public
        assert first.entry_hash == audit.chain_hash(audit.GENESIS, first)
        assert audit.chain_hash(audit.GENESIS, first, key=b"k" * 32) != first.entry_hash


def test_newest_entries_deleted_with_the_head_row_are_named(db):
    _fill(db)
    _witness(db)
    with db.unit_of_work() as s:  # what the issue did: the tail and the head row, nothing else
        s.execute(delete(AuditEntry).where(AuditEntry.seq >= 5))
        s.execute(delete(AuditHead))
    result = _verify(db)
    assert not result.ok and result.checked == 4
    assert result.missing == (5, 6) and result.bad_seq == 5
    assert "entries 5–6 are missing (deleted at the end)" in result.reason
    assert "第 5–6 条缺失" in result.text("zh")


def test_everything_deleted_is_named(db):
    _fill(db)
    _witness(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry))
        s.execute(delete(AuditHead))
    result = _verify(db)
    assert not result.ok and result.checked == 0 and result.missing == (1, 6)
    assert "all entries were deleted" in result.reason


def test_two_deleted_and_the_rest_rehashed_with_the_public_function_is_caught(db):
    """Delete entries 3 and 4, renumber the rest and re-hash them (and the head) with the public
    SM3 chain function, as an attacker holding only the database and the source would."""
    _fill(db)
    _witness(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq.in_([3, 4])))
        rest = s.execute(select(AuditEntry).where(AuditEntry.seq > 4)
                         .order_by(AuditEntry.seq)).scalars().all()
        prev = s.execute(select(AuditEntry.entry_hash).where(AuditEntry.seq == 2)).scalar_one()
        for new_seq, entry in enumerate(rest, 3):
            entry.seq, entry.prev_hash = new_seq, prev
            entry.entry_hash = prev = sm3_hex(prev + "\n" + audit.canonical(entry))
        head = s.get(AuditHead, 1)
        head.last_seq, head.last_hash = 4, prev
    result = _verify(db)
    assert not result.ok and result.bad_seq == 3 and "re-hashed" in result.reason
    assert result.missing == (5, 6)
    assert "had seen 6 entries, 4 remain: 2 missing" in result.reason


def test_entries_after_the_last_witness_are_not_claimed(db):
    """A witness vouches for the chain up to its entry; later entries are simply newer."""
    _fill(db, 3)
    first = _witness(db)
    _fill(db, 2)
    result = _verify(db)
    assert result.ok and result.checked == 5 and result.witness == first
    assert "last witnessed: entry 3" in result.text("en")


def test_a_witness_line_with_a_bad_signature_is_reported(db):
    _fill(db, 3)
    good = _witness(db)
    forged = witness.Witness(9, "f" * 64, good.at).line(b"not-the-key" * 3)
    with witness.witness_path().open("a") as f:
        f.write(forged + "\n")
    result = _verify(db)
    assert not result.ok and result.missing is None  # the forged line vouches for nothing
    assert "invalid witness" in result.reason and "line 2" in result.reason
    assert "bad signature" in result.reason


def test_witness_goes_to_the_log_and_a_short_chain_is_an_error_at_once(db, caplog):
    _fill(db, 3)
    with caplog.at_level(logging.INFO, logger="anju.audit.witness"):
        line = _witness(db)
        with db.unit_of_work() as s:
            s.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
        _witness(db)
    witnessed = [r for r in caplog.records if r.getMessage().startswith("audit witness {")]
    assert len(witnessed) == 2 and f'"seq":{line.seq}' in witnessed[0].getMessage()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "entries 3-3 are missing" in errors[0].getMessage()


def test_cli_witness_and_verify_against_lines_kept_elsewhere(cli_env, tmp_path):
    """`anju audit witness` for cron; `verify --witness` reads witness lines out of any log
    (here: a syslog copy), so deleting the local witness file hides nothing."""
    _fill(cli_env)
    runner = CliRunner()
    done = runner.invoke(cli, ["audit", "witness"])
    assert done.exit_code == 0 and "witnessed entry 6" in done.output
    syslog = tmp_path / "remote-syslog.log"
    syslog.write_text("".join(f"Dec  5 10:00:00 app anju[42]: audit witness {line}"
                              for line in witness.witness_path().read_text().splitlines(True)))
    witness.witness_path().unlink()
    with cli_env.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 6))
        s.execute(delete(AuditHead))
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0  # nothing left to compare
    broken = runner.invoke(cli, ["audit", "verify", "--witness", str(syslog)])
    assert broken.exit_code == 1 and "entries 6–6 are missing" in broken.output


def test_the_server_witnesses_the_chain_at_start_and_at_shutdown(sqlite_db):
    from fastapi.testclient import TestClient

    from anju.web.app import create_app

    _fill(sqlite_db, 2)
    with TestClient(create_app(db=sqlite_db)):
        _fill(sqlite_db, 1)
    seqs = [w.seq for w in witness.load()[0]]
    assert seqs[0] == 2 and seqs[-1] == 3


# --- refused attempts ------------------------------------------------------------------------
def test_a_refused_attempt_is_written_after_the_rollback(db):
    """Access notes the refusal; the unit of work rolls the request back and then writes the
    attempt in a transaction of its own — no service has to remember it."""
    outsider = Actor(account_id=9, username="outsider", role=Role.POLICE,
                     division_code="330523000000")
    with pytest.raises(NotFound), db.unit_of_work() as s:
        audit.append(s, outsider, [AuditEvent(PERSON_SEARCH, REGISTRATION_MANAGEMENT, "P-BEFORE")])  # rolled back
        Access(s, outsider).check(PERSON_READ, "人员", division_code="330522001000",
                                  person_codes=["P00000000001"])
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditEntry)).scalars().all()
        assert [(e.action, e.person_code, e.username, e.purpose, e.detail) for e in rows] == [
            ("person.read", "P00000000001", "outsider", "attempt",
             {"outcome": "refused", "status": 404})]
    assert _verify(db).ok


def test_a_refusal_caught_by_the_caller_is_written_with_its_commit(db):
    analyst = Actor(account_id=8, username="analyst", role=Role.ANALYST,
                    division_code="330522000000")
    with db.unit_of_work() as s:
        with pytest.raises(Forbidden), s.begin_nested():  # a page shows it and goes on
            Access(s, analyst).scopes(PERSON_READ)
        audit.append(s, analyst, [AuditEvent(AUDIT_READ, AUDIT)])
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        assert [(e.action, audit.is_attempt(e)) for e in rows] == [
            ("audit.read", False), ("person.read", True)]
        assert rows[1].detail["status"] == 403


def test_writes_go_on_after_the_head_row_was_deleted(db):
    """The head row is only the lock and the tail: deleting it must not stop every audited
    request (it used to restart numbering at 1 and fail on the unique sequence number)."""
    _fill(db, 3)
    with db.unit_of_work() as s:
        s.execute(delete(AuditHead))
    _fill(db, 1)
    result = _verify(db)
    assert result.ok and result.checked == 4
