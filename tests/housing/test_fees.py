"""Fees: a monthly fee per active tenancy set by the county, automatic exemption for persons on
the civil-affairs 低保/特困 list (imported by CLI, per-row errors, re-import a no-op), statements,
payments, and the tenant's history with the exemption reason."""
from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from anju.core.config import reset_settings_cache
from anju.core.errors import Conflict, Forbidden, NotFound
from anju.core.identity import SYSTEM
from anju.housing import service
from anju.housing.cli import app as locks_app
from tests.factories import make_account, make_person, submit, valid_id
from tests.housing.conftest import approve, tenant


def _fees(world, actor, person_code=None):
    with world.db.unit_of_work() as s:
        return service.list_fees(s, actor, person_code)


def _bill(world, month):
    with world.db.unit_of_work() as s:
        return service.generate_statements(s, SYSTEM, month)


@pytest.fixture
def cli(world, monkeypatch):
    monkeypatch.setenv("ANJU_DATABASE_URL", world.db.url)
    reset_settings_cache()
    runner = CliRunner()
    return lambda *args: runner.invoke(locks_app, list(args))


def test_fee_must_be_set_before_billing(world):
    tenant(world)
    with pytest.raises(Conflict) as err:
        _bill(world, "2026-02")
    assert err.value.code == "fee_not_set"


def test_monthly_statements_payments_and_history(world, cli):
    assert cli("policy", "--monthly-fee", "15.00").exit_code == 0
    reg_id = tenant(world, start=date(2026, 1, 20))  # 12 days of January: less than half
    assert (report := _bill(world, "2026-01")).created == 0, report
    report = _bill(world, "2026-02")
    assert (report.created, report.exempt) == (1, 0)
    assert _bill(world, "2026-02").already == 1  # re-running adds nothing
    [statement] = _fees(world, world.resident, world.resident.person_code)
    assert statement.amount_fen == 1500 and statement.status == "due"
    assert statement.registration_id == reg_id and statement.exemption is None
    with world.db.unit_of_work() as s:
        paid = service.record_payment(s, world.resident, statement.statement_id, 1500, "WX-0001")
    assert paid.status == "paid" and paid.paid_fen == 1500
    with world.db.unit_of_work() as s:  # the channel retries the same notice: recorded once
        again = service.record_payment(s, world.resident, statement.statement_id, 1500, "WX-0001")
    assert again.paid_fen == 1500 and len(again.payments) == 1
    # the landlord sees their tenants' fees; another landlord and a stranger do not
    assert [f.statement_id for f in _fees(world, world.landlord)] == [statement.statement_id]
    stranger = make_account(world.db, "resident",
                            person_code=make_person(world.db, world.police, "吴昊"))
    with pytest.raises(NotFound):
        _fees(world, stranger, world.resident.person_code)
    with pytest.raises(Forbidden):
        _fees(world, world.grid, world.resident.person_code)
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.record_payment(s, stranger, statement.statement_id, 100, "WX-0002")


def test_exemption_list_import_and_exempt_statement(world, cli, tmp_path):
    number = valid_id("341221", date(1970, 4, 4))
    person = make_person(world.db, world.police, "贫困户", id_number=number)
    account = make_account(world.db, "resident", person_code=person)
    approve(world.db, world.police, submit(world.db, world.police, person,
                                           world.house["rooms"][1]["room_id"], date(2026, 1, 5)))
    tenant(world)
    extract = tmp_path / "minzheng.csv"
    extract.write_text("身份证号,姓名,类别\n"
                       f"{number},贫困户,低保\n"
                       f"{valid_id('330522', date(1950, 1, 1))},特困老人,特困\n"
                       "330522199001011235,错号,低保\n"
                       f"{valid_id('330522', date(1960, 1, 1))},某人,五保\n"
                       f"{number},贫困户,低保\n", encoding="utf-8")
    first = cli("import-exemptions", str(extract))
    assert first.exit_code == 1, first.output  # errors reported, good rows kept
    assert "rows 5: added 2, changed 0, unchanged 0, errors 3" in first.stdout
    # rows count the data (the header is not a row), as every import reports them; the line
    # in the file is said too
    assert "row 3 (line 4):" in first.output and "row 4 (line 5):" in first.output
    assert "row 5 (line 6):" in first.output and "与第 1 行重复" in first.output
    again = cli("import-exemptions", str(extract))
    assert "added 0, changed 0, unchanged 2, errors 3" in again.stdout
    assert cli("policy", "--monthly-fee", "12.5").exit_code == 0
    billed = cli("bill", "2026-03")
    assert billed.exit_code == 0 and "2 statements (1 exempt)" in billed.stdout
    [mine] = _fees(world, account, person)
    assert mine.status == "exempt" and mine.amount_fen == 0 and mine.fee_fen == 1250
    assert mine.exemption == "dibao" and "低保" in mine.exemption_reason_zh
    [theirs] = _fees(world, world.resident, world.resident.person_code)
    assert theirs.status == "due" and theirs.amount_fen == 1250
    with pytest.raises(Conflict), world.db.unit_of_work() as s:
        service.record_payment(s, account, mine.statement_id, 100, "WX-EXEMPT")


def test_listed_after_billing_turns_an_unpaid_statement_exempt(world, tmp_path, cli):
    number = valid_id("341221", date(1980, 6, 6))
    person = make_person(world.db, world.police, "后补", id_number=number)
    approve(world.db, world.police, submit(world.db, world.police, person, world.room_id,
                                           date(2026, 1, 5)))
    cli("policy", "--monthly-fee", "10")
    assert _bill(world, "2026-04").created == 1
    extract = tmp_path / "late.csv"
    extract.write_text(f"{number},特困\n", encoding="utf-8")
    assert cli("import-exemptions", str(extract)).exit_code == 0
    assert _bill(world, "2026-04").newly_exempted == 1
    [statement] = _fees(world, world.landlord, person)
    assert statement.status == "exempt" and statement.exemption == "tekun"


def test_add_vendor_cli_prints_a_working_secret(world, cli):
    result = cli("add-vendor", "德施曼")
    assert result.exit_code == 0
    secret = result.stdout.strip()
    assert len(secret) == 64
    assert cli("add-vendor", "德施曼").exit_code == 2  # already registered
    from sqlalchemy import select

    from anju.housing.models import LockVendor

    with world.db.unit_of_work() as s:
        stored = s.execute(select(LockVendor.secret_cipher)).scalar_one()
    assert secret not in stored and service.vendor_cipher().decrypt(stored) == secret
