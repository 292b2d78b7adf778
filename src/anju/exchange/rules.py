"""Pure exchange logic: survivorship (which department's value wins, field by field), conflict
detection, and the match decision for one incoming record. No I/O.

Survivorship: for each golden-record field, the departments that are authoritative for it are
tried in order; among the values of equal authority the most recent wins (`as_of`, the date the
department's extract was taken), then the smaller source record id (so the result never depends
on input order). A department that is not authoritative still fills a field nobody authoritative
knows. Every chosen value keeps its provenance: department, source record, date.

Conflicts: after normalisation (`comparable`), a department whose value differs from the
surviving value gets a conflict row for that field; it is the department that should correct it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ReviewDecision(StrEnum):
    MATCH = "match"
    NON_MATCH = "non_match"


class Dataset(StrEnum):
    SERVED = "served"  # persons the department's records describe
    ALL = "all"  # every person in the jurisdiction


# How people write each value (the Chinese label first); read by `anju.core.inputs.choice`.
DECISION_WORDS = {ReviewDecision.MATCH: ("是同一人", "同一人", "Same person"),
                  ReviewDecision.NON_MATCH: ("不是同一人", "Not the same person")}
DATASET_WORDS = {Dataset.SERVED: ("服务对象", "Served persons"),
                 Dataset.ALL: ("辖区全部人员", "全部", "Everyone in the jurisdiction")}

# field → authoritative departments, most authoritative first (connector codes).
AUTHORITY: dict[str, tuple[str, ...]] = {
    "name": ("gongan",),
    "id_number": ("gongan",),
    "sex": ("gongan",),
    "birth_date": ("gongan",),
    "hukou_address": ("gongan",),
    "employer": ("renshe", "shichang"),
    "current_address": ("zhujian", "gongan"),
    "phone": (),  # nobody owns a phone number: the most recent wins
    "insurance": ("yibao",),
    "civil_affairs": ("minzheng",),
    "school": ("jiaoyu",),
}
GOLDEN_FIELDS = tuple(AUTHORITY)
# Fields that exist only because a department holds a record on the person: the department's
# record itself is the evidence (an insured person, a person receiving assistance, a pupil).
STATUS_FROM_DEPARTMENT = {"insurance": ("yibao", "insured"),
                          "civil_affairs": ("minzheng", "assistance"),
                          "school": ("jiaoyu", "enrolled")}
# Only these fields can disagree in a way a department should correct (status fields cannot).
CONFLICT_FIELDS = ("name", "id_number", "sex", "birth_date", "hukou_address", "current_address",
                   "employer", "phone")


@dataclass(frozen=True)
class SourceValues:
    """One department record's standardised values, as survivorship sees it."""

    source_id: int
    department: str
    as_of: date
    values: dict  # standard field → value (None when the department left it empty)
    id_valid: bool = True
    # Division codes of the addresses, used to compare them after normalisation.
    hukou_division_code: str | None = None
    current_division_code: str | None = None


@dataclass(frozen=True)
class Chosen:
    value: object
    department: str
    source_id: int
    as_of: date

    def provenance(self) -> dict:
        return {"department": self.department, "source_record": self.source_id,
                "as_of": self.as_of.isoformat()}


def _values(record: SourceValues) -> dict:
    values = dict(record.values)
    for field, (department, status) in STATUS_FROM_DEPARTMENT.items():
        values[field] = status if record.department == department else None
    return values


def _rank(field: str, record: SourceValues) -> tuple:
    authority = AUTHORITY[field]
    place = authority.index(record.department) if record.department in authority else len(authority)
    # a checksum-flagged ID number is kept for linkage, but never beats a valid one
    invalid = field == "id_number" and not record.id_valid
    return (invalid, place, -record.as_of.toordinal(), record.source_id)


def survive(records: list[SourceValues]) -> dict[str, Chosen]:
    """The golden value of each field that any record knows, with its provenance."""
    chosen: dict[str, Chosen] = {}
    expanded = [(r, _values(r)) for r in records]
    for field in GOLDEN_FIELDS:
        candidates = [(r, v[field]) for r, v in expanded if v.get(field) not in (None, "")]
        if not candidates:
            continue
        record, value = min(candidates, key=lambda rv: _rank(field, rv[0]))
        chosen[field] = Chosen(value, record.department, record.source_id, record.as_of)
    return chosen


_SPACES = re.compile(r"[\s　()（）·•.,，]")


def comparable(field: str, value, record: SourceValues | None = None):
    """The normalised form two values are compared in (None: not comparable)."""
    if value in (None, ""):
        return None
    if field == "hukou_address" and record is not None:
        return _county_or_township(record.hukou_division_code)
    if field == "current_address" and record is not None:
        return _county_or_township(record.current_division_code)
    if isinstance(value, str):
        return _SPACES.sub("", value).upper()
    return value


def _county_or_township(code: str | None) -> str | None:
    # Address text differs in every department's style; the resolved division does not.
    # A county-level code (township digits zero) only says the county.
    if not code:
        return None
    return code[:6] if code[6:9] == "000" else code[:9]


def _addresses_agree(a: str, b: str) -> bool:
    # a county-only address does not contradict a township in that county
    return a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class ConflictFinding:
    field: str
    department: str  # who should correct their record
    source_id: int
    authority_department: str
    authority_source_id: int


def conflicts(records: list[SourceValues], chosen: dict[str, Chosen]) -> list[ConflictFinding]:
    """Each (field, record) whose normalised value disagrees with the surviving one."""
    by_id = {r.source_id: r for r in records}
    found = []
    for field in CONFLICT_FIELDS:
        winner = chosen.get(field)
        if winner is None:
            continue
        want = comparable(field, winner.value, by_id.get(winner.source_id))
        if want is None:
            continue
        for record in records:
            if record.source_id == winner.source_id:
                continue
            got = comparable(field, record.values.get(field), record)
            if got is None or got == want:
                continue
            if field.endswith("address") and _addresses_agree(got, want):
                continue
            found.append(ConflictFinding(field, record.department, record.source_id,
                                         winner.department, winner.source_id))
    return found


# --- the match decision for one incoming record ----------------------------------------------
@dataclass(frozen=True)
class MatchDecision:
    kind: str  # "match" (link to candidate), "review" (new identity + review pair), "new"
    candidate: int | None = None
    weight: float | None = None


def decide(scored: list[tuple[int, float, bool]], threshold: float,
           review_band: float) -> MatchDecision:
    """From the matcher's (candidate, weight, accepted) best first: link, review, or new."""
    for candidate, weight, accepted in scored:
        if accepted:
            return MatchDecision("match", candidate, weight)
    for candidate, weight, _ in scored:
        if threshold - review_band <= weight < threshold:
            return MatchDecision("review", candidate, weight)
        break  # best first: nothing further is in the band
    return MatchDecision("new")
