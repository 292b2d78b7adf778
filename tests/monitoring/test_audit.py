"""The automatic audit: an outsider with every published table of the demo county subtracts
whatever the tables' meaning allows and must recover nothing withheld — and, to show the audit
has teeth, recovers plenty when the complementary cells are shown."""
from __future__ import annotations

from tests.monitoring.attacker import Attacker, published


def test_no_published_table_of_the_demo_county_gives_a_withheld_cell_away(county):
    db, _, built = county
    cells, tables, as_of = published(db, built.build_id)
    withheld = sum(v is None for v in cells.values())
    assert withheld > 100 and len(cells) > 1000  # there is something to attack
    tables_by_kind = {t[0] for t in tables}
    assert {"stock", "flows", "od", "moves", "frequency", "kpi"} <= tables_by_kind
    findings = Attacker(cells, tables, as_of).attack()
    assert findings == [], "\n".join(findings[:20])


def test_the_audit_finds_what_primary_suppression_alone_would_leak(county):
    db, _, built = county
    cells, tables, as_of = published(db, built.build_id)
    complementary = {k for k, why in built.release.reasons.items() if why == "complementary"}
    assert complementary
    naive = {k: (built.planner.values.get(k, 0) if k in complementary else v)
             for k, v in cells.items()}
    findings = Attacker(naive, tables, as_of).attack()
    assert len(findings) > 10
