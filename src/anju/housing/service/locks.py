"""Lock vendors (their signing secrets, kept SM4-encrypted) and lock devices on rooms."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.crypto import IdCipher, secret_cipher
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import Actor
from anju.housing import policy as P
from anju.housing.models import Lock, LockVendor
from anju.housing.schemas import LockIn, LockOut
from anju.registry import reads


def vendor_cipher() -> IdCipher:
    # A separate key for vendor secrets, derived from the application secret.
    return secret_cipher("anju/housing/lock-vendor-secrets/v1")


def add_vendor(session: Session, actor: Actor, name: str) -> str:
    """Register a lock vendor; returns its signing secret (shown once, stored encrypted)."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "厂商")
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationError("vendor_name", "厂商名称应为 1–64 个字符",
                              "vendor name must have 1–64 characters", field="name")
    if session.execute(select(LockVendor.id).where(LockVendor.name == name)).first():
        raise Conflict("vendor_exists", "该厂商已登记", "vendor already registered", field="name")
    secret = secrets.token_hex(32)
    vendor = LockVendor(name=name, secret_cipher=vendor_cipher().encrypt(secret))
    session.add(vendor)
    session.flush()
    access.record(AuditEvent(P.LOCK_VENDOR_ADD, P.LOCK_INTEGRATION, None, "lock_vendor", name))
    return secret


def rotate_vendor_secret(session: Session, actor: Actor, name: str) -> str:
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "厂商")
    vendor = session.execute(select(LockVendor).where(LockVendor.name == name)).scalar()
    if vendor is None:
        raise not_found("厂商", "vendor", "name")
    secret = secrets.token_hex(32)
    vendor.secret_cipher = vendor_cipher().encrypt(secret)
    access.record(AuditEvent(P.LOCK_VENDOR_ROTATE, P.LOCK_INTEGRATION, None, "lock_vendor", name))
    return secret


def register_lock(session: Session, actor: Actor, data: LockIn) -> LockOut:
    access = Access(session, actor)
    access.allow(P.LOCK_MANAGE)
    room = reads.room_place(session, data.room_id)
    if room is None:
        raise not_found("房间", "room", "room_id")
    access.check(P.LOCK_MANAGE, "房间", division_code=room.division_code,
                 landlord_code=room.landlord_person_code)
    vendor = session.execute(select(LockVendor).where(LockVendor.name == data.vendor,
                                                      LockVendor.active.is_(True))).scalar()
    if vendor is None:
        raise ValidationError("vendor_unknown", "门锁厂商未登记", "lock vendor not registered",
                              field="vendor")
    lock = Lock(vendor_id=vendor.id, lock_id=data.lock_id, room_id=room.room_id,
                division_code=room.division_code, landlord_person_code=room.landlord_person_code,
                installed_on=clock.today(), registered_by=actor.username)
    session.add(lock)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("lock_exists", "该门锁已登记", "this lock is already registered",
                       field="lock_id") from None
    access.record(AuditEvent(P.LOCK_REGISTER, P.LOCK_INTEGRATION, None, "lock",
                             f"{vendor.name}/{lock.lock_id}", {"room_id": room.room_id}))
    return LockOut(lock_id=lock.lock_id, vendor=vendor.name, room_id=room.room_id,
                   installed_on=lock.installed_on)
