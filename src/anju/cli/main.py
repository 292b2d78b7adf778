"""The `anju` command. Each command is thin: it opens the database and calls a service."""
from __future__ import annotations

import sys

import typer

from anju.core.config import get_settings

app = typer.Typer(help="Anju 安居 — floating-population service platform.", no_args_is_help=True,
                  add_completion=False)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit chain tools.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")


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


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="port to listen on"),
          workers: int = typer.Option(1, help="worker processes (PostgreSQL only)")) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    from anju.core import migrate

    migrate.upgrade(get_settings().resolved_database_url)
    typer.echo(f"Anju is up: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("anju.web.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


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
    db = _database()
    summary = build.ensure_demo(db, persons=persons, progress=lambda m: typer.echo(m, err=True))
    db.dispose()
    typer.echo(build.describe(summary, f"http://{host}:{port}/"))
    if not no_serve:
        serve(host=host, port=port, workers=1)


@user_app.command("create")
def user_create(username: str = typer.Option(..., help="login name"),
                password: str = typer.Option(..., help="at least 8 characters"),
                role: str = typer.Option(..., help="resident, landlord, grid_worker, police, "
                                         "dept_officer, data_steward, analyst, auditor, admin"),
                division: str = typer.Option(None, help="jurisdiction admin-division code "
                                             "(default: the county)"),
                department: str = typer.Option(None, help="department, for dept_officer"),
                person_code: str = typer.Option(None, help="the person, for resident/landlord"),
                ) -> None:
    """Create an account."""
    from anju.core import identity
    from anju.core.errors import AnjuError

    db = _database()
    try:
        with db.unit_of_work() as session:
            account = identity.create_account(session, username=username, password=password,
                                              role=role, division=division,
                                              department=department, person_code=person_code)
            typer.echo(f"created {account.role} account {account.username} "
                       f"(jurisdiction {account.division_code})")
    except AnjuError as error:
        # The service says what is missing; the console adds which option gives it.
        option = {"person_code": " (--person-code)", "department": " (--department)",
                  "division": " (--division)"}.get(error.field or "", "")
        typer.echo(f"error: {error}{option}", err=True)
        raise typer.Exit(2) from None


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit chain; exit 1 naming the first altered, deleted or reordered entry."""
    from anju.core import audit

    db = _database()
    with db.unit_of_work() as session:
        result = audit.verify_chain(session)
    typer.echo(result.message(), err=not result.ok)
    if not result.ok:
        raise typer.Exit(1)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _mount_optional() -> None:
    """Domains that bring their own sub-commands (kept optional so `anju` starts fast)."""
    from importlib import import_module
    from anju.core.modules import present

    for module, name in (("anju.exchange.cli", "link"), ("anju.housing.cli", "locks")):
        if present(module):
            app.add_typer(import_module(module).app, name=name)


_mount_optional()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
