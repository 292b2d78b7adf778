"""The county loads a year's official holiday arrangement: checked whole (nothing half-loaded),
the same file again changes nothing, a corrected file replaces the year on the audit chain, and
every server process computes with it within seconds."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from anju.core import calendars, workdays
from anju.core.errors import Forbidden
from anju.core.identity import SYSTEM
from anju.core.models import AuditRecord, CalendarYear
from tests.factories import make_account, verified

SAMPLE = (Path(__file__).parent / "data" / "calendar_2027_sample.csv").read_bytes()
TODAY = date(2026, 12, 6)


@pytest.fixture(autouse=True)
def _fresh_cache():
    calendars.invalidate()
    yield
    calendars.invalidate()


def _load(db, data: bytes, actor=SYSTEM, name: str = "2027.csv"):
    with db.unit_of_work() as session:
        return calendars.load(session, actor, data, name, today=TODAY)


def _current(db) -> workdays.Calendar:
    with db.unit_of_work() as session:
        return calendars.current(session)


def _chinese(text: bytes, encoding: str = "utf-8") -> bytes:
    lines = text.decode().replace("holiday", "放假").replace("workday", "上班").splitlines()
    return "\n".join(["日期,类型,备注", *(f"{line},元旦调休" for line in lines[1:])]).encode(encoding)


# --- reading a file ------------------------------------------------------------------------------
def test_english_and_chinese_files_read_the_same():
    english = calendars.parse(SAMPLE, TODAY)
    assert english.year == 2027 and english.holidays == 28 and english.workdays == 5
    assert english.warnings == ()
    for encoding in ("utf-8", "gb18030"):  # Excel in China saves GBK
        chinese = calendars.parse(_chinese(SAMPLE, encoding), TODAY)
        assert chinese.days == english.days and chinese.digest == english.digest
    slashes = calendars.parse(b"date,kind\n" + b"\n".join(
        f"2027/{d.month}/{d.day},{'workday' if w else 'holiday'}".encode()
        for d, w in english.days.items()), TODAY)
    assert slashes.digest == english.digest


def test_every_bad_row_is_named_with_its_number_and_reason():
    bad = SAMPLE.decode().splitlines()
    bad[3] = "2027-13-01,holiday"  # no such date
    bad[5] = "2027-02-06,day off"  # unknown kind
    bad[7] = bad[2]  # the same date twice
    bad[9] = "2027-02-11,workday"  # a Thursday cannot be an adjusted working day
    bad.append("2026-06-01,holiday")  # another year
    with pytest.raises(calendars.CalendarFileRefused) as refused:
        calendars.parse("\n".join(bad).encode(), TODAY)
    rows = {(r.row, r.code) for r in refused.value.rows}
    assert rows == {(3, "calendar_date"), (5, "calendar_kind"), (7, "calendar_duplicate"),
                    (9, "calendar_workday_weekday"), (len(bad) - 1, "calendar_other_year")}
    assert refused.value.code == "calendar_rows" and "5" in refused.value.message_zh
    duplicate = next(r for r in refused.value.rows if r.code == "calendar_duplicate")
    assert "第 2 行" in duplicate.message_zh and "row 2" in duplicate.message_en


@pytest.mark.parametrize("text, code", [
    (b"day,type\n2027-01-01,holiday\n", "calendar_header"),
    (b"date,kind\n", "calendar_empty"),
    (b"date,kind\n2027-01-01,holiday\n2027-10-01,holiday\n", "calendar_implausible"),
    (b"date,kind\n" + b"\n".join(f"2031-{m:02d}-0{d},holiday".encode()
                                 for m in range(1, 13) for d in (1, 2)), "calendar_year"),
    (b"\xff\xfe\x00d\x00a", "calendar_encoding"),
])
def test_files_that_are_not_one_years_arrangement_are_refused(text, code):
    with pytest.raises(calendars.CalendarFileRefused) as refused:
        calendars.parse(text, TODAY)
    assert refused.value.code == code and refused.value.field == "file"


def test_a_new_year_bridge_into_the_december_before_is_part_of_the_year():
    text = SAMPLE + b"2026-12-26,workday\n"
    parsed = calendars.parse(text, TODAY)
    assert parsed.year == 2027 and parsed.days[date(2026, 12, 26)] is True


def test_a_file_missing_a_statutory_holiday_is_loaded_with_a_warning():
    # the 2026 arrangement relabelled 2027: its lunar festivals fall on the wrong days
    text = "\n".join(line.replace("2027-02-12", "2027-03-01").replace("2027-02-08", "2027-03-02")
                     for line in SAMPLE.decode().splitlines()).encode()
    parsed = calendars.parse(text, TODAY)
    assert [w.code for w in parsed.warnings] == ["calendar_statutory_missing"]
    assert "2027-02-08" in parsed.warnings[0].message_zh


# --- loading ------------------------------------------------------------------------------------
def test_loading_replaces_the_provisional_year(db):
    before = _current(db)
    assert before.sources[2027] == workdays.PROVISIONAL
    assert before.add(date(2026, 12, 21), 15) == (date(2027, 1, 12), True)
    assert before.is_working_day(date(2027, 2, 20)).value is False  # a Saturday
    result = _load(db, SAMPLE)
    assert (result.year, result.outcome, result.holidays) == (2027, "created", 28)
    after = _current(db)
    assert after.sources[2027] == workdays.LOADED
    assert after.is_working_day(date(2027, 2, 20)) == (True, False)  # 调休 from the file
    assert after.is_working_day(date(2027, 1, 4)) == (True, False)
    # Jan 1–3 off: Dec 22–31 (8 days), then Jan 4–8 and Jan 11–12
    assert after.add(date(2026, 12, 21), 15) == (date(2027, 1, 12), False)
    assert after.add(date(2027, 9, 30), 1) == (date(2027, 10, 8), False)
    assert after.add(date(2027, 12, 20), 15).provisional  # 2028 is still computed


def test_the_same_file_again_changes_nothing(db):
    _load(db, SAMPLE)
    with db.unit_of_work() as session:
        entries = session.scalar(select(func.count()).select_from(AuditRecord))
        version = session.scalar(select(CalendarYear.version))
    again = _load(db, _chinese(SAMPLE, "gb18030"), name="2027-中文.csv")  # same days, other form
    assert again.outcome == "unchanged"
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == entries
        row = session.get(CalendarYear, 2027)
        assert (row.version, row.file_name) == (version, "2027.csv")


def test_a_corrected_file_replaces_the_year_on_the_audit_chain(db):
    admin = make_account(db, "admin")
    _load(db, SAMPLE, admin)
    corrected = SAMPLE.replace(b"2027-02-20,workday\n", b"2027-02-13,workday\n")
    result = _load(db, corrected, admin, "2027-corrected.csv")
    assert result.outcome == "replaced"
    calendar = _current(db)
    assert calendar.is_working_day(date(2027, 2, 13)).value is True
    assert calendar.is_working_day(date(2027, 2, 20)).value is False
    with db.unit_of_work() as session:
        rows = session.execute(select(AuditRecord).where(
            AuditRecord.action == "calendar.load").order_by(AuditRecord.id)).scalars().all()
        assert [(r.username, r.object_id, r.detail["op"]) for r in rows] == [
            (admin.username, "2027", "created"), (admin.username, "2027", "replaced")]
        assert rows[1].detail["changed_days"] == ["2027-02-13", "2027-02-20"]
        assert rows[1].detail["file"] == "2027-corrected.csv" and rows[1].person_code is None
        assert session.get(CalendarYear, 2027).loaded_by == admin.username
    assert verified(db).ok


def test_a_refused_file_loads_nothing(db):
    _load(db, SAMPLE)
    broken = SAMPLE.replace(b"2027-10-07,holiday", b"2027-10-07,holiday\n2027-10-07,holiday")
    with pytest.raises(calendars.CalendarFileRefused):
        _load(db, broken.replace(b"2027-02-20,workday\n", b""))
    with db.unit_of_work() as session:
        row = session.get(CalendarYear, 2027)
        assert row.workdays == 5 and ["2027-02-20", "workday"] in row.days


def test_only_an_administrator_or_the_console_loads(db):
    police = make_account(db, "police")
    with pytest.raises(Forbidden):
        _load(db, SAMPLE, police)
    with db.unit_of_work() as session:
        assert session.get(CalendarYear, 2027) is None
        refused = session.execute(select(AuditRecord).where(
            AuditRecord.username == police.username)).scalar_one()
        assert refused.action == "calendar.load" and refused.purpose == "attempt"


def test_a_load_elsewhere_is_seen_within_seconds(db, monkeypatch):
    """Another server process loads a year: this one's cached calendar notices by the version
    at its next check (at most REFRESH_SECONDS later), without being told."""
    clock = [1000.0]
    monkeypatch.setattr(calendars.time, "monotonic", lambda: clock[0])
    assert _current(db).sources[2027] == workdays.PROVISIONAL
    monkeypatch.setattr(calendars, "invalidate", lambda: None)  # as if in another process
    _load(db, SAMPLE)
    assert _current(db).sources[2027] == workdays.PROVISIONAL  # still cached
    clock[0] += calendars.REFRESH_SECONDS
    assert _current(db).sources[2027] == workdays.LOADED


def test_status_follows_the_loaded_years(db):
    with db.unit_of_work() as session:
        assert calendars.calendar_status(session, TODAY).warning  # 2026 ends in 25 days
    _load(db, SAMPLE)
    with db.unit_of_work() as session:
        status = calendars.calendar_status(session, TODAY)
        assert not status.warning and status.official_until == date(2027, 12, 31)
        assert calendars.calendar_status(session, date(2027, 11, 15)).warning
        overview = calendars.overview(session, SYSTEM, TODAY)
    by_year = {row.first: row for row in overview.years}
    assert by_year[2027].source == workdays.LOADED and by_year[2027].loaded.file_name == "2027.csv"
    assert by_year[2028].source == workdays.PROVISIONAL
    assert by_year[2004].last == 2024 and by_year[2004].source == workdays.SHIPPED
