"""Conflicts: the values a department holds that disagree with the surviving ones, and the rates of disagreement."""
from __future__ import annotations

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.policy import (
    Actor,
)
from anju.exchange import policy as P
from anju.exchange import rules
from anju.exchange.models import Conflict as ConflictRow
from anju.exchange.models import (
    GoldenRecord,
    SourceRecord,
)
from anju.exchange.schemas import (
    ConflictOut,
    ConflictSummaryOut,
    RateOut,
)
from anju.exchange.service.hub import (
    _own_department,
)


def list_conflicts(session: Session, actor: Actor, status: str = "open",
                   limit: int = 200) -> list[ConflictOut]:
    """Conflicts in reach; a department officer sees only those their department should fix."""
    access = Access(session, actor)
    where = access.restrict(P.CONFLICT_READ, division_col=ConflictRow.division_code)
    query = (select(ConflictRow, SourceRecord.source_record_id, GoldenRecord.person_code)
             .join(SourceRecord, SourceRecord.id == ConflictRow.source_id)
             .join(GoldenRecord, GoldenRecord.id == ConflictRow.golden_id)
             .where(where, ConflictRow.status == status))
    if (own := _own_department(access)) is not None:
        query = query.where(ConflictRow.department == own)
    rows = session.execute(query.order_by(ConflictRow.id).limit(min(limit, 1000))).all()
    access.record(*[AuditEvent(P.CONFLICT_READ, P.DATA_CORRECTION, code, "conflict", str(c.id))
                    for c, _, code in rows])
    return [ConflictOut(conflict_id=c.id, golden_id=c.golden_id, field=c.field,
                        department=c.department, source_record_id=srid,
                        authority_department=c.authority_department, status=c.status,
                        created_at=c.created_at) for c, srid, _ in rows]


def conflict_summary(session: Session, actor: Actor) -> ConflictSummaryOut:
    """Rates of disagreement per department and per field (aggregates: nothing personal)."""
    access = Access(session, actor)
    src_where = access.restrict(P.CONFLICT_READ, division_col=SourceRecord.division_code)
    con_where = access.restrict(P.CONFLICT_READ, division_col=ConflictRow.division_code)
    own = _own_department(access)
    if own is not None:
        src_where = and_(src_where, SourceRecord.department == own)
        con_where = and_(con_where, ConflictRow.department == own)
    con_where = and_(con_where, ConflictRow.status == "open")
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


