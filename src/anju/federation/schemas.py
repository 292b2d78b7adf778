"""Federation request and answer shapes."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from anju.core.types import RecordId, Timestamp

County = Annotated[str, Field(pattern=r"^\d{6}$", description="a peer's 6-digit county code")]


class PeerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    division: County
    url: Annotated[str, Field(min_length=8, max_length=300)]
    public_key: Annotated[str, Field(min_length=1, max_length=2000)]
    link_secret: Annotated[str | None, Field(min_length=16, max_length=200)] = None
    arrival_notices: bool = False


class PeerOut(BaseModel):
    name: str
    division_code: str
    base_url: str
    fingerprint: str
    arrival_notices: bool
    link_agreed: bool
    health: str
    down_since: Timestamp | None
    failures: int
    last_error: str | None
    last_success_at: Timestamp | None
    queued: int
    failed: int


class MessageOut(BaseModel):
    message_id: str
    peer: str
    peer_name: str
    type: str
    state: str
    body: dict
    envelope: dict | None
    purpose: str | None
    attempts: int
    last_error: str | None
    created_at: Timestamp
    delivered_at: Timestamp | None


class StatsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: Annotated[str | None, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None
    peer: County | None = None


class ContinuityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    peer: County
    person_code: Annotated[str, Field(min_length=1, max_length=16)]
    purpose: Annotated[str, Field(min_length=1, max_length=64)]
    case_id: RecordId | None = None


class ContinuityOut(BaseModel):
    message_id: str
    peer_name: str
    purpose: str
    state: str
    person_code: str
    answer: dict | None


class FlushOut(BaseModel):
    delivered: int
    retrying: int
    failed: int
    peers_down: list[str]
