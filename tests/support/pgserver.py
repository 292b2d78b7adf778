"""Start a throwaway PostgreSQL server for tests and benchmarks (Debian's postgresql package).

Runs as the `postgres` system user when we are root (PostgreSQL refuses to run as root),
listens on 127.0.0.1 on a free port, and keeps its data in a temporary folder.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `./dev setup` (apt-get install "
                           "postgresql) — the test suite needs a real server")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, fsync: bool = False, settings: dict[str, str] | None = None) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="anju-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.fsync = fsync
        self.settings = settings or {}
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PgServer:
        if self.as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "anju", "-E", "UTF8",
                  "--locale=C.UTF-8")
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1",
                   f"-c unix_socket_directories={self.root}", "-c max_connections=200"]
        if not self.fsync:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        options += [f"-c {k}={v}" for k, v in self.settings.items()]
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-o", " ".join(options), "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://anju@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, or a clone of `template`: its files copied (FILE_COPY), quicker than
        the default block-by-block copy through the WAL for a small template and a server
        without fsync (a test per clone)."""
        import psycopg

        clone = f' TEMPLATE "{template}"' if template else ""
        if template and not self.fsync:
            clone += " STRATEGY FILE_COPY"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=anju dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clone}')
        return self.url(name)

    def stop(self, wait: bool = True) -> None:
        """Stop the server and remove its folder; `wait=False` leaves the removal (a test run's
        hundreds of cloned databases) to a detached `rm` so the caller need not wait for it."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        if wait:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            subprocess.Popen(["rm", "-rf", str(self.root)], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
