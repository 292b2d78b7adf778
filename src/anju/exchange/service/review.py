"""Clerical review: the pairs in the uncertain band, side by side, and the decision (a match merges
the two golden records)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core.access import Access, not_found
from anju.core.db import utcnow
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Actor
from anju.exchange import policy as P
from anju.exchange.models import Conflict as ConflictRow
from anju.exchange.models import GoldenChange, GoldenRecord, ReviewPair, SourceRecord, Subscription
from anju.exchange.schemas import ReviewPairOut
from anju.exchange.service.golden import rebuild
from anju.exchange.service.hub import PURPOSE, active_id, source_out


def _pair_out(access: Access, pair: ReviewPair) -> ReviewPairOut:
    session, purpose = access.session, access.purpose()
    left = session.get(SourceRecord, pair.left_source_id)
    right = session.get(SourceRecord, pair.right_source_id)
    return ReviewPairOut(
        pair_id=pair.id, weight=pair.weight, status=pair.status,
        left=source_out(purpose, left, active_id(session, left.golden_id)),
        right=source_out(purpose, right, active_id(session, right.golden_id)),
        decided_by=pair.decided_by, decided_at=pair.decided_at)


def _pair_persons(session: Session, pair: ReviewPair) -> list[str | None]:
    codes = []
    for source_id in (pair.left_source_id, pair.right_source_id):
        golden_id = active_id(session, session.get(SourceRecord, source_id).golden_id)
        codes.append(session.get(GoldenRecord, golden_id).person_code)
    return list(dict.fromkeys(codes))


def _touch(access: Access, pair: ReviewPair, persons: list[str | None],
           detail: dict | None = None) -> None:
    """Check the steward reaches the pair and record it against each person it is about (a
    pair names two records, so one entry per person: `Access.touch`, not `load`)."""
    for code in persons:
        access.touch(P.EXCHANGE_REVIEW, person_code=code, kind="review_pair",
                     object_id=str(pair.id), what="复核记录", purpose=PURPOSE, detail=detail,
                     division_code=pair.division_code)


def list_review_pairs(session: Session, actor: Actor, status: str = "pending",
                      limit: int = 100) -> list[ReviewPairOut]:
    access = Access(session, actor)
    where = access.restrict_model(P.EXCHANGE_REVIEW, ReviewPair)
    pairs = session.execute(select(ReviewPair).where(where, ReviewPair.status == status)
                            .order_by(ReviewPair.weight.desc(), ReviewPair.id)
                            .limit(min(limit, 500))).scalars().all()
    for pair in pairs:
        _touch(access, pair, _pair_persons(session, pair))
    return [_pair_out(access, p) for p in pairs]


def _load_pair(access: Access, pair_id: int, lock: bool = False) -> ReviewPair:
    """The pair, if the steward reaches it (NotFound otherwise, noted as an attempt); recorded
    by the caller once it knows what it did with it."""
    query = select(ReviewPair).where(ReviewPair.id == pair_id)
    pair = access.session.execute(query.with_for_update() if lock else query).scalar()
    if pair is None:
        access.allow(P.EXCHANGE_REVIEW)
        raise access.refuse(P.EXCHANGE_REVIEW, not_found("复核记录"))
    access.check(P.EXCHANGE_REVIEW, "复核记录", division_code=pair.division_code)
    return pair


def read_review_pair(session: Session, actor: Actor, pair_id: int) -> ReviewPairOut:
    """The two records side by side (ID numbers and phones masked)."""
    access = Access(session, actor)
    pair = _load_pair(access, pair_id)
    _touch(access, pair, _pair_persons(session, pair))
    return _pair_out(access, pair)


def decide_review_pair(session: Session, actor: Actor, pair_id: int,
                       decision: str) -> ReviewPairOut:
    """"match" merges the two golden records into one; "non_match" is remembered (the pair is
    never proposed again). Either way the decision is audited against both persons."""
    access = Access(session, actor)
    access.allow(P.EXCHANGE_REVIEW)
    decision = str(decision)
    if decision not in ("match", "non_match"):
        raise ValidationError("decision_unknown", "复核结论应为“同一人”或“不是同一人”",
                              "decision must be match or non_match", field="decision")
    pair = _load_pair(access, pair_id, lock=True)
    if pair.status != "pending":
        raise Conflict("review_decided", "该记录对已复核", "this pair was already decided")
    persons = _pair_persons(session, pair)
    merged = None
    if decision == "match":
        merged = _merge(session, session.get(SourceRecord, pair.left_source_id).golden_id,
                        session.get(SourceRecord, pair.right_source_id).golden_id)
    pair.status, pair.decided_by, pair.decided_at = decision, actor.username, utcnow()
    _touch(access, pair, persons, {"decision": decision, "golden": merged})
    session.flush()
    return _pair_out(access, pair)


def _merge(session: Session, a: int, b: int) -> int:
    """Merge two golden records; the registered one (else the older) survives."""
    a, b = active_id(session, a), active_id(session, b)
    if a == b:
        return a
    ga, gb = session.get(GoldenRecord, a), session.get(GoldenRecord, b)
    if ga.person_code and gb.person_code:
        raise Conflict("merge_registered",
                       "两条记录分属两个已登记人员，请通过人员档案合并处理",
                       "both records belong to registered persons; merge them in the registry")
    keep, drop = (ga, gb) if (ga.person_code or (not gb.person_code and ga.id < gb.id)) else (gb, ga)
    session.execute(update(SourceRecord).where(SourceRecord.golden_id == drop.id)
                    .values(golden_id=keep.id))
    subscribed = set(session.execute(select(Subscription.department).where(
        Subscription.golden_id == keep.id)).scalars())
    for sub in session.execute(select(Subscription).where(
            Subscription.golden_id == drop.id)).scalars().all():
        if sub.department in subscribed:
            session.delete(sub)
        else:
            sub.golden_id = keep.id
    session.execute(update(ConflictRow).where(ConflictRow.golden_id == drop.id,
                                              ConflictRow.status == "open")
                    .values(status="resolved", resolved_at=utcnow()))
    drop.merged_into = keep.id
    session.add(GoldenChange(golden_id=drop.id))
    session.flush()
    rebuild(session, keep)
    return keep.id


