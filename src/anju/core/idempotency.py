"""Idempotency keys: a retried POST gets the first answer instead of a second record."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.crypto import sm3_hex
from anju.core.errors import Conflict
from anju.core.models import IdempotencyRecord
from anju.core.policy import Actor

M = TypeVar("M", bound=BaseModel)


def run_once(session: Session, actor: Actor, key: str | None, payload: BaseModel,
             produce: Callable[[], M], model: type[M]) -> tuple[M, bool]:
    """Run `produce` unless this actor already sent `key`; returns (result, replayed)."""
    if not key or actor.account_id is None:
        return produce(), False
    request_hash = sm3_hex(payload.model_dump_json())
    previous = session.execute(select(IdempotencyRecord).where(
        IdempotencyRecord.account_id == actor.account_id, IdempotencyRecord.key == key)).scalar()
    if previous is not None:
        if previous.request_hash != request_hash:
            raise Conflict("idempotency_key_reused", "该幂等键已用于另一项不同的提交",
                           "this Idempotency-Key was already used for a different request",
                           field="Idempotency-Key")
        return model.model_validate(json.loads(previous.response)), True
    result = produce()
    session.add(IdempotencyRecord(account_id=actor.account_id, key=key, request_hash=request_hash,
                                  status_code=201, response=result.model_dump_json()))
    return result, False
