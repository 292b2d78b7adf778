"""The audit sealer: one sealer per partition at a time, batches that are all or nothing (a
sealer killed with SIGKILL mid-batch loses and duplicates nothing), Merkle roots that are
checked, and a person's access log that shows entries before they are sealed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from anju.cli.main import app as cli
from anju.core import audit, auditlog, sealer, witness
from anju.core.audit import AuditEvent
from anju.core.db import Database
from anju.core.models import AuditEntry, AuditHead, AuditPending, AuditRecord, AuditRoot
from anju.core.policy import Actor, Role
from anju.registry.policy import PERSON_IMPORT, PERSON_READ, REGISTRATION_MANAGEMENT, REGISTRY_IMPORT

ACTOR = Actor(account_id=1, username="police-1", role=Role.POLICE, division_code="330522000000")
PERSON = "P00000000001"
PART = audit.partition_of(PERSON, None, "", audit.DEFAULT_PARTITIONS)


def _append(db, n: int, person: str = PERSON) -> None:
    with db.unit_of_work() as s:
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, person, "person",
                                           str(i)) for i in range(n)])


def _seqs(db) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    with db.reading() as s:
        for part, seq in s.execute(select(AuditEntry.part, AuditEntry.seq)
                                   .order_by(AuditEntry.part, AuditEntry.seq)):
            found.setdefault(part, []).append(seq)
    return found


def _gapless(db) -> None:
    for part, seqs in _seqs(db).items():
        assert seqs == list(range(1, len(seqs) + 1)), part
    with db.reading() as s:
        heads = {h.part: h.last_seq for h in s.execute(select(AuditHead)).scalars()}
    assert all(heads[part] == len(seqs) for part, seqs in _seqs(db).items())


def test_two_sealers_never_both_seal_a_partition(db):
    _append(db, 5)
    with sealer.claimed(db, PART) as held:
        assert held is not None
        with ThreadPoolExecutor(1) as other:  # another sealer: its own connection and lock try
            assert other.submit(sealer.seal_round, db).result() == 0
        assert sealer.seal_partition(held, PART, 100) == 5
    assert _seqs(db) == {PART: [1, 2, 3, 4, 5]}
    assert sealer.seal_round(db) == 0  # nothing left: nothing sealed twice


def test_sealers_racing_each_other_and_the_writers_seal_each_entry_once(db):
    done = []

    def write(i: int) -> None:
        _append(db, 2, person=f"P{i:011d}")

    def seal() -> int:
        total = 0
        while not done:
            total += sealer.seal_round(db)
        return total

    with ThreadPoolExecutor(5) as pool:
        sealers = [pool.submit(seal) for _ in range(2)]
        list(pool.map(write, range(30)))
        done.append(True)
        racing = sum(f.result() for f in sealers)
    assert racing + sealer.seal_all(db) == 60
    _gapless(db)
    with db.reading() as s:
        result = audit.verify_chain(s)
    assert result.ok and result.checked == 60 and result.pending == 0


def test_a_bulk_load_is_written_unsealed_and_sealed_as_one_batch(db):
    events = [AuditEvent(PERSON_IMPORT, REGISTRY_IMPORT, f"P{i:011d}", "person", str(i))
              for i in range(300)]
    with db.unit_of_work() as s:
        assert audit.append_bulk(s, ACTOR, events) == 300
    with db.reading() as s:
        assert audit.pending(s) == 300
    assert sealer.seal_all(db) == 300
    _gapless(db)
    with db.reading() as s:
        result = audit.verify_chain(s)
        assert s.execute(select(func.count()).select_from(AuditRoot)).scalar_one() == 1
    assert result.ok and result.checked == 300 and result.pending == 0


def test_a_recorded_root_that_no_longer_matches_is_named(db):
    _append(db, 3)
    sealer.seal_all(db)
    with db.unit_of_work() as s:  # the root edited: it no longer is its heads' root
        s.execute(update(AuditRoot).values(root="f" * 64))
    with db.reading() as s:
        result = audit.verify_chain(s)
    assert not result.ok and "Merkle root no. 1 recorded at" in result.reason
    assert "does not match the heads it lists" in result.reason and "默克尔根" in result.text("zh")
    with db.unit_of_work() as s:  # heads and root made consistent, but not with the chain
        heads = [[p, seq, "e" * 64 if p == PART else h] for p, seq, h in audit.chain_ends(s)]
        s.execute(update(AuditRoot).values(heads=json.dumps(heads),
                                           root=witness.merkle_root([tuple(h) for h in heads])))
    with db.reading() as s:
        result = audit.verify_chain(s)
    assert not result.ok and result.bad == (PART, 3)
    assert "differs from Merkle root no. 1" in result.reason


def test_a_witness_line_of_the_single_chain_still_vouches_for_partition_0(db):
    """Lines written before the chain was partitioned vouch for partition 0, which holds it."""
    zero = next(f"P{i:011d}" for i in range(500) if audit.partition_of(f"P{i:011d}", None, "", 16) == 0)
    _append(db, 3, person=zero)
    sealer.seal_all(db)
    with db.reading() as s:
        seq, head_hash = audit.chain_end(s, 0)
    old = witness.Witness(((0, seq, head_hash),), "2026-12-01T00:00:00+00:00")
    key = witness.witness_key()
    line = json.dumps({"at": old.at, "seq": seq, "hash": head_hash, "sig": old.signature(key)})
    witness.witness_path().parent.mkdir(parents=True, exist_ok=True)
    witness.witness_path().write_text(line + "\n")
    with db.unit_of_work() as s:
        s.execute(AuditEntry.__table__.delete().where(AuditEntry.part == 0, AuditEntry.seq == 3))
        s.execute(AuditRoot.__table__.delete())
        s.get(AuditHead, 0).last_seq = 2
    with db.reading() as s:
        result = audit.verify_chain(s)
    assert not result.ok and result.missing == ((0, 3, 3),)


def test_a_persons_access_log_shows_a_pending_entry(db, world):
    from anju.registry import service

    with db.unit_of_work() as s:
        service.read_person(s, world.police, world.resident.person_code)
    with db.unit_of_work() as s:
        pending = audit.pending(s)
        log = auditlog.my_access_log(s, world.resident)
    assert pending and log[0].official == world.police.username and log[0].action == "person.read"
    sealer.seal_all(db)
    with db.unit_of_work() as s:
        assert auditlog.my_access_log(s, world.resident) == log  # the same, now sealed
        auditlog.recent(s, world.auditor)
    with db.unit_of_work() as s:  # the auditor's previous read: pending, shown first
        recent = auditlog.recent(s, world.auditor)
    assert recent[0].action == "audit.read" and recent[0].seq is None
    assert recent[1].action == "person.read" and recent[1].seq is not None


def _forbid_updates_of_the_chain(db) -> None:
    """A trigger that fails any UPDATE of audit_entries, however it is sent (ORM, Core, the
    driver's cursor, COPY's neighbours)."""
    with db.unit_of_work() as s:
        if db.is_sqlite:
            s.execute(text("CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON "
                           "audit_entries BEGIN SELECT RAISE(ABORT, 'audit_entries updated'); "
                           "END"))
        else:
            s.execute(text("CREATE FUNCTION audit_entries_no_update() RETURNS trigger "
                           "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                           "'audit_entries updated'; END $$"))
            s.execute(text("CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON "
                           "audit_entries FOR EACH ROW EXECUTE FUNCTION "
                           "audit_entries_no_update()"))


def test_sealing_moves_entries_from_the_queue_into_the_chain_with_their_ids(db):
    """The chain is insert-only: sealing deletes the batch from audit_pending and inserts it
    into audit_entries with the same ids; nothing UPDATEs audit_entries (a trigger would fail
    the sealer's transaction)."""
    _forbid_updates_of_the_chain(db)
    _append(db, 3)
    _append(db, 2, person="P00000000077")
    with db.reading() as s:
        queued = sorted(s.execute(select(AuditPending.id)).scalars())
    assert sealer.seal_all(db) == 5
    events = (AuditEvent(PERSON_IMPORT, REGISTRY_IMPORT, f"P{i:011d}", "person", str(i))
              for i in range(2500))  # more than one INSERT's worth: COPY on PostgreSQL
    with db.unit_of_work() as s:
        audit.append_bulk(s, ACTOR, events)
    assert sealer.seal_all(db) == 2500
    with db.reading() as s:
        assert s.execute(select(func.count()).select_from(AuditPending)).scalar_one() == 0
        sealed = s.execute(select(AuditEntry.id, AuditEntry.seq, AuditEntry.entry_hash)
                           .order_by(AuditEntry.id)).all()
        assert audit.verify_chain(s).ok
    assert [r.id for r in sealed[:5]] == queued and all(r.seq and r.entry_hash for r in sealed)
    assert len({r.id for r in sealed}) == 2505
    _gapless(db)
    with pytest.raises(Exception, match="audit_entries updated"), db.unit_of_work() as s:
        s.execute(update(AuditEntry).values(purpose="curiosity"))  # the trigger does bite


def test_a_batch_takes_the_oldest_entries_up_to_the_limit(db):
    _append(db, 5)
    with db.reading() as s:
        ids = sorted(s.execute(select(AuditPending.id)).scalars())
    with sealer.claimed(db, PART) as held:
        assert sealer.seal_partition(held, PART, 3) == 3
    with db.reading() as s:
        assert sorted(s.execute(select(AuditEntry.id)).scalars()) == ids[:3]
        assert sorted(s.execute(select(AuditPending.id)).scalars()) == ids[3:]
    assert sealer.seal_all(db) == 2
    assert _seqs(db) == {PART: [1, 2, 3, 4, 5]}


def test_the_access_log_shows_an_entry_pending_then_the_same_entry_sealed(db, world):
    from anju.registry import service

    with db.unit_of_work() as s:
        service.read_person(s, world.police, world.resident.person_code)
    with db.reading() as s:
        before = [(e.id, e.action, e.seq) for e in
                  auditlog.entries_for_person(s, world.resident.person_code)]
    assert before and before[0][1] == "person.read" and before[0][2] is None
    sealer.seal_all(db)
    with db.reading() as s:
        after = auditlog.entries_for_person(s, world.resident.person_code)
        assert s.execute(select(func.count()).select_from(AuditRecord)).scalar_one() == \
            s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        assert [(e.id, e.action) for e in after] == [(i, a) for i, a, _ in before]
        assert all(e.seq is not None and e.sealed for e in after)


def test_cli_roots_prints_the_recorded_roots(sqlite_db, monkeypatch):
    from anju.core.config import reset_settings_cache

    monkeypatch.setenv("ANJU_DATABASE_URL", sqlite_db.url)
    reset_settings_cache()
    _append(sqlite_db, 2)
    sealer.seal_all(sqlite_db)
    with sqlite_db.reading() as s:
        root = s.execute(select(AuditRoot.root)).scalar_one()
    out = CliRunner().invoke(cli, ["audit", "roots", "--heads"])
    assert out.exit_code == 0 and f"root {root}" in out.output
    assert "2 entries in 16 partitions" in out.output and f"partition {PART}\tentry 2" in out.output


# --- kill -9 -----------------------------------------------------------------------------------
@pytest.fixture
def pg_db(pg_server):
    url = pg_server.create_database(f"tseal_{os.getpid()}_{uuid.uuid4().hex[:8]}",
                                    template="anju_template")
    database = Database(url, pool_size=5)
    yield database
    database.dispose()


def test_a_sealer_killed_mid_batch_loses_and_duplicates_nothing(pg_db, tmp_path):
    """`anju audit seal` in a subprocess is paused (a test-only hook) inside its transaction
    after updating the first 10,000 rows of a 12,000-entry batch, killed with SIGKILL there,
    and run again: every entry sealed exactly once, each partition gapless, verify OK."""
    later = [f"P{i:011d}" for i in range(2, 400)
             if audit.partition_of(f"P{i:011d}", None, "", 16) > PART][:3]
    with pg_db.unit_of_work() as s:
        audit.append_bulk(s, ACTOR, (AuditEvent(PERSON_IMPORT, REGISTRY_IMPORT, PERSON, "person",
                                                str(i)) for i in range(12_000)))
        audit.append(s, ACTOR, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, p) for p in later])
    flag = tmp_path / "paused"
    env = {**os.environ, "ANJU_DATABASE_URL": pg_db.url, sealer.PAUSE_ENV: str(flag),
           "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "anju.cli.main", "audit", "seal"], env=env)
    try:
        for _ in range(600):
            if flag.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert flag.exists(), "the sealer never reached its pause"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with pg_db.reading() as s:  # the killed batch left nothing behind
        assert audit.pending(s) == 12_003
        assert s.get(AuditHead, PART).last_seq == 0
    assert sealer.seal_all(pg_db) == 12_003  # waits for the server to drop the dead session
    _gapless(pg_db)
    assert _seqs(pg_db)[PART] == list(range(1, 12_001))
    with pg_db.reading() as s:
        result = audit.verify_chain(s)
    assert result.ok and result.checked == 12_003 and result.pending == 0
