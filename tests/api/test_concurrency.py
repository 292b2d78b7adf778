"""Many simultaneous requests against a real server never starve each other of threads.

Each request holds SQLite's write lock across several hops between the event loop and the
thread pool; without the request gate, a full pool of requests waiting for that lock would
leave the holder no thread to commit with, and everyone would fail with "database is locked".
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from anju.core.config import Settings
from anju.web.app import create_app
from tests.factories import PASSWORD, build_world
from tests.support.live import live_server


def test_concurrent_audited_reads_all_succeed_on_sqlite(sqlite_db):
    world = build_world(sqlite_db)
    settings = Settings(environment="test", secret_key="x" * 40, worker_threads=2,
                        database_url=sqlite_db.url)
    with live_server(create_app(settings=settings, db=sqlite_db)) as base:
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": world.police.username, "password": PASSWORD}
                           ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def read(_: int) -> int:
            return httpx.get(f"{base}/api/v1/persons/{world.resident.person_code}",
                             headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(24) as pool:
            statuses = list(pool.map(read, range(96)))
    assert statuses == [200] * 96
    from tests.factories import verified

    assert verified(sqlite_db).ok


def test_an_import_on_a_live_server_leaves_everyone_else_working(sqlite_db, tmp_path):
    """A department import runs as a background job in batches while others log in and read:
    nobody gets a 500; a request that cannot get the database in time would get a 503 with
    Retry-After, and with batches holding the lock briefly none has to. Two uploads of one
    file at once get one job."""
    from anju.exchange import connectors
    from anju.exchange.samples import write_sample

    world = build_world(sqlite_db)
    extract = write_sample(connectors.get("gongan"), tmp_path / "gongan.csv", n=3000, seed=9)
    settings = Settings(environment="test", secret_key="x" * 40, worker_threads=4,
                        database_url=sqlite_db.url, data_dir=tmp_path / "data")
    answers: list[tuple[str, int, str | None]] = []
    with live_server(create_app(settings=settings, db=sqlite_db)) as base:
        steward = _bearer(base, world.steward.username)

        def upload(_: int) -> dict:
            with extract.open("rb") as f:
                response = httpx.post(f"{base}/api/v1/exchange/imports", headers=steward,
                                      data={"department": "gongan"},
                                      files={"file": ("gongan.csv", f, "text/csv")}, timeout=60)
            assert response.status_code == 202, response.text
            return response.json()

        with ThreadPoolExecutor(2) as pool:
            jobs = list(pool.map(upload, range(2)))
        assert jobs[0]["job_id"] == jobs[1]["job_id"]
        done = threading.Event()

        def others(i: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                while not done.is_set():
                    for method, path, kw in (
                        ("POST", "/api/v1/auth/token",
                         {"data": {"username": world.police.username, "password": PASSWORD}}),
                        ("GET", f"/api/v1/persons/{world.resident.person_code}",
                         {"headers": _bearer(base, world.police.username)}),
                        ("GET", "/api/v1/exchange/imports", {"headers": steward}),
                    ):
                        r = client.request(method, path, **kw)
                        answers.append((path, r.status_code, r.headers.get("retry-after")))

        with ThreadPoolExecutor(3) as pool:
            readers = [pool.submit(others, i) for i in range(3)]
            deadline = time.monotonic() + 240
            job = jobs[0]
            while job["state"] == "running" and time.monotonic() < deadline:
                time.sleep(0.5)
                job = httpx.get(base + job["status_url"], headers=steward, timeout=60).json()
            done.set()
            for reader in readers:
                reader.result()
    assert job["state"] == "finished", job
    assert job["rows_done"] == job["rows_total"] > 2000
    assert job["report"]["new_records"] > 2000
    failed = [a for a in answers if a[1] >= 500 and not (a[1] == 503 and a[2])]
    assert len(answers) >= 9 and not failed, failed[:5]  # every reader went round at least once
    assert all(status == 200 for _, status, _ in answers), \
        sorted({(p, s) for p, s, _ in answers if s != 200})
    from tests.factories import verified

    assert verified(sqlite_db).ok


def _bearer(base: str, username: str) -> dict:
    response = httpx.post(f"{base}/api/v1/auth/token",
                          data={"username": username, "password": PASSWORD}, timeout=60)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
