"""Conflicts: the values a department holds that disagree with the surviving ones, and the rates of
disagreement."""
from __future__ import annotations

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from anju.core.access import Access
from anju.core.policy import Actor
from anju.exchange import policy as P
from anju.exchange import rules
from anju.exchange.models import Conflict as ConflictRow
from anju.exchange.models import GoldenRecord, SourceRecord
from anju.exchange.schemas import ConflictOut, ConflictSummaryOut, RateOut


def list_conflicts(session: Session, actor: Actor, status: str = "open",
                   limit: int = 200) -> list[ConflictOut]:
    """Conflicts in reach: a steward's jurisdiction; a department officer's own department's
    (those it should fix), each recorded against the person it is about."""
    access = Access(session, actor)
    query = (select(ConflictRow, SourceRecord.source_record_id, GoldenRecord.person_code)
             .join(SourceRecord, SourceRecord.id == ConflictRow.source_id)
             .join(GoldenRecord, GoldenRecord.id == ConflictRow.golden_id)
             .where(access.restrict_model(P.CONFLICT_READ, ConflictRow),
                    ConflictRow.status == status))
    rows = session.execute(query.order_by(ConflictRow.id).limit(min(limit, 1000))).all()
    for conflict, _, code in rows:  # the person is the golden record's, hence touch
        access.touch(P.CONFLICT_READ, person_code=code, kind="conflict",
                     object_id=str(conflict.id), purpose=P.DATA_CORRECTION,
                     division_code=conflict.division_code, department=conflict.department)
    return [ConflictOut(conflict_id=c.id, golden_id=c.golden_id, field=c.field,
                        department=c.department, source_record_id=srid,
                        authority_department=c.authority_department, status=c.status,
                        created_at=c.created_at) for c, srid, _ in rows]


def conflict_summary(session: Session, actor: Actor) -> ConflictSummaryOut:
    """Rates of disagreement per department and per field (aggregates: nothing personal)."""
    access = Access(session, actor)
    # a department officer: their own department's records and conflicts (Scope.DEPARTMENT)
    src_where = access.restrict_model(P.CONFLICT_READ, SourceRecord)
    con_where = and_(access.restrict_model(P.CONFLICT_READ, ConflictRow),
                     ConflictRow.status == "open")
    records = dict(session.execute(select(SourceRecord.department, func.count())
                                   .where(src_where).group_by(SourceRecord.department)).all())
    goldens = session.execute(select(func.count(distinct(SourceRecord.golden_id)))
                              .where(src_where)).scalar_one()
    in_conflict = dict(session.execute(
        select(ConflictRow.department, func.count(distinct(ConflictRow.source_id)))
        .where(con_where).group_by(ConflictRow.department)).all())
    by_field_conflicts = dict(session.execute(
        select(ConflictRow.field, func.count()).where(con_where)
        .group_by(ConflictRow.field)).all())
    holding = session.execute(select(*[func.count(getattr(SourceRecord, f))
                                       for f in rules.CONFLICT_FIELDS if f != "id_number"],
                                     func.count(SourceRecord.id_cipher)).where(src_where)).one()
    held = dict(zip([f for f in rules.CONFLICT_FIELDS if f != "id_number"] + ["id_number"],
                    holding))
    total = sum(records.values())
    conflicted = sum(in_conflict.values())

    def rate(n: int, d: int) -> float:
        return round(n / d, 4) if d else 0.0

    return ConflictSummaryOut(
        records=total, golden_records=goldens, duplicate_rate=rate(total - goldens, total),
        records_in_conflict=conflicted, conflict_rate=rate(conflicted, total),
        by_department=[RateOut(key=d, records=n, conflicts=in_conflict.get(d, 0),
                               rate=rate(in_conflict.get(d, 0), n))
                       for d, n in sorted(records.items())],
        by_field=[RateOut(key=f, records=held[f], conflicts=by_field_conflicts.get(f, 0),
                          rate=rate(by_field_conflicts.get(f, 0), held[f]))
                  for f in rules.CONFLICT_FIELDS])


