"""What monthly statistics let out: no count from 1 to 15, none recoverable by subtraction, and
only the peer's own people; `anju audit verify` also checks the message log."""
from __future__ import annotations

from datetime import date

from sqlalchemy import update
from typer.testing import CliRunner

from anju.federation import stats
from anju.federation.stats import FlowCell


def test_small_cells_are_withheld_with_a_complementary_cell():
    cells = [FlowCell("330523001000", "330522001000", 20, 0, 20),
             FlowCell("330523001000", "330522002000", 30, 16, 40),
             FlowCell("330523001000", "330522101000", 5, 0, 17),
             FlowCell("330523101000", "330522001000", 40, 0, 40)]
    released = stats.release(cells)
    figures = [c[m] for c in released for m in stats.MEASURES]
    assert not [f for f in figures if f is not None and 0 < f < 16]
    arrivals = [c["arrivals"] for c in released]
    # the 5 goes, and with it the smallest other figure of its row (20), so the row's total
    # gives neither back; and since monitoring publishes arrivals from origin county 330523
    # into township 330522001000 (20 + 40), the 40 goes too, or that total would give the 20
    assert arrivals == [None, 30, None, None]
    # zeros are no small cell: a zero row measure is released as it is
    assert [c["departures"] for c in released] == [0, 16, 0, 0]
    assert [c["stock"] for c in released] == [20, 40, 17, 40]


def test_nothing_withheld_is_recoverable_from_a_row_or_an_origin_county_total():
    from anju.monitoring.release import determined

    cells = [FlowCell(f"3305230{o:02d}000", f"3305220{d:02d}000", (o * 7 + d * 5) % 40, 0, 0)
             for o in range(1, 6) for d in range(1, 6)]
    released = stats.release(cells)
    hidden = {(c["origin"], c["destination"]) for c in released if c["arrivals"] is None}
    assert hidden and not [c for c in released if c["arrivals"] and c["arrivals"] < 16]
    value = {(c.origin, c.destination): c.arrivals for c in cells}
    rows = [[(k, 1) for k in hidden if k[0] == o and value[k]] for o in {c.origin for c in cells}]
    columns = [[(k, 1) for k in hidden if k[1] == d and value[k]]
               for d in {c.destination for c in cells}]
    assert determined([r for r in rows + columns if r]) == []


def test_a_lone_small_cell_in_its_row_is_withheld_without_a_partner():
    released = stats.release([FlowCell("330523001000", "330522001000", 3, 0, 3)])
    assert released[0]["arrivals"] is None and released[0]["stock"] is None


def test_only_the_peers_people_are_sent(db, monkeypatch):
    def provider(session, first, last):
        assert (first, last) == (date(2026, 2, 1), date(2026, 2, 28))
        return [FlowCell("330523001000", "330522001000", 20, 0, 20),
                FlowCell("341221000000", "330522001000", 50, 0, 50)]

    monkeypatch.setattr(stats, "PROVIDER", provider)
    with db.unit_of_work() as session:
        cells = stats.released_flows(session, "2026-02", "330523")
    assert [c["origin"] for c in cells] == ["330523001000"]


def test_audit_verify_names_an_altered_message_log_entry(db, peer, monkeypatch):
    import json

    from anju.cli.main import app
    from anju.federation import service
    from anju.federation.models import LogEntry

    monkeypatch.setenv("ANJU_DATABASE_URL", str(db.engine.url.render_as_string(
        hide_password=False)))
    from anju.core.config import reset_settings_cache

    reset_settings_cache()
    assert service.receive(db, json.dumps({"version": "x", "signature": "y"}).encode())[0] == 422
    assert service.receive(db, b"[]")[0] == 422
    runner = CliRunner()
    good = runner.invoke(app, ["audit", "verify"])
    assert good.exit_code == 0 and "federation message log intact: 2 entries" in good.output
    with db.unit_of_work() as session:
        session.execute(update(LogEntry).where(LogEntry.seq == 2).values(status=200))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "federation message log broken at entry 2" in bad.output
