"""The facts a points scheme's or an eligibility rule's expressions may read: each with its type,
where its value comes from (the registry, a department's data through the exchange hub, or an
item recorded from an upload or a department's letter) and how people name it.

`person_facts` turns what the registry and the hub say about one person into the facts as of a
date — age on that date, continuous residence up to it, evidence obtained by then — so a result
asked for a past date reads the past, and a scheme change can be compared on the same facts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Fact:
    name: str
    type: str  # int | bool | string
    source: str  # registry | exchange:<department> | gongan | upload
    item: str  # the evidence item shown next to it
    zh: str
    en: str
    default: Any


FACTS: dict[str, Fact] = {f.name: f for f in (
    Fact("age", "int", "registry", "identity", "年龄（周岁）", "Age (full years)", 0),
    Fact("residence_years", "int", "registry", "residence",
         "连续居住年限", "Years of continuous residence", 0),
    Fact("residence_months", "int", "registry", "residence",
         "连续居住月数", "Months of continuous residence", 0),
    Fact("has_permit", "bool", "registry", "permit",
         "持有有效居住证", "Holds a valid residence permit", False),
    Fact("permit_days_left", "int", "registry", "permit",
         "居住证剩余有效天数", "Days left on the residence permit", 0),
    Fact("employed", "bool", "exchange:renshe", "employment", "就业登记", "Employment record", False),
    Fact("insured", "bool", "exchange:yibao", "insurance", "参加社会保险", "Insured", False),
    Fact("assistance", "bool", "exchange:minzheng", "assistance",
         "低保或特困救助", "Minimum-living or extreme-poverty assistance", False),
    Fact("wage_arrears", "bool", "exchange:renshe", "wage_arrears",
         "用人单位欠薪记录", "Employer's unpaid-wage record", False),
    Fact("insurance_years", "int", "exchange:renshe", "insurance_years",
         "社会保险缴费年限", "Years of social-insurance contributions", 0),
    Fact("education", "string", "upload", "education", "学历", "Education", "none"),
    Fact("skill_certificate", "string", "exchange:renshe", "skill_certificate",
         "职业资格证书", "Vocational qualification", "none"),
    Fact("volunteer_hours", "int", "upload", "volunteering",
         "志愿服务时长（小时）", "Volunteering (hours)", 0),
    Fact("administrative_penalties", "int", "gongan", "penalties",
         "行政拘留次数", "Administrative detentions", 0),
    Fact("falsified_documents", "bool", "gongan", "falsified_documents",
         "提供虚假材料", "Falsified documents", False),
)}
TYPES = {name: fact.type for name, fact in FACTS.items()}
# Facts recorded one by one (an upload checked by an officer, a department's letter), not read
# from the registry or the golden record.
RECORDED = ("insurance_years", "education", "skill_certificate", "volunteer_hours",
            "administrative_penalties", "falsified_documents", "wage_arrears")
# The golden record's status fields that make a boolean fact true.
GOLDEN = {"employed": "employer", "insured": "insurance", "assistance": "civil_affairs",
          "wage_arrears": "wage_arrears"}


@dataclass(frozen=True)
class Evidence:
    """Where one fact's value came from."""

    item: str
    source: str
    obtained_on: date | None


def full_years(start: date, on: date) -> int:
    years = on.year - start.year - ((on.month, on.day) < (start.month, start.day))
    return max(years, 0)


def full_months(start: date, on: date) -> int:
    months = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
    return max(months, 0)


def continuous_since(spells, on: date) -> date | None:
    """The start of the chain of back-to-back approved spells that covers `on` (a move between
    rooms keeps residence continuous), or None when the person does not live here on `on`."""
    chain_start: date | None = None
    chain_end: date | None = None  # None while the chain is open
    for start, end in sorted(spells, key=lambda s: s[0]):
        if start > on:
            break
        if chain_start is not None and (chain_end is None
                                        or start <= chain_end + timedelta(days=1)):
            chain_end = None if chain_end is None or end is None else max(chain_end, end)
        else:
            chain_start, chain_end = start, end
    if chain_start is None or (chain_end is not None and chain_end < on):
        return None
    return chain_start


def person_facts(on: date, residence, golden: dict, recorded: list
                 ) -> tuple[dict[str, Any], dict[str, Evidence], date | None]:
    """(facts, the evidence of each fact that was found, continuous residence start) of one
    person on `on`. `residence` is the registry's ResidenceFacts (or None), `golden` the
    department values of the hub, `recorded` (fact, value, source, obtained_on) rows."""
    facts = {name: fact.default for name, fact in FACTS.items()}
    evidence: dict[str, Evidence] = {}
    since = None
    if residence is not None:
        facts["age"] = full_years(residence.birth_date, on)
        evidence["age"] = Evidence("identity", "registry", residence.birth_date)
        since = continuous_since(residence.spells, on)
        if since is not None:
            facts["residence_years"] = full_years(since, on)
            facts["residence_months"] = full_months(since, on)
            evidence["residence_years"] = evidence["residence_months"] = Evidence(
                "residence", "registry", since)
        until = residence.permit_valid_until
        if until is not None and until >= on:
            facts["has_permit"] = True
            facts["permit_days_left"] = (until - on).days
            evidence["has_permit"] = evidence["permit_days_left"] = Evidence(
                "permit", "registry", until)
    for name, field in GOLDEN.items():
        value = golden.get(field)
        if value is not None and value.value and (value.as_of is None or value.as_of <= on):
            facts[name] = True
            evidence[name] = Evidence(FACTS[name].item, f"exchange:{value.department}",
                                      value.as_of)
    # recorded items: the latest obtained by `on` wins
    for name, value, source, obtained_on in sorted(recorded, key=lambda r: (r[3], r[0])):
        if name in FACTS and obtained_on <= on:
            facts[name] = value
            evidence[name] = Evidence(FACTS[name].item, source, obtained_on)
    return facts, evidence, since
