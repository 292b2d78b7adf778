"""Background jobs in the server process: long work (a department import) off the request.

A request that starts long work records it in its unit of work and hands the job to the runner
with `after_commit`: the job starts only once the request's writes are committed (so it sees
them, on every backend), and never when they roll back. One worker thread runs the jobs one
after another; each job opens its own short units of work (`Database.unit_of_work`), so it
never holds the database for long. Jobs poll `stopping()` between steps: when the server shuts
down, a job ends after its current step and leaves the rest to be resumed.

Job state that users see (progress, result, failure) lives in the domain's own tables, not
here: a job's owner can read it from any server process, and it outlives a restart.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event
from sqlalchemy.orm import Session

from anju.core.db import Database

log = logging.getLogger("anju.jobs")


class JobRunner:
    def __init__(self, db: Database, threads: int = 1) -> None:
        self.db = db
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="anju-job")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._keys: set[str] = set()

    def running(self, key: str) -> bool:
        """Whether a job with this key is queued or running in this process."""
        with self._lock:
            return key in self._keys

    def stopping(self) -> bool:
        return self._stop.is_set()

    def submit(self, key: str, job: Callable[..., object], *args, **kwargs) -> bool:
        """Queue `job(*args, **kwargs)` unless one with this key is queued or running already."""
        with self._lock:
            if key in self._keys or self._stop.is_set():
                return False
            self._keys.add(key)

        def run() -> None:
            try:
                job(*args, **kwargs)
            except Exception:  # the job records its own failure; this is the last resort
                log.exception("background job %s failed", key)
            finally:
                with self._lock:
                    self._keys.discard(key)

        self._pool.submit(run)
        return True

    def after_commit(self, session: Session, key: str, job: Callable[..., object], *args,
                     **kwargs) -> None:
        """Submit the job once `session`'s transaction commits (not at all if it rolls back)."""
        def committed(_session: Session) -> None:
            self.submit(key, job, *args, **kwargs)

        event.listen(session, "after_commit", committed, once=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; running ones end after their current step."""
        self._stop.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)
