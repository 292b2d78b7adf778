"""Points use cases. A person's points on a date are computed under the scheme version in force
on that date, from the facts as they stood then: the registry's (through its read functions),
the departments' (through the exchange hub's), and the items recorded for points. Each read is
recorded on the audit chain under the points purpose; each result is stored and never rewritten
— a scheme change or an appeal adds a result, the old one stays as it was."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import Case, PointsAppeal, PointsEvidence, PointsResult
from anju.cases.points import scheme as schemes
from anju.cases.points.facts import FACTS, RECORDED, person_facts
from anju.core import audit, clock, events
from anju.core.access import Access, not_found
from anju.core.errors import Conflict, ValidationError
from anju.core.identity import SYSTEM
from anju.core.policy import Actor
from anju.registry import reads as registry

APPEAL_SERVICE = "points_appeal"
FACTS_WANTED = "points.facts_wanted"


def _place(access: Access, action, person_code: str):
    place = registry.person_place(access.session, person_code)
    if place is None:
        access.allow(action)
        raise access.refuse(action, not_found("人员", "person", "person_code"))
    return place


@dataclass
class FactsWanted:
    """The subject of "points.facts_wanted": the exchange hub's declared listener fills `found`
    with the departments' values of these persons (anju.exchange.service.holdings)."""

    person_codes: list[str]
    found: dict = field(default_factory=dict)


def gather(session: Session, person_codes: list[str], on: date,
           actor: Actor = SYSTEM) -> dict[str, tuple]:
    """(facts, evidence, residence start) of each person on `on` (internal: callers check)."""
    residence = registry.residence_facts(session, person_codes)
    wanted = FactsWanted(list(person_codes))
    events.emit(session, actor, FACTS_WANTED, wanted)
    golden = wanted.found
    recorded: dict[str, list] = {}
    for row in session.execute(select(PointsEvidence.person_code, PointsEvidence.fact,
                                      PointsEvidence.value, PointsEvidence.source,
                                      PointsEvidence.obtained_on)
                               .where(PointsEvidence.person_code.in_(person_codes))):
        recorded.setdefault(row[0], []).append((row[1], row[2]["v"], row[3], row[4]))
    return {code: person_facts(on, residence.get(code), golden.get(code, {}),
                               recorded.get(code, [])) for code in person_codes}


def _items_out(result: schemes.Result, evidence: dict) -> list[dict]:
    out = []
    for item in result.items:
        ind = item.indicator
        out.append({"indicator": ind.code, "name_zh": ind.name_zh, "name_en": ind.name_en,
                    "category": ind.category, "points": item.points, "vetoing": item.vetoing,
                    "rule": ind.rule.source, "cap": ind.cap,
                    "evidence": [{"item": FACTS[f].item, "fact": f, "source": e.source,
                                  "obtained_on": e.obtained_on.isoformat() if e.obtained_on
                                  else None}
                                 for f in ind.reads if (e := evidence.get(f)) is not None]})
    return out


def _out(row: PointsResult, could_gain: list[dict] | None = None) -> dict:
    scheme = next((s for s in schemes.load() if s.version == row.scheme_version), None)
    return {"result_id": row.id, "person_code": row.person_code,
            "scheme_code": row.scheme_code, "scheme_version": row.scheme_version,
            "scheme_name_zh": scheme.name_zh if scheme else row.scheme_code,
            "scheme_name_en": scheme.name_en if scheme else row.scheme_code,
            "standard": scheme.standard if scheme else None,
            "on": row.on_date.isoformat(), "total": row.total, "vetoed": row.vetoed,
            "items": row.items, "reason": row.reason,
            "computed_at": row.computed_at.isoformat() if row.computed_at else None,
            "could_gain": could_gain or []}


def _compute(access: Access, person_code: str, division: str, on: date, *, reason: str = "asked",
             appeal_id: int | None = None) -> tuple[PointsResult, list[dict]]:
    session = access.session
    scheme = schemes.in_force(on)
    facts, evidence, _ = gather(session, [person_code], on, access.actor)[person_code]
    result = schemes.compute(scheme, facts)
    digest = hashlib.sha256(json.dumps([scheme.version, reason, appeal_id, facts],
                                       sort_keys=True, default=str).encode()).hexdigest()
    existing = session.execute(select(PointsResult).where(
        PointsResult.person_code == person_code, PointsResult.scheme_version == scheme.version,
        PointsResult.on_date == on, PointsResult.digest == digest)).scalar()
    if existing is None:
        existing = PointsResult(person_code=person_code, division_code=division,
                                scheme_code=scheme.code, scheme_version=scheme.version,
                                on_date=on, total=result.total, vetoed=result.vetoed,
                                items=_items_out(result, evidence), digest=digest, reason=reason,
                                appeal_id=appeal_id, computed_by=access.actor.username)
        try:
            with session.begin_nested():
                session.add(existing)
        except IntegrityError:  # the same computation stored meanwhile: that one stands
            existing = session.execute(select(PointsResult).where(
                PointsResult.person_code == person_code, PointsResult.digest == digest,
                PointsResult.on_date == on)).scalar_one()
    return existing, schemes.could_gain(result)


def points_of(session: Session, actor: Actor, person_code: str, on: date | None = None) -> dict:
    """The person's points on `on` (today by default) with each indicator's evidence and source,
    the rule version, and what could still raise the score."""
    access = Access(session, actor)
    on = on or clock.today()
    place = _place(access, P.POINTS_READ, person_code)
    access.touch(P.POINTS_READ, person_code=person_code, kind="points", object_id=person_code,
                 what="人员", purpose=P.POINTS_ASSESSMENT, division_code=place.division_code,
                 own=True, detail={"on": on.isoformat(),
                                   "sources": ["registry", "exchange", "points_evidence"]})
    row, gain = _compute(access, person_code, place.division_code, on)
    return _out(row, gain)


def history(session: Session, actor: Actor, person_code: str) -> list[dict]:
    """Every stored result of the person, newest first (as computed then)."""
    access = Access(session, actor)
    _place(access, P.POINTS_READ, person_code)
    rows = access.select(P.POINTS_READ, select(PointsResult).where(
        PointsResult.person_code == person_code).order_by(PointsResult.id.desc()))
    return [_out(r) for r in rows]


def record_evidence(session: Session, actor: Actor, person_code: str, fact: str, value,
                    source: str, obtained_on: date) -> dict:
    """Record one item an officer checked (an upload, a department's letter)."""
    access = Access(session, actor)
    place = _place(access, P.POINTS_EVIDENCE, person_code)
    access.check(P.POINTS_EVIDENCE, "人员", division_code=place.division_code,
                 person_codes=(person_code,))
    known = FACTS.get(fact)
    if known is None or fact not in RECORDED:
        raise ValidationError("points_fact_unknown", "该材料不能登记", "this item cannot be recorded",
                              field="fact")
    kind = {"int": int, "bool": bool, "string": str}[known.type]
    if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or value < 0)):
        raise ValidationError("points_value_invalid", f"“{known.zh}”的值无效",
                              f"the value of “{known.en}” is not valid", field="value")
    if obtained_on > clock.today():
        raise ValidationError("points_date_future", "取得日期不能晚于今天",
                              "the date obtained cannot be after today", field="obtained_on")
    row = PointsEvidence(person_code=person_code, division_code=place.division_code, fact=fact,
                         value={"v": value}, source=source, obtained_on=obtained_on,
                         recorded_by=actor.username)
    session.add(row)
    session.flush()
    access.record(audit.AuditEvent(P.POINTS_EVIDENCE, P.POINTS_ASSESSMENT, person_code,
                                   "points_evidence", str(row.id), {"fact": fact}))
    return {"evidence_id": row.id, "fact": fact, "source": source,
            "obtained_on": obtained_on.isoformat()}


def open_case(session: Session, actor: Actor, *, service_code: str, person_code: str,
              division_code: str, form: dict) -> Case:
    """Open an appeal as any case is opened (anju.cases.service.cases: the policy, the form
    checked against the catalogue, evidence, the department's officers told); the appeal's own
    row then points at it. `division_code` is where the result was computed (kept for callers)."""
    from anju.cases.service.cases import open_case as open_any_case
    from anju.cases.service.shapes import CaseIn

    opened = open_any_case(session, actor, CaseIn(service_code=service_code,
                                                  person_code=person_code, form=form))
    return session.get(Case, opened.case_id)


def appeal(session: Session, actor: Actor, person_code: str, result_id: int, indicator: str,
           reason: str) -> dict:
    """Appeal one indicator of a stored result: opens a case for the points office."""
    access = Access(session, actor)
    result = access.load(P.POINTS_APPEAL, PointsResult, PointsResult.id == result_id,
                         PointsResult.person_code == person_code, what="积分结果",
                         purpose=P.POINTS_ASSESSMENT)
    if indicator not in {i["indicator"] for i in result.items}:
        raise ValidationError("points_indicator_unknown", "结果中没有该指标",
                              "the result has no such indicator", field="indicator")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("points_reason_missing", "请说明异议理由", "say why you appeal",
                              field="reason")
    case = open_case(session, actor, service_code=APPEAL_SERVICE, person_code=person_code,
                     division_code=result.division_code,
                     form={"result_id": result.id, "indicator": indicator, "reason": reason})
    row = PointsAppeal(result_id=result.id, person_code=person_code,
                       division_code=result.division_code, indicator=indicator, reason=reason,
                       case_id=case.id)
    session.add(row)
    session.flush()
    access.record(audit.AuditEvent(P.POINTS_APPEAL, P.POINTS_ASSESSMENT, person_code,
                                   "points_appeal", str(row.id), {"case_id": case.id}))
    return {"appeal_id": row.id, "case_id": case.id, "status": row.status,
            "indicator": indicator}


def reopen(session: Session, actor: Actor, appeal_id: int) -> dict:
    """Recompute the appealed result's date with the facts as they stand now (after the officer
    recorded what the appeal brought): a new result; the appealed one stays as it was."""
    access = Access(session, actor)
    row = access.load(P.POINTS_REOPEN, PointsAppeal, PointsAppeal.id == appeal_id, lock=True,
                      what="积分异议", purpose=P.POINTS_ASSESSMENT)
    if row.status != "open":
        raise Conflict("points_appeal_closed", "该异议已复核", "this appeal was already reviewed",
                       field="appeal_id")
    old = session.get(PointsResult, row.result_id)
    new, gain = _compute(access, row.person_code, row.division_code, old.on_date,
                         reason="appeal", appeal_id=row.id)
    row.status, row.new_result_id = "reopened", new.id
    access.record(audit.AuditEvent(P.POINTS_REOPEN, P.POINTS_ASSESSMENT, row.person_code,
                                   "points_appeal", str(row.id), {"result_id": new.id}))
    return {"appeal_id": row.id, "status": row.status, "previous": _out(old),
            "result": _out(new, gain)}


def list_appeals(session: Session, actor: Actor, status: str = "open") -> list[dict]:
    """The appeals an officer may review (their jurisdiction), oldest first, each with the facts
    its indicator reads that an officer records."""
    access = Access(session, actor)
    rows = access.select(P.POINTS_REOPEN, select(PointsAppeal).where(
        PointsAppeal.status == status).order_by(PointsAppeal.id).limit(200))
    out = []
    for row in rows:
        scheme_version = session.get(PointsResult, row.result_id).scheme_version
        scheme = next((s for s in schemes.load() if s.version == scheme_version), None)
        indicator = next((i for i in scheme.indicators if i.code == row.indicator), None) \
            if scheme else None
        out.append({"appeal_id": row.id, "person_code": row.person_code, "case_id": row.case_id,
                    "indicator": row.indicator,
                    "name_zh": indicator.name_zh if indicator else row.indicator,
                    "name_en": indicator.name_en if indicator else row.indicator,
                    "reason": row.reason, "created_at": row.created_at,
                    "facts": [f for f in (indicator.reads if indicator else ())
                              if f in RECORDED]})
    return out
