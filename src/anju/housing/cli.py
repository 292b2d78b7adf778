"""`anju locks …`: lock vendors, the county housing policy, the daily lock-event job, the MQTT
subscriber, civil-affairs fee exemptions and monthly fee statements. Each command opens the
database and calls one service function as the system identity."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Rental housing and smart locks (安居卡).", no_args_is_help=True)


def _database():
    from anju.core.config import get_settings
    from anju.core.db import Database

    settings = get_settings()
    return Database(settings.resolved_database_url, settings.db_pool_size)


def _fail(error) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(2)


@app.command("add-vendor")
def add_vendor(name: str = typer.Argument(..., help="vendor name, as it appears in batches")) -> None:
    """Register a lock vendor and print its signing secret (shown only this once)."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.housing import service

    try:
        with _database().unit_of_work() as session:
            secret = service.add_vendor(session, SYSTEM, name)
    except AnjuError as error:
        _fail(error)
    typer.echo(secret)
    typer.echo(f"vendor {name} registered; sign each batch body with this secret "
               "(X-Anju-Signature: hex HMAC-SHA256). It is not shown again.", err=True)


@app.command("rotate-secret")
def rotate_secret(name: str = typer.Argument(..., help="vendor name")) -> None:
    """Give a vendor a new signing secret (the old one stops working at once)."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.housing import service

    try:
        with _database().unit_of_work() as session:
            secret = service.rotate_vendor_secret(session, SYSTEM, name)
    except AnjuError as error:
        _fail(error)
    typer.echo(secret)


@app.command("policy")
def policy(monthly_fee: str = typer.Option(None, help="service fee per tenancy and month, "
                                           "yuan (e.g. 15.00)"),
           provisional_key_days: int = typer.Option(None, help="days of a provisional key while "
                                                    "approval is pending (0: none)"),
           silent_days: int = typer.Option(None, help="silent days before a suspected move-out"),
           unregistered_days: int = typer.Option(None, help="days of use in two weeks that "
                                                 "make a key 'in regular use'"),
           reminder_days: int = typer.Option(None, help="remind this many days before a "
                                             "permit expires"),
           permit_grace_days: int = typer.Option(None, help="days after a permit lapsed before "
                                                 "its holder's keys are revoked")) -> None:
    """Show the county's housing policy, or change the values given."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.housing import rules, service

    changes = {"provisional_key_days": provisional_key_days, "silent_days": silent_days,
               "unregistered_days": unregistered_days, "reminder_days": reminder_days,
               "permit_grace_days": permit_grace_days}
    try:
        if monthly_fee is not None:
            changes["monthly_fee_fen"] = rules.parse_yuan(monthly_fee)
        with _database().unit_of_work() as session:
            if any(v is not None for v in changes.values()):
                out = service.set_policy(session, SYSTEM, **changes)
            else:
                out = service.read_policy(session, SYSTEM)
    except AnjuError as error:
        _fail(error)
    for name, value in out.model_dump().items():
        shown = rules.yuan(value) if name == "monthly_fee_fen" else value
        typer.echo(f"{name}: {shown}")


@app.command("daily")
def daily(today: str = typer.Option(None, help="run as of this date (YYYY-MM-DD); default today")
          ) -> None:
    """The daily job: reduce lock events to presence, delete raw events past retention, revoke
    keys of lapsed permits, and raise management tasks. Run it once a day (cron)."""
    from anju.core.identity import SYSTEM
    from anju.housing.jobs import daily as daily_job

    day = date.fromisoformat(today) if today else None
    done = daily_job(_database(), SYSTEM, day)
    typer.echo(f"days reduced: {done['days_reduced']} ({done['presence_rows']} presence rows); "
               f"raw days deleted: {done['raw_days_deleted']}; keys revoked (lapsed permits): "
               f"{done['keys_revoked']}; tasks opened: "
               + ", ".join(f"{kind} {n}" for kind, n in done["tasks_opened"].items()))


@app.command("mqtt")
def mqtt(host: str = typer.Option("127.0.0.1", help="the county's MQTT broker"),
         port: int = typer.Option(1883, help="broker port"),
         topic: str = typer.Option("anju/lock-events/+", help="topic filter to subscribe to"),
         username: str = typer.Option(None, envvar="ANJU_MQTT_USERNAME", help="broker login"),
         password: str = typer.Option(None, envvar="ANJU_MQTT_PASSWORD", help="broker password"),
         ) -> None:
    """Subscribe to signed lock-event batches on an MQTT broker and ingest them (runs until
    stopped)."""
    from anju.housing.mqtt import Subscriber

    typer.echo(f"subscribing to {topic} on {host}:{port}", err=True)
    Subscriber(_database(), host, port, topic, username=username,
               password=password).run_forever()


def read_exemption_rows(text: str) -> tuple[list[tuple[int, dict]], int]:
    """Rows of a civil-affairs CSV: id_number (身份证号) and category (类别), header optional.
    Each row comes with its 1-based number in the data (header not counted, blank rows counted,
    as `anju.core.errors.RowError` numbers rows); also how many header lines precede the data."""
    names = {"id_number": "id_number", "身份证号": "id_number", "身份证号码": "id_number",
             "category": "category", "类别": "category", "救助类别": "category"}
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = [c.strip().lower() for c in rows[0]] if rows else []
    if header and any(c in names for c in header):
        columns = {names[c]: i for i, c in enumerate(header) if c in names}
        start = 1
    else:
        columns, start = {"id_number": 0, "category": 1}, 0
    out = []
    for number, row in enumerate(rows[start:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        out.append((number, {field: row[i].strip() if i < len(row) else ""
                             for field, i in columns.items()}))
    return out, start


@app.command("import-exemptions")
def import_exemptions(file: Annotated[Path, typer.Argument(
        exists=True, readable=True, help="civil-affairs CSV: ID number, category (低保/特困)")],
) -> None:
    """Import the civil-affairs list of 低保/特困 persons (fee exemption). Bad rows are reported
    with their row (and line) number; importing the same file again changes nothing."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.housing import service

    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")  # department extracts are often GBK
    try:
        with _database().unit_of_work() as session:
            rows, header = read_exemption_rows(text)
            report = service.import_exemptions(session, SYSTEM, rows, file.name)
    except AnjuError as error:
        _fail(error)
    for error in report.errors:  # the data row, and the line an editor shows it on
        typer.echo(f"row {error.row} (line {error.row + header}): {error.message_zh} / "
                   f"{error.message_en}", err=True)
    typer.echo(f"rows {report.rows}: added {report.added}, changed {report.changed}, "
               f"unchanged {report.unchanged}, errors {len(report.errors)}")
    if report.errors:
        raise typer.Exit(1)


@app.command("bill")
def bill(month: str = typer.Argument(..., help="YYYY-MM")) -> None:
    """Make the monthly fee statements (exemptions applied); re-running adds only what is missing."""
    from anju.core.errors import AnjuError
    from anju.core.identity import SYSTEM
    from anju.housing import service

    try:
        with _database().unit_of_work() as session:
            report = service.generate_statements(session, SYSTEM, month)
    except AnjuError as error:
        if error.code == "fee_not_set":
            typer.echo("set it with: anju locks policy --monthly-fee 15.00", err=True)
        _fail(error)
    typer.echo(f"{report.month}: {report.created} statements ({report.exempt} exempt), "
               f"{report.already} already made, {report.newly_exempted} newly exempted")
