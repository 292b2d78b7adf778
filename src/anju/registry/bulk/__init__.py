"""Registry bulk use cases: persons, houses, registrations and permits by the thousand.

Part of the registry's service layer: `service` and `bulk` are the only writers of registry
tables. Department migrations, the demo county and the load benchmark come through here.

Every load
- asks Access once per batch (action person.import: police and data stewards within their
  jurisdiction, administrators, among them the command line's SYSTEM actor, everywhere); every
  row's division must lie in that jurisdiction;
- validates every row with the service's own rules (`anju.registry.rules`: ID numbers, phones,
  divisions, rooms, registration states, periods and overlaps, permit eligibility, expiry and
  numbering), so a row is refused with the same code and message the service would answer. A
  bad row is not written and does not sink the batch: the answer is a `BulkResult`, a list in
  input order holding None where a row was rejected, whose `.rejected` holds one
  `anju.core.errors.RowError` per rejected row (its 1-based row number, code, field and reason
  in both languages). Callers who want all or nothing call `result.raise_for_rejected()` inside
  the unit of work;
- is idempotent: a row already present (same ID number; same landlord, address and division;
  same person, room and start date; a valid permit) is not written again, and the answer gives
  the existing code or id;
- takes the audit chain-head lock first (so concurrent writers queue behind it) and appends one
  audit entry per record written;
- writes with COPY on PostgreSQL and executemany on SQLite (`anju.core.db.bulk_insert`).

Imports record history decided elsewhere, so they emit no per-record events; a registration
load announces what it wrote once ("registrations.loaded", a list of `Loaded`), so other
domains keep their rules in bulk too — housing issues the e-keys an approval would.

The loads live by subject (`persons`, `houses`, `registrations`, `permits`; shared steps in
`common`); `from anju.registry import bulk; bulk.load_persons(...)` reaches them all.
"""
from __future__ import annotations

from anju.registry.bulk.common import (
    BulkHouse,
    BulkPerson,
    BulkRegistration,
    BulkRejected,
    BulkResult,
    Loaded,
    table_counts,
)
from anju.registry.bulk.houses import load_houses
from anju.registry.bulk.permits import load_permits
from anju.registry.bulk.persons import load_persons
from anju.registry.bulk.registrations import load_registrations

__all__ = ["BulkHouse", "BulkPerson", "BulkRegistration", "BulkRejected", "BulkResult", "Loaded",
           "load_houses", "load_permits", "load_persons", "load_registrations", "table_counts"]
