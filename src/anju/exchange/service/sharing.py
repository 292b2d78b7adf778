"""Sharing back: subscriptions, the change feed, and data-access requests (create, decide,
deliver), each with only the department purpose's fields.

Department officers act for their own department only: the policy gives them
`Scope.DEPARTMENT`, so a subscription, a request or a feed row of another department is out of
reach. Golden records belong to no department; read for a department's subscription or request,
they are in reach when that department is the officer's and the record in their jurisdiction
(`_for`)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, literal, select
from sqlalchemy.orm import Session

from anju.core import clock, divisions
from anju.core.access import Access, not_found
from anju.core.db import utcnow
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Action, Actor, department_purpose
from anju.exchange import policy as P
from anju.exchange.models import (
    DataDelivery,
    DataRequest,
    GoldenChange,
    GoldenRecord,
    SourceRecord,
    Subscription,
)
from anju.exchange.schemas import DataRequestOut, DeliveryOut, FeedOut, SubscriptionsOut
from anju.exchange.service.hub import acting_department, golden_values


def _for(access: Access, action: Action, department: str):
    """The golden records the officer reaches for `action` on behalf of `department`."""
    return access.restrict(action, division_col=GoldenRecord.division_code,
                           department_col=literal(department))


def _touch(access: Access, action: Action, golden: GoldenRecord, department: str,
           detail: dict) -> None:
    access.touch(action, person_code=golden.person_code, kind="golden_record",
                 object_id=str(golden.id), what="主记录",
                 purpose=department_purpose(department), detail=detail,
                 division_code=golden.division_code, department=department)


def subscribe(session: Session, actor: Actor, golden_ids: list[int] | None = None,
              served: bool = False) -> SubscriptionsOut:
    """Subscribe the officer's department to persons it serves (or to named golden records)."""
    access = Access(session, actor)
    department = acting_department(access, P.SUBSCRIPTION_MANAGE)
    wanted: list[GoldenRecord] = []
    if served:
        wanted += session.execute(select(GoldenRecord).where(
            _for(access, P.SUBSCRIPTION_MANAGE, department), GoldenRecord.merged_into.is_(None),
            GoldenRecord.id.in_(select(SourceRecord.golden_id).where(
                SourceRecord.department == department))
        ).order_by(GoldenRecord.id)).scalars().all()
    for golden_id in golden_ids or []:
        golden = session.get(GoldenRecord, golden_id)
        if golden is None or golden.merged_into is not None:
            raise access.refuse(P.SUBSCRIPTION_MANAGE, not_found("主记录"))
        access.check(P.SUBSCRIPTION_MANAGE, "主记录", division_code=golden.division_code,
                     department=department)
        wanted.append(golden)
    have = set(session.execute(select(Subscription.golden_id).where(
        access.restrict_model(P.SUBSCRIPTION_MANAGE, Subscription))).scalars())
    added = 0
    for golden in wanted:
        if golden.id not in have:
            have.add(golden.id)
            added += 1
            session.add(Subscription(department=department, golden_id=golden.id,
                                     created_by=actor.username))
            _touch(access, P.SUBSCRIPTION_MANAGE, golden, department, {"department": department})
    session.flush()
    return SubscriptionsOut(department=department, added=added, total=len(have))


def feed(session: Session, actor: Actor, cursor: int = 0, limit: int = 100) -> FeedOut:
    """Changes to the persons the officer's department subscribed to, after `cursor`, with only
    its purpose's fields. Every delivered person is written to the audit chain."""
    access = Access(session, actor)
    department = acting_department(access, P.FEED_READ)
    rows = session.execute(
        select(GoldenChange.id, GoldenRecord)
        .join(GoldenRecord, GoldenRecord.id == GoldenChange.golden_id)
        .join(Subscription, and_(Subscription.golden_id == GoldenChange.golden_id,
                                 Subscription.department == department))
        .where(access.restrict(P.FEED_READ, division_col=GoldenRecord.division_code,
                               department_col=Subscription.department),
               GoldenChange.id > cursor)
        .order_by(GoldenChange.id).limit(max(1, min(limit, 500)))).all()
    latest: dict[int, tuple[int, GoldenRecord]] = {}
    for change_id, golden in rows:
        latest[golden.id] = (change_id, golden)
    items = []
    for change_id, golden in sorted(latest.values(), key=lambda t: t[0]):
        if golden.merged_into is not None:
            items.append({"change": change_id, "golden_id": golden.id,
                          "merged_into": golden.merged_into})
            continue
        if not access.serves(golden.fields.get("birth_date")):
            continue
        _touch(access, P.FEED_READ, golden, department, {"department": department})
        items.append({"change": change_id,
                      **access.view(golden_values(golden), golden.person_code)})
    return FeedOut(department=department, purpose=department_purpose(department).name,
                   cursor=cursor, next_cursor=rows[-1][0] if rows else cursor, items=items)


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
    department = acting_department(access, P.DATA_REQUEST_CREATE)
    access.check(P.DATA_REQUEST_CREATE, "辖区", division_code=actor.division_code,
                 department=department)
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
    access.touch(P.DATA_REQUEST_CREATE, person_code=None, kind="data_request",
                 object_id=str(req.id), purpose=P.DATA_REQUEST,
                 detail={"department": department, "dataset": dataset},
                 division_code=req.division_code, department=req.department)
    return _request_out(req)


def list_data_requests(session: Session, actor: Actor, limit: int = 100) -> list[DataRequestOut]:
    """A steward's: every request of their jurisdiction; an officer's: their department's."""
    access = Access(session, actor)
    rows = session.execute(select(DataRequest).where(
        access.restrict_model(P.DATA_REQUEST_READ, DataRequest))
        .order_by(DataRequest.id.desc()).limit(min(limit, 500))).scalars()
    return [_request_out(r) for r in rows]


def decide_data_request(session: Session, actor: Actor, request_id: int, approve: bool,
                        expires_on: date | None = None) -> DataRequestOut:
    access = Access(session, actor)
    detail = {"approve": approve,
              "expires_on": expires_on.isoformat() if approve and expires_on else None}
    req = access.load(P.DATA_REQUEST_DECIDE, DataRequest, DataRequest.id == request_id,
                      what="数据申请", lock=True, purpose=P.DATA_REQUEST, detail=detail)
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
    return _request_out(req)


def deliver_data_request(session: Session, actor: Actor, request_id: int,
                         limit: int = 10_000) -> DeliveryOut:
    """The approved dataset, purpose fields only; each person delivered is audited. An expired
    (or not approved) request delivers nothing."""
    access = Access(session, actor)
    query = select(DataRequest).where(DataRequest.id == request_id)
    req = session.execute(query).scalar()
    if req is None:
        access.allow(P.DATA_REQUEST_DELIVER)
        raise access.refuse(P.DATA_REQUEST_DELIVER, not_found("数据申请"))
    # the persons delivered are recorded below, the request itself names none
    access.check(P.DATA_REQUEST_DELIVER, "数据申请", division_code=req.division_code,
                 department=req.department)
    if req.status != "approved":
        raise Conflict("request_not_approved", "申请尚未批准", "the request is not approved")
    if _expired(req):
        raise Conflict("request_expired", "批准已过期，不再提供数据",
                       "the approval has expired; nothing is delivered")
    where = and_(_for(access, P.DATA_REQUEST_DELIVER, req.department),
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
    records = []
    for golden in goldens:
        _touch(access, P.DATA_REQUEST_DELIVER, golden, req.department, {"data_request": req.id})
        records.append(access.view(golden_values(golden), golden.person_code))
    return DeliveryOut(request_id=req.id, purpose=department_purpose(req.department).name,
                       records=records)
