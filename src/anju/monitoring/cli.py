"""`anju stats …`: build the statistics (snapshot, aggregates, release) now, list builds, and
import operators' mobile-network counts. Each command runs as the system identity."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

app = typer.Typer(help="Monitoring statistics: aggregates only (统计监测).", no_args_is_help=True)


def _database():
    from anju.core.config import get_settings
    from anju.core.db import Database

    settings = get_settings()
    return Database(settings.resolved_database_url, settings.db_pool_size)


@app.command("build")
def build(as_of: str = typer.Option(None, "--as-of", help="build as of this date (YYYY-MM-DD; "
                                    "default yesterday)"),
          engine: str = typer.Option("duckdb", help="duckdb (embedded) or spark (local mode "
                                     "unless configured)")) -> None:
    """Export the snapshot, aggregate it and release the figures, with progress."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.monitoring import build as builder

    if engine not in ("duckdb", "spark"):
        typer.echo("error: --engine must be duckdb or spark", err=True)
        raise typer.Exit(2)
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        typer.echo(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    try:
        built = builder.run(_database(), SYSTEM, day, engine,
                            progress=lambda m: typer.echo(m, err=True))
    except AnjuError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    released = built.release
    typer.echo(f"build {built.build_id} as of {built.as_of}: {len(released.values):,} cells, "
               f"{released.primary:,} withheld as small, {released.complementary:,} withheld to "
               f"protect them; {built.timings['total']:.1f} s")


@app.command("builds")
def builds() -> None:
    """The latest builds and their state."""
    from sqlalchemy import select

    from anju.core.identity import SYSTEM
    from anju.monitoring.models import StatsBuild

    del SYSTEM
    with _database().unit_of_work() as session:
        for b in session.execute(select(StatsBuild).order_by(StatsBuild.id.desc()).limit(20)
                                 ).scalars():
            typer.echo(f"{b.id}\t{b.as_of}\t{b.engine}\t{b.status}\t{b.step or ''}")


@app.command("mobile-import")
def mobile_import(file: Path = typer.Argument(..., exists=True, dir_okay=False),  # noqa: B008
                  operator: str = typer.Option(..., help="the operator that sent the file")) -> None:
    """Import an operator's aggregate counts (CSV day,township,origin_province,count)."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.monitoring import service

    try:
        with _database().unit_of_work() as session:
            out = service.import_mobile(session, SYSTEM, operator, file.name, file.read_bytes())
    except service.MobileRefused as error:
        for row in error.rows[:20]:
            typer.echo(f"row {row.row}: {row.message_zh} / {row.message_en}", err=True)
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except AnjuError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"imported {out.rows} rows ({out.first_day} – {out.last_day}); "
               f"{out.deleted_past_retention} past retention deleted")
