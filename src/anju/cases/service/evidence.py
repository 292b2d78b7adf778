"""Evidence pulled, not asked for (数据多跑路，群众少跑腿): when a case opens, each evidence item
of its service is looked for at its source — the registry, a department's data in the exchange
hub — under the case's purpose, and only what no department holds is asked of the applicant.

`collect` is what opening a case calls."""
from __future__ import annotations

from anju.cases.catalogue import Service
from anju.cases.models import Case, CaseEvidence
from anju.core.access import Access


def collect(access: Access, case: Case, service: Service) -> list[CaseEvidence]:
    """One evidence row per item of the service; an item not (yet) obtained waits for the
    applicant to supply it."""
    rows = [CaseEvidence(case_id=case.id, item=item.item, source=_source(item),
                         supplied_by_applicant=False) for item in service.evidence]
    access.session.add_all(rows)
    return rows


def _source(item) -> str:
    return f"exchange:{item.department}" if item.source == "exchange" else item.source
