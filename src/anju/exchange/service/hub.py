"""What the exchange use cases share: the shipped linkage model, the department an officer acts
for, the hub's records as the matcher reads them, following merges, and golden and source records
in the field vocabulary."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.access import Access, shown
from anju.core.crypto import id_cipher
from anju.core.errors import Forbidden
from anju.core.policy import GOLDEN_FIELDS, Action, Purpose, department_code, departments
from anju.exchange.models import GoldenRecord, SourceRecord
from anju.exchange.schemas import SourceRecordOut
from anju.registry.policy import DATA_QUALITY

DEFAULT_MODEL = Path(__file__).parent.parent / "default.model.json"
REVIEW_BAND = 6.0  # match weights in [threshold - band, threshold) go to clerical review
STANDARD = ("name", "id_number", "sex", "birth_date", "phone", "hukou_address",
            "current_address", "employer")
PURPOSE = DATA_QUALITY  # what a data steward's exchange work is recorded under


@functools.lru_cache(maxsize=1)
def default_model() -> dict:
    """The linkage model shipped with Anju (trained on 20,000 synthetic department records,
    `synth.benchmark(seed=11)`); pass a model from `anju link run` to use your own."""
    return json.loads(DEFAULT_MODEL.read_text("utf-8"))


def acting_department(access: Access, action: Action) -> str:
    """The department (its connector code) an officer subscribes, reads the feed or requests
    data for: their own. Which rows they reach is the policy's `Scope.DEPARTMENT`; this only
    says whom they act for, and refuses (noted as an attempt) an account without one."""
    access.allow(action)
    code = department_code(access.actor.department)
    if not code or code not in departments():
        raise access.refuse(action, Forbidden("department_unknown", "账号未关联可交换数据的部门",
                                              "your account has no data-exchange department"))
    return code


def hub_records(session: Session, prefix: str) -> dict:
    """The hub's records under a division prefix, in the standard columns the matcher needs,
    with the golden record (after merges) and id of each, in id order."""
    cipher = id_cipher()
    cols = [SourceRecord.id, SourceRecord.golden_id, SourceRecord.id_cipher,
            *[getattr(SourceRecord, c) for c in STANDARD if c != "id_number"]]
    rows = session.execute(select(*cols).where(SourceRecord.division_code.like(prefix + "%"))
                           .order_by(SourceRecord.id)).all()
    active = active_ids(session, {r.golden_id for r in rows})
    raw = [{"name": r.name, "id_number": cipher.decrypt(r.id_cipher) if r.id_cipher else None,
            "sex": r.sex, "birth_date": r.birth_date, "phone": r.phone,
            "hukou_address": r.hukou_address, "current_address": r.current_address,
            "employer": r.employer} for r in rows]
    return {"raw": raw, "golden": [active[r.golden_id] for r in rows],
            "source": [r.id for r in rows]}


def active_id(session: Session, golden_id: int) -> int:
    """Follow merges to the golden record that is still in use."""
    return active_ids(session, {golden_id})[golden_id]


def active_ids(session: Session, golden_ids: Iterable[int]) -> dict[int, int]:
    """Each golden record id → the one still in use after merges (itself if never merged)."""
    ids = set(golden_ids)
    merged: dict[int, int] = {}
    ask, asked = set(ids), set()
    while ask:
        asked |= ask
        listed, ask = sorted(ask), set()
        for i in range(0, len(listed), 500):
            for gid, target in session.execute(select(GoldenRecord.id, GoldenRecord.merged_into)
                                               .where(GoldenRecord.id.in_(listed[i:i + 500]),
                                                      GoldenRecord.merged_into.is_not(None))):
                merged[gid] = target
                if target not in asked:
                    ask.add(target)
    out = {}
    for gid in ids:
        seen, cur = set(), gid
        while cur in merged and cur not in seen:
            seen.add(cur)
            cur = merged[cur]
        out[gid] = cur
    return out


def golden_values(golden: GoldenRecord) -> dict:
    """A golden record in the field vocabulary (every field present, None when unknown)."""
    values: dict = dict.fromkeys(GOLDEN_FIELDS)
    values.update(golden.fields)
    values.update(golden_id=golden.id, person_code=golden.person_code,
                  id_number=lambda: id_cipher().decrypt(golden.id_cipher) if golden.id_cipher
                  else None)
    return values


def source_out(purpose: Purpose, record: SourceRecord,
                golden_id: int | None = None) -> SourceRecordOut:
    values = {f: getattr(record, f) for f in STANDARD if f != "id_number"}
    values["id_number"] = lambda: id_cipher().decrypt(record.id_cipher) if record.id_cipher \
        else None
    return SourceRecordOut(
        source_id=record.id, department=record.department,
        source_record_id=record.source_record_id, as_of=record.as_of, id_valid=record.id_valid,
        golden_id=golden_id or record.golden_id, **shown(purpose, values))


