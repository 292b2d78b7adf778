"""Bulk loads of persons: one person, one code, checked as the service checks them
(`anju.registry.rules`, `anju.core.idnumber`), encrypted, and resolved against the persons
already recorded as the service resolves them."""
from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import audit, clock, idnumber
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.db import bulk_insert, sql_timestamp, utcnow
from anju.core.errors import AnjuError
from anju.core.policy import Actor
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.bulk.common import (
    CHUNK,
    BulkPerson,
    BulkResult,
    begin,
    division,
    gc_paused,
    lookup,
    text,
)
from anju.registry.models import Person
from anju.registry.service.persons import region_division

_PERSON_COLUMNS = ("person_code", "name", "id_cipher", "id_hash", "sex", "birth_date", "phone",
                   "hukou_address", "hukou_division_code", "division_code", "base_division_code",
                   "status", "created_at", "updated_at")
_jobs: Sequence[BulkPerson] = ()  # the rows a forked worker pool reads without pickling them
_fork_lock = threading.Lock()  # one pooled load at a time per process owns `_jobs`


def _prepare_person(p: BulkPerson, number: str | None, today: date, prefix: str,
                    memo: tuple[dict, dict]) -> tuple:
    """The service's create_person checks for one row; the fields ready to write but for the
    ID number's ciphertext and hash (made for the whole slice at once). `number` is the ID
    number as the vectorised check normalised it, None when that check refused it."""
    name = text(p.name, "name", "姓名", 1, 64)
    if number is None:
        idnumber.parse_id_number(p.id_number, today=today)  # raises the service's refusal
        raise AssertionError("the vectorised ID check and parse_id_number disagree")
    phone = rules.normalise_phone(p.phone)
    hukou_address = text(p.hukou_address, "hukou_address", "户籍地址", 0, 200)
    managing, regions = memo  # a load names few divisions and regions: look each up once
    if p.division_code not in managing:
        try:
            managing[p.division_code] = division(p.division_code, prefix)
        except AnjuError as error:
            managing[p.division_code] = error
    managed = managing[p.division_code]
    if isinstance(managed, AnjuError):
        raise managed
    region = number[:6]
    if region not in regions:
        # What parse_id_number says beyond validity depends on the region alone (its warnings,
        # retired or unknown); the service also reads the hukou address (~180 µs a row), a load
        # takes the ID number's region, by the same rule, and leaves addresses to later
        # standardisation.
        regions[region] = (region_division(region),
                           idnumber.parse_id_number(number, today=today).warnings)
    hukou_division, warnings = regions[region]
    birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    sex = "M" if int(number[16]) % 2 else "F"
    return (number, name, sex, birth, phone, hukou_address, hukou_division, managed, warnings)


def _prepare_slice(people: Sequence[BulkPerson], start: int, stop: int, today: date,
                   prefix: str, vectorised: bool = True) -> list:
    """Validate and encrypt rows [start, stop): prepared tuples, or the error of a bad row.
    The ID numbers are checked as one column (`idnumber.check_id_numbers`, the same answers as
    value by value) and encrypted in one batch (`IdCipher.encrypt_many`). A forked worker
    checks them one by one: polars' thread pool must not be used after a fork."""
    memo, out = ({}, {}), []
    raw = [people[i].id_number for i in range(start, stop)]
    if vectorised:
        import polars as pl

        checked = idnumber.check_id_numbers(pl.Series(raw, dtype=pl.String), today)
        numbers = [n if e is None else None
                   for n, e in zip(checked["id_number"].to_list(), checked["error"].to_list())]
    else:
        numbers = [c.number if c.valid else None
                   for c in (idnumber.check_id_number(r, today) for r in raw)]
    for index, number in zip(range(start, stop), numbers):
        try:
            out.append(_prepare_person(people[index], number, today, prefix, memo))
        except AnjuError as error:
            out.append(error)
    good = [row for row in out if not isinstance(row, AnjuError)]
    cipher = id_cipher()
    sealed = iter(zip(map(cipher.lookup_hash, (row[0] for row in good)),
                      cipher.encrypt_many([row[0] for row in good])))
    return [row if isinstance(row, AnjuError) else (*next(sealed), *row[1:]) for row in out]


def _prepare_forked(job: tuple[int, int, date, str]) -> list:
    """In a pool worker: the rows come from `_jobs`, inherited through fork, not pickled."""
    return _prepare_slice(_jobs, *job, vectorised=False)


@gc_paused
def load_persons(session: Session, actor: Actor, people: Sequence[BulkPerson], *,
                 workers: int = 0) -> BulkResult:
    """Create persons (one person, one code); answers their person codes in input order.

    `workers`: forked processes that validate and encrypt the next chunk while this one is
    written. Off by default: measured on 2 shared cores with PostgreSQL on the same machine, the
    pool cost 40% more CPU (pickling) and loaded slower. Worth trying with cores to spare; call
    it from a command or batch job, not from a threaded server."""
    global _jobs
    prefix, today = begin(session, actor), clock.today()
    result = BulkResult([None] * len(people))
    jobs = [(i, min(i + CHUNK, len(people)), today, prefix) for i in range(0, len(people), CHUNK)]
    seen: dict[str, str] = {}  # id hash -> person code, over this whole load
    if workers > 1 or (workers == 1 and len(jobs) > 1):
        with _fork_lock:
            _jobs = people
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for job, prepared in zip(jobs, pool.imap(_prepare_forked, jobs)):
                        _write_people(session, actor, job[0], prepared, seen, result, people,
                                      prefix)
            finally:
                _jobs = ()
    else:
        # One chunk ahead in a thread: while this thread waits on PostgreSQL taking a COPY (the
        # driver lets go of the interpreter lock then), the next chunk is validated and
        # encrypted, so the two cores of a small machine both work.
        with ThreadPoolExecutor(1, thread_name_prefix="anju-bulk") as ahead:
            pending = ahead.submit(_prepare_slice, people, *jobs[0]) if jobs else None
            for k, job in enumerate(jobs):
                prepared = pending.result()
                if k + 1 < len(jobs):
                    pending = ahead.submit(_prepare_slice, people, *jobs[k + 1])
                _write_people(session, actor, job[0], prepared, seen, result, people, prefix)
    return result


def _resolve_known(session: Session, actor: Actor, prefix: str, fresh: list[tuple[int, tuple]],
                   names: dict[int, str], result: BulkResult) -> tuple[dict[str, str], set[int]]:
    """ID numbers already recorded, resolved as the service does: to their person code when the
    person lies in the loader's reach or the row's name matches theirs (a name that does not is
    rejected and audited as a refused attempt), so a load hands nobody's code to a stranger."""
    rows = lookup(session, select(Person.id_hash, Person.person_code, Person.name,
                                   Person.division_code), Person.id_hash,
                   (row[0] for _, row in fresh))
    known = {digest: (code, name, division) for digest, code, name, division in rows}
    resolved, proved, refused = {}, [], []
    for index, row in fresh:  # every row proves itself, repeats of an ID number too
        if row[0] not in known:
            continue
        code, name, division = known[row[0]]
        if division.startswith(prefix):
            resolved[row[0]] = code
        elif rules.same_name(names[index], name):
            if row[0] not in resolved:
                proved.append(AuditEvent(P.PERSON_IMPORT, P.REGISTRY_IMPORT, code, "person",
                                         code, {"resolved": "existing", "proved_by": "name"}))
            resolved[row[0]] = code
        else:
            refused.append((index, code))
    for index, _code in refused:
        result.reject(index, rules.name_id_mismatch())
    for _, code in refused:
        audit.note_refusal(session, actor, audit.as_attempt(
            AuditEvent(P.PERSON_IMPORT, P.REGISTRY_IMPORT, code, "person", code), 422,
            "name_id_mismatch"))
    audit.append_bulk(session, actor, proved)
    return resolved, {index for index, _ in refused}


def _write_people(session: Session, actor: Actor, start: int, prepared: list,
                  seen: dict[str, str], result: BulkResult, people: Sequence[BulkPerson],
                  prefix: str) -> None:
    fresh: list[tuple[int, tuple]] = []
    for index, row in enumerate(prepared, start):
        if isinstance(row, AnjuError):
            result.reject(index, row)
            continue
        for w in row[-1]:
            result.warn(index, w.code, w.message_zh, w.message_en, "id_number")
        fresh.append((index, row))
    unseen = [(index, row) for index, row in fresh if row[0] not in seen]
    known, refused = _resolve_known(session, actor, prefix, unseen,
                                    {index: people[index].name for index, _ in unseen}, result)
    seen.update(known)
    fresh = [(index, row) for index, row in fresh if index not in refused]
    new = []
    for index, row in fresh:
        if row[0] not in seen:
            seen[row[0]] = ""  # a repeat later in the load resolves to this row's code
            new.append((index, row))
    codes = _fresh_codes(session, len(new))
    now = sql_timestamp(utcnow())
    rows = []
    for (_index, row), code in zip(new, codes):
        seen[row[0]] = code
        rows.append((code, row[2], row[1], row[0], *row[3:9], row[8], "active", now, now))
    bulk_insert(session, Person.__tablename__, _PERSON_COLUMNS, rows)
    for index, row in fresh:
        result[index] = seen[row[0]]
    result.created += len(rows)
    result.existing += len(fresh) - len(rows)
    audit.append_bulk(session, actor, (
        AuditEvent(P.PERSON_IMPORT, P.REGISTRY_IMPORT, row[0], "person", row[0]) for row in rows))


def _fresh_codes(session: Session, count: int) -> list[str]:
    """New person codes, none already in use (50 random bits: a clash is rare, not impossible)."""
    codes = list(dict.fromkeys(rules.new_person_codes(count)))
    while True:
        taken = {c for (c,) in lookup(session, select(Person.person_code), Person.person_code,
                                       codes)}
        codes = [c for c in codes if c not in taken]
        if len(codes) >= count:
            return codes[:count]
        codes += [c for c in rules.new_person_codes(count - len(codes)) if c not in codes]
