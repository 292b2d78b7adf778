"""`anju audit seal --follow`: the sealer as a process of its own (what `anju serve` runs beside
its web workers on PostgreSQL), and the decision `anju serve` makes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from anju.cli.main import start_sealer
from anju.core import audit
from anju.core.audit import AuditEvent
from anju.core.config import Settings
from anju.core.identity import SYSTEM
from anju.registry import policy as P


def _append(db, n: int) -> None:
    with db.unit_of_work() as s:
        audit.append(s, SYSTEM, [AuditEvent(P.PERSON_READ, P.REGISTRATION_MANAGEMENT,
                                            f"P{k:013d}", "person", str(k)) for k in range(n)])


def _pending(db) -> int:
    with db.reading() as s:
        return audit.pending(s)


def test_a_following_sealer_seals_as_entries_come_and_everything_when_stopped(db, tmp_path):
    env = {**os.environ, "ANJU_DATABASE_URL": db.url, "ANJU_AUDIT_SEAL_INTERVAL_MS": "100",
           "ANJU_DATA_DIR": str(tmp_path / "data")}
    _append(db, 40)
    chain = subprocess.Popen([sys.executable, "-m", "anju.cli.main", "audit", "seal",
                              "--follow"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while _pending(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pending(db) == 0, "the follower did not seal what was waiting"
        _append(db, 25)  # while it runs
        deadline = time.monotonic() + 30
        while _pending(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pending(db) == 0
        _append(db, 10)
        chain.send_signal(signal.SIGTERM)  # stopping seals what is pending, then exits
        out, _ = chain.communicate(timeout=60)
    finally:
        if chain.poll() is None:
            chain.kill()
    assert chain.returncode == 0, out
    assert _pending(db) == 0
    with db.reading() as s:
        assert audit.count(s) == 75


def test_serve_starts_a_sealer_process_on_postgresql_only(monkeypatch):
    for name in ("ANJU_AUDIT_SEAL_INTERVAL_MS", "ANJU_AUDIT_WITNESS_SECONDS"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
        monkeypatch.delenv(name)
    lite = Settings(database_url="sqlite:///x.db")
    assert start_sealer(lite) is None
    assert start_sealer(Settings(database_url="postgresql+psycopg://u@127.0.0.1:1/x",
                                 audit_sealer_process=False)) is None
    assert start_sealer(Settings(database_url="postgresql+psycopg://u@127.0.0.1:1/x",
                                 audit_seal_interval_ms=0, audit_witness_seconds=0)) is None
    assert "ANJU_AUDIT_SEAL_INTERVAL_MS" not in os.environ
    chain = start_sealer(Settings(database_url="postgresql+psycopg://u@127.0.0.1:1/x"))
    try:
        assert chain is not None
        # the web workers, started after it, run no sealer thread of their own
        assert os.environ["ANJU_AUDIT_SEAL_INTERVAL_MS"] == "0"
        assert os.environ["ANJU_AUDIT_WITNESS_SECONDS"] == "0"
    finally:
        chain.kill()
        chain.wait(timeout=30)
