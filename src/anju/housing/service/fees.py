"""The lock service fee: the civil-affairs exemption list (低保/特困, kept as keyed hashes), the
monthly statements, the fee history of a tenant or a landlord's tenants, and payments."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from anju.core import clock, idnumber
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.errors import AnjuError, Conflict, RowError, ValidationError
from anju.core.policy import Actor
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.models import FeeExemption, FeePayment, FeeStatement
from anju.housing.schemas import BillReport, ImportReport, PaymentOut, StatementOut
from anju.housing.service.common import (
    FEE_PURPOSE,
    chunks,
    reaches_person,
    shown_name,
    where_shown,
)
from anju.housing.service.county import county_policy
from anju.registry import reads

LISTED = 500  # statements per listing, newest month first


def import_exemptions(session: Session, actor: Actor, rows: Iterable[tuple[int, dict]],
                      source: str) -> ImportReport:
    """Civil-affairs list of 低保/特困 persons (ID number + category), each row with its 1-based
    number in the file's data (the header not counted). Bad rows are reported by that number and
    skipped; a re-import of the same list changes nothing. Stores only the keyed hash."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "减免名单")
    cipher = id_cipher()
    report = ImportReport(rows=0, added=0, changed=0, unchanged=0, errors=[])
    seen: dict[str, int] = {}
    for row_number, row in rows:
        report.rows += 1
        field = "id_number"
        try:
            number = idnumber.parse_id_number(row.get("id_number") or "", today=clock.today()).number
            field = "category"
            category = rules.exemption_category(row.get("category") or "")
        except AnjuError as error:
            report.errors.append(RowError(row_number, error.code, error.message_zh,
                                          error.message_en, error.field or field, source))
            continue
        digest = cipher.lookup_hash(number)
        if digest in seen:
            report.errors.append(RowError(
                row_number, "row_repeated", f"与第 {seen[digest]} 行重复",
                f"repeats row {seen[digest]}", "id_number", source))
            continue
        seen[digest] = row_number
        existing = session.get(FeeExemption, digest)
        if existing is None:
            session.add(FeeExemption(id_hash=digest, category=category.value, source=source))
            report.added += 1
        elif existing.category != category.value:
            existing.category, existing.source = category.value, source
            report.changed += 1
        else:
            report.unchanged += 1
    session.flush()
    access.record(AuditEvent(P.FEE_EXEMPTIONS_IMPORT, P.LOCK_SERVICE_FEE, None, "fee_exemptions",
                             source, report.model_dump(include={"rows", "added", "changed",
                                                                "unchanged"})))
    return report


def _exempt_persons(session: Session) -> dict[str, str]:
    """Person code → exemption category, for the listed persons the registry knows (the list is
    a county's 低保/特困 persons: small)."""
    listed = dict(session.execute(select(FeeExemption.id_hash, FeeExemption.category)).all())
    return {code: listed[digest]
            for digest, code in reads.person_codes_by_id_hash(session, listed).items()}


def generate_statements(session: Session, actor: Actor, month: str) -> BillReport:
    """Monthly statements for every tenancy covering at least half the month; persons on the
    civil-affairs list are exempt. Re-running a month adds only what is missing."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "月度账单")
    first, last = rules.parse_month(month)
    label = first.strftime("%Y-%m")
    fee = county_policy(session).monthly_fee_fen
    if fee is None:
        raise Conflict("fee_not_set", "县级服务费标准尚未设定，请先设定每月服务费标准",
                       "the county's monthly fee is not set yet; set it first")
    exempt = _exempt_persons(session)
    billed = set(session.execute(select(FeeStatement.registration_id)
                                 .where(FeeStatement.month == label)).scalars())
    report = BillReport(month=label, created=0, exempt=0, already=0, newly_exempted=0)
    events = []
    for reg in reads.tenancies_covering(session, first, last):
        if not rules.billable(reg.start_date, reg.end_date, first, last):
            continue
        if reg.id in billed:
            report.already += 1
            continue
        category = exempt.get(reg.person_code)
        statement = FeeStatement(
            registration_id=reg.id, month=label, person_code=reg.person_code, room_id=reg.room_id,
            division_code=reg.division_code, landlord_person_code=reg.landlord_person_code,
            fee_fen=fee, amount_fen=0 if category else fee, exemption=category,
            status="exempt" if category else "due")
        session.add(statement)
        report.created += 1
        report.exempt += bool(category)
        events.append(AuditEvent(P.FEE_STATEMENT, FEE_PURPOSE, reg.person_code, "fee_statement",
                                 f"{reg.id}/{label}", {"exemption": category}))
    # Someone listed after their statement was made: an unpaid statement becomes exempt.
    for chunk in chunks(exempt):
        late = session.execute(select(FeeStatement).where(
            FeeStatement.month == label, FeeStatement.status == "due",
            FeeStatement.person_code.in_(chunk),
            ~exists().where(FeePayment.statement_id == FeeStatement.id))
            .order_by(FeeStatement.id)).scalars().all()
        for statement in late:
            category = exempt[statement.person_code]
            statement.amount_fen, statement.exemption, statement.status = 0, category, "exempt"
            report.newly_exempted += 1
            events.append(AuditEvent(P.FEE_EXEMPT, FEE_PURPOSE, statement.person_code,
                                     "fee_statement", str(statement.id), {"exemption": category}))
    session.flush()
    access.record(*events)
    return report


def _statement_out(access: Access, statement: FeeStatement, payments: list[FeePayment],
                   address: str | None = None, room_label: str | None = None,
                   name: str | None = None) -> StatementOut:
    reason = rules.exemption_reason(statement.exemption)
    room_id, address, room_label = where_shown(access, statement.person_code, statement.room_id,
                                               address, room_label)
    return StatementOut(
        address=address, room_label=room_label,
        person_name=shown_name(access, statement.person_code, name),
        statement_id=statement.id, month=statement.month, person_code=statement.person_code,
        room_id=room_id, registration_id=statement.registration_id,
        fee_fen=statement.fee_fen, amount_fen=statement.amount_fen,
        paid_fen=sum(p.amount_fen for p in payments), status=statement.status,
        exemption=statement.exemption, exemption_reason_zh=reason[0] if reason else None,
        exemption_reason_en=reason[1] if reason else None,
        payments=[PaymentOut(amount_fen=p.amount_fen, reference=p.reference, method=p.method,
                             paid_at=p.paid_at) for p in payments])


def list_fees(session: Session, actor: Actor, person_code: str | None = None) -> list[StatementOut]:
    """Fee history: a tenant's own, or a landlord's tenants'; newest month first. Each statement
    of someone else is recorded as read."""
    access = Access(session, actor)
    where = [FeeStatement.person_code == person_code] if person_code else []
    statements = access.select(
        P.FEE_READ, select(FeeStatement).order_by(FeeStatement.month.desc(),
                                                  FeeStatement.id.desc()).limit(LISTED), *where)
    if person_code and not statements and not reaches_person(access, P.FEE_READ, person_code):
        raise access.refuse(P.FEE_READ, not_found("人员", "person", "person_code"),
                            person_codes=[person_code])
    payments: dict[int, list[FeePayment]] = {}
    if statements:
        for payment in session.execute(select(FeePayment).where(
                FeePayment.statement_id.in_([s.id for s in statements]))
                .order_by(FeePayment.id)).scalars():
            payments.setdefault(payment.statement_id, []).append(payment)
    places = reads.room_places(session, (s.room_id for s in statements))
    names = reads.person_names(session, (s.person_code for s in statements))
    out = []
    for statement in statements:
        place = places.get(statement.room_id)
        out.append(_statement_out(access, statement, payments.get(statement.id, []),
                                  place and place.address, place and place.label,
                                  names.get(statement.person_code)))
    return out


def record_payment(session: Session, actor: Actor, statement_id: int, amount_fen: int,
                   reference: str, method: str = "online") -> StatementOut:
    """A payment against a statement; the same payment reference is recorded once."""
    access = Access(session, actor)
    access.allow(P.FEE_PAY)
    statement = session.execute(select(FeeStatement).where(FeeStatement.id == statement_id)
                                .with_for_update()).scalar()
    if statement is None:
        raise access.refuse(P.FEE_PAY, not_found("账单", "statement", "statement_id"))
    access.check(P.FEE_PAY, "账单", person_codes=[statement.person_code])
    previous = session.execute(select(FeePayment).where(FeePayment.reference == reference)).scalar()
    if previous is not None:
        if previous.statement_id != statement.id or previous.amount_fen != amount_fen:
            raise Conflict("payment_reference_reused", "该支付流水号已用于另一笔付款",
                           "this payment reference was used for another payment",
                           field="reference")
    else:
        if statement.status != "due":
            raise Conflict("statement_not_due", "该账单无需付款", "nothing is due on this statement")
        paid = session.execute(select(func.coalesce(func.sum(FeePayment.amount_fen), 0)).where(
            FeePayment.statement_id == statement.id)).scalar_one()
        if amount_fen > statement.amount_fen - paid:
            raise ValidationError("payment_too_much", "付款金额超过应付金额",
                                  "the payment exceeds the amount due", field="amount_fen")
        session.add(FeePayment(statement_id=statement.id, amount_fen=amount_fen,
                               reference=reference, method=method, recorded_by=actor.username))
        if paid + amount_fen >= statement.amount_fen:
            statement.status = "paid"
        session.flush()
        access.record(AuditEvent(P.FEE_PAY, FEE_PURPOSE, statement.person_code, "fee_statement",
                                 str(statement.id), {"amount_fen": amount_fen}))
    payments = list(session.execute(select(FeePayment).where(
        FeePayment.statement_id == statement.id).order_by(FeePayment.id)).scalars())
    return _statement_out(access, statement, payments)
