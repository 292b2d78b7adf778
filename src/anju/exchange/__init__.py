"""Department data exchange: connectors, standardisation and record linkage (docs/exchange.md)."""
from __future__ import annotations

from anju.core.domain import Domain

DOMAIN = Domain(
    name="exchange",
    policy="anju.exchange.policy",
    models="anju.exchange.models",
    api="anju.exchange.api:router",
    pages="anju.exchange.pages",
    words="anju.exchange.words:WORDS",
    cli=(("link", "anju.exchange.cli:app"), ("exchange", "anju.exchange.cli:hub")),
    # the departments' data asked for by a case's evidence (anju.cases.service.evidence) and by
    # points (anju.cases.points.service): one listener answers both
    listeners=(("case.evidence_wanted", "anju.exchange.service.holdings:answer"),
               ("points.facts_wanted", "anju.exchange.service.holdings:answer")),
)
