"""Golden records: survivorship with provenance and the conflicts it finds (`rebuild_many`, run by
every import batch and merge), and reading one golden record."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from anju.core.access import Access, shown
from anju.core.crypto import id_cipher
from anju.core.db import utcnow
from anju.core.policy import Actor
from anju.exchange import policy as P
from anju.exchange import rules
from anju.exchange.models import Conflict as ConflictRow
from anju.exchange.models import GoldenChange, GoldenRecord, SourceRecord
from anju.exchange.schemas import GoldenOut, ProvenanceOut
from anju.exchange.service.hub import PURPOSE, STANDARD, golden_values, source_out


def _source_values(record: SourceRecord) -> rules.SourceValues:
    cipher = id_cipher()
    values = {f: getattr(record, f) for f in STANDARD if f != "id_number"}
    values["id_number"] = cipher.decrypt(record.id_cipher) if record.id_cipher else None
    return rules.SourceValues(record.id, record.department, record.as_of, values,
                              id_valid=record.id_valid,
                              hukou_division_code=record.hukou_division_code,
                              current_division_code=record.current_division_code)


def rebuild(session: Session, golden: GoldenRecord) -> None:
    """Survivorship and conflicts for one golden record (internal: callers have checked)."""
    rebuild_many(session, [golden.id])
    session.expire(golden)


def rebuild_many(session: Session, golden_ids: Iterable[int]) -> list[tuple[int, str | None]]:
    """Survivorship and conflicts for golden records (internal: callers have checked): each
    value chosen from its sources with provenance, a change logged when anything changed, the
    current disagreements open as conflicts and the others resolved. Reads and writes a few
    statements for all of them (an import batch rebuilds thousands). Returns (id, person code)
    of the records still in use, in id order."""
    ids = sorted(set(golden_ids))
    if not ids:
        return []
    session.flush()
    goldens, sources, open_rows = {}, defaultdict(list), defaultdict(list)
    source_cols = [c for c in SourceRecord.__table__.c]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        goldens.update((g.id, g) for g in session.execute(
            select(GoldenRecord.id, GoldenRecord.person_code, GoldenRecord.merged_into,
                   GoldenRecord.fields, GoldenRecord.provenance, GoldenRecord.id_hash,
                   GoldenRecord.id_cipher, GoldenRecord.division_code)
            .where(GoldenRecord.id.in_(chunk))))
        for row in session.execute(select(*source_cols).where(SourceRecord.golden_id.in_(chunk))
                                   .order_by(SourceRecord.id)):
            sources[row.golden_id].append(row)
        for row in session.execute(select(ConflictRow.id, ConflictRow.golden_id, ConflictRow.field,
                                          ConflictRow.source_id).where(
                ConflictRow.golden_id.in_(chunk), ConflictRow.status == "open")
                .order_by(ConflictRow.id)):
            open_rows[row.golden_id].append(row)
    cipher, now = id_cipher(), utcnow()
    updates, changes, resolved, kept, added, touched = [], [], [], [], [], []
    for golden_id in ids:
        golden = goldens.get(golden_id)
        if golden is None or golden.merged_into is not None:
            continue
        touched.append((golden_id, golden.person_code))
        values = [_source_values(r) for r in sources[golden_id]]
        chosen = rules.survive(values)
        by_id = {v.source_id: v for v in values}
        fields = {f: c.value for f, c in chosen.items() if f != "id_number"}
        for kind in ("hukou", "current"):
            winner = chosen.get(f"{kind}_address")
            if winner is not None:
                fields[f"{kind}_division_code"] = getattr(by_id[winner.source_id],
                                                          f"{kind}_division_code")
        provenance = {f: c.provenance() for f, c in chosen.items()}
        id_number = chosen["id_number"].value if "id_number" in chosen else None
        id_hash = cipher.lookup_hash(id_number) if id_number else None
        division = fields.get("current_division_code") or golden.division_code
        # every row names the same columns, so they go in one executemany
        row = {"id": golden_id, "fields": fields, "provenance": provenance,
               "division_code": division, "updated_at": now, "id_hash": id_hash,
               "id_cipher": golden.id_cipher}
        if id_hash != golden.id_hash:
            row["id_cipher"] = cipher.encrypt(id_number) if id_number else None
        if (fields != golden.fields or provenance != golden.provenance
                or id_hash != golden.id_hash):
            changes.append({"golden_id": golden_id, "at": now})
        updates.append(row)
        # conflicts: the current findings stay open, the others are resolved
        findings = {(c.field, c.source_id): c for c in rules.conflicts(values, chosen)}
        for conflict in open_rows[golden_id]:
            if findings.pop((conflict.field, conflict.source_id), None) is None:
                resolved.append({"id": conflict.id, "status": "resolved", "resolved_at": now})
            else:
                kept.append({"id": conflict.id, "division_code": division})
        added += [{"golden_id": golden_id, "field": c.field, "department": c.department,
                   "source_id": c.source_id, "authority_department": c.authority_department,
                   "authority_source_id": c.authority_source_id, "status": "open",
                   "division_code": division, "created_at": now} for c in findings.values()]
    for model, rows, write in ((GoldenRecord, updates, update), (GoldenChange, changes, insert),
                               (ConflictRow, resolved, update), (ConflictRow, kept, update),
                               (ConflictRow, added, insert)):
        if rows:  # render_nulls: rows with and without NULLs stay in one executemany
            session.execute(write(model).execution_options(render_nulls=True), rows)
    return touched


def read_golden(session: Session, actor: Actor, golden_id: int) -> GoldenOut:
    """A golden record with the provenance of every value and its source records (masked)."""
    access = Access(session, actor)
    return _golden_out(access, access.load(P.GOLDEN_READ, GoldenRecord,
                                           GoldenRecord.id == golden_id, what="主记录",
                                           purpose=PURPOSE))


def golden_for_person(session: Session, actor: Actor, person_code: str) -> GoldenOut:
    access = Access(session, actor)
    return _golden_out(access, access.load(P.GOLDEN_READ, GoldenRecord,
                                           GoldenRecord.person_code == person_code,
                                           what="主记录", purpose=PURPOSE))


def _golden_out(access: Access, golden: GoldenRecord) -> GoldenOut:
    """A golden record `access` has loaded (and recorded), as the reader's purpose shows it."""
    purpose = access.purpose()
    fields = {k: v for k, v in shown(purpose, golden_values(golden)).items()
              if k not in ("golden_id", "person_code") and v is not None}
    sources = access.session.execute(select(SourceRecord).where(
        SourceRecord.golden_id == golden.id).order_by(SourceRecord.id)).scalars().all()
    return GoldenOut(golden_id=golden.id, person_code=golden.person_code,
                     registered=golden.person_code is not None,
                     division_code=golden.division_code, merged_into=golden.merged_into,
                     fields=fields,
                     provenance={f: ProvenanceOut(**p) for f, p in golden.provenance.items()},
                     sources=[source_out(purpose, s) for s in sources])
