"""The public-service catalogue: a county-owned data file (`data/catalogue.toml`, or the file a
setting names), read once and checked whole. Adding a service is an entry there, not code.

A catalogue that names an unknown department, evidence source or field, repeats a code, or
misses a word in either language is refused as a whole, naming the service and the problem —
a county never runs half a catalogue.
"""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SOURCES = {"registry", "exchange", "upload"}
REGISTRY_FIELDS = {"identity", "residence_spells", "permit", "hukou"}
EXCHANGE_FIELDS = {"employer", "insurance", "civil_affairs", "school"}
FORM_KINDS = {"text", "integer", "date", "choice"}
APPLICANT_ROLES = {"resident", "landlord"}
# What a final approval carries out, in the same transaction (anju.cases.service.outcomes)
OUTCOMES = {"registry.permit_issue", "registry.permit_endorse"}


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names the service and what is wrong."""


@dataclass(frozen=True)
class Words:
    zh: str
    en: str


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str
    label: Words
    required: bool = False
    choices: tuple[tuple[str, Words], ...] = ()


@dataclass(frozen=True)
class EvidenceItem:
    item: str
    label: Words
    source: str  # registry | exchange | upload
    field: str | None = None
    department: str | None = None  # for exchange: whose data

    @property
    def pulled(self) -> bool:
        return self.source != "upload"


@dataclass(frozen=True)
class Step:
    name: str
    departments: tuple[str, ...]  # more than one: they approve in parallel (并联审批)


@dataclass(frozen=True)
class Service:
    code: str
    name: Words
    department: str
    applicants: tuple[str, ...]
    time_limit_working_days: int
    steps: tuple[Step, ...]
    form: tuple[FormField, ...]
    evidence: tuple[EvidenceItem, ...]
    guide: dict[str, Words]  # materials, fees, where
    provider_kinds: tuple[str, ...] = ()  # kinds of service provider that may be assigned
    # a page the case is opened from (an appeal names what it appeals by picking it there),
    # instead of the general apply form
    apply_from: str | None = None
    outcome: str | None = None  # one of OUTCOMES: what the final approval does beyond the case

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for step in self.steps for d in step.departments))


def _words(entry: dict, key: str, where: str) -> Words:
    zh, en = entry.get(f"{key}_zh"), entry.get(f"{key}_en")
    if not zh or not en:
        raise CatalogueError(f"{where}: {key}_zh and {key}_en are both needed")
    return Words(zh, en)


def parse(text: str, departments: set[str]) -> dict[str, Service]:
    """The services of a catalogue file's text; `departments` are the codes the policy knows."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"the catalogue is not valid TOML: {error}") from None
    services: dict[str, Service] = {}
    for index, entry in enumerate(data.get("service", []), start=1):
        code = entry.get("code") or f"#{index}"
        where = f"service {code}"
        if code in services:
            raise CatalogueError(f"{where}: the code is used twice")
        department = entry.get("department")
        if department not in departments:
            raise CatalogueError(f"{where}: unknown department {department!r}")
        limit = entry.get("time_limit_working_days")
        if not isinstance(limit, int) or not 1 <= limit <= 120:
            raise CatalogueError(f"{where}: time_limit_working_days must be 1-120")
        applicants = tuple(entry.get("applicants", ()))
        if not set(applicants) <= APPLICANT_ROLES:
            raise CatalogueError(f"{where}: applicants must be among {sorted(APPLICANT_ROLES)}")
        steps = []
        for step in entry.get("steps", []):
            unknown = set(step.get("departments", ())) - departments
            if unknown or not step.get("departments"):
                raise CatalogueError(f"{where}: step {step.get('name')!r} names unknown or no "
                                     f"departments {sorted(unknown)}")
            steps.append(Step(step["name"], tuple(step["departments"])))
        if not steps:
            raise CatalogueError(f"{where}: at least one step is needed")
        form = []
        for field in entry.get("form", []):
            if field.get("kind") not in FORM_KINDS:
                raise CatalogueError(f"{where}: field {field.get('name')!r} has an unknown kind")
            choices = tuple((c[0], Words(c[1], c[2])) for c in field.get("choices", ()))
            if field["kind"] == "choice" and not choices:
                raise CatalogueError(f"{where}: choice field {field['name']!r} has no choices")
            form.append(FormField(field["name"], field["kind"],
                                  _words(field, "label", f"{where} field {field['name']}"),
                                  bool(field.get("required")), choices))
        evidence = []
        for item in entry.get("evidence", []):
            source, name = item.get("source"), item.get("item")
            if source not in SOURCES:
                raise CatalogueError(f"{where}: evidence {name!r} has unknown source {source!r}")
            if source == "registry" and item.get("field") not in REGISTRY_FIELDS:
                raise CatalogueError(f"{where}: evidence {name!r} reads unknown registry field")
            if source == "exchange" and (item.get("field") not in EXCHANGE_FIELDS
                                         or item.get("department") not in departments):
                raise CatalogueError(f"{where}: evidence {name!r} reads an unknown department "
                                     "field")
            evidence.append(EvidenceItem(name, _words(item, "label", f"{where} evidence {name}"),
                                         source, item.get("field"), item.get("department")))
        outcome = entry.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            raise CatalogueError(f"{where}: unknown outcome {outcome!r} (known: "
                                 f"{', '.join(sorted(OUTCOMES))})")
        guide = {key: _words(entry.get("guide", {}), key, f"{where} guide")
                 for key in ("materials", "fees", "where")}
        services[code] = Service(code, _words(entry, "name", where), department, applicants,
                                 limit, tuple(steps), tuple(form), tuple(evidence), guide,
                                 tuple(entry.get("provider_kinds", ())), entry.get("apply_from"),
                                 outcome)
    if not services:
        raise CatalogueError("the catalogue lists no services")
    return services


@functools.cache
def load(path: str | None = None) -> dict[str, Service]:
    """The catalogue in force: the file the setting names, else the one shipped."""
    from anju.core.policy import departments

    if path:
        text = Path(path).read_text("utf-8")
    else:
        text = resources.files("anju.cases").joinpath("data/catalogue.toml").read_text("utf-8")
    return parse(text, set(departments()))
