"""Many simultaneous requests against a real server never starve each other of threads.

Each request holds SQLite's write lock across several hops between the event loop and the
thread pool; without the request gate, a full pool of requests waiting for that lock would
leave the holder no thread to commit with, and everyone would fail with "database is locked".
"""
from __future__ import annotations

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
    with sqlite_db.unit_of_work() as s:
        from anju.core import audit

        assert audit.verify_chain(s).ok
