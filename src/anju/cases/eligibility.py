"""Proactive eligibility (主动推送): rules per service in the points' expression language
(`cases/data/eligibility.toml`), run nightly over everyone. The run builds a facts snapshot
(one row per person, from the registry and the exchange hub), compiles each rule to one SQL
condition over it — no row-by-row Python — and tells each eligible person who has not applied,
once, why they may apply: a non-essential notice in their inbox that follows the daily-digest
and opt-out rules. It counts per service the eligible, the notified and later applications:
the policy-awareness KPI (政策知晓率) and the notice → application rate."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import and_, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import (
    Case,
    EligibilityFacts,
    EligibilityNotice,
    EligibilityRun,
    NoticePreference,
    Notification,
)
from anju.cases.points.expr import Rule, RuleError, compile_rule, to_sql
from anju.cases.points.facts import FACTS, TYPES
from anju.core import audit, clock
from anju.core.access import Access
from anju.core.db import Database
from anju.core.errors import ValidationError
from anju.core.identity import SYSTEM
from anju.core.policy import Actor

RULES_FILE = Path(__file__).resolve().parent / "data" / "eligibility.toml"
BATCH = 5000


@dataclass(frozen=True)
class EligibilityRule:
    service: str
    rule: Rule
    why_zh: str
    why_en: str


def parse(text: str) -> tuple[EligibilityRule, ...]:
    """The rules, checked whole (a bad one refuses the file, naming its service)."""
    out = []
    for n, entry in enumerate(tomllib.loads(text).get("rule") or [], 1):
        service = str(entry.get("service") or f"#{n}")
        try:
            rule = compile_rule(str(entry.get("rule") or ""), TYPES)
        except RuleError as error:
            raise ValidationError("eligibility_rule_invalid", f"服务 {service} 的条件：{error.reason_zh}",
                                  f"the rule of {service}: {error.reason_en}",
                                  field=f"rule.{service}") from None
        out.append(EligibilityRule(service, rule, entry.get("why_zh", ""), entry.get("why_en", "")))
    return tuple(out)


@functools.cache
def rules() -> tuple[EligibilityRule, ...]:
    return parse(RULES_FILE.read_text(encoding="utf-8"))


def columns() -> dict:
    return {name: getattr(EligibilityFacts, name) for name in FACTS}


# --- the snapshot -------------------------------------------------------------------------------
def build_snapshot(session: Session, on: date, person_codes: list[str] | None = None,
                   actor: Actor | None = None) -> int:
    """Rebuild the facts snapshot for `on` (internal: the run's actor was checked)."""
    from anju.cases.points.service import gather
    from anju.registry import reads as registry

    session.execute(delete(EligibilityFacts))
    codes = person_codes if person_codes is not None else registry.all_person_codes(session)
    written = 0
    for i in range(0, len(codes), BATCH):
        chunk = codes[i:i + BATCH]
        facts = gather(session, chunk, on, actor or SYSTEM)
        places = registry.residence_facts(session, chunk)
        rows = [{"person_code": code, "division_code": places[code].division_code,
                 "built_on": on, **facts[code][0]} for code in chunk if code in places]
        if rows:
            session.execute(insert(EligibilityFacts), rows)
            written += len(rows)
    return written


# --- the rules, as SQL and in Python -----------------------------------------------------------
def eligible_sql(session: Session, rule: EligibilityRule) -> set[str]:
    return set(session.execute(select(EligibilityFacts.person_code)
                               .where(to_sql(rule.rule, columns()))).scalars())


def eligible_python(session: Session, rule: EligibilityRule) -> set[str]:
    """The same rule evaluated person by person (the check that the SQL compilation agrees)."""
    out = set()
    for row in session.execute(select(EligibilityFacts)).scalars():
        facts = {name: getattr(row, name) for name in FACTS}
        if rule.rule.evaluate(facts, TYPES) is True:
            out.add(row.person_code)
    return out


def _applied(service: str):
    return exists().where(Case.person_code == EligibilityFacts.person_code,
                          Case.service_code == service)


def _notified(service: str):
    return exists().where(EligibilityNotice.person_code == EligibilityFacts.person_code,
                          EligibilityNotice.service_code == service)


def evaluate(session: Session, actor: Actor, on: date | None = None, *, dry_run: bool = False,
             rebuild: bool = True) -> dict[str, dict]:
    """Run every rule over the snapshot; unless `dry_run`, notify each eligible person who has
    neither applied nor been told before. Answers counts per service."""
    access = Access(session, actor)
    access.allow(P.ELIGIBILITY_RUN)
    on = on or clock.today()
    if rebuild:
        build_snapshot(session, on, actor=actor)
    opted_out = select(NoticePreference.person_code).where(
        NoticePreference.non_essential.is_(False))
    counts: dict[str, dict] = {}
    for rule in rules():
        condition = to_sql(rule.rule, columns())
        eligible = session.execute(select(func.count()).where(condition)
                                   .select_from(EligibilityFacts)).scalar_one()
        applied = session.execute(select(func.count()).select_from(EligibilityFacts).where(
            condition, _applied(rule.service))).scalar_one()
        reads = sorted(rule.rule.reads)  # each notice names the person's own facts
        pending = select(EligibilityFacts.person_code, *(columns()[f] for f in reads)).where(
            condition, ~_applied(rule.service), ~_notified(rule.service))
        if dry_run:
            new = session.execute(select(func.count()).select_from(pending.subquery())).scalar_one()
        else:
            new = _notify(access, rule, on, pending, opted_out)
        told = session.execute(select(func.count()).select_from(EligibilityFacts).where(
            condition, _notified(rule.service))).scalar_one()
        counts[rule.service] = {"eligible": eligible, "applied": applied, "notified_now": new,
                                "notified": told if not dry_run else told + new}
    if not dry_run:
        session.add(EligibilityRun(run_on=on, counts=counts))
    return counts


def _notify(access: Access, rule: EligibilityRule, on: date, pending, opted_out) -> int:
    session, sent = access.session, 0
    out_set = set(session.execute(opted_out).scalars())
    rows = session.execute(pending).all()
    reads = sorted(rule.rule.reads)
    base = {"service": rule.service, "why_zh": rule.why_zh, "why_en": rule.why_en}
    for i in range(0, len(rows), BATCH):
        part = rows[i:i + BATCH]
        chunk = [row[0] for row in part]
        facts = {row[0]: dict(zip(reads, row[1:], strict=True)) for row in part}
        # non-essential: waits for the daily digest, or stays in the inbox only when the person
        # switched such notices off; written in bulk (a first night may tell many)
        made = session.execute(insert(Notification).returning(
            Notification.id, Notification.person_code, sort_by_parameter_order=True), [
            {"person_code": code, "template": "eligible", "params": {**base, "facts": facts[code]},
             "essential": False,
             "delivery": "off" if code in out_set else "digest"} for code in chunk]).all()
        session.execute(insert(EligibilityNotice), [
            {"person_code": code, "service_code": rule.service, "sent_on": on,
             "notification_id": notice_id, "reasons": [rule.rule.source, facts[code]]}
            for notice_id, code in made])
        access.record(*(audit.AuditEvent(P.ELIGIBILITY_RUN, P.PROACTIVE, code, "eligibility",
                                         rule.service, {"service": rule.service})
                        for code in chunk))
        sent += len(chunk)
    return sent


def nightly(db: Database, actor: Actor, today: date | None = None) -> dict:
    """The scheduled job (`cases.eligibility`)."""
    with db.unit_of_work() as session:
        counts = evaluate(session, actor, today)
    return {"services": len(counts), "notified": sum(c["notified_now"] for c in counts.values())}


# --- the KPI -------------------------------------------------------------------------------------
def awareness(session: Session, actor: Actor) -> list[dict]:
    """Per service: eligible people in the latest snapshot within the actor's jurisdiction, the
    share notified (政策知晓率), and the share of notices followed by an application."""
    access = Access(session, actor)
    where = access.restrict(P.ELIGIBILITY_STATS, division_col=EligibilityFacts.division_code)
    out = []
    for rule in rules():
        condition = and_(to_sql(rule.rule, columns()), where)
        eligible = session.execute(select(func.count()).select_from(EligibilityFacts)
                                   .where(condition)).scalar_one()
        told = session.execute(select(func.count()).select_from(EligibilityFacts)
                               .where(condition, _notified(rule.service))).scalar_one()
        notices = select(EligibilityNotice).join(
            EligibilityFacts, EligibilityFacts.person_code == EligibilityNotice.person_code
        ).where(EligibilityNotice.service_code == rule.service, where).subquery()
        sent = session.execute(select(func.count()).select_from(notices)).scalar_one()
        followed = session.execute(select(func.count()).select_from(notices).where(exists().where(
            Case.person_code == notices.c.person_code, Case.service_code == rule.service,
            func.date(Case.submitted_at) >= notices.c.sent_on))).scalar_one()
        out.append({"service": rule.service, "eligible": eligible, "notified": told,
                    "awareness": round(told / eligible, 4) if eligible else None,
                    "notices": sent, "applied_after_notice": followed,
                    "notice_to_application": round(followed / sent, 4) if sent else None})
    return out


def counts_by_division(session: Session) -> list[tuple[str, str, int, int]]:
    """(division, service, eligible, notified) over the latest snapshot: the awareness KPI's
    counts per division, for the statistics export (counts only, no person)."""
    out = []
    for rule in rules():
        condition = to_sql(rule.rule, columns())
        division = EligibilityFacts.division_code
        eligible = dict(session.execute(select(division, func.count()).where(condition)
                                        .group_by(division)).all())
        told = dict(session.execute(select(division, func.count()).where(
            condition, _notified(rule.service)).group_by(division)).all())
        out += [(code, rule.service, n, told.get(code, 0)) for code, n in sorted(eligible.items())]
    return out
