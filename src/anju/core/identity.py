"""Accounts, passwords, API tokens, browser sessions and login throttling.

Programs sign in for a bearer token (signed, voided by bumping the account's token_version);
browsers get a session row whose random token sits in an HttpOnly cookie (logout deletes the
row). Administrators manage accounts through `anju.core.accounts`.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, object_session

from anju.core import divisions
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.crypto import sm3_hex
from anju.core.db import utcnow
from anju.core.errors import AnjuError, Conflict, ValidationError
from anju.core.models import Account, LoginFailure, UiSession
from anju.core.permissions import ACCOUNT_BINDING, BIND_DIRECT
from anju.core.policy import ACCOUNT_ROLES, Actor, Role, department_code, departments

# Moderate argon2 cost: login stays ~10 ms on two cores, still far beyond brute force online.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# The operator's console: the platform acting, not anyone's account.
SYSTEM = Actor(account_id=None, username="system", role=Role.SYSTEM, division_code="000000000000")

USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,64}")
PERSON_ROLES = (Role.RESIDENT, Role.LANDLORD)
# Where a person lives for access purposes (their division code), or None if no such person.
# The registry answers it (anju.registry.service.person_division); core cannot import it, so the
# composition roots (the app, the CLI) hand it in.
PersonLocator = Callable[[Session, str], str | None]


def job_actor(job_name: str) -> Actor:
    """The identity a scheduled job acts as: named after the job, so the audit log says which."""
    return Actor(account_id=None, username=f"job:{job_name}", role=Role.SYSTEM,
                 division_code="000000000000")


class AuthError(AnjuError):
    """Wrong credentials or a bad token (HTTP 401)."""

    http_status = 401


class Throttled(AnjuError):
    """Too many failed logins (HTTP 429)."""

    http_status = 429


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, verified for unknown users so that a wrong username
    costs the same argon2 work as a wrong password (no timing tells which exists)."""
    if not _dummy:
        _dummy.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy[0]


def actor_of(account: Account) -> Actor:
    """The actor of an account (the ORM object, or a row of the same columns)."""
    return Actor(account_id=account.id, username=account.username, role=Role(account.role),
                 division_code=account.division_code, department=account.department,
                 person_code=account.person_code,
                 binding_pending=account.binding_state == "pending")


def check_password(password: str) -> None:
    if len(password) < 8:
        raise ValidationError("password_short", "密码至少 8 位", "password needs 8+ characters",
                              field="password")
    if len(password) > 128:
        raise ValidationError("password_long", "密码最多 128 位", "password may have at most 128 "
                              "characters", field="password")


def check_fields(username: str, role: str, department: str | None,
                  person_code: str | None) -> Role:
    try:
        role_enum = Role(role)
        if role_enum not in ACCOUNT_ROLES:  # the system role is the platform's, no account's
            raise ValueError(role)
    except ValueError:
        raise ValidationError("role_unknown", f"未知角色：{role}",
                              f"unknown role {role!r}; one of {', '.join(r.value for r in ACCOUNT_ROLES)}",
                              field="role") from None
    if not USERNAME.fullmatch(username):
        raise ValidationError("username_invalid", "用户名须为 2–64 位字母、数字、下划线、点或连字符",
                              "a username is 2-64 letters, digits, '_', '.' or '-'",
                              field="username")
    if role_enum is Role.DEPT_OFFICER and not department:
        raise ValidationError("department_required", "部门人员须指定部门",
                              "a department officer needs a department", field="department")
    if role_enum is Role.SERVICE_PROVIDER and not (department or "").startswith("provider:"):
        # a provider's account carries its provider code (registered by the admin in cases)
        raise ValidationError("provider_required", "服务机构账号须指定服务机构",
                              "a service provider's account needs its provider", field="department")
    if department and role_enum is not Role.SERVICE_PROVIDER and \
            department_code(department) not in departments():
        raise ValidationError("department_unknown", f"未知部门：{department}",
                              f"unknown department {department!r}", field="department")
    if role_enum in PERSON_ROLES and not person_code:
        raise ValidationError("person_required", "居民和房东账号须关联人员编码",
                              "resident and landlord accounts need a person code",
                              field="person_code")
    if person_code and role_enum not in PERSON_ROLES:
        raise ValidationError("person_not_allowed", "只有居民和房东账号关联人员",
                              "only resident and landlord accounts are bound to a person",
                              field="person_code")
    return role_enum


def person_unknown() -> ValidationError:
    # One answer for "no such person" and "no such person you may name": nothing leaks.
    return ValidationError("person_unknown", "人员编码无效：没有可关联的人员",
                           "person code not valid: no person to bind to", field="person_code")


def create_account(session: Session, *, username: str, password: str, role: str,
                   division: str | None = None, department: str | None = None,
                   person_code: str | None = None, display_name: str | None = None,
                   locate: PersonLocator | None = None, by: Actor = SYSTEM,
                   bind: bool = True) -> Account:
    """Create an account. A person code given here binds at once — the server console's and
    bulk setups' path, audited as done by `by` (the system) in that person's access log. With
    bind=False it is only requested (`anju.core.accounts`: a police officer confirms it). With
    `locate`, an unknown person code is refused."""
    role_enum = check_fields(username, role, department, person_code)
    check_password(password)
    division_code = divisions.canonical(division or get_settings().county_code)
    divisions.require(division_code)
    located = locate(session, person_code) if person_code and locate is not None else None
    if person_code and locate is not None and located is None:
        raise person_unknown()
    if session.execute(select(Account.id).where(Account.username == username)).first():
        raise Conflict("username_taken", "用户名已存在", "username already exists", field="username")
    account = Account(username=username, password_hash=hash_password(password), role=role_enum.value,
                      division_code=division_code, department=department,
                      person_code=person_code if bind else None, display_name=display_name)
    if person_code and not bind:
        account.binding_state = "pending"
        account.pending_person_code, account.pending_division_code = person_code, located
    session.add(account)
    session.flush()
    if person_code and bind:
        Access(session, by).record(AuditEvent(BIND_DIRECT, ACCOUNT_BINDING, person_code,
                                              "account", account.username, {"via": "console"}))
    return account


# --- signing in --------------------------------------------------------------------------------
def _failures(session: Session, username: str, client: str) -> int:
    since = utcnow() - timedelta(seconds=get_settings().login_lockout_seconds)
    return session.execute(
        select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.client == client,
            LoginFailure.at >= since)).scalar_one()


def authenticate(session: Session, username: str, password: str, client: str = "-") -> Account:
    """Check a password, with throttling per username + client address. An unknown or disabled
    account costs the same password-hash work as a known one."""
    settings = get_settings()
    username, client = username[:64], client[:64]  # as stored; longer names exist nowhere
    if _failures(session, username, client) >= settings.login_max_failures:
        raise Throttled("login_throttled", "登录失败次数过多，请稍后再试",
                        "too many failed logins; try again later")
    account = session.execute(select(Account).where(Account.username == username)).scalar()
    stored = account.password_hash if account is not None else _dummy_hash()
    matches = verify_password(stored, password)
    if account is None or not account.active or not matches:
        session.add(LoginFailure(username=username, client=client))
        raise AuthError("bad_credentials", "用户名或密码错误", "wrong username or password")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                               LoginFailure.client == client))
    return account


def login(session: Session, username: str, password: str, client: str = "-") -> Account:
    """`authenticate`, keeping the record of a failed attempt even though the request fails."""
    try:
        return authenticate(session, username, password, client)
    except AuthError:
        session.commit()  # the failure must count toward throttling
        raise


# --- API bearer tokens -------------------------------------------------------------------------
def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=salt)


def issue_token(account: Account, salt: str = "api-token") -> str:
    return _serializer(salt).dumps({"a": account.id, "v": account.token_version})


def _token_claims(token: str, salt: str, max_age: int) -> tuple[dict, datetime]:
    """(claims, signing time) of a token this installation signed and that has not expired."""
    try:
        return _serializer(salt).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise AuthError("token_expired", "登录已过期", "token expired") from None
    except BadSignature:
        raise AuthError("token_invalid", "无效的令牌", "invalid token") from None


def _valid_holder(holder, data: dict):
    """The account row (ORM object or Core row) a token names, if it still stands for it."""
    if holder is None or not holder.active or holder.token_version != data.get("v"):
        raise AuthError("token_invalid", "无效的令牌", "invalid token")
    return holder


def account_from_token(session: Session, token: str, salt: str = "api-token",
                       max_age: int | None = None) -> Account:
    data, _ = _token_claims(token, salt, max_age or get_settings().token_ttl_seconds)
    return _valid_holder(session.get(Account, data.get("a")), data)


# --- the bearer-token cache --------------------------------------------------------------------
# Every API request used to read its account (one statement, an ORM object, ~10% of a request's
# Python). A process now keeps what a token stands for for a few seconds
# (ANJU_TOKEN_CACHE_SECONDS). The entry is keyed by the token, which names the account and its
# token_version: disabling an account or resetting its password bumps that version, so once an
# entry expires the token is refused everywhere; in the process that made the change the
# account's entries are dropped at once (see _account_changed below).
_ACCOUNT_COLUMNS = (Account.id, Account.username, Account.role, Account.division_code,
                    Account.department, Account.person_code, Account.binding_state,
                    Account.active, Account.token_version)
_CACHE_MAX = 10_000  # tokens remembered per process; beyond it the cache starts afresh


@dataclass(frozen=True)
class _Cached:
    actor: Actor
    until: float  # time.monotonic() after which the account is read again


# One cache per database engine: two databases in one process (tests, the federation's two
# installations) may well issue the same token string for their account 1.
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_tokens_lock = threading.Lock()


def _cache_of(session: Session) -> dict[str, _Cached]:
    engine = session.get_bind()
    cache = _caches.get(engine)
    if cache is None:
        with _tokens_lock:
            cache = _caches.setdefault(engine, {})
    return cache


def cached_actor(session: Session, token: str) -> Actor | None:
    """The actor of a token the cache still holds fresh, else None (no database work)."""
    cached = _cache_of(session).get(token)
    return cached.actor if cached is not None and cached.until > time.monotonic() else None


def actor_from_token(session: Session, token: str, max_age: int | None = None) -> Actor:
    """The actor an API bearer token stands for: `account_from_token` answered from the cache
    while it is fresh, else with one Core statement (no ORM object)."""
    actor = cached_actor(session, token)
    if actor is not None:
        return actor
    now, settings, cache = time.monotonic(), get_settings(), _cache_of(session)
    max_age = max_age or settings.token_ttl_seconds
    data, signed_at = _token_claims(token, "api-token", max_age)
    row = session.execute(select(*_ACCOUNT_COLUMNS).where(Account.id == data.get("a"))).first()
    try:
        actor = actor_of(_valid_holder(row, data))
    except AuthError:
        with _tokens_lock:
            cache.pop(token, None)
        raise
    ttl = settings.token_cache_seconds
    if ttl > 0:
        left = signed_at.timestamp() + max_age - time.time()  # never past the token's expiry
        with _tokens_lock:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[token] = _Cached(actor, now + min(ttl, left))
    return actor


def forget_account(account_id: int | None) -> None:
    """Drop the cached tokens of one account (every cached token when `account_id` is None),
    whichever database they came from."""
    with _tokens_lock:
        for cache in list(_caches.values()):
            if account_id is None:
                cache.clear()
                continue
            for token in [t for t, c in cache.items() if c.actor.account_id == account_id]:
                del cache[token]


_CHANGED = "anju.accounts_changed"


@event.listens_for(Account, "after_update")
def _account_changed(_mapper, _connection, account: Account) -> None:
    # Whatever changed (active, role, binding, password, token version): this process stops
    # answering from the cache now, and again once the change is committed (a request reading
    # the old row in between would otherwise keep it for a few seconds more).
    forget_account(account.id)
    session = object_session(account)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(account.id)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for account_id in session.info.pop(_CHANGED, ()):
        forget_account(account_id)


# --- browser sessions --------------------------------------------------------------------------
def _session_hash(token: str) -> str:
    return sm3_hex("anju-ui-session\n" + token)


def start_session(session: Session, account: Account) -> str:
    """A new browser session for `account`; returns the cookie value (only its hash is kept)."""
    now = utcnow()
    # Tidy as we go, a day after expiry: until then an expired session still says whose form
    # was posted into it (anju.web.drafts).
    session.execute(delete(UiSession).where(UiSession.expires_at < now - timedelta(days=1)))
    token = secrets.token_urlsafe(32)
    session.add(UiSession(token_hash=_session_hash(token), account_id=account.id, created_at=now,
                          expires_at=now + timedelta(seconds=get_settings().session_ttl_seconds)))
    return token


def account_from_session(session: Session, token: str) -> Account:
    row = session.execute(select(UiSession).where(
        UiSession.token_hash == _session_hash(token))).scalar()
    if row is None or row.expires_at < utcnow():
        raise AuthError("session_ended", "登录已失效，请重新登录",
                        "your session has ended; sign in again")
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        raise AuthError("session_ended", "登录已失效，请重新登录",
                        "your session has ended; sign in again")
    return account


def session_account_id(session: Session, token: str) -> int | None:
    """The account a browser session belonged to, even after it expired (not after logout):
    the pages keep a form typed into an expired session for that same account only."""
    return session.execute(select(UiSession.account_id).where(
        UiSession.token_hash == _session_hash(token))).scalar()


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(UiSession).where(UiSession.token_hash == _session_hash(token)))


def end_all_sessions(session: Session, account: Account) -> None:
    """Sign the account out everywhere: every browser session and every API token."""
    session.execute(delete(UiSession).where(UiSession.account_id == account.id))
    account.token_version += 1
