"""The batches of a department import: what they work from (`make_plan`: the extract read and
standardised, each record's fate decided, the matcher over the hub and the fresh records) and
one batch stored and linked inside one unit of work (`Batch`). Part of the exchange service
layer; `imports.py` opens imports, runs these batches and keeps the job's state.

Linking a fresh record, in order: (1) *exact_id* — a valid ID number already in the hub (its
first record's golden record); (2) *registry* — a registry person with that ID number (read
under the steward's purpose and reach, audited there); (3) the real-time matcher over the hub's
records in the steward's jurisdiction and the extract's own: *matched* above the threshold,
*review* in the band below it (a new golden record plus a review pair), else *new*. A batch
looks everything up, and writes, a few statements at a time, never a statement per record.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from anju.core import audit, divisions
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.db import allocate_ids, utcnow
from anju.core.errors import RowError
from anju.core.policy import Actor
from anju.exchange import policy as P
from anju.exchange import rules
from anju.exchange.models import (
    ExchangeImport,
    GoldenRecord,
    ImportErrorRow,
    ReviewPair,
    SourceRecord,
)
from anju.exchange.reasons import WHOLE_ROW, row_error
from anju.registry.policy import DATA_QUALITY

LINKED = ("exact_id", "registry", "matched", "review", "new")
Units = Callable[[], contextlib.AbstractContextManager[Session]]


@dataclass
class Plan:
    """What the batches work from: the standardised records and how each will be treated."""

    records: pl.DataFrame
    read_errors: list[RowError]
    srid: list[str]
    division: list[str]
    skip: dict[int, str]  # record index → row-error code (outside jurisdiction, duplicate id)
    fresh_uid: dict[int, int]  # record index → its row in the matcher frame
    owners: list[int | None]  # matcher row → golden record (None: not linked yet)
    sources: list[int | None]  # matcher row → source record id
    matcher: object | None = None


def undo(plan: Plan, begin: int, end: int) -> None:
    """Forget the links a rolled-back batch made in memory."""
    for index in range(begin, end):
        uid = plan.fresh_uid.get(index)
        if uid is not None:
            plan.owners[uid] = plan.sources[uid] = None


def make_plan(reading: Units, actor: Actor, conn, path: Path, done: int, model: dict) -> Plan:
    from anju.exchange import linkage
    from anju.exchange.extracts import read_extract
    from anju.exchange.realtime import Matcher
    from anju.exchange.service.hub import STANDARD, hub_records

    try:
        records, errors = read_extract(path, conn)
    except Exception as error:  # a corrupt workbook, a JSON file that is not JSON, …
        raise Unreadable(str(error)[:200]) from error
    prefix = divisions.significant_prefix(actor.division_code)
    fallback = divisions.canonical(conn.county or actor.division_code)
    sid = pl.col("source_record_id").cast(pl.String)
    keys = records.select(
        srid=pl.when(sid.is_null() | (sid == "")).then(pl.format("row-{}", "_row"))
        .otherwise(sid).str.slice(0, 64),
        division=pl.coalesce("current_township_code", "current_county_code", pl.lit(fallback)))
    srid, division = keys["srid"].to_list(), keys["division"].to_list()
    with reading() as session:
        known = _known_sources(session, conn.code, srid[done:])
        hub = hub_records(session, prefix)
    skip, seen, fresh = {}, set(srid[:done]), []
    for index in range(done, records.height):
        if not division[index].startswith(prefix):
            skip[index] = "outside_jurisdiction"
        elif srid[index] in seen:
            skip[index] = "duplicate_record"
        elif srid[index] not in known:
            fresh.append(index)
        seen.add(srid[index])
    offset = len(hub["raw"])
    plan = Plan(records, errors, srid, division, skip,
                 {index: offset + i for i, index in enumerate(fresh)},
                 hub["golden"] + [None] * len(fresh), hub["source"] + [None] * len(fresh))
    if fresh:
        raw = pl.concat([pl.DataFrame(hub["raw"], schema=dict.fromkeys(STANDARD, pl.String)),
                         records[fresh].select([pl.col(c).cast(pl.String) for c in STANDARD])])
        plan.matcher = Matcher(linkage.prepare(raw), model)
    return plan


class Unreadable(Exception):
    """The extract could not be read at all (the batches never start)."""


def _known_sources(session: Session, department: str, srids: list[str]) -> set[str]:
    known: set[str] = set()
    unique = list(dict.fromkeys(srids))
    for i in range(0, len(unique), 500):
        known.update(session.execute(select(SourceRecord.source_record_id).where(
            SourceRecord.department == department,
            SourceRecord.source_record_id.in_(unique[i:i + 500]))).scalars())
    return known


class Batch:
    """Stores and links records [begin, end) of a plan inside one unit of work."""

    def __init__(self, session: Session, actor: Actor, conn, plan: Plan, band: float,
                 import_id: int) -> None:
        self.session, self.actor, self.conn, self.plan = session, actor, conn, plan
        self.band, self.import_id = band, import_id
        self.access = Access(session, actor)
        self.report = session.get(ExchangeImport, import_id)
        self.cipher = id_cipher()
        self.linked = dict.fromkeys(LINKED, 0)
        self.new = self.updated = self.unchanged = 0
        self.dirty: set[int] = set()
        self.errors: list[RowError] = []
        self.goldens: list[dict] = []
        self.sources: list[dict] = []
        self.pairs: list[tuple[int, int, float, str]] = []
        self._golden_ids: Iterator[int] = iter(())

    def run(self, begin: int, end: int) -> None:
        plan, self.end = self.plan, end
        rows = plan.records.slice(begin, end - begin).rows(named=True)
        existing = self._existing([plan.srid[i] for i in range(begin, end)])
        fresh = [i for i in range(begin, end) if i in plan.fresh_uid]
        source_ids = iter(allocate_ids(self.session, SourceRecord.__tablename__, len(fresh)))
        exact = self._exact_ids([rows[i - begin] for i in fresh])
        batch_pairs = self._pairs(fresh)
        for index, rec in zip(range(begin, end), rows, strict=True):
            if index in plan.skip:
                self.errors.append(row_error(self.report.file_name, rec["_row"], WHOLE_ROW,
                                             plan.skip[index]))
                continue
            if index not in plan.fresh_uid or plan.srid[index] in existing:
                self._known(existing.get(plan.srid[index]), rec, plan.division[index])
                continue
            values = self._values(rec, plan.division[index])
            uid = plan.fresh_uid[index]
            golden, how, review = self._link(uid, rec, values, exact, batch_pairs)
            source_id = next(source_ids)
            plan.owners[uid], plan.sources[uid] = golden, source_id
            self.sources.append({"id": source_id, "department": self.conn.code,
                                 "source_record_id": plan.srid[index], "golden_id": golden,
                                 **values})
            if rec.get("id_valid") and values["id_hash"]:
                exact["batch"].setdefault(values["id_hash"], golden)
            self.linked[how] += 1
            self.new += 1
            self.dirty.add(golden)
            if review is not None:
                other, weight = review
                self.pairs.append((*sorted((plan.sources[other], source_id)), weight,
                                   values["division_code"]))
        self._write()

    # -- one record --
    def _values(self, rec: dict, division: str) -> dict:
        cipher, number = self.cipher, rec.get("id_number")
        cut = lambda v, n: v[:n] if isinstance(v, str) else v
        return {
            "row": rec["_row"], "as_of": self.report.as_of, "name": cut(rec.get("name"), 64),
            "id_cipher": cipher.encrypt(number) if number else None,
            "id_hash": cipher.lookup_hash(number) if number else None,
            "id_valid": bool(rec.get("id_valid")), "sex": rec.get("sex"),
            "birth_date": rec.get("birth_date"), "phone": cut(rec.get("phone"), 20),
            "hukou_address": cut(rec.get("hukou_address"), 200),
            "hukou_division_code": rec.get("hukou_township_code") or rec.get("hukou_county_code"),
            "current_address": cut(rec.get("current_address"), 200),
            "current_division_code": rec.get("current_township_code")
            or rec.get("current_county_code"),
            "employer": cut(rec.get("employer"), 200), "division_code": division,
            "import_id": self.import_id, "record_hash": format(int(rec["record_hash"]), "x"),
        }

    def _known(self, existing: tuple[int, str, int] | None, rec: dict, division: str) -> None:
        if existing is None:  # stored meanwhile by another import: left to that one
            self.unchanged += 1
            return
        source_id, digest, golden = existing
        if digest == format(int(rec["record_hash"]), "x"):
            self.unchanged += 1
            return
        # the department changed its record: keep the link, rebuild the golden record
        values = self._values(rec, division)
        self.session.execute(update(SourceRecord), [{"id": source_id, **values,
                                                     "updated_at": utcnow()}])
        self.updated += 1
        self.dirty.add(golden)

    def _link(self, uid: int, rec: dict, values: dict, exact: dict, pairs: dict):
        plan, id_hash = self.plan, values["id_hash"]
        if rec.get("id_valid") and id_hash:
            known = exact["hub"].get(id_hash) or exact["batch"].get(id_hash)
            if known is not None:
                return known, "exact_id", None
            person = exact["registry"].get(rec["id_number"])
            if person is not None:
                golden = exact["person"].get(person)
                if golden is None:
                    golden = exact["person"][person] = self._new_golden(values, person)
                return golden, "registry", None
        candidates = [c for c in pairs.get(uid, ()) if plan.owners[c] is not None]
        scored = []
        if candidates:
            rows = plan.matcher.records[[uid, *candidates]].rows(named=True)
            scored = plan.matcher.score(rows[0], rows[1:])
        decision = rules.decide(scored, plan.matcher.threshold, self.band)
        if decision.kind == "match":
            return plan.owners[decision.candidate], "matched", None
        golden = self._new_golden(values, None)
        if decision.kind == "review":
            return golden, "review", (decision.candidate, decision.weight)
        return golden, "new", None

    def _new_golden(self, values: dict, person_code: str | None) -> int:
        golden_id = next(self._golden_ids, None)
        if golden_id is None:
            self._golden_ids = iter(allocate_ids(self.session, GoldenRecord.__tablename__, 256))
            golden_id = next(self._golden_ids)
        now = utcnow()
        self.goldens.append({"id": golden_id, "person_code": person_code, "fields": {},
                             "provenance": {}, "division_code": values["division_code"],
                             "created_at": now, "updated_at": now})
        return golden_id

    # -- what the batch looks up at once --
    def _existing(self, srids: list[str]) -> dict[str, tuple[int, str, int]]:
        rows = self.session.execute(select(
            SourceRecord.source_record_id, SourceRecord.id, SourceRecord.record_hash,
            SourceRecord.golden_id).where(SourceRecord.department == self.conn.code,
                                          SourceRecord.source_record_id.in_(set(srids))))
        return {srid: (sid, digest, golden) for srid, sid, digest, golden in rows}

    def _exact_ids(self, rows: list[dict]) -> dict:
        """Valid ID numbers of the batch's fresh records: the golden record of each already in
        the hub (its first record's), and the registry persons of the others."""
        from anju.exchange.service.hub import active_ids
        from anju.registry import service as registry

        numbers = {r["id_number"] for r in rows if r.get("id_valid") and r.get("id_number")}
        hashes = {self.cipher.lookup_hash(n): n for n in numbers}
        hub: dict[str, int] = {}
        listed = list(hashes)
        prefix = divisions.significant_prefix(self.actor.division_code)
        for i in range(0, len(listed), 500):
            # Only the hub's records in reach: linking to one elsewhere would pull that
            # person's golden record, and every department's values on it, into the steward's
            # jurisdiction on the strength of an ID number in a file.
            for id_hash, golden in self.session.execute(
                    select(SourceRecord.id_hash, SourceRecord.golden_id).where(
                        SourceRecord.id_hash.in_(listed[i:i + 500]),
                        SourceRecord.id_valid.is_(True),
                        SourceRecord.division_code.like(prefix + "%")).order_by(SourceRecord.id)):
                hub.setdefault(id_hash, golden)
        active = active_ids(self.session, set(hub.values()))
        hub = {h: active[g] for h, g in hub.items()}
        unknown = [n for h, n in hashes.items() if h not in hub]
        # a registry read under the steward's own purpose and reach (audited there)
        persons = registry.find_persons_by_id_numbers(self.session, self.actor, unknown) \
            if unknown else {}
        goldens = dict(self.session.execute(select(GoldenRecord.person_code, GoldenRecord.id)
                                            .where(GoldenRecord.person_code.in_(
                                                set(persons.values())))).all()) if persons else {}
        return {"hub": hub, "batch": {}, "registry": persons, "person": goldens}

    def _pairs(self, fresh: list[int]) -> dict[int, list[int]]:
        """Each fresh record's candidates; the golden records they are linked to followed
        through merges made meanwhile."""
        from anju.exchange.service.hub import active_ids

        plan = self.plan
        if not fresh or plan.matcher is None:
            return {}
        found = plan.matcher.candidates_of([plan.fresh_uid[i] for i in fresh])
        linked = {c for cands in found.values() for c in cands if plan.owners[c] is not None}
        active = active_ids(self.session, {plan.owners[c] for c in linked})
        for c in linked:
            plan.owners[c] = active[plan.owners[c]]
        return found

    # -- writing --
    def _write(self) -> None:
        from anju.exchange.service.golden import rebuild_many

        session, report = self.session, self.report
        # render_nulls: rows with and without NULLs stay in one executemany
        if self.goldens:
            session.execute(insert(GoldenRecord).execution_options(render_nulls=True),
                            self.goldens)
        if self.sources:
            now = utcnow()
            session.execute(insert(SourceRecord).execution_options(render_nulls=True),
                            [s | {"created_at": now, "updated_at": now} for s in self.sources])
        self._propose()
        touched = rebuild_many(session, self.dirty)
        write_errors(session, self.import_id, self.errors)
        audit.append_bulk(session, self.actor, [
            AuditEvent(P.EXCHANGE_IMPORT, DATA_QUALITY, person, "golden_record", str(golden),
                       {"department": self.conn.code, "import": self.import_id})
            for golden, person in touched])
        linked = dict(report.linked or {})
        for how, n in self.linked.items():
            linked[how] = linked.get(how, 0) + n
        report.linked = linked
        report.new_records += self.new
        report.updated_records += self.updated
        report.unchanged_records += self.unchanged
        report.error_count += len(self.errors)
        report.rows_done = self.end

    def _propose(self) -> None:
        for left, right, weight, division in self.pairs:
            seen = self.session.execute(select(ReviewPair.id).where(
                ReviewPair.left_source_id == left, ReviewPair.right_source_id == right)).first()
            if seen is None:
                self.session.add(ReviewPair(left_source_id=left, right_source_id=right,
                                            weight=round(float(weight), 4),
                                            division_code=division))


def write_errors(session: Session, import_id: int, errors: list[RowError]) -> None:
    if errors:
        session.execute(insert(ImportErrorRow).execution_options(render_nulls=True), [
            {"import_id": import_id, "row": e.row, "field": e.field[:32],
             "code": e.code, "message_zh": e.message_zh[:200], "message_en": e.message_en[:200]}
            for e in errors])
