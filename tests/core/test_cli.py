"""The `anju` command: every command has --help, is in the README, and the contract commands work."""
from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from anju.cli.main import app
from anju.core import auditlog
from tests.factories import verified

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _commands(group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        names.append(full)
        if getattr(command, "commands", None):  # a command group (Typer vendors click)
            names += _commands(command, full + " ")
    return names


def test_every_command_has_help_and_is_documented():
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert {"init-db", "serve", "demo", "user create", "audit verify", "audit witness"} <= set(commands)
    documented = (ROOT / "README.md").read_text() + "".join(
        doc.read_text() for doc in sorted((ROOT / "docs").glob("*.md")))
    for name in commands:
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, name
        assert f"anju {name}" in documented, f"`anju {name}` is not documented"


def test_init_db_and_user_create(tmp_path, monkeypatch):
    from anju.core.config import reset_settings_cache

    monkeypatch.setenv("ANJU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    reset_settings_cache()
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    assert runner.invoke(app, ["init-db"]).exit_code == 0  # re-running changes nothing
    ok = runner.invoke(app, ["user", "create", "--username", "officer1", "--password",
                             "long-enough-1", "--role", "police", "--division", "330522001"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["user", "create", "--username", "officer1", "--password",
                                "long-enough-1", "--role", "police"])
    assert again.exit_code == 2 and "已存在" in again.output
    bad_role = runner.invoke(app, ["user", "create", "--username", "x", "--password",
                                   "long-enough-1", "--role", "boss"])
    assert bad_role.exit_code == 2 and "role" in bad_role.output
    resident = runner.invoke(app, ["user", "create", "--username", "r", "--password",
                                   "long-enough-1", "--role", "resident"])
    assert resident.exit_code == 2  # a resident account needs --person-code


def test_console_binding_is_direct_but_audited_and_unknown_persons_are_refused(cli_db):
    """`anju user create --person-code` is the operator's tool: it binds at once, and the
    binding is on the chain as done by the system, in the person's own access log."""
    from tests.factories import make_account, make_person, valid_id

    police = make_account(cli_db, "police")
    code = make_person(cli_db, police, "郑和", id_number=valid_id("341221"))
    unknown = runner.invoke(app, ["user", "create", "--username", "r2", "--password",
                                  "long-enough-1", "--role", "resident",
                                  "--person-code", "P99999999999"])
    assert unknown.exit_code == 2 and "person code not valid" in unknown.output
    ok = runner.invoke(app, ["user", "create", "--username", "zheng.he", "--password",
                             "long-enough-1", "--role", "resident", "--person-code", code])
    assert ok.exit_code == 0, ok.output
    with cli_db.unit_of_work() as s:
        newest = auditlog.entries_for_person(s, code, limit=1)[0]
        assert (newest.action, newest.username, newest.object_id) == (
            "account.bind", "system", "zheng.he")
    assert verified(cli_db).ok


@pytest.fixture
def cli_db(sqlite_db, monkeypatch):
    from anju.core.config import reset_settings_cache

    monkeypatch.setenv("ANJU_DATABASE_URL", sqlite_db.url)
    reset_settings_cache()
    return sqlite_db


def test_calendar_load_and_status(cli_db, tmp_path):
    from datetime import date

    from anju.core import calendars, clock

    clock.pin_today(date(2026, 12, 6))
    calendars.invalidate()
    status = runner.invoke(app, ["calendar", "status"])
    assert status.exit_code == 1  # 2026 is the last official year and ends in 25 days
    assert "2027-2028\tprovisional" in status.output and "2026-12-31" in status.output
    sample = ROOT / "tests" / "core" / "data" / "calendar_2027_sample.csv"
    bad = tmp_path / "2027.csv"
    bad.write_text(sample.read_text().replace("2027-02-20,workday", "2027-02-19,workday"))
    refused = runner.invoke(app, ["calendar", "load", str(bad)])
    assert refused.exit_code == 2 and "row 12:" in refused.output and "weekday" in refused.output
    loaded = runner.invoke(app, ["calendar", "load", str(sample)])
    assert loaded.exit_code == 0 and "2027: 已载入 / loaded" in loaded.output
    again = runner.invoke(app, ["calendar", "load", str(sample)])
    assert again.exit_code == 0 and "nothing changed" in again.output
    status = runner.invoke(app, ["calendar", "status"])
    assert status.exit_code == 0, status.output
    assert "2027\tofficial" in status.output and "by system from calendar_2027_sample.csv" \
        in status.output
    calendars.invalidate()
