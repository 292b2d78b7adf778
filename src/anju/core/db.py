"""Database engine, declarative base and the unit of work.

One `Database` per process. Service functions receive a `Session` opened by `unit_of_work()`:
everything a use case writes commits together or not at all.
"""
from __future__ import annotations

import functools
import logging
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import JSON, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


log = logging.getLogger("anju.db")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# How long a unit of work waits for the database (SQLite's write lock, a PostgreSQL row lock,
# a pooled connection) before it gives up with OperationalError/TimeoutError, which the web
# layer answers with 503 + Retry-After. Well below the ~30-60 s after which clients and proxies
# give up themselves, so they get a clear answer instead of a dropped connection.
LOCK_TIMEOUT = 10.0
READ_ONLY = "anju_read_only"


def _sqlite_pragmas(dbapi_connection, _record, busy_ms: int) -> None:  # pragma: no cover
    # Let SQLAlchemy's "begin" hook issue BEGIN IMMEDIATE (see make_engine).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, pool_size: int = 10, lock_timeout: float = LOCK_TIMEOUT) -> Engine:
    busy_ms = max(1, int(lock_timeout * 1000))
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": lock_timeout})
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_ms=busy_ms))
        # Every use case reads then writes (the audit chain head): take SQLite's write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing to upgrade their locks.
        # (`Database.reading()` opts out: a read-only pass must not hold the lock.)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(
            "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"))
        return engine
    # No pre-ping (it costs a round trip on every request); connections are recycled instead,
    # and one that died with the server fails a single request.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                         pool_timeout=lock_timeout,
                         connect_args={"options": f"-c lock_timeout={busy_ms}"})


class Database:
    def __init__(self, url: str, pool_size: int = 10, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size, lock_timeout)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            if left_to_commit(session):  # an idle session would begin a transaction to end it
                session.commit()
        except BaseException:
            session.rollback()
            run_failure_hooks(session)
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for a long read that writes nothing (a job reading what it will link
        against). On SQLite it begins DEFERRED, so it never takes the write lock (in WAL mode
        readers and the writer do not block each other); it is rolled back at the end."""
        session = self.sessions()
        try:
            session.connection(execution_options={READ_ONLY: True})
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


# --- the hot paths' statements -----------------------------------------------------------------
class HotStatement:
    """A Core statement a hot path runs on every request, compiled once. On PostgreSQL it goes
    to the driver's own cursor in the session's transaction: SQLAlchemy's per-execution work
    (the ORM execution state, result metadata rebuilt from the cursor's description) cost more
    than the statement itself. On SQLite it runs through SQLAlchemy, whose result processors
    turn SQLite's text dates into dates. Only for plain column types (text, numbers, dates,
    timestamps) and values given in full: on PostgreSQL no bind or result processing happens
    and no column default is filled in."""

    def __init__(self, statement, columns: Sequence[str] | None = None) -> None:
        """`columns`: for an INSERT of the table's statement, the columns given (the others
        take their server defaults)."""
        self.statement, self.columns = statement, columns
        names = [c.key for c in getattr(statement, "selected_columns", None)
                 or getattr(statement, "_returning", None) or ()]
        self.row = namedtuple("Row", names, rename=True) if names else None
        self._sql: str | None = None
        self._json: tuple[str, ...] = ()  # JSON values: encoded here, as SQLAlchemy would
        if "POSTCOMPILE" in str(statement.compile()):  # an IN list, expanded per execution
            raise TypeError("a HotStatement cannot hold an IN list of bound values; write the "
                            "code's own constants as literal_column()s")

    def _cursor(self, session: Session):
        if session.autoflush:  # as Session.execute does: the statement sees pending changes
            session.flush()
        conn = session.connection()
        if self._sql is None:
            compiled = self.statement.compile(dialect=conn.dialect, column_keys=self.columns)
            sql = str(compiled)
            self._json = tuple(name for name, bind in compiled.binds.items()
                               if isinstance(bind.type, JSON))
            self._sql = sql
        return conn.connection.dbapi_connection.cursor()

    def _on_driver(self, session: Session) -> bool:
        return session.get_bind().dialect.name == "postgresql"

    def first(self, session: Session, params: dict):
        """The first row (attributes by column name), or None."""
        if not self._on_driver(session):
            return session.execute(self.statement, params).first()
        with self._cursor(session) as cur:
            found = cur.execute(self._sql, self._encoded(params)).fetchone()
        return None if found is None else self.row._make(found)

    def scalar(self, session: Session, params: dict):
        row = self.first(session, params)
        return None if row is None else row[0]

    def all(self, session: Session, params: dict) -> list:
        if not self._on_driver(session):
            return list(session.execute(self.statement, params).all())
        with self._cursor(session) as cur:
            return [self.row._make(r) for r in cur.execute(self._sql, self._encoded(params))]

    def run(self, session: Session, params: dict | list[dict]) -> None:
        """Execute a statement that returns nothing (once, or once per dict of a list)."""
        if not self._on_driver(session):
            session.execute(self.statement, params)
            return
        with self._cursor(session) as cur:
            if isinstance(params, list):
                cur.executemany(self._sql, [self._encoded(p) for p in params])
            else:
                cur.execute(self._sql, self._encoded(params))

    def _encoded(self, params: dict) -> dict:
        if not self._json:
            return params
        from psycopg.types.json import Json

        return {**params, **{k: Json(params[k]) for k in self._json if params.get(k) is not None}}


# --- what must be written even when the unit of work fails ------------------------------------
_ON_FAILURE = "anju.on_failure"


def on_failure(session: Session, hook: Callable[[Session], int]) -> None:
    """Have `hook` run after this session's unit of work rolls back, in a transaction of its own
    (the audit chain's record of a refused attempt uses this). It returns how many rows it
    wrote; it also runs, as part of the commit, when the unit of work succeeds."""
    hooks = session.info.setdefault(_ON_FAILURE, [])
    if hook not in hooks:
        hooks.append(hook)


def left_to_commit(session: Session) -> bool:
    """Whether ending the unit of work has anything to commit: an open transaction, or failure
    hooks (which also run as part of the commit)."""
    return session.in_transaction() or bool(session.info.get(_ON_FAILURE))


def run_failure_hooks(session: Session, commit: bool = True) -> int:
    """After a rollback: run the session's failure hooks and commit what they wrote (tests pass
    commit=False to look first). A failure here is logged, never raised over the error that
    failed the unit of work."""
    hooks = session.info.pop(_ON_FAILURE, [])
    if not hooks:
        return 0
    try:
        written = sum(hook(session) for hook in hooks)
        if written and commit:
            session.commit()
        return written
    except Exception:
        log.exception("could not write what a failed unit of work left to record")
        session.rollback()
        return 0


# --- bulk writes (registry imports, the audit chain behind them) ------------------------------
# Table and column names below come from code, never from input.

def bulk_insert(session: Session, table: str, columns: Sequence[str],
                rows: Iterable[Sequence]) -> None:
    """Insert many rows inside the session's transaction: COPY on PostgreSQL (an order of
    magnitude faster than INSERT), one executemany on SQLite. Values must be plain column
    values: str/int/None, dates and timestamps as ISO text (see `sql_timestamp`)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        rows = [tuple(r) for r in rows]
        marks = ", ".join("?" * len(columns))
        if rows:  # an empty executemany is an error in the driver
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 rows)


def allocate_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, so bulk inserts can name their rows."""
    if count <= 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(count)})").scalars())
    # SQLite hands out max(id)+1; the unit of work holds the write lock (BEGIN IMMEDIATE), and
    # the session remembers what it handed out but has not inserted yet.
    handed = session.info.setdefault("anju.allocated_ids", {})
    top = max(handed.get(table, 0),
              conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one())
    handed[table] = top + count
    return list(range(top + 1, top + 1 + count))


def sql_timestamp(at: datetime) -> str:
    """A naive UTC timestamp as both backends store it (SQLAlchemy's SQLite format)."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")
