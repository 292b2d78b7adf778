"""Management tasks for grid workers and the police: raised by the daily job from daily presence
and permits (suspected move-outs, unregistered occupants, expiring permits), listed and counted
per village, and resolved after a visit. A task decides nothing about a person."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from anju.core import clock, divisions
from anju.core.access import Access, not_found, shown
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict
from anju.core.policy import ADDRESS, Actor
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.models import EKey, HousingTask, Lock, LockPresence
from anju.housing.rules import KeyKind, KeyStatus, TaskKind
from anju.housing.schemas import TaskCount, TaskOut
from anju.housing.service.common import TASK_PURPOSE
from anju.housing.service.county import county_policy
from anju.registry import reads
from anju.registry import service as registry


# --- raising tasks (the daily job) -----------------------------------------------------------
def _known_subjects(session: Session, kind: TaskKind, dismissed_since) -> set[str]:
    """Subjects with an open task, or dismissed recently (a visit said "still here")."""
    return set(session.execute(select(HousingTask.subject).where(
        HousingTask.kind == kind.value,
        or_(HousingTask.status == "open",
            and_(HousingTask.status == "dismissed", HousingTask.resolved_at >= dismissed_since))
    )).scalars())


def _open_tasks(access: Access, kind: TaskKind, found: Iterable[dict], dismissed_since) -> int:
    session = access.session
    known = _known_subjects(session, kind, dismissed_since)
    tasks = [HousingTask(kind=kind.value, status="open", **f) for f in found
             if f["subject"] not in known]
    session.add_all(tasks)
    session.flush()
    access.record(*[AuditEvent(P.HOUSING_TASK_OPEN, TASK_PURPOSE, t.person_code, "housing_task",
                               str(t.id), {"kind": t.kind}) for t in tasks])
    return len(tasks)


def _unregistered_occupants(session: Session, today: date, days: int) -> list[dict]:
    """Rooms with keys in regular use (≥ `days` of the last 2×`days`) that belong to no active
    key of the room, or more regular keys than the room holds."""
    window_start = today - timedelta(days=2 * days)
    regular = (select(LockPresence.room_id, LockPresence.key_id)
               .where(LockPresence.day >= window_start, LockPresence.day < today)
               .group_by(LockPresence.room_id, LockPresence.key_id)
               .having(func.count() >= days).subquery())
    registered_key = and_(EKey.key_id == regular.c.key_id, EKey.room_id == regular.c.room_id,
                          EKey.status == KeyStatus.ACTIVE.value,
                          or_(EKey.valid_until.is_(None), EKey.valid_until >= window_start))
    unregistered = func.sum(case((EKey.id.is_(None), 1), else_=0))
    # Every room holds at least one person (the registry keeps capacities 1–200), so only a room
    # with an unknown key or two regular keys can qualify; the registry's capacity decides then.
    candidates = session.execute(
        select(regular.c.room_id, func.count().label("regular"), unregistered.label("unknown"))
        .select_from(regular).outerjoin(EKey, registered_key)
        .group_by(regular.c.room_id)
        .having(or_(unregistered > 0, func.count() > 1))
        .order_by(regular.c.room_id)).all()
    places = reads.room_places(session, (r.room_id for r in candidates))
    found = []
    for r in candidates:
        place = places.get(r.room_id)
        unknown = int(r.unknown or 0)
        if place is None or not (unknown or r.regular > place.capacity):
            continue
        found.append({"subject": f"{TaskKind.UNREGISTERED_OCCUPANT.value}:{r.room_id}",
                      "room_id": r.room_id, "division_code": place.division_code,
                      "detail": {"keys_in_regular_use": r.regular, "capacity": place.capacity,
                                 "keys_without_registration": unknown}})
    return found


def detect_tasks(session: Session, actor: Actor, today: date | None = None) -> dict[str, int]:
    """The daily job: raise management tasks from daily presence and permits."""
    access = Access(session, actor)
    access.allow(P.HOUSING_JOB)
    today = today or clock.today()
    policy = county_policy(session)
    dismissed_since = utcnow() - timedelta(days=policy.silent_days)
    opened = {}

    # Suspected move-out: an active tenant key, on a room with a lock, silent for N days.
    cutoff = today - timedelta(days=policy.silent_days)
    lock_rooms = (select(Lock.room_id, func.min(Lock.installed_on).label("installed_on"))
                  .group_by(Lock.room_id).subquery())
    seen = exists().where(LockPresence.key_id == EKey.key_id, LockPresence.day > cutoff)
    silent = session.execute(
        select(EKey.key_id, EKey.person_code, EKey.room_id, EKey.registration_id,
               EKey.division_code)
        .join(lock_rooms, lock_rooms.c.room_id == EKey.room_id)
        .where(EKey.status == KeyStatus.ACTIVE.value, EKey.kind == KeyKind.TENANT.value,
               or_(EKey.valid_until.is_(None), EKey.valid_until >= today),
               EKey.valid_from <= cutoff, lock_rooms.c.installed_on <= cutoff, ~seen)).all()
    opened[TaskKind.SUSPECTED_MOVE_OUT.value] = _open_tasks(
        access, TaskKind.SUSPECTED_MOVE_OUT,
        ({"subject": f"{TaskKind.SUSPECTED_MOVE_OUT.value}:{k.key_id}", "key_id": k.key_id,
          "person_code": k.person_code, "room_id": k.room_id, "registration_id": k.registration_id,
          "division_code": k.division_code, "detail": {"silent_days_at_least": policy.silent_days}}
         for k in silent), dismissed_since)

    opened[TaskKind.UNREGISTERED_OCCUPANT.value] = _open_tasks(
        access, TaskKind.UNREGISTERED_OCCUPANT,
        _unregistered_occupants(session, today, policy.unregistered_days), dismissed_since)

    # Reminders: residence permits of current residents expiring within N days.
    expiring = reads.permits_expiring(session, today, today + timedelta(days=policy.reminder_days))
    opened[TaskKind.PERMIT_EXPIRING.value] = _open_tasks(
        access, TaskKind.PERMIT_EXPIRING,
        ({"subject": f"{TaskKind.PERMIT_EXPIRING.value}:{p.permit_number}",
          "person_code": p.person_code, "room_id": p.room_id,
          "registration_id": p.registration_id, "division_code": p.division_code,
          "due_on": p.valid_until, "detail": {"permit_number": p.permit_number}}
         for p in expiring), utcnow() - timedelta(days=policy.reminder_days))
    return opened


# --- reading and resolving tasks -------------------------------------------------------------
def _in_division(division: str | None) -> list:
    if not division:
        return []
    prefix = divisions.significant_prefix(divisions.canonical(division))
    return [HousingTask.division_code.like(prefix + "%")]


def list_tasks(session: Session, actor: Actor, division: str | None = None,
               kind: str | None = None, status: str = "open", limit: int = 200) -> list[TaskOut]:
    """Open management tasks in the actor's jurisdiction (optionally one village or township);
    each one recorded as read."""
    access = Access(session, actor)
    where = [HousingTask.status == status, *_in_division(division)]
    if kind:
        where.append(HousingTask.kind == kind)
    tasks = access.select(P.HOUSING_TASK_READ,
                          select(HousingTask).order_by(HousingTask.id).limit(min(limit, 1000)),
                          *where)
    places = reads.room_places(session, (t.room_id for t in tasks))
    names = reads.person_names(session, (t.person_code for t in tasks))
    out = []
    for task in tasks:
        place = places.get(task.room_id)
        out.append(_task_out(access, task, place and place.label, place and place.address,
                             names.get(task.person_code)))
    return out


def _task_out(access: Access, task: HousingTask, label=None, address=None,
              name=None) -> TaskOut:
    purpose = access.purpose(task.person_code)
    fields = shown(purpose, {"name": name, ADDRESS: (task.room_id, address, label)},
                   masked=True)
    room_id, address, label = fields.get(ADDRESS, (None, None, None))
    return TaskOut(task_id=task.id, kind=task.kind, kind_zh=rules.TASK_KIND_ZH[TaskKind(task.kind)],
                   status=task.status, division_code=task.division_code,
                   division_name=divisions.full_name(task.division_code)
                   if divisions.get(task.division_code) else None,
                   room_id=room_id, address=address, room_label=label,
                   person_code=task.person_code, person_name=fields.get("name"),
                   key_id=task.key_id, registration_id=task.registration_id, detail=task.detail,
                   created_at=task.created_at, due_on=task.due_on, outcome=task.outcome)


def task_counts(session: Session, actor: Actor, division: str | None = None) -> list[TaskCount]:
    """Open tasks per village (community) in the actor's jurisdiction: counts only."""
    access = Access(session, actor)
    where = access.restrict(P.HOUSING_TASK_READ, division_col=HousingTask.division_code)
    rows = session.execute(select(HousingTask.division_code, HousingTask.kind, func.count())
                           .where(where, HousingTask.status == "open", *_in_division(division))
                           .group_by(HousingTask.division_code, HousingTask.kind)).all()
    per: dict[str, Counter] = {}
    for code, kind, n in rows:
        per.setdefault(code, Counter())[kind] += n
    return [TaskCount(division_code=code, division_name=divisions.full_name(code)
                      if divisions.get(code) else None,
                      open=sum(c.values()), by_kind=dict(c)) for code, c in sorted(per.items())]


def task_counts_by_township(session: Session, actor: Actor,
                            division: str | None = None) -> list[TaskCount]:
    """Open tasks per township (乡镇/街道): the village counts summed, for the task map's chart."""
    per: dict[str, Counter] = {}
    for row in task_counts(session, actor, division):
        code = row.division_code[:9] + "000"
        per.setdefault(code, Counter()).update(row.by_kind)
    out = []
    for code, c in sorted(per.items()):
        township = divisions.get(code)
        out.append(TaskCount(division_code=code, division_name=township.name if township else None,
                             open=sum(c.values()), by_kind=dict(c)))
    return out


def resolve_task(session: Session, actor: Actor, task_id: int, outcome: str,
                 note: str | None = None, end_date: date | None = None) -> TaskOut:
    """The grid worker's finding after a visit. "moved_out" ends the registration (which revokes
    the key); every other outcome only closes the task."""
    access = Access(session, actor)
    access.allow(P.HOUSING_TASK_RESOLVE)
    task = session.execute(select(HousingTask).where(HousingTask.id == task_id)
                           .with_for_update()).scalar()
    if task is None:
        raise access.refuse(P.HOUSING_TASK_RESOLVE, not_found("任务", "task", "task_id"))
    access.check(P.HOUSING_TASK_RESOLVE, "任务", division_code=task.division_code)
    if task.status != "open":
        raise Conflict("task_closed", "该任务已处理", "the task is already closed")
    task.status = rules.task_status_after(task.kind, outcome)
    if outcome == "moved_out":
        registry.end_registration(session, actor, task.registration_id, end_date or clock.today())
    task.outcome, task.note = outcome, note
    task.resolved_at, task.resolved_by = utcnow(), actor.username
    access.record(AuditEvent(P.HOUSING_TASK_RESOLVE, TASK_PURPOSE, task.person_code,
                             "housing_task", str(task.id), {"kind": task.kind, "outcome": outcome}))
    return _task_out(access, task)
