"""Tampering with the audit log is found, and `anju audit verify` names the entry (partition and
number) — including truncation and re-hashing, which a chain inside the database cannot see by
itself: its hashes are keyed and its heads are witnessed outside the database
(anju.core.witness). Entries are appended unsealed and sealed by anju.core.sealer; the tests
seal before they verify, so every entry they check is chained."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from anju.cli.main import app as cli
from anju.core import audit, sealer, witness
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.crypto import sm3_hex
from anju.core.errors import Forbidden, NotFound
from anju.core.models import AuditEntry, AuditHead, AuditRecord, AuditRoot
from anju.core.permissions import AUDIT, AUDIT_READ
from anju.core.policy import Actor, Role
from anju.registry.policy import PERSON_READ, PERSON_SEARCH, REGISTRATION_MANAGEMENT

ACTOR = Actor(account_id=1, username="police-1", role=Role.POLICE, division_code="330522000000")
PERSON = "P00000000001"  # one person: their entries are one partition's chain, in order
PART = audit.partition_of(PERSON, None, "", audit.DEFAULT_PARTITIONS)


def _fill(db, n: int = 6, person: str = PERSON, seal: bool = True) -> None:
    for i in range(n):
        with db.unit_of_work() as s:
            audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT,
                                               person, "person", str(i), {"i": i})])
    if seal:
        sealer.seal_all(db)


def _verify(db):
    sealer.seal_all(db)  # what the test's own steps appended (and the root of it)
    with db.unit_of_work() as s:
        return audit.verify_chain(s)


def _at(seq: int, part: int = PART):
    return (AuditEntry.part == part) & (AuditEntry.seq == seq)


def test_intact_chain_verifies(db):
    _fill(db)
    result = _verify(db)
    assert result.ok and result.checked == 6 and result.pending == 0
    assert result.partitions == audit.DEFAULT_PARTITIONS and result.roots >= 1


def test_altered_entry_is_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(_at(3)).values(purpose="curiosity"))
    result = _verify(db)
    assert not result.ok and result.bad == (PART, 3) and "altered" in result.reason
    assert f"partition {PART}, entry 3" in result.text("en")


def test_deleted_entry_is_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(_at(4)))
    result = _verify(db)
    assert not result.ok and result.bad == (PART, 4) and "entry 4 is missing" in result.reason


def test_deleted_last_entry_is_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(_at(6)))
    result = _verify(db)
    assert not result.ok and result.bad == (PART, 6)


def test_reordered_entries_are_named(db):
    _fill(db)
    with db.unit_of_work() as s:
        rows = {e.seq: e for e in s.execute(select(AuditEntry).where(
            AuditEntry.part == PART, AuditEntry.seq.in_([2, 5]))).scalars()}
        fields = ["at", "username", "action", "person_code", "object_id", "detail", "prev_hash",
                  "entry_hash", "purpose"]
        two, five = ({f: getattr(rows[k], f) for f in fields} for k in (2, 5))
        for f in fields:
            setattr(rows[2], f, five[f])
            setattr(rows[5], f, two[f])
    result = _verify(db)
    assert not result.ok and result.bad == (PART, 2)


def test_rehashed_forgery_is_still_caught_by_the_next_link(db):
    """Altering an entry and recomputing its own hash breaks the following entry's link."""
    _fill(db)
    with db.unit_of_work() as s:
        entry = s.execute(select(AuditEntry).where(_at(2))).scalar_one()
        entry.purpose = "curiosity"
        entry.entry_hash = audit.chain_hash(entry.prev_hash, entry)
    result = _verify(db)
    assert not result.ok and result.bad == (PART, 3)


def test_tampering_in_one_partition_is_named_and_the_others_still_check_out(db):
    other = next(f"P{i:011d}" for i in range(2, 99)
                 if audit.partition_of(f"P{i:011d}", None, "", 16) != PART)
    _fill(db, 4)
    _fill(db, 3, person=other)
    with db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(AuditEntry.person_code == other,
                                           AuditEntry.seq == 2).values(username="someone"))
    result = _verify(db)
    part = audit.partition_of(other, None, "", 16)
    assert not result.ok and result.bad == (part, 2) and len(result.problems) == 1
    assert result.problems[0][1].startswith(f"partition {part}: entry content was altered")
    assert result.checked == 4 + 1  # the intact partition, and the other's first entry


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
        s.execute(text(f"UPDATE audit_entries SET username = 'someone-else' WHERE seq = 5 "
                       f"AND part = {PART}"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1 and f"partition {PART}, entry 5" in broken.output


def test_entries_commit_unsealed_and_savepoint_rollbacks_leave_none(db):
    with db.unit_of_work() as s:
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, PERSON)])
        try:
            with s.begin_nested():
                audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P2")])
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, PERSON,
                                           detail={"n": 3})])
    with db.unit_of_work() as s:  # committed, not sealed: no number, no hash, a partition
        rows = s.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
        assert [(e.seq, e.entry_hash, e.part) for e in rows] == [(None, None, PART)] * 2
    with pytest.raises(RuntimeError), db.unit_of_work() as s:  # no commit, no entry
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, PERSON)])
        raise RuntimeError("the request fails")
    assert sealer.seal_all(db) == 2
    with db.unit_of_work() as s:
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        assert [(e.seq, e.person_code, e.detail) for e in rows] == [
            (1, PERSON, None), (2, PERSON, {"n": 3})]
    assert _verify(db).ok


def test_pending_entries_are_reported_as_pending_not_as_tampering(db):
    _fill(db, 2)
    _fill(db, 3, seal=False)
    with db.unit_of_work() as s:
        s.execute(text("INSERT INTO audit_pending (part, at, username, role, action, purpose) "
                       "VALUES (3, '2026-01-01 00:00:00', 'ghost', 'police', 'person.read', 'x')"))
    with db.unit_of_work() as s:
        result = audit.verify_chain(s)
    assert result.ok and result.checked == 2 and result.pending == 4
    assert "4 pending (not sealed yet, not tampering)" in result.text("en")
    assert "另有 4 条待封存" in result.text("zh")
    sealer.seal_all(db)
    with db.unit_of_work() as s:
        result = audit.verify_chain(s)
    assert result.ok and result.checked == 6 and result.pending == 0


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
    with db.unit_of_work() as s:  # every partition numbered 1..n with no gap
        for part, seqs in _seqs_by_partition(s).items():
            assert seqs == list(range(1, len(seqs) + 1)), part


def _seqs_by_partition(s) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for part, seq in s.execute(select(AuditEntry.part, AuditEntry.seq)
                               .order_by(AuditEntry.part, AuditEntry.seq)):
        found.setdefault(part, []).append(seq)
    return found


# --- keyed hashes and the witness ------------------------------------------------------------
def _witness(db) -> witness.Witness:
    sealer.seal_all(db)
    with db.unit_of_work() as s:
        return audit.witness_head(s)


def test_chain_hashes_are_keyed_not_the_public_sm3(db):
    _fill(db, 2)
    with db.unit_of_work() as s:
        first = s.execute(select(AuditEntry).where(_at(1))).scalar_one()
        start = audit.genesis(PART)
        public = sm3_hex(start + "\n" + audit.canonical(first))
        assert first.entry_hash != public
        assert first.entry_hash == audit.chain_hash(start, first)
        assert audit.chain_hash(start, first, key=b"k" * 32) != first.entry_hash


def test_newest_entries_deleted_with_the_head_row_are_named(db):
    _fill(db)
    _witness(db)
    with db.unit_of_work() as s:  # what the issue did: the tail, the head rows and the roots
        s.execute(delete(AuditEntry).where(AuditEntry.seq >= 5))
        s.execute(delete(AuditHead))
        s.execute(delete(AuditRoot))
    result = _verify(db)
    assert not result.ok and result.checked == 4
    assert result.missing == ((PART, 5, 6),) and result.bad == (PART, 5)
    assert f"partition {PART}: entries 5–6 are missing (deleted at the end)" in result.reason
    assert "第 5–6 条缺失" in result.text("zh")


def test_a_truncated_tail_is_named_by_the_recorded_root_without_a_witness_file(db):
    """The head rows set back to match the shortened chain; the recorded root still names
    what it had seen."""
    _fill(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(_at(6)))
        fifth = s.execute(select(AuditEntry).where(_at(5))).scalar_one()
        s.get(AuditHead, PART).last_seq, s.get(AuditHead, PART).last_hash = 5, fifth.entry_hash
    with db.unit_of_work() as s:
        result = audit.verify_chain(s)
    assert not result.ok and result.missing == ((PART, 6, 6),) and result.bad == (PART, 6)
    assert "Merkle root no. 1" in result.reason


def test_everything_deleted_is_named(db):
    _fill(db)
    _witness(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry))
        s.execute(delete(AuditHead))
        s.execute(delete(AuditRoot))
    result = _verify(db)
    assert not result.ok and result.checked == 0 and result.missing == ((PART, 1, 6),)
    assert f"all entries of partition {PART} were deleted" in result.reason


def test_two_deleted_and_the_rest_rehashed_with_the_public_function_is_caught(db):
    """Delete entries 3 and 4, renumber the rest and re-hash them (and the head) with the public
    SM3 chain function, as an attacker holding only the database and the source would."""
    _fill(db)
    _witness(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq.in_([3, 4])))
        s.flush()
        rest = s.execute(select(AuditEntry).where(AuditEntry.seq > 4)
                         .order_by(AuditEntry.seq)).scalars().all()
        prev = s.execute(select(AuditEntry.entry_hash).where(_at(2))).scalar_one()
        for new_seq, entry in enumerate(rest, 3):
            entry.seq, entry.prev_hash = new_seq, prev
            entry.entry_hash = prev = sm3_hex(prev + "\n" + audit.canonical(entry))
            s.flush()
        head = s.get(AuditHead, PART)
        head.last_seq, head.last_hash = 4, prev
        s.execute(delete(AuditRoot))
    result = _verify(db)
    assert not result.ok and result.bad == (PART, 3) and "re-hashed" in result.reason
    assert result.missing == ((PART, 5, 6),)
    assert "had seen 6 entries, 4 remain: 2 missing" in result.reason


def test_entries_after_the_last_witness_are_not_claimed(db):
    """A witness vouches for the chain up to its entry; later entries are simply newer."""
    _fill(db, 3)
    first = _witness(db)
    _fill(db, 2)
    result = _verify(db)
    assert result.ok and result.checked == 5 and result.witness == first
    assert "last witnessed: 3 entries" in result.text("en")


def test_a_witness_line_with_a_bad_signature_is_reported(db):
    _fill(db, 3)
    good = _witness(db)
    heads = ((PART, 9, "f" * 64),)
    forged = witness.Witness(heads, good.at, witness.merkle_root(heads)).line(b"not-the-key" * 3)
    with witness.witness_path().open("a") as f:
        f.write(forged + "\n")
    result = _verify(db)
    assert not result.ok and result.missing == ()  # the forged line vouches for nothing
    assert "invalid witness" in result.reason and "line 2" in result.reason
    assert "bad signature" in result.reason


def test_witness_goes_to_the_log_and_a_short_chain_is_an_error_at_once(db, caplog):
    _fill(db, 3)
    with caplog.at_level(logging.INFO, logger="anju.audit.witness"):
        line = _witness(db)
        with db.unit_of_work() as s:
            s.execute(delete(AuditEntry).where(_at(3)))
        _witness(db)
    witnessed = [r for r in caplog.records if r.getMessage().startswith("audit witness {")]
    assert len(witnessed) == 2 and f'"root":"{line.root}"' in witnessed[0].getMessage()
    assert f'[{PART},3,"' in witnessed[0].getMessage()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and f"partition {PART} ends at entry 2" in errors[0].getMessage()
    assert "entries 3-3 are missing" in errors[0].getMessage()


def test_cli_witness_and_verify_against_lines_kept_elsewhere(cli_env, tmp_path):
    """`anju audit witness` for cron; `verify --witness` reads witness lines out of any log
    (here: a syslog copy), so deleting the local witness file hides nothing."""
    _fill(cli_env)
    runner = CliRunner()
    _fill(cli_env, 2, seal=False)  # `audit seal` chains these
    sealed = runner.invoke(cli, ["audit", "seal"])
    assert sealed.exit_code == 0 and "sealed 2 entries, 0 pending" in sealed.output
    done = runner.invoke(cli, ["audit", "witness"])
    assert done.exit_code == 0 and "witnessed entry 8" in done.output
    syslog = tmp_path / "remote-syslog.log"
    syslog.write_text("".join(f"Dec  5 10:00:00 app anju[42]: audit witness {line}"
                              for line in witness.witness_path().read_text().splitlines(True)))
    witness.witness_path().unlink()
    with cli_env.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(_at(8)))
        s.execute(delete(AuditHead))
        s.execute(delete(AuditRoot))
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0  # nothing left to compare
    broken = runner.invoke(cli, ["audit", "verify", "--witness", str(syslog)])
    assert broken.exit_code == 1 and "entries 8–8 are missing" in broken.output


def test_the_server_witnesses_the_chain_at_start_and_at_shutdown(sqlite_db):
    from fastapi.testclient import TestClient

    from anju.web.app import create_app

    _fill(sqlite_db, 2, seal=False)
    with TestClient(create_app(db=sqlite_db)):  # the server seals what is pending first
        _fill(sqlite_db, 1, seal=False)
    seqs = [w.seq for w in witness.load()[0]]
    assert seqs[0] == 2 and seqs[-1] == 3


def test_the_servers_sealer_thread_seals_what_requests_append(sqlite_db, monkeypatch):
    import time

    from fastapi.testclient import TestClient

    from anju.core.config import reset_settings_cache
    from anju.web.app import create_app

    monkeypatch.setenv("ANJU_AUDIT_SEAL_INTERVAL_MS", "20")
    reset_settings_cache()
    with TestClient(create_app(db=sqlite_db)):
        _fill(sqlite_db, 3, seal=False)
        for _ in range(250):  # seconds at most; usually the first few rounds
            with sqlite_db.reading() as s:
                if audit.pending(s) == 0:
                    break
            time.sleep(0.02)
        with sqlite_db.reading() as s:
            assert audit.pending(s) == 0 and audit.verify_chain(s).checked == 3


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
        rows = s.execute(select(AuditRecord)).scalars().all()
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
        rows = s.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
        assert [(e.action, audit.is_attempt(e)) for e in rows] == [
            ("audit.read", False), ("person.read", True)]
        assert rows[1].detail["status"] == 403


def test_sealing_goes_on_after_the_head_rows_were_deleted(db, caplog):
    """A head row is only the sealer's tail: deleting them must not stop the chain (the sealer
    rebuilds each from its partition's real end and says so)."""
    _fill(db, 3)
    with db.unit_of_work() as s:
        s.execute(delete(AuditHead))
    with caplog.at_level(logging.ERROR, logger="anju.audit.sealer"):
        _fill(db, 1)
    assert f"head of partition {PART} was missing; rebuilt at entry 3" in caplog.text
    result = _verify(db)
    assert result.ok and result.checked == 4
