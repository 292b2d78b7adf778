"""The `anju` command. Each command is thin: it opens the database and calls a service."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from anju.core.config import get_settings

app = typer.Typer(help="Anju 安居 — floating-population service platform.", no_args_is_help=True,
                  add_completion=False)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit chain tools.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
jobs_app = typer.Typer(help="Scheduled jobs the domains declare (run them from cron).",
                       no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
calendar_app = typer.Typer(help="The working-day calendar: the county's official holiday "
                           "arrangements.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
keys_app = typer.Typer(help="This installation's SM2 signing key.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _database():
    from anju.core.db import Database

    settings = get_settings()
    return Database(settings.resolved_database_url, settings.db_pool_size)


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from anju.core import migrate

    url = get_settings().resolved_database_url
    migrate.upgrade(url)
    typer.echo(f"database ready: {_redact(url)}")
    _ensure_signing_key()


def _ensure_signing_key() -> None:
    """The installation's SM2 key pair, made once and kept outside the database."""
    from anju.core import signing

    path, made = signing.ensure_key()
    typer.echo(f"signing key {'created' if made else 'kept'}: {path} "
               f"(fingerprint {signing.public_key().fingerprint})", err=True)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="port to listen on"),
          workers: int = typer.Option(1, help="worker processes (PostgreSQL only)")) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    from anju.core import migrate
    from anju.core.web import server_options

    settings = get_settings()
    migrate.upgrade(settings.resolved_database_url)
    _ensure_signing_key()
    _log_to_stderr()
    typer.echo(f"Anju is up: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    chain = start_sealer(settings)
    try:
        # No access log: at level "warning" uvicorn would build each request's line and drop
        # it (Anju logs what matters itself; a proxy in front keeps access logs).
        uvicorn.run("anju.web.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", access_log=False,
                    **server_options(settings))
    finally:
        if chain is not None:
            chain.terminate()  # it seals what is still pending, then exits
            chain.wait(timeout=120)


def start_sealer(settings):
    """On PostgreSQL (`audit_sealer_process`): the audit sealer and witness as one process
    beside the web workers (`anju audit seal --follow`), and the workers' own sealer threads
    switched off. Measured under load, a sealer thread's hashing in a web process cost that
    process about a tenth of its throughput and ~8 ms of p95. The advisory locks keep any
    number of sealers (several nodes) safe. Returns the process, or None (SQLite, or sealing
    switched off): the web process's thread seals then."""
    import os
    import subprocess

    from anju.core.config import reset_settings_cache

    if not settings.audit_sealer_process or settings.resolved_database_url.startswith("sqlite") \
            or not (settings.audit_seal_interval_ms or settings.audit_witness_seconds):
        return None
    chain = subprocess.Popen([sys.executable, "-m", "anju.cli.main", "audit", "seal", "--follow"])
    os.environ["ANJU_AUDIT_SEAL_INTERVAL_MS"] = "0"  # the workers read this; the sealer has
    os.environ["ANJU_AUDIT_WITNESS_SECONDS"] = "0"   # its own copy of the environment
    reset_settings_cache()
    return chain


def _log_to_stderr() -> None:
    """Anju's own log lines (the audit witness among them) go to stderr, where the service
    manager (systemd's journal, a syslog forwarder) keeps them."""
    import logging

    class Stderr(logging.StreamHandler):
        """Whatever sys.stderr is when a line is written (it is replaced under test)."""

        stream = property(lambda self: sys.stderr, lambda self, value: None)

    root = logging.getLogger("anju")
    if not any(type(h).__name__ == "Stderr" for h in root.handlers):
        handler = Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)


@app.command()
def demo(host: str = typer.Option("127.0.0.1", help="address to listen on"),
         port: int = typer.Option(8000, help="port to listen on"),
         persons: int = typer.Option(20000, help="migrant residents in the demo county"),
         no_serve: bool = typer.Option(False, "--no-serve", help="build the data, do not serve"),
         ) -> None:
    """Build the demo county (长兴县, synthetic people) if it is not there yet, then serve it."""
    from anju.core import migrate
    from anju.demo import build

    settings = get_settings()
    migrate.upgrade(settings.resolved_database_url)
    _ensure_signing_key()
    db = _database()
    summary = build.ensure_demo(db, persons=persons, progress=lambda m: typer.echo(m, err=True))
    _demo_statistics(db)
    db.dispose()
    typer.echo(build.describe(summary, f"http://{host}:{port}/"))
    if not no_serve:
        serve(host=host, port=port, workers=1)


def _demo_statistics(db) -> None:
    """A demo county built before monitoring existed gets its first statistics build too (a
    fresh one gets it from the demo builder)."""
    from anju.monitoring import build as stats

    stats.ensure_built(db, progress=lambda m: typer.echo(m, err=True))


@user_app.command("create")
def user_create(username: str = typer.Option(..., help="login name"),
                password: str = typer.Option(..., help="at least 8 characters"),
                role: str = typer.Option(..., help="resident, landlord, grid_worker, police, "
                                         "dept_officer, data_steward, analyst, leader, auditor, "
                                         "admin"),
                division: str = typer.Option(None, help="jurisdiction admin-division code "
                                             "(default: the county)"),
                department: str = typer.Option(None, help="department, for dept_officer"),
                person_code: str = typer.Option(None, help="the person, for resident/landlord"),
                ) -> None:
    """Create an account. On the server console a person code binds at once (audited as the
    system, in that person's access log); in the web pages a police officer confirms it."""
    from anju.core import identity
    from anju.core.errors import AnjuError
    from anju.registry.service import person_division

    db = _database()
    try:
        with db.unit_of_work() as session:
            account = identity.create_account(session, username=username, password=password,
                                              role=role, division=division,
                                              department=department, person_code=person_code,
                                              locate=person_division)
            typer.echo(f"created {account.role} account {account.username} "
                       f"(jurisdiction {account.division_code})")
    except AnjuError as error:
        # The service says what is missing; the console adds which option gives it.
        option = {"person_code": " (--person-code)", "department": " (--department)",
                  "division": " (--division)"}.get(error.field or "", "")
        typer.echo(f"error: {error}{option}", err=True)
        raise typer.Exit(2) from None


@audit_app.command("verify")
def audit_verify(witness: list[Path] = typer.Option(  # noqa: B008 - typer's way
        [], "--witness", help="more witness lines to check against, e.g. kept by a remote "
        "syslog (repeatable)")) -> None:
    """Walk the audit chain under the audit key and check it against every witness; exit 1
    naming the first altered, deleted or reordered entry and any range missing at the end."""
    from anju.core import audit
    from anju.core.domain import domains, resolve

    db = _database()
    with db.unit_of_work() as session:
        result = audit.verify_chain(session, witness_files=witness)  # every partition and root
        # the domains' own logs (the federation message log), each named on its own line
        others = [resolve(target)(session) for d in domains() for target in d.verifies]
    typer.echo(result.message(), err=not result.ok)
    for other in others:
        typer.echo(other.message(), err=not other.ok)
    if not result.ok or not all(other.ok for other in others):
        raise typer.Exit(1)


@audit_app.command("witness")
def audit_witness() -> None:
    """Witness the partitions' heads and their Merkle root (signed, with the time) in the
    witness file and the log — for cron; a running server also does it every
    ANJU_AUDIT_WITNESS_SECONDS. Records the root in the database too."""
    from anju.core import audit, sealer

    _log_to_stderr()
    db = _database()
    with db.unit_of_work() as session:
        sealer.record_root(session)
        written = audit.witness_head(session)
    typer.echo(f"witnessed entry {written.seq} at {written.at}, root {written.root} "
               f"(已见证第 {written.seq} 条，默克尔根 {written.root})")


@audit_app.command("seal")
def audit_seal(follow: bool = typer.Option(
        False, "--follow", help="keep sealing every ANJU_AUDIT_SEAL_INTERVAL_MS (and witnessing) "
        "until stopped; `anju serve` runs this beside its web workers")) -> None:
    """Seal every audit entry still pending (sequence numbers and chain hashes, partition by
    partition, under the sealing lock), record a Merkle root, and exit. A running server seals
    every ANJU_AUDIT_SEAL_INTERVAL_MS by itself; this is for the end of a load, cron, or a
    server run with the interval at 0."""
    from anju.core import audit, sealer

    db = _database()
    if follow:
        _follow(sealer.Background(db, get_settings()))
    sealed = sealer.seal_all(db)
    with db.reading() as session:
        left = audit.pending(session)
    typer.echo(f"sealed {sealed} entries, {left} pending (已封存 {sealed} 条，待封存 {left} 条)")


def _follow(chain) -> None:
    """Run the sealer in this process until SIGTERM or Ctrl-C (then seal what is pending)."""
    import signal

    _log_to_stderr()
    signal.signal(signal.SIGTERM, lambda *_: chain.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: chain.stopping.set())
    chain.run()


@audit_app.command("roots")
def audit_roots(limit: int = typer.Option(10, help="how many, newest first"),
                heads: bool = typer.Option(False, "--heads", help="list each partition's head")
                ) -> None:
    """Print the latest recorded Merkle roots of the partitions' heads (for a daily report or
    a signed file kept outside the database)."""
    import json

    from anju.core import sealer

    db = _database()
    with db.reading() as session:
        for root in sealer.roots(session, limit):
            listed = json.loads(root.heads)
            total = sum(seq for _, seq, _ in listed)
            typer.echo(f"{root.at.isoformat(timespec='seconds')}Z\troot {root.root}\t"
                       f"{total} entries in {len(listed)} partitions (共 {total} 条)")
            for part, seq, head_hash in listed if heads else ():
                typer.echo(f"  partition {part}\tentry {seq}\t{head_hash}")


@jobs_app.command("list")
def jobs_list() -> None:
    """Every scheduled job, when to run it, and what it does."""
    from anju.core.domain import jobs

    for job in jobs().values():
        typer.echo(f"{job.name}\t{job.schedule}\t{job.help_en}")


@jobs_app.command("run")
def jobs_run(name: str = typer.Argument(..., help="the job's name (see `anju jobs list`)"),
             today: str = typer.Option(None, help="run as of this date (YYYY-MM-DD)")) -> None:
    """Run one job now, under its own system identity; prints what it did as JSON."""
    import json
    from datetime import date

    from anju.core.domain import jobs, resolve
    from anju.core.identity import job_actor

    job = jobs().get(name)
    if job is None:
        typer.echo(f"error: no job named {name!r}; see `anju jobs list`", err=True)
        raise typer.Exit(2)
    from anju.core import sealer

    day = date.fromisoformat(today) if today else None
    db = _database()
    summary = resolve(job.target)(db, job_actor(job.name), day)
    sealer.seal_all(db)  # what the job appended (a bulk import's entries) is sealed before exit
    typer.echo(json.dumps(summary, ensure_ascii=False, default=str))


@calendar_app.command("load")
def calendar_load(file: Path = typer.Argument(  # noqa: B008 - typer's way
        ..., exists=True, dir_okay=False, readable=True,
        help="one year's arrangement: CSV date,kind (holiday|workday) or 日期,类型 (放假|上班)"),
) -> None:
    """Load one year's official holiday arrangement (法定节假日 and 调休), or replace that year
    with a corrected file (audited). A bad file is refused whole, naming each bad row."""
    from anju.core import calendars, identity
    from anju.core.errors import AnjuError

    db = _database()
    try:
        with db.unit_of_work() as session:
            result = calendars.load(session, identity.SYSTEM, file.read_bytes(), file.name)
    except AnjuError as error:
        typer.echo(f"error: {error}", err=True)
        for row in getattr(error, "rows", ()):
            typer.echo(f"  row {row.row}: {row.message_zh} / {row.message_en}", err=True)
        raise typer.Exit(2) from None
    said = {"created": ("已载入", "loaded"), "replaced": ("已替换", "replaced"),
            "unchanged": ("与已载入的相同，未作改动", "same as loaded, nothing changed")}
    zh, en = said[result.outcome]
    typer.echo(f"{result.year}: {zh} / {en} ({result.holidays} holidays, {result.workdays} "
               "adjusted working days)")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


@calendar_app.command("status")
def calendar_status() -> None:
    """Which years are official (shipped or loaded) and which provisional; exit 1 when the
    official data runs out within 60 days (for a monitoring cron job)."""
    from anju.core import calendars, identity
    from anju.core.workdays import PROVISIONAL

    db = _database()
    with db.unit_of_work() as session:
        status = calendars.calendar_status(session)
        loaded = {row.year: row for row in calendars.loaded_years(session, identity.SYSTEM)}
    for first, last, source in calendars.runs(status.sources):
        years = str(first) if first == last else f"{first}-{last}"
        kind = "provisional (推算)" if source == PROVISIONAL else f"official (官方, {source})"
        typer.echo(f"{years}\t{kind}")
    for year, row in sorted(loaded.items()):
        typer.echo(f"{year}\tloaded {row.loaded_at:%Y-%m-%d %H:%M} UTC by {row.loaded_by}"
                   f"{' from ' + row.file_name if row.file_name else ''}")
    typer.echo(f"{status.message_zh}\n{status.message_en}", err=status.warning)
    if status.warning:
        raise typer.Exit(1)


@keys_app.command("public")
def keys_public() -> None:
    """Print this installation's public key (PEM) for another installation to paste; its
    fingerprint goes to stderr, to compare over the phone."""
    from anju.core import signing
    from anju.core.errors import AnjuError

    try:
        key = signing.public_key()
    except AnjuError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(key.to_text(), nl=False)
    typer.echo(f"fingerprint (SM3): {key.fingerprint}", err=True)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _mount_domains() -> None:
    """Each domain's own command group, as its descriptor declares it."""
    from anju.core.domain import domains, resolve

    for described in domains():
        for name, target in described.cli:
            app.add_typer(resolve(target), name=name)


_mount_domains()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
