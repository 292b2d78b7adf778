"""`anju schools` (the published allocation from CSV files, no server or database) and
`anju eligibility` (the nightly proactive-eligibility run)."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

schools = typer.Typer(help="School places for migrant children (积分入学 + 就近划片).",
                      no_args_is_help=True)
eligibility = typer.Typer(help="Proactive eligibility notices (主动推送).", no_args_is_help=True)


@schools.callback()
def _schools() -> None:
    """School allocation commands."""


@schools.command("allocate")
def allocate(
    schools_csv: Annotated[Path, typer.Option("--schools", exists=True, dir_okay=False,
                                              help="school_id, name, catchment, capacity, lat, lon")],
    applicants_csv: Annotated[Path, typer.Option("--applicants", exists=True, dir_okay=False,
                                                 help="applicant_id, home_division_code, lat, lon, "
                                                      "points, residence_since")],
    seed: Annotated[int, typer.Option(help="the lottery seed published before the run")],
    output: Annotated[Path, typer.Option(help="allocation.csv to write")],
) -> None:
    """Run the published allocation. Bad applicant rows are reported on stderr (row number and
    reason) and left out; the rest is allocated."""
    from anju.cases.schools import csvio
    from anju.cases.schools.allocate import allocate as run
    from anju.core.errors import AnjuError

    try:
        school_list = csvio.read_schools(schools_csv)
        applicants, errors = csvio.read_applicants(applicants_csv, school_list)
    except AnjuError as error:
        typer.echo(f"{error.message_zh} / {error.message_en}", err=True)
        raise typer.Exit(2) from None
    for error in errors:
        typer.echo(f"row {error.row}: {error.message_zh} / {error.message_en}", err=True)
    placements = run(school_list, applicants, seed)
    csvio.write_allocation(output, placements)
    rounds = {r: sum(p.round == r for p in placements) for r in ("catchment", "nearest",
                                                                 "unplaced")}
    typer.echo(json.dumps({"applicants": len(applicants), "rejected_rows": len(errors),
                           **rounds}, ensure_ascii=False))


@eligibility.callback()
def _eligibility() -> None:
    """Proactive eligibility commands."""


@eligibility.command("run")
def run_eligibility(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count per service, send nothing")]
    = False,
    on: Annotated[str | None, typer.Option(help="the day to evaluate (YYYY-MM-DD)")] = None,
) -> None:
    """Evaluate every service's rule over everyone and notify the eligible who have not applied
    (the nightly job, in the foreground)."""
    from anju.cases import eligibility as engine
    from anju.core.config import get_settings
    from anju.core.db import Database
    from anju.core.identity import job_actor

    day = date.fromisoformat(on) if on else None
    database = Database(get_settings().resolved_database_url)
    try:
        with database.unit_of_work() as session:
            counts = engine.evaluate(session, job_actor("cases.eligibility"), day,
                                     dry_run=dry_run)
            if dry_run:
                session.rollback()
    finally:
        database.dispose()
    json.dump(counts, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
