"""The public service guide (办事指南): the catalogue's services as people read them — what to
bring, what it costs, how long it takes, where to go, and which evidence Anju fetches itself
from which department. Public information: nobody's data, nothing to record."""
from __future__ import annotations

from pydantic import BaseModel

from anju.cases import catalogue
from anju.cases import policy as P
from anju.core.access import Access, not_found
from anju.core.policy import Actor


class EvidenceItemOut(BaseModel):
    item: str
    source: str  # registry | exchange:<department> | upload
    label_zh: str
    label_en: str
    pulled: bool


class ChoiceOut(BaseModel):
    value: str
    label_zh: str
    label_en: str


class FormFieldOut(BaseModel):
    name: str
    kind: str
    required: bool
    label_zh: str
    label_en: str
    choices: list[ChoiceOut] = []


class ServiceOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    department: str
    departments: list[str]  # every department that approves a step (并联审批)
    time_limit_working_days: int
    evidence: list[EvidenceItemOut]
    form: list[FormFieldOut]
    guide: dict[str, dict[str, str]]  # materials / fees / where → {zh, en}
    pulled_share: float  # of the evidence items, the share Anju fetches itself


def service_out(service: catalogue.Service) -> ServiceOut:
    evidence = [EvidenceItemOut(
        item=i.item, source=f"exchange:{i.department}" if i.source == "exchange" else i.source,
        label_zh=i.label.zh, label_en=i.label.en, pulled=i.pulled) for i in service.evidence]
    return ServiceOut(
        code=service.code, name_zh=service.name.zh, name_en=service.name.en,
        department=service.department, departments=list(service.departments),
        time_limit_working_days=service.time_limit_working_days, evidence=evidence,
        form=[FormFieldOut(name=f.name, kind=f.kind, required=f.required, label_zh=f.label.zh,
                           label_en=f.label.en,
                           choices=[ChoiceOut(value=v, label_zh=w.zh, label_en=w.en)
                                    for v, w in f.choices]) for f in service.form],
        guide={k: {"zh": w.zh, "en": w.en} for k, w in service.guide.items()},
        pulled_share=round(sum(e.pulled for e in evidence) / len(evidence), 3)
        if evidence else 1.0)


def public_services() -> list[ServiceOut]:
    """The guide as anyone may read it (the public pages)."""
    return [service_out(s) for s in catalogue.load().values()]


def public_service(code: str) -> ServiceOut:
    service = catalogue.load().get(code)
    if service is None:
        raise not_found("服务事项", "service", "code")
    return service_out(service)


def list_services(session, actor: Actor) -> list[ServiceOut]:
    """The catalogue for a signed-in program (the API); every role may read it."""
    Access(session, actor).allow(P.SERVICES_READ)
    return public_services()


def read_service(session, actor: Actor, code: str) -> ServiceOut:
    Access(session, actor).allow(P.SERVICES_READ)
    return public_service(code)
