"""Settings, read once from the environment (prefix ANJU_) and refused when insecure.

Every setting is documented in docs/operations.md; a test keeps the two in step.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"
# Where the county's date may be pinned (ANJU_TODAY): never production.
PINNABLE = ("development", "test", "training")
_CHANNEL = re.compile(r"^(outbox|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_", extra="ignore")

    environment: Literal["development", "test", "training", "production"] = Field(
        "development", description="development | test | training | production")
    secret_key: str = Field(DEFAULT_SECRET, description="signs sessions/tokens; derives SM4 keys")
    data_dir: Path = Field(Path("var"), description="SQLite file, Parquet events, uploads")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    county_code: str = Field("330522", description="the county this installation serves")
    token_ttl_seconds: int = Field(8 * 3600, description="lifetime of API bearer tokens")
    session_ttl_seconds: int = Field(8 * 3600, description="lifetime of a UI login session")
    token_cache_seconds: float = Field(
        5, ge=0, le=60, description="how long a server process trusts what it last read of a "
        "bearer token's account (0: read it on every request)")
    login_max_failures: int = Field(5, description="failed logins before an account+address waits")
    login_lockout_seconds: int = Field(300, description="how long the wait lasts")
    trusted_proxies: str = Field(
        "", description="comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is "
        "believed (login throttling, logs); empty: the TCP peer is the client")
    audit_key: str | None = Field(
        None, description="keys the audit chain's hashes and signs its witness; default: "
        "derived from the secret key")
    audit_witness_seconds: int = Field(
        60, ge=0, le=86400, description="how often a running server witnesses the audit chain "
        "head outside the database (0: only `anju audit witness`)")
    # --- the audit sealer (issue 12) ---
    audit_seal_interval_ms: int = Field(
        250, ge=0, le=60000, description="how often a running server's sealer chains the "
        "entries requests appended (0: only `anju audit seal`)")
    audit_sealer_process: bool = Field(
        True, description="`anju serve` on PostgreSQL runs the sealer (and the witness) as one "
        "process of its own beside the web workers, so its hashing never holds a web "
        "process's interpreter lock; false: a thread in every web process (SQLite: always)")
    audit_seal_batch: int = Field(
        100000, ge=1, le=10_000_000, description="most entries of one partition sealed in one "
        "transaction")
    audit_root_seconds: int = Field(
        60, ge=0, le=86400, description="at most how often the sealer records a Merkle root of "
        "the partitions' heads while entries keep coming (0: after every round that sealed)")
    db_pool_size: int = Field(10, description="PostgreSQL connection pool size per process")
    db_lock_timeout_seconds: float = Field(
        10, gt=0, le=60, description="how long a request waits for the database (SQLite's write "
        "lock, PostgreSQL row locks and pooled connections) before it is answered 503 with "
        "Retry-After")
    worker_threads: int = Field(
        8, ge=1, le=200, description="threads per server process serving requests (fewer threads "
        "contend less for Python's interpreter lock; more wait better on a slow database)")
    fast_lane: bool = Field(
        True, description="answer the hottest JSON routes (a person by code or ID number, a "
        "registration) without FastAPI's per-request machinery when the request is plain "
        "(anju.core.lane); false sends every request through FastAPI")
    max_upload_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="largest request body accepted (department "
        "uploads included); larger ones are refused with 413 while they stream in")
    room_capacity_warning: bool = Field(
        True, description="accept a registration into a full room with a warning; false refuses "
        "it (409 room_full), in bulk loads too (anju.registry.rules.room_capacity)")
    lock_event_retention_days: int = Field(
        3, ge=1, le=30, description="days raw smart-lock events are kept (Parquet under "
        "data_dir/lock_events) before only daily presence per key remains")
    today: date | None = Field(
        None, description="pins the county's date (YYYY-MM-DD) for training and acceptance "
        "runs; development, test and training only")
    signing_key_path: Path | None = Field(
        None, description="the installation's SM2 key pair file; default "
        "data_dir/keys/installation-sm2.key")
    sms_channel: str = Field(
        "outbox", description="where text messages go: outbox (data_dir/outbox/sms.jsonl) or "
        "module:Class of a gateway adapter")
    lock_presence_retention_days: int = Field(
        60, ge=15, le=366, description="days the daily presence per key (reduced lock events) is "
        "kept for management tasks; older presence is deleted")

    federation_window_seconds: int = Field(
        300, ge=30, le=86400, description="how far a peer's message time may lie from ours before "
        "it is refused (401 message_stale): the replay window")
    federation_retry_seconds: int = Field(
        30, ge=1, le=3600, description="first wait before a failed delivery to a peer is retried; "
        "doubled after each failure, up to an hour")
    federation_max_attempts: int = Field(
        40, ge=1, le=1000, description="deliveries tried before an outgoing message is marked "
        "failed (shown on the federation page)")
    federation_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="seconds to wait for a peer's receipt")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        for item in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"ANJU_TRUSTED_PROXIES: {item!r} is not an IP address or "
                                 "network (不是 IP 地址或网段)") from None
        return ",".join(p.strip() for p in value.split(",") if p.strip())

    @field_validator("sms_channel")
    @classmethod
    def _channel_named(cls, value: str) -> str:
        if not _CHANNEL.match(value.strip()):
            raise ValueError(f"ANJU_SMS_CHANNEL: {value!r} is neither 'outbox' nor module:Class "
                             "(应为 outbox 或 模块:类名)")
        return value.strip()

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.today is not None and self.environment not in PINNABLE:
            raise ValueError(f"ANJU_TODAY pins the date only in {', '.join(PINNABLE)}, never in "
                             f"{self.environment} (生产环境不能设置 ANJU_TODAY)")
        if self.environment not in ("development", "test") and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "ANJU_SECRET_KEY must be set outside development (生产环境必须设置 ANJU_SECRET_KEY)"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("ANJU_SECRET_KEY must be at least 32 characters in production")
        if self.environment == "production" and self.audit_key is not None \
                and len(self.audit_key) < 32:
            raise ValueError("ANJU_AUDIT_KEY must be at least 32 characters in production")
        return self

    @property
    def resolved_signing_key_path(self) -> Path:
        return self.signing_key_path or self.data_dir / "keys" / "installation-sm2.key"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'anju.sqlite3').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Tests and the CLI change the environment; this makes the next read see it."""
    get_settings.cache_clear()
