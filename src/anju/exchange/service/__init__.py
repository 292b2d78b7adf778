"""Exchange use cases: the only code that writes the hub's tables (source records, golden
records, review pairs, conflicts, subscriptions, data-access requests).

Each function takes the session and the acting identity, asks `Access` (role, jurisdiction,
and for department officers their own department), writes, and appends to the audit chain,
inside the caller's unit of work. Forbidden records look missing (404).

Linking an imported record to a person, in order:
1. *exact ID*: a valid ID number already in the hub (its lookup hash) → that golden record;
2. *registry*: a registry person with that ID number → the golden record of that person
   (created on first sight);
3. *matcher*: the real-time matcher (`realtime.Matcher`, the shipped default model or one
   passed in) against the hub's records in the steward's jurisdiction and the batch itself —
   accepted → that golden record; in the uncertain band → a new golden record plus a review
   pair; else a new golden record.
A golden record without a registry person is an *unregistered* identity: departments know the
person, the registry does not (yet). Merging two registered identities is the registry's
business, so clerical review refuses it.

The modules: `hub` (what they share), `reports` (imports as the steward sees them; the batches
are `anju.exchange.imports` and `anju.exchange.batches`), `golden` (survivorship, provenance,
reading a golden record), `conflicts`, `review` (clerical review and merges), `sharing`
(subscriptions, the feed, data-access requests). Callers use this package's names:
`from anju.exchange import service; service.feed(...)`.
"""
from __future__ import annotations

from anju.exchange.service.conflicts import conflict_summary, list_conflicts
from anju.exchange.service.golden import golden_for_person, read_golden, rebuild, rebuild_many
from anju.exchange.service.hub import (
    DEFAULT_MODEL,
    PURPOSE,
    REVIEW_BAND,
    STANDARD,
    active_id,
    active_ids,
    default_model,
    hub_records,
)
from anju.exchange.service.reports import (
    import_departments,
    import_extract,
    import_job,
    list_imports,
    read_import,
    submit_import,
)
from anju.exchange.service.review import decide_review_pair, list_review_pairs, read_review_pair
from anju.exchange.service.sharing import (
    create_data_request,
    decide_data_request,
    deliver_data_request,
    feed,
    list_data_requests,
    subscribe,
)

__all__ = [
    "DEFAULT_MODEL", "PURPOSE", "REVIEW_BAND", "STANDARD", "active_id", "active_ids",
    "conflict_summary", "create_data_request", "decide_data_request", "decide_review_pair",
    "default_model", "deliver_data_request", "feed", "golden_for_person", "hub_records",
    "import_departments", "import_extract", "import_job", "list_conflicts",
    "list_data_requests", "list_imports", "list_review_pairs", "read_golden", "read_import",
    "read_review_pair", "rebuild", "rebuild_many", "submit_import", "subscribe",
]
