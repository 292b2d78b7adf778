"""Sharing back: subscriptions, the change feed, and data-access requests (create, decide, deliver), each with only the department purpose's fields."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from anju.core import clock, divisions
from anju.core.access import Access, shown
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import (
    Actor,
    Purpose,
    department_purpose,
)
from anju.exchange import policy as P
from anju.exchange.models import (
    DataDelivery,
    DataRequest,
    GoldenChange,
    GoldenRecord,
    SourceRecord,
    Subscription,
)
from anju.exchange.schemas import (
    DataRequestOut,
    DeliveryOut,
    FeedOut,
    SubscriptionsOut,
)
from anju.exchange.service.hub import (
    _department,
    _golden_values,
    _not_found,
    _own_department,
)


def subscribe(session: Session, actor: Actor, golden_ids: list[int] | None = None,
              served: bool = False) -> SubscriptionsOut:
    """Subscribe the officer's department to persons it serves (or to named golden records)."""
    access = Access(session, actor)
    access.scopes(P.SUBSCRIPTION_MANAGE)
    department = _department(actor)
    where = access.restrict(P.SUBSCRIPTION_MANAGE, division_col=GoldenRecord.division_code)
    wanted: list[GoldenRecord] = []
    if served:
        wanted += session.execute(select(GoldenRecord).where(
            where, GoldenRecord.merged_into.is_(None), GoldenRecord.id.in_(
                select(SourceRecord.golden_id).where(SourceRecord.department == department))
        ).order_by(GoldenRecord.id)).scalars().all()
    for golden_id in golden_ids or []:
        golden = session.get(GoldenRecord, golden_id)
        if golden is None or golden.merged_into is not None:
            raise _not_found("主记录")
        access.check(P.SUBSCRIPTION_MANAGE, "主记录", division_code=golden.division_code)
        wanted.append(golden)
    have = set(session.execute(select(Subscription.golden_id).where(
        Subscription.department == department)).scalars())
    added = []
    for golden in wanted:
        if golden.id not in have:
            have.add(golden.id)
            added.append(golden)
            session.add(Subscription(department=department, golden_id=golden.id,
                                     created_by=actor.username))
    access.record(*[AuditEvent(P.SUBSCRIPTION_MANAGE, department_purpose(department),
                               g.person_code, "golden_record", str(g.id),
                               {"department": department}) for g in added])
    session.flush()
    return SubscriptionsOut(department=department, added=len(added), total=len(have))


def _shared(golden: GoldenRecord, purpose: Purpose) -> dict:
    """A golden record as one department's purpose may see it: every field the purpose lists
    that a golden record holds (None when unknown), nothing else."""
    return shown(purpose, _golden_values(golden))


def feed(session: Session, actor: Actor, cursor: int = 0, limit: int = 100) -> FeedOut:
    """Changes to the persons the officer's department subscribed to, after `cursor`, with only
    its purpose's fields. Every delivered person is written to the audit chain."""
    access = Access(session, actor)
    where = access.restrict(P.FEED_READ, division_col=GoldenRecord.division_code)
    department = _department(actor)
    purpose = department_purpose(department)
    rows = session.execute(
        select(GoldenChange.id, GoldenRecord)
        .join(GoldenRecord, GoldenRecord.id == GoldenChange.golden_id)
        .join(Subscription, and_(Subscription.golden_id == GoldenChange.golden_id,
                                 Subscription.department == department))
        .where(where, GoldenChange.id > cursor)
        .order_by(GoldenChange.id).limit(max(1, min(limit, 500)))).all()
    latest: dict[int, tuple[int, GoldenRecord]] = {}
    for change_id, golden in rows:
        latest[golden.id] = (change_id, golden)
    items, events = [], []
    for change_id, golden in sorted(latest.values(), key=lambda t: t[0]):
        if golden.merged_into is not None:
            items.append({"change": change_id, "golden_id": golden.id,
                          "merged_into": golden.merged_into})
            continue
        if not access.serves(golden.fields.get("birth_date")):
            continue
        items.append({"change": change_id, **_shared(golden, purpose)})
        events.append(AuditEvent(P.FEED_READ, purpose, golden.person_code, "golden_record",
                                 str(golden.id), {"department": department}))
    access.record(*events)
    return FeedOut(department=department, purpose=purpose.name, cursor=cursor,
                   next_cursor=rows[-1][0] if rows else cursor, items=items)


def _request_out(req: DataRequest) -> DataRequestOut:
    return DataRequestOut(request_id=req.id, department=req.department, dataset=req.dataset,
                          purpose=req.purpose, division_code=req.division_code,
                          status=req.status, requested_by=req.requested_by,
                          decided_by=req.decided_by, expires_on=req.expires_on,
                          expired=_expired(req), created_at=req.created_at)


def _expired(req: DataRequest) -> bool:
    return req.status == "approved" and req.expires_on is not None and \
        req.expires_on < clock.today()


def create_data_request(session: Session, actor: Actor, dataset: str,
                        purpose: str) -> DataRequestOut:
    access = Access(session, actor)
    access.check(P.DATA_REQUEST_CREATE, "辖区", division_code=actor.division_code)
    department = _department(actor)
    dataset = str(dataset)
    if dataset not in ("served", "all"):
        raise ValidationError("dataset_unknown", "数据范围应为“服务对象”或“辖区全部人员”",
                              "dataset must be served or all", field="dataset")
    if len((purpose or "").strip()) < 4:
        raise ValidationError("purpose_required", "请说明用途", "state the purpose",
                              field="purpose")
    req = DataRequest(department=department, dataset=dataset, purpose=purpose.strip()[:500],
                      division_code=divisions.canonical(actor.division_code),
                      requested_by=actor.username)
    session.add(req)
    session.flush()
    access.record(AuditEvent(P.DATA_REQUEST_CREATE, P.DATA_REQUEST, None, "data_request",
                             str(req.id), {"department": department, "dataset": dataset}))
    return _request_out(req)


def list_data_requests(session: Session, actor: Actor, limit: int = 100) -> list[DataRequestOut]:
    access = Access(session, actor)
    where = access.restrict(P.DATA_REQUEST_READ, division_col=DataRequest.division_code)
    query = select(DataRequest).where(where)
    if (own := _own_department(access)) is not None:
        query = query.where(DataRequest.department == own)
    rows = session.execute(query.order_by(DataRequest.id.desc()).limit(min(limit, 500))).scalars()
    return [_request_out(r) for r in rows]


def _load_request(access: Access, action: str, request_id: int, lock: bool = False) -> DataRequest:
    query = select(DataRequest).where(DataRequest.id == request_id)
    req = access.session.execute(query.with_for_update() if lock else query).scalar()
    if req is None:
        raise _not_found("数据申请")
    access.check(action, "数据申请", division_code=req.division_code)
    own = _own_department(access)
    if own is not None and req.department != own:
        raise _not_found("数据申请")
    return req


def decide_data_request(session: Session, actor: Actor, request_id: int, approve: bool,
                        expires_on: date | None = None) -> DataRequestOut:
    access = Access(session, actor)
    access.scopes(P.DATA_REQUEST_DECIDE)
    req = _load_request(access, P.DATA_REQUEST_DECIDE, request_id, lock=True)
    if req.status != "pending":
        raise Conflict("request_decided", "该申请已处理", "this request was already decided")
    if approve:
        if expires_on is None or expires_on < clock.today():
            raise ValidationError("expiry_required", "批准须指定不早于今天的有效期",
                                  "an approval needs an expiry date from today on",
                                  field="expires_on")
        req.expires_on = expires_on
    req.status = "approved" if approve else "rejected"
    req.decided_by, req.decided_at = actor.username, utcnow()
    access.record(AuditEvent(P.DATA_REQUEST_DECIDE, P.DATA_REQUEST, None, "data_request",
                             str(req.id), {"approve": approve,
                                           "expires_on": expires_on.isoformat()
                                           if approve and expires_on else None}))
    return _request_out(req)


def deliver_data_request(session: Session, actor: Actor, request_id: int,
                         limit: int = 10_000) -> DeliveryOut:
    """The approved dataset, purpose fields only; each person delivered is audited. An expired
    (or not approved) request delivers nothing."""
    access = Access(session, actor)
    access.scopes(P.DATA_REQUEST_DELIVER)
    req = _load_request(access, P.DATA_REQUEST_DELIVER, request_id)
    if req.status != "approved":
        raise Conflict("request_not_approved", "申请尚未批准", "the request is not approved")
    if _expired(req):
        raise Conflict("request_expired", "批准已过期，不再提供数据",
                       "the approval has expired; nothing is delivered")
    purpose = department_purpose(req.department)
    where = and_(access.restrict(P.DATA_REQUEST_DELIVER, division_col=GoldenRecord.division_code),
                 GoldenRecord.division_code.like(divisions.significant_prefix(req.division_code)
                                                 + "%"),
                 GoldenRecord.merged_into.is_(None))
    if req.dataset == "served":
        where = and_(where, GoldenRecord.id.in_(select(SourceRecord.golden_id).where(
            SourceRecord.department == req.department)))
    goldens = session.execute(select(GoldenRecord).where(where).order_by(GoldenRecord.id)
                              .limit(limit)).scalars().all()
    goldens = [g for g in goldens if access.serves(g.fields.get("birth_date"))]
    session.add(DataDelivery(request_id=req.id, records=len(goldens), delivered_by=actor.username))
    access.record(*[AuditEvent(P.DATA_REQUEST_DELIVER, purpose, g.person_code,
                               "golden_record", str(g.id), {"data_request": req.id})
                    for g in goldens])
    return DeliveryOut(request_id=req.id, purpose=purpose.name,
                       records=[_shared(g, purpose) for g in goldens])

