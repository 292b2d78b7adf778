"""Cases: opened once — by the resident online, or at a window by a clerk on the person's behalf
with their consent recorded — routed to the service's department, then moved through the state
machine of `anju.cases.rules`. Every step is checked by the policy (403 for a role that may
never, 404 for a case out of reach, 409 for a step the state does not allow), recorded on the
audit chain against the applicant, and written on the case's timeline.

Parallel approvals (并联审批): acceptance opens one approval per department of each step; a
department decides its own, the case moves to the next step when every department of a step
has approved, and is approved when the last step is; any department's refusal rejects it. The
co-approving departments reach the case through their pending or given approval.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases import catalogue
from anju.cases import policy as P
from anju.cases.catalogue import Service
from anju.cases.models import Case, CaseApproval, CaseEvent, CaseEvidence
from anju.cases.rules import CaseStatus, Transition, next_status
from anju.cases.service import deadlines, evidence, notices, outcomes
from anju.cases.service.shapes import (
    CONSENT_METHODS,
    ApplicantOut,
    ApprovalOut,
    CaseIn,
    CaseOut,
    EvidenceOut,
    HistoryOut,
)
from anju.core import calendars, clock, idnumber
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher, mask_name
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, ValidationError
from anju.core.policy import Action, Actor, Purpose, Role, department_code, departments
from anju.registry import reads

PERSON_ROLES = (Role.RESIDENT, Role.LANDLORD)


# --- who acts, under which purpose ---------------------------------------------------------
def purpose_of(actor: Actor, person_code: str | None) -> Purpose:
    """Why the actor touches this applicant's case (recorded with every entry)."""
    if actor.person_code and actor.person_code == person_code:
        return P.APPLICATION
    if actor.role is Role.WINDOW_CLERK:
        return P.WINDOW_SERVICE
    return P.CASE_HANDLING


def service_of(code: str, field: str = "service_code") -> Service:
    service = catalogue.load().get(code)
    if service is None:
        raise ValidationError("service_unknown", f"没有这项服务：{code}",
                              f"no such service: {code}", field=field)
    return service


def case_departments(session: Session, case: Case) -> tuple[str | None, ...]:
    """The departments that reach a case: the one handling it, its provider, and every
    department with an approval of it (parallel approval)."""
    others = session.execute(select(CaseApproval.department).where(
        CaseApproval.case_id == case.id)).scalars()
    return (case.department, case.provider_code, *dict.fromkeys(others))


# What a department approving in parallel may do with a case it does not handle: see it, decide
# its own approval, ask for a supplement. Accepting, starting and transferring are the handler's.
CO_APPROVER = {P.CASE_READ, P.CASE_DECIDE, P.CASE_REQUEST_SUPPLEMENT}


def load_case(access: Access, action: Action, case_id: int, *, lock: bool = False) -> Case:
    """The case if the role may take `action` (403) and reaches it (404, the same as missing)."""
    access.allow(action)
    query = select(Case).where(Case.id == case_id)
    case = access.session.execute(query.with_for_update() if lock else query).scalar()
    if case is None:
        raise access.refuse(action, not_found("办件", "case", "case_id"))
    handlers = case_departments(access.session, case) if action in CO_APPROVER else \
        (case.department, case.provider_code)
    access.check(action, "办件", division_code=case.division_code,
                 person_codes=(case.person_code,), department=handlers)
    return case


def _event(access: Access, case: Case, action: Action, what: str, **detail) -> None:
    """The step on the audit chain (against the applicant) and on the case's timeline."""
    actor = access.actor
    detail = {k: v for k, v in detail.items() if v is not None}
    access.record(AuditEvent(action, purpose_of(actor, case.person_code), case.person_code,
                             "case", str(case.id), {"service": case.service_code, **detail}))
    access.session.add(CaseEvent(case_id=case.id, action=what, status=case.status,
                                 by_username=actor.username, by_role=actor.role.value,
                                 department=department_code(actor.department),
                                 detail=detail or None))


# --- the form ------------------------------------------------------------------------------
def check_form(service: Service, form: dict, *, partial: bool = False) -> dict:
    """The form's values as the catalogue types them; a field-level 422 for the first fault."""
    fields = {f.name: f for f in service.form}
    unknown = sorted(set(form) - set(fields))
    if unknown:
        raise ValidationError("form_field_unknown", f"表单没有这一项：{unknown[0]}",
                              f"the form has no field {unknown[0]}", field=f"form.{unknown[0]}")
    out: dict = {}
    for name, spec in fields.items():
        value = form.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required and not partial:
                raise ValidationError("form_field_required", f"请填写“{spec.label.zh}”",
                                      f"please fill in “{spec.label.en}”", field=f"form.{name}")
            continue
        value = str(value).strip() if not isinstance(value, int | float) else value
        if spec.kind == "integer":
            try:
                value = int(str(value).strip())
            except ValueError:
                value = None
            if value is None or not 0 <= value <= 10**9:
                raise ValidationError("form_field_integer", f"“{spec.label.zh}”应为非负整数",
                                      f"“{spec.label.en}” must be a whole number",
                                      field=f"form.{name}")
        elif spec.kind == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValidationError("form_field_date", f"“{spec.label.zh}”应为日期（年-月-日）",
                                      f"“{spec.label.en}” must be a date (YYYY-MM-DD)",
                                      field=f"form.{name}") from None
        elif spec.kind == "choice":
            codes = [code for code, _ in spec.choices]
            if value not in codes:
                raise ValidationError("form_field_choice", f"“{spec.label.zh}”的选项无效",
                                      f"“{spec.label.en}” is not one of its choices",
                                      field=f"form.{name}")
        elif len(str(value)) > 500:
            raise ValidationError("form_field_long", f"“{spec.label.zh}”过长（最多 500 字）",
                                  f"“{spec.label.en}” is too long (500 characters at most)",
                                  field=f"form.{name}")
        out[name] = value
    return out


# --- opening ---------------------------------------------------------------------------------
def find_applicant(session: Session, actor: Actor, id_number: str) -> ApplicantOut:
    """A window clerk finds the person in front of them by their ID card's number, within the
    clerk's jurisdiction (anyone else looks missing); the look-up is on the person's trail."""
    access = Access(session, actor)
    access.allow(P.CASE_OPEN)
    normalised = idnumber.normalize_id_number(id_number or "")
    codes = reads.person_codes_by_id_hash(session, [id_cipher().lookup_hash(normalised)])
    place = reads.person_place(session, next(iter(codes.values()))) if codes else None
    if place is None:
        raise access.refuse(P.CASE_OPEN, not_found("人员", "person", "id_number"))
    access.touch(P.CASE_OPEN, person_code=place.person_code, kind="person",
                 object_id=place.person_code, what="人员",
                 purpose=purpose_of(actor, place.person_code),
                 detail={"by": "id_number", "lookup": True}, division_code=place.division_code)
    return ApplicantOut(person_code=place.person_code, name=mask_name(place.name))


def applicant(session: Session, actor: Actor, person_code: str) -> ApplicantOut:
    """The person a case would be opened for, if the actor may open one for them (a window
    clerk: a person of their jurisdiction); the look-up is on the person's trail."""
    access = Access(session, actor)
    access.allow(P.CASE_OPEN)
    place = reads.person_place(session, person_code)
    if place is None:
        raise access.refuse(P.CASE_OPEN, not_found("人员", "person", "person_code"))
    access.touch(P.CASE_OPEN, person_code=place.person_code, kind="person",
                 object_id=place.person_code, what="人员",
                 purpose=purpose_of(actor, place.person_code), detail={"lookup": True},
                 division_code=place.division_code)
    return ApplicantOut(person_code=place.person_code, name=mask_name(place.name))


def open_case(session: Session, actor: Actor, data: CaseIn) -> CaseOut:
    """Open a case and route it to the service's department; the evidence is looked for at
    once (cases.service.evidence) and the department's officers are told."""
    access = Access(session, actor)
    access.allow(P.CASE_OPEN)
    service = service_of(data.service_code)
    person_code = data.person_code or actor.person_code
    if not person_code:
        raise ValidationError("person_required", "请指定申请人", "say whose case this is",
                              field="person_code")
    if actor.role in PERSON_ROLES and actor.role.value not in service.applicants:
        raise access.refuse(P.CASE_OPEN, Forbidden(
            "service_not_for_role", "该服务不能以当前身份申请",
            "this service cannot be applied for in your role", field="service_code"),
            person_codes=(person_code,))
    consent = None
    if actor.role is Role.WINDOW_CLERK:
        if data.consent is None:
            raise access.refuse(P.CASE_OPEN, Forbidden(
                "consent_required", "代为申请须记录申请人本人的同意",
                "opening a case for someone needs their recorded consent", field="consent"),
                person_codes=(person_code,))
        consent = {"method": data.consent.method, "reference": data.consent.reference,
                   "method_zh": CONSENT_METHODS[data.consent.method][0],
                   "recorded_by": actor.username, "recorded_at": utcnow().isoformat()}
    place = reads.person_place(session, person_code)
    if place is None:
        raise access.refuse(P.CASE_OPEN, not_found("人员", "person", "person_code"))
    access.check(P.CASE_OPEN, "人员", division_code=place.division_code,
                 person_codes=(person_code,))
    form = check_form(service, data.form)
    case = Case(service_code=service.code, person_code=person_code,
                division_code=place.division_code, department=service.department,
                status=CaseStatus.SUBMITTED.value,
                channel="window" if actor.role is Role.WINDOW_CLERK else "online",
                opened_by=actor.username, consent=consent, form=form,
                paused_working_days=0, due_provisional=False)
    session.add(case)
    session.flush()
    _event(access, case, P.CASE_OPEN, "open", channel=case.channel,
           on_behalf_of=person_code if consent else None,
           consent_method=consent["method"] if consent else None,
           consent_reference=consent["reference"] if consent else None)
    evidence.collect(access, case, service)
    notices.notify_officers(session, department=case.department, division_code=case.division_code,
                            role=Role.DEPT_OFFICER.value, template="officer_case_submitted",
                            case_id=case.id, params={"service": service.code})
    session.flush()
    return case_out(access, case, service)


# --- transitions ---------------------------------------------------------------------------
ACTIONS = {Transition.ACCEPT: P.CASE_ACCEPT, Transition.NOT_ACCEPT: P.CASE_NOT_ACCEPT,
           Transition.START: P.CASE_START, Transition.REQUEST_SUPPLEMENT: P.CASE_REQUEST_SUPPLEMENT,
           Transition.SUPPLY: P.CASE_SUPPLY, Transition.DECIDE_APPROVE: P.CASE_DECIDE,
           Transition.DECIDE_REJECT: P.CASE_DECIDE, Transition.WITHDRAW: P.CASE_WITHDRAW,
           Transition.TRANSFER: P.CASE_TRANSFER}


def _begin(session: Session, actor: Actor, case_id: int,
           transition: Transition) -> tuple[Access, Case, CaseStatus]:
    access = Access(session, actor)
    case = load_case(access, ACTIONS[transition], case_id, lock=True)
    return access, case, next_status(case.status, transition)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < 2:
        raise ValidationError("reason_required", "请填写理由", "please give the reason",
                              field="reason")
    return text


def _notify(session: Session, case: Case, template: str, essential: bool = True,
            **params) -> None:
    notices.notify(session, person_code=case.person_code, template=template, case_id=case.id,
                   params={"service": case.service_code, "status": case.status, **params},
                   essential=essential)


def _finish(access: Access, case: Case) -> CaseOut:
    access.session.flush()
    return case_out(access, case, service_of(case.service_code))


def accept(session: Session, actor: Actor, case_id: int) -> CaseOut:
    """受理: the clock starts; one approval opens per department of each step."""
    access, case, target = _begin(session, actor, case_id, Transition.ACCEPT)
    service = service_of(case.service_code)
    case.status, case.accepted_on = target.value, clock.today()
    case.due_date, case.due_provisional = deadlines.due(
        calendars.current(session), case.accepted_on, service.time_limit_working_days, 0)
    for step in service.steps:
        for department in step.departments:
            session.add(CaseApproval(case_id=case.id, step=step.name, department=department))
    _event(access, case, P.CASE_ACCEPT, Transition.ACCEPT.value,
           due_date=case.due_date.isoformat(), provisional=case.due_provisional or None)
    _notify(session, case, "case_accepted", due_date=case.due_date.isoformat(),
            provisional=case.due_provisional)
    return _finish(access, case)


def not_accept(session: Session, actor: Actor, case_id: int, reason: str) -> CaseOut:
    """不予受理, with the reason the applicant is told."""
    reason = _reason(reason)
    access, case, target = _begin(session, actor, case_id, Transition.NOT_ACCEPT)
    case.status, case.decision_reason, case.decided_at = target.value, reason, utcnow()
    _event(access, case, P.CASE_NOT_ACCEPT, Transition.NOT_ACCEPT.value, reason=reason)
    _notify(session, case, "case_not_accepted", reason=reason)
    return _finish(access, case)


def start(session: Session, actor: Actor, case_id: int) -> CaseOut:
    access, case, target = _begin(session, actor, case_id, Transition.START)
    case.status = target.value
    _event(access, case, P.CASE_START, Transition.START.value)
    return _finish(access, case)


def request_supplement(session: Session, actor: Actor, case_id: int, reason: str) -> CaseOut:
    """补正: the clock stops from tomorrow until the applicant answers."""
    reason = _reason(reason)
    access, case, target = _begin(session, actor, case_id, Transition.REQUEST_SUPPLEMENT)
    case.status, case.paused_since = target.value, clock.today()
    _event(access, case, P.CASE_REQUEST_SUPPLEMENT, Transition.REQUEST_SUPPLEMENT.value,
           reason=reason)
    _notify(session, case, "supplement_requested", reason=reason)
    return _finish(access, case)


def supply(session: Session, actor: Actor, case_id: int, form: dict,
           note: str | None = None) -> CaseOut:
    """The applicant (or the clerk at a window) answers: the pause is counted in working days
    and the due date moves later by as many."""
    access, case, target = _begin(session, actor, case_id, Transition.SUPPLY)
    service = service_of(case.service_code)
    changed = check_form(service, form, partial=True)
    calendar = calendars.current(session)
    paused, _ = deadlines.paused_between(calendar, case.paused_since or clock.today(),
                                         clock.today())
    case.form = {**(case.form or {}), **changed}
    case.status, case.paused_since = target.value, None
    case.paused_working_days = (case.paused_working_days or 0) + paused
    case.due_date, case.due_provisional = deadlines.due(
        calendar, case.accepted_on, service.time_limit_working_days, case.paused_working_days)
    _event(access, case, P.CASE_SUPPLY, Transition.SUPPLY.value, fields=sorted(changed) or None,
           note=(note or "").strip()[:500] or None, paused_working_days=paused)
    notices.notify_officers(session, department=case.department, division_code=case.division_code,
                            role=Role.DEPT_OFFICER.value, template="officer_case_supplied",
                            case_id=case.id, params={"service": case.service_code})
    return _finish(access, case)


def _acting_department(access: Access, case: Case) -> str | None:
    """The department whose approval the actor gives: their own; a provider acts for the
    department that assigned it the case."""
    own = department_code(access.actor.department)
    return case.department if own and own == case.provider_code else own


def decide(session: Session, actor: Actor, case_id: int, decision: str,
           reason: str | None = None) -> CaseOut:
    """A department's decision. Rejected (with reason): the case is rejected. Approved: the
    department's approval of the current step; the case is approved when every department of
    the last step has approved."""
    if decision not in ("approved", "rejected"):
        raise ValidationError("decision_unknown", "决定只能是准予或不予批准",
                              "the decision is approved or rejected", field="decision")
    transition = Transition.DECIDE_APPROVE if decision == "approved" else \
        Transition.DECIDE_REJECT
    if transition is Transition.DECIDE_REJECT:
        reason = _reason(reason)
    access, case, target = _begin(session, actor, case_id, transition)
    department = _acting_department(access, case)
    approvals = list(session.execute(select(CaseApproval).where(
        CaseApproval.case_id == case.id).order_by(CaseApproval.id)).scalars())
    steps = [s.name for s in service_of(case.service_code).steps]
    pending = [a for a in approvals if a.status == "pending"]
    current = min((steps.index(a.step) if a.step in steps else len(steps) for a in pending),
                  default=None)
    mine = next((a for a in pending if a.department == department and (
        steps.index(a.step) if a.step in steps else len(steps)) == current), None)
    if mine is None and pending:
        raise Conflict("approval_not_due", "本部门在当前环节没有待办的审批",
                       "your department has no approval due at this step", field="decision")
    final = transition is Transition.DECIDE_REJECT or not [a for a in pending if a is not mine]
    # the outcome first, before the case changes: a registry refusal refuses the decision whole
    done = outcomes.carry_out(session, actor, service_of(case.service_code), case.person_code) \
        if final and transition is Transition.DECIDE_APPROVE else {}
    now = utcnow()
    if mine is not None:
        mine.status, mine.decided_by, mine.decided_at = decision, actor.username, now
        mine.reason = (reason or "").strip() or None
    if final:
        case.status, case.decided_at = target.value, now
        case.decision_reason = (reason or "").strip() or None
        case.paused_since = None
        _event(access, case, P.CASE_DECIDE, transition.value, reason=case.decision_reason,
               step=mine.step if mine else None, **done)
        _notify(session, case, "case_approved" if decision == "approved" else "case_rejected",
                reason=case.decision_reason)
    else:  # a parallel approval given; the others are still due
        if case.status == CaseStatus.ACCEPTED:
            case.status = CaseStatus.IN_PROGRESS.value
        _event(access, case, P.CASE_DECIDE, "approve_step", step=mine.step,
               approval_department=department)
    return _finish(access, case)


def withdraw(session: Session, actor: Actor, case_id: int, reason: str | None = None) -> CaseOut:
    access, case, target = _begin(session, actor, case_id, Transition.WITHDRAW)
    case.status, case.decided_at, case.paused_since = target.value, utcnow(), None
    _event(access, case, P.CASE_WITHDRAW, Transition.WITHDRAW.value,
           reason=(reason or "").strip()[:500] or None)
    notices.notify_officers(session, department=case.department, division_code=case.division_code,
                            role=Role.DEPT_OFFICER.value, template="officer_case_withdrawn",
                            case_id=case.id, params={"service": case.service_code})
    return _finish(access, case)


def transfer(session: Session, actor: Actor, case_id: int, department: str,
             reason: str | None = None) -> CaseOut:
    """转办: another department handles the case from now on (its state and clock go on); the
    pending approvals of the department it leaves pass to the one it goes to."""
    target_department = department_code(department)
    if target_department not in departments():
        raise ValidationError("department_unknown", "没有这个部门", "no such department",
                              field="department")
    access, case, _ = _begin(session, actor, case_id, Transition.TRANSFER)
    source = case.department
    if target_department == source:
        raise Conflict("transfer_same_department", "办件已由该部门办理",
                       "the case is with that department already", field="department")
    approvals = session.execute(select(CaseApproval).where(
        CaseApproval.case_id == case.id)).scalars().all()
    taken = {(a.step, a.department) for a in approvals}
    for approval in approvals:
        if approval.department == source and approval.status == "pending":
            if (approval.step, target_department) in taken:
                session.delete(approval)
            else:
                approval.department = target_department
    case.department = target_department
    _event(access, case, P.CASE_TRANSFER, Transition.TRANSFER.value, from_department=source,
           to_department=target_department, reason=(reason or "").strip()[:500] or None)
    notices.notify_officers(session, department=target_department,
                            division_code=case.division_code, role=Role.DEPT_OFFICER.value,
                            template="officer_case_transferred", case_id=case.id,
                            params={"service": case.service_code, "from": source})
    session.flush()
    return case_out(access, case, service_of(case.service_code))


# --- reading -------------------------------------------------------------------------------
def read_case(session: Session, actor: Actor, case_id: int) -> CaseOut:
    access = Access(session, actor)
    case = load_case(access, P.CASE_READ, case_id)
    access.touch(P.CASE_READ, person_code=case.person_code, kind="case", object_id=str(case.id),
                 what="办件", purpose=purpose_of(actor, case.person_code),
                 division_code=case.division_code,
                 department=case_departments(session, case))
    return case_out(access, case, service_of(case.service_code))


def applicant_name(actor: Actor, person_code: str, name: str | None) -> str | None:
    """The applicant's own name to themselves; masked to anyone else."""
    if name is None:
        return None
    return name if actor.person_code == person_code else mask_name(name)


def case_out(access: Access, case: Case, service: Service) -> CaseOut:
    """The case as the API and the pages show it: its clock today, evidence, approvals and
    timeline. The caller has checked the reach and recorded the touch."""
    session = access.session
    clock_now = deadlines.clock_of(
        calendars.current(session), status=case.status, accepted_on=case.accepted_on,
        limit=service.time_limit_working_days, paused=case.paused_working_days or 0,
        paused_since=case.paused_since, today=clock.today())
    names = reads.person_names(session, [case.person_code])
    items = session.execute(select(CaseEvidence).where(CaseEvidence.case_id == case.id)
                            .order_by(CaseEvidence.id)).scalars()
    approvals = session.execute(select(CaseApproval).where(CaseApproval.case_id == case.id)
                                .order_by(CaseApproval.id)).scalars()
    events = session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.id)).scalars()
    return CaseOut(
        case_id=case.id, service_code=case.service_code, person_code=case.person_code,
        applicant_name=applicant_name(access.actor, case.person_code,
                                      names.get(case.person_code)),
        department=case.department, provider_code=case.provider_code,
        division_code=case.division_code, status=case.status, channel=case.channel,
        submitted_at=case.submitted_at, accepted_on=case.accepted_on,
        due_date=clock_now.due_date, working_days_left=clock_now.working_days_left,
        paused_working_days=clock_now.paused_working_days, warning=clock_now.warning.value,
        provisional_calendar=clock_now.provisional, decision_reason=case.decision_reason,
        form=case.form or {},
        evidence=[EvidenceOut(item=e.item, source=e.source, obtained_on=e.obtained_on,
                              supplied_by_applicant=e.supplied_by_applicant) for e in items],
        approvals=[ApprovalOut(step=a.step, department=a.department, status=a.status,
                               decided_at=a.decided_at) for a in approvals],
        history=[HistoryOut(at=e.at, action=e.action, status=e.status, by_role=e.by_role,
                            department=e.department, detail=e.detail) for e in events])
