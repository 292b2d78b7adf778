"""Evidence pulled, not asked for (数据多跑路，群众少跑腿): when a case opens, each evidence item
of its service is looked for at its source — the registry, a department's data in the exchange
hub — under the case's purpose, and only what no department holds is asked of the applicant.

- `collect` is what opening a case calls (and what may run again later: an item the applicant
  supplied is kept, the others are pulled afresh). Anju itself pulls (`PULLER`), not the person
  who opened the case, so each look-up is on the person's access log as a pull for that case,
  under the case's purpose (`CASE_EVIDENCE`), found or not.
- What is kept of a pulled item is only the one field the catalogue names, reduced to what the
  case needs (never a name in full, an ID number or a phone: `registry.reads.registry_evidence`,
  `exchange.service.holdings`), with the date the source holds it from.
- `supply` stores an applicant's upload for an item nobody could pull; `case_evidence` lists a
  case's items as its reader may see them; `pulled_share` measures the catalogue.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select

from anju.cases import catalogue
from anju.cases import policy as P
from anju.cases.catalogue import EvidenceItem, Service
from anju.cases.models import Case, CaseEvidence
from anju.cases.rules import FINAL, CaseStatus
from anju.core import clock, events
from anju.core.access import Access, not_found
from anju.core.config import get_settings
from anju.core.errors import Conflict, TooLarge, ValidationError
from anju.core.policy import Actor, Role
from anju.registry import reads

# The identity evidence is pulled as: Anju, for the case (named so in the access log).
PULLER = Actor(account_id=None, username="system:evidence", role=Role.SYSTEM,
               division_code="000000000000")
MAX_UPLOAD = 10 * 1024 * 1024  # a scan or a photo of a paper; more is not a document
# what an upload may be, told by its first bytes (never by the name or the browser's word)
KINDS = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))
CHILD_NAME = "child_name"  # the form field naming the child whose school record is looked for


class EvidenceOut(BaseModel):
    """One evidence item of a case: where it came from and when, or that it is still needed."""

    item: str
    label_zh: str
    label_en: str
    source: str  # registry | exchange:<department> | upload
    obtained_on: date | None
    supplied_by_applicant: bool
    needed: bool  # neither pulled nor supplied: the applicant is asked for it
    value: dict | None = None  # what was pulled (the catalogue's field, reduced), with its date
    document: str | None = None  # an upload: the name it was sent under


@dataclass(frozen=True)
class Found:
    value: object
    as_of: date


WANTED = "case.evidence_wanted"


@dataclass
class Wanted:
    """One department field about one person, asked of the exchange hub (the event's subject)."""

    person_code: str
    department: str
    field: str
    child_name: str | None = None
    guardian_phone: str | None = None
    found: tuple[object, date] | None = None


def _source(item: EvidenceItem) -> str:
    return f"exchange:{item.department}" if item.source == "exchange" else item.source


def _pull(session, case, item: EvidenceItem, today: date) -> Found | None:
    if item.source == "registry":
        found = reads.registry_evidence(session, case.person_code, item.field, today)
        return Found(found.value, found.as_of) if found else None
    if item.source == "exchange":
        # the hub answers through a declared listener (anju.exchange.service.holdings): the
        # domains stay independent of each other
        wanted = Wanted(case.person_code, item.department, item.field)
        if item.field == "school":
            wanted.child_name = str((case.form or {}).get(CHILD_NAME) or "")
            wanted.guardian_phone = reads.person_phones(session, [case.person_code]).get(
                case.person_code)
        events.emit(session, PULLER, WANTED, wanted)
        return Found(*wanted.found) if wanted.found else None
    return None  # an upload: nobody holds it


def collect(access: Access, case: Case, service: Service) -> list[CaseEvidence]:
    """One evidence row per item of the service: pulled where a source holds it (source, date
    and the reduced value kept), else waiting for the applicant. The caller has checked that
    its actor may open (or handle) the case; each look-up is recorded here."""
    session = access.session
    if case.id is None:
        session.flush()
    puller, today = Access(session, PULLER), clock.today()
    kept = {row.item: row for row in session.execute(
        select(CaseEvidence).where(CaseEvidence.case_id == case.id)).scalars()}
    rows = []
    for item in service.evidence:
        row = kept.get(item.item)
        if row is None:
            row = CaseEvidence(case_id=case.id, item=item.item, supplied_by_applicant=False)
            session.add(row)
        rows.append(row)
        if row.supplied_by_applicant:
            continue
        row.source = _source(item)
        if not item.pulled:
            continue
        found = _pull(session, case, item, today)
        # named "<case>/<item>": the case is the reason, its own timeline stays its events
        puller.touch(P.EVIDENCE_PULL, person_code=case.person_code, kind="case_evidence",
                     object_id=f"{case.id}/{item.item}", purpose=P.CASE_EVIDENCE,
                     detail={"case_id": case.id, "item": item.item, "source": row.source,
                             "found": found is not None, "for": access.actor.username})
        if found is None:
            row.value, row.obtained_on = None, None
        else:
            row.value = {item.field: found.value, "as_of": found.as_of.isoformat()}
            row.obtained_on = today
    session.flush()
    return rows


@dataclass(frozen=True)
class _Draft:
    """A case not opened yet: whose, and what the form says so far."""

    person_code: str
    form: dict
    id: None = None


def preview(session, actor: Actor, service: Service, form: dict | None = None) -> list[EvidenceOut]:
    """What the apply form shows before anything is sent: for the applicant's own application
    only, which items their sources hold now (and as of when), and which they will be asked to
    upload. Nothing is kept; a person looking at their own data is not on their own trail."""
    access = Access(session, actor)
    access.allow(P.CASE_OPEN)
    if not actor.person_code:
        return []
    draft, today, out = _Draft(actor.person_code, form or {}), clock.today(), []
    for item in service.evidence:
        found = _pull(session, draft, item, today) if item.pulled else None
        out.append(EvidenceOut(
            item=item.item, label_zh=item.label.zh, label_en=item.label.en, source=_source(item),
            obtained_on=None, supplied_by_applicant=False, needed=found is None,
            value={item.field: found.value, "as_of": found.as_of.isoformat()} if found else None))
    return out


def needed(rows: list[CaseEvidence]) -> list[str]:
    """The items the applicant is asked for: neither pulled nor supplied."""
    return [r.item for r in rows if r.obtained_on is None and not r.supplied_by_applicant]


# --- reading a case's evidence ---------------------------------------------------------------
def _out(item: EvidenceItem | None, row: CaseEvidence) -> EvidenceOut:
    label = item.label if item else catalogue.Words(row.item, row.item)
    return EvidenceOut(item=row.item, label_zh=label.zh, label_en=label.en, source=row.source,
                       obtained_on=row.obtained_on,
                       supplied_by_applicant=row.supplied_by_applicant,
                       needed=row.obtained_on is None and not row.supplied_by_applicant,
                       value=row.value, document=_shown_name(row.document))


def _shown_name(stored: str | None) -> str | None:
    # stored as "<token>.<ext>/<name sent>": only the name sent is shown
    return stored.split("/", 1)[1] if stored and "/" in stored else stored


def _items(case: Case) -> dict[str, EvidenceItem]:
    service = catalogue.load().get(case.service_code)
    return {i.item: i for i in service.evidence} if service else {}


def _rows(session, case: Case) -> list[CaseEvidence]:
    return list(session.execute(select(CaseEvidence).where(CaseEvidence.case_id == case.id)
                                .order_by(CaseEvidence.id)).scalars())


def _purpose(actor: Actor):
    return P.WINDOW_SERVICE if actor.role is Role.WINDOW_CLERK else P.CASE_HANDLING


def case_evidence(session, actor: Actor, case_id: int) -> list[EvidenceOut]:
    """A case's evidence items, for whoever may read the case (its applicant, the clerk of the
    jurisdiction, the department handling it); out of reach looks missing."""
    access = Access(session, actor)
    case = access.load(P.CASE_READ, Case, Case.id == case_id, what="办件",
                       purpose=_purpose(actor))
    items = _items(case)
    return [_out(items.get(r.item), r) for r in _rows(session, case)]


# --- uploads ---------------------------------------------------------------------------------
def upload_dir() -> Path:
    return get_settings().data_dir / "uploads" / "cases"


def safe_name(name: str | None) -> str:
    """The last part of a sent file's name, printable, at most 100 characters ("file" when
    nothing is left). It is only shown: the file is stored under a name of our own."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text[:100] if text not in ("", ".", "..") else "file"


def _kind(content: bytes) -> str:
    for magic, kind in KINDS:
        if content.startswith(magic):
            return kind
    raise ValidationError("file_kind", "请上传 PDF、JPG 或 PNG 文件",
                          "upload a PDF, JPG or PNG file", field="file")


def supply(session, actor: Actor, case_id: int, item: str, file_name: str | None,
           content: bytes) -> EvidenceOut:
    """The applicant (or the clerk for them) supplies an item nobody could pull: the file is
    checked (size, kind by its first bytes), stored in the data directory under a name of our
    own, and the item marked as supplied today."""
    access = Access(session, actor)
    case = access.load(P.CASE_SUPPLY, Case, Case.id == case_id, what="办件", lock=True,
                       purpose=_purpose(actor))
    if CaseStatus(case.status) in FINAL:
        raise Conflict("case_closed", f"办件已结束（{case.status}），不能再补充材料",
                       f"the case is closed ({case.status}); nothing more can be added",
                       field="status")
    items = _items(case)
    row = next((r for r in _rows(session, case) if r.item == item), None)
    if row is None or item not in items:
        raise not_found("材料", "evidence item", "item")
    if row.obtained_on is not None and not row.supplied_by_applicant:
        raise Conflict("evidence_pulled", "该材料已由部门共享，无需上传",
                       "this item was pulled from a department; no upload is needed",
                       field="item")
    if not content:
        raise ValidationError("file_empty", "文件为空", "the file is empty", field="file")
    if len(content) > MAX_UPLOAD:
        raise TooLarge("file_too_large", f"文件不能超过 {MAX_UPLOAD // 1024 // 1024} MB",
                       f"files may be at most {MAX_UPLOAD // 1024 // 1024} MB", field="file")
    kind = _kind(content)
    folder = upload_dir() / str(case.id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{item}-{secrets.token_hex(8)}.{kind}"
    (folder / stored).write_bytes(content)
    row.source, row.supplied_by_applicant = "upload", True
    row.obtained_on, row.value = clock.today(), None
    row.document = f"{stored}/{safe_name(file_name)}"
    session.flush()
    return _out(items[item], row)


MEDIA = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def document(session, actor: Actor, case_id: int, item: str) -> tuple[Path, str, str]:
    """An uploaded item's file, for whoever may read the case (the officer checking it):
    (path, the name it was sent under, media type). The read is on the applicant's trail."""
    access = Access(session, actor)
    case = access.load(P.CASE_READ, Case, Case.id == case_id, what="办件",
                       purpose=_purpose(actor), detail={"document": item})
    row = next((r for r in _rows(session, case) if r.item == item and r.document), None)
    if row is None:
        raise not_found("材料", "document", "item")
    stored, _, sent = row.document.partition("/")
    path = upload_dir() / str(case.id) / stored
    if "/" in stored or not path.is_file():
        raise not_found("材料", "document", "item")
    return path, sent or stored, MEDIA.get(stored.rsplit(".", 1)[-1], "application/pdf")


# --- the measure -----------------------------------------------------------------------------
def pulled_share(services: dict[str, Service] | None = None) -> dict[str, tuple[int, int]]:
    """Per service of the catalogue: (items pulled from a source, items in all). Report the
    share as pulled / all; "all" counts the whole catalogue's items too under key "*"."""
    services = services if services is not None else catalogue.load()
    out = {code: (sum(i.pulled for i in s.evidence), len(s.evidence))
           for code, s in services.items()}
    out["*"] = (sum(p for p, _ in out.values()), sum(n for _, n in out.values()))
    return out
