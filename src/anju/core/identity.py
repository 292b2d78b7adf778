"""Accounts, passwords, API tokens and login throttling."""
from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from anju.core import divisions
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.errors import AnjuError, Conflict, NotFound, ValidationError
from anju.core.models import Account, LoginFailure
from anju.core.policy import ACCOUNT_MANAGE, Actor, Role

# Moderate argon2 cost: login stays ~10 ms on two cores, still far beyond brute force online.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

SYSTEM = Actor(account_id=None, username="system", role=Role.ADMIN, division_code="000000000000")


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


def actor_of(account: Account) -> Actor:
    return Actor(account_id=account.id, username=account.username, role=Role(account.role),
                 division_code=account.division_code, department=account.department,
                 person_code=account.person_code)


def create_account(session: Session, *, username: str, password: str, role: str,
                   division: str | None = None, department: str | None = None,
                   person_code: str | None = None, display_name: str | None = None) -> Account:
    try:
        role_enum = Role(role)
    except ValueError:
        raise ValidationError("role_unknown", f"未知角色：{role}",
                              f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}",
                              field="role") from None
    if len(password) < 8:
        raise ValidationError("password_short", "密码至少 8 位", "password needs 8+ characters",
                              field="password")
    division_code = divisions.canonical(division or get_settings().county_code)
    divisions.require(division_code)
    if role_enum is Role.DEPT_OFFICER and not department:
        raise ValidationError("department_required", "部门人员须指定部门",
                              "a department officer needs a department", field="department")
    if role_enum in (Role.RESIDENT, Role.LANDLORD) and not person_code:
        raise ValidationError("person_required", "居民和房东账号须关联人员编码",
                              "resident and landlord accounts need a person",
                              field="person_code")
    if session.execute(select(Account.id).where(Account.username == username)).first():
        raise Conflict("username_taken", "用户名已存在", "username already exists", field="username")
    account = Account(username=username, password_hash=hash_password(password), role=role_enum.value,
                      division_code=division_code, department=department, person_code=person_code,
                      display_name=display_name)
    session.add(account)
    session.flush()
    return account


def _failures(session: Session, username: str, client: str) -> int:
    since = utcnow() - timedelta(seconds=get_settings().login_lockout_seconds)
    return session.execute(
        select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.client == client,
            LoginFailure.at >= since)).scalar_one()


def authenticate(session: Session, username: str, password: str, client: str = "-") -> Account:
    """Check a password, with throttling per username + client address."""
    settings = get_settings()
    if _failures(session, username, client) >= settings.login_max_failures:
        raise Throttled("login_throttled", "登录失败次数过多，请稍后再试",
                        "too many failed logins; try again later")
    account = session.execute(select(Account).where(Account.username == username)).scalar()
    if account is None or not account.active or not verify_password(account.password_hash, password):
        session.add(LoginFailure(username=username, client=client))
        raise AuthError("bad_credentials", "用户名或密码错误", "wrong username or password")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                               LoginFailure.client == client))
    return account


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=salt)


def issue_token(account: Account, salt: str = "api-token") -> str:
    return _serializer(salt).dumps({"a": account.id, "v": account.token_version})


def account_from_token(session: Session, token: str, salt: str = "api-token",
                       max_age: int | None = None) -> Account:
    settings = get_settings()
    try:
        data = _serializer(salt).loads(token, max_age=max_age or settings.token_ttl_seconds)
    except SignatureExpired:
        raise AuthError("token_expired", "登录已过期", "token expired") from None
    except BadSignature:
        raise AuthError("token_invalid", "无效的令牌", "invalid token") from None
    account = session.get(Account, data.get("a"))
    if account is None or not account.active or account.token_version != data.get("v"):
        raise AuthError("token_invalid", "无效的令牌", "invalid token")
    return account


def token_account_id(token: str, salt: str = "ui-session") -> int | None:
    """The account a token was issued to, whether or not it has expired (signature checked); the
    pages use it to keep a form typed into a session that expired for the same account only."""
    try:
        data = _serializer(salt).loads(token, max_age=None)
    except BadSignature:
        return None
    account = data.get("a") if isinstance(data, dict) else None
    return account if isinstance(account, int) else None


def login(session: Session, username: str, password: str, client: str = "-") -> Account:
    """`authenticate`, keeping the record of a failed attempt even though the request fails."""
    try:
        return authenticate(session, username, password, client)
    except AuthError:
        session.commit()  # the failure must count toward throttling
        raise


# --- account management by an administrator (the CLI uses create_account directly) ------------
def manage_create_account(session: Session, actor: Actor, **fields) -> Account:
    access = Access(session, actor)
    access.check(ACCOUNT_MANAGE, "账号")
    account = create_account(session, **fields)
    access.record(AuditEvent(ACCOUNT_MANAGE, "account_administration", account.person_code,
                             "account", account.username, {"op": "create", "role": account.role}))
    return account


def manage_list_accounts(session: Session, actor: Actor, limit: int = 500) -> list[Account]:
    Access(session, actor).check(ACCOUNT_MANAGE, "账号")
    return list(session.execute(select(Account).order_by(Account.id).limit(limit)).scalars())


def manage_set_active(session: Session, actor: Actor, username: str, active: bool) -> Account:
    """Disable (or re-enable) an account; disabling also voids every token it holds."""
    access = Access(session, actor)
    access.check(ACCOUNT_MANAGE, "账号")
    account = session.execute(select(Account).where(Account.username == username)).scalar()
    if account is None:
        raise NotFound("not_found", "账号不存在", "account not found", field="username")
    account.active = active
    if not active:
        account.token_version += 1
    access.record(AuditEvent(ACCOUNT_MANAGE, "account_administration", account.person_code,
                             "account", account.username, {"op": "enable" if active else "disable"}))
    return account
