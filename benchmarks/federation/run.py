"""Federation benchmark: messages queued to one peer on the same machine, delivered and
receipted over HTTP, and the SM2 signing and verification cost per message. Writes
benchmarks/results/federation.json.

    ./dev bench federation                              # 100,000 queued, all delivered
    .venv/bin/python benchmarks/federation/run.py --queued 100000 --deliver 2000   # a subset

The sender is this process (installation 330522, the outbox's own `flush`); the receiver is a
real `anju serve` (installation 330523) in its own process with its own SQLite database, key and
secret. The queued rows are bulk-inserted (the benchmark measures delivery, not queueing); each
delivery then does what production does: sign the envelope, POST it, the receiver checks shape,
peer, signature, window and replay, stores the message once, signs a receipt and logs both; the
sender checks the receipt's signature and digest and logs it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "benchmarks" / "work" / "federation"
RESULTS = ROOT / "benchmarks" / "results" / "federation.json"


def env_of(code: str) -> dict:
    home = WORK / code
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ANJU_ENVIRONMENT": "development",
            "ANJU_DATA_DIR": str(home), "ANJU_COUNTY_CODE": code,
            "ANJU_DATABASE_URL": f"sqlite:///{home / 'anju.sqlite3'}",
            "ANJU_SECRET_KEY": f"benchmark-secret-{code}-0123456789-abcdefghijklmnop"}


def cli(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "anju.cli.main", *args], env=env_of(code),
                          capture_output=True, text=True, check=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument("--deliver", type=int, default=None, help="deliver only this many")
    parser.add_argument("--port", type=int, default=18613)
    parser.add_argument("--workers", type=int, default=2, help="messages in flight at once")
    args = parser.parse_args()
    load_before = os.getloadavg()
    shutil.rmtree(WORK, ignore_errors=True)
    a, b = "330522", "330523"
    for code in (a, b):
        (WORK / code).mkdir(parents=True)
        cli(code, "init-db")
        (WORK / f"{code}.pub").write_text(cli(code, "federation", "public-key"))
    cli(a, "peers", "add", "--name", "安吉县", "--division", b, "--url",
        f"http://127.0.0.1:{args.port}", "--public-key", str(WORK / f"{b}.pub"))
    cli(b, "peers", "add", "--name", "长兴县", "--division", a, "--url", "http://127.0.0.1:1",
        "--public-key", str(WORK / f"{a}.pub"))

    os.environ.update({k: v for k, v in env_of(a).items() if k.startswith("ANJU_")})
    sys.path.insert(0, str(ROOT / "src"))
    from sqlalchemy import func, insert, select

    from anju.core import signing
    from anju.core.db import Database, utcnow
    from anju.core.identity import job_actor
    from anju.federation import rules, service
    from anju.federation.models import LogEntry, Message, Peer

    db = Database(os.environ["ANJU_DATABASE_URL"])
    with db.unit_of_work() as s:
        peer_id = s.execute(select(Peer.id)).scalar()
    body = {"month": "2026-11", "cells": [
        {"origin": f"3305230{i:02d}000", "destination": "330522001000", "arrivals": 20 + i,
         "departures": None, "stock": 40 + i} for i in range(8)]}
    started = time.perf_counter()
    now, rows = utcnow(), []
    with db.unit_of_work() as s:
        for _ in range(args.queued):
            rows.append({"message_id": str(uuid.uuid4()), "direction": "out",
                         "peer_id": peer_id, "type": "stats", "state": "queued", "body": body,
                         "attempts": 0, "next_attempt_at": now, "created_at": now})
            if len(rows) == 10_000:
                s.execute(insert(Message), rows)
                rows = []
        if rows:
            s.execute(insert(Message), rows)
    queue_seconds = time.perf_counter() - started

    # the cryptography alone, on this envelope
    key = signing.installation_key()
    envelope = {"version": rules.VERSION, "message_id": str(uuid.uuid4()), "sender": a,
                "receiver": b, "sent_at": rules.stamp(datetime.now(UTC)), "type": "stats",
                "body": body}
    t = time.perf_counter()
    for _ in range(100):
        signature = key.sign(envelope)
    sign_ms = (time.perf_counter() - t) * 10
    t = time.perf_counter()
    for _ in range(100):
        assert key.public.verify(envelope, signature)
    verify_ms = (time.perf_counter() - t) * 10

    server = subprocess.Popen([sys.executable, "-m", "anju.cli.main", "serve", "--port",
                               str(args.port)], env=env_of(b), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{args.port}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        t = time.perf_counter()
        result = service.flush(db, job_actor("benchmark"), force=True, limit=args.deliver,
                               workers=args.workers)
        seconds = time.perf_counter() - t
    finally:
        server.terminate()
        server.wait(timeout=30)
    with db.unit_of_work() as s:
        delivered = s.execute(select(func.count()).select_from(Message).where(
            Message.state == "delivered")).scalar()
        log_entries = s.execute(select(func.count()).select_from(LogEntry)).scalar()
    receiver = Database(env_of(b)["ANJU_DATABASE_URL"])
    with receiver.unit_of_work() as s:
        received = s.execute(select(func.count()).select_from(Message)).scalar()
        distinct = s.execute(select(func.count(func.distinct(Message.message_id)))).scalar()
    figures = {
        "queued": args.queued, "workers": args.workers, "queue_insert_seconds": round(queue_seconds, 2),
        "delivered": delivered, "flush": result.as_dict(),
        "deliver_seconds": round(seconds, 2),
        "messages_per_second": round(delivered / seconds, 2),
        "ms_per_message": round(seconds * 1000 / max(delivered, 1), 1),
        "sm2_sign_ms": round(sign_ms, 2), "sm2_verify_ms": round(verify_ms, 2),
        # each delivery: the sender signs the envelope and verifies the receipt, the receiver
        # verifies the envelope and signs the receipt
        "crypto_ms_per_message": round(2 * sign_ms + 2 * verify_ms, 1),
        "receiver_holds": received, "receiver_distinct": distinct,
        "sender_log_entries": log_entries,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    # other work on the machine slows both installations: 1/5/15-minute loads
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "sm2": "OpenSSL libcrypto " + _openssl_version(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


def _openssl_version() -> str:
    from anju.core import sm2

    lib = sm2._lib()
    lib.OpenSSL_version.restype = sm2.ctypes.c_char_p
    return lib.OpenSSL_version(0).decode()


if __name__ == "__main__":
    main()
