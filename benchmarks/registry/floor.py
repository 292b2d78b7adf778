"""The floor of the registry benchmark: a minimal ASGI app (uvicorn and psycopg's async driver,
no framework, no ORM) that answers the benchmark's three requests with the same SQL Anju sends,
so run.py can say how far Anju is from what the server and the database alone cost.

    ANJU_FLOOR_DSN=postgresql://… python -m uvicorn floor:app --app-dir benchmarks/registry

Per request, in one transaction, as Anju does it:
* GET /api/v1/persons/{code}: the person row by code, one audit row, commit;
* GET /api/v1/persons?id_number=N: the lookup hash of N (Anju's own keyed hash), the person row
  by hash, one audit row, commit;
* POST /api/v1/registrations: the room with its house, the person locked FOR UPDATE, the
  person's active registrations, the room's occupants, the INSERT of the registration, one audit
  row, commit.
The audit row is inserted unsealed (no sequence number, no hashes, no lock): the row a request
writes once the chain is sealed in batches. Left out on purpose: the token check (any bearer is
accepted), the permission and purpose checks, decrypting the ID number, the answer's field
filter — what the framework and the application add is exactly what the ratio measures.
Benchmark code, never part of the product.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs

import psycopg

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

PERSON = ("SELECT id, person_code, name, id_cipher, id_hash, sex, birth_date, phone, "
          "hukou_address, hukou_division_code, division_code, base_division_code, status "
          "FROM persons WHERE {} = %s")
AUDIT = ("INSERT INTO audit_pending (at, account_id, username, role, action, person_code, "
         "object_type, object_id, purpose, detail{extra}) "
         "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s{marks})")
ROOM = ("SELECT rooms.id, rooms.capacity, houses.division_code, houses.landlord_person_code "
        "FROM rooms JOIN houses ON houses.id = rooms.house_id "
        "WHERE rooms.id = %s AND rooms.removed_at IS NULL")
LOCK = "SELECT person_code FROM persons WHERE person_code = %s FOR UPDATE"
CURRENT = ("SELECT id, status, start_date, end_date FROM registrations "
           "WHERE person_code = %s AND status IN ('submitted', 'approved')")
OCCUPANTS = ("SELECT count(*) FROM registrations "
             "WHERE room_id = %s AND status IN ('submitted', 'approved')")
INSERT_REG = ("INSERT INTO registrations (person_code, room_id, division_code, "
              "landlord_person_code, start_date, reason, status, submitted_by, created_at) "
              "VALUES (%s, %s, %s, %s, %s, %s, 'submitted', 'floor', %s) RETURNING id")


class Floor:
    def __init__(self) -> None:
        self.pool: asyncio.Queue | None = None
        self.audit_sql = AUDIT
        self.audit_extra: tuple = ()
        self.lookup_hash = None

    async def start(self) -> None:
        from anju.core.crypto import id_cipher

        self.lookup_hash = id_cipher().lookup_hash
        dsn, size = os.environ["ANJU_FLOOR_DSN"], int(os.environ.get("ANJU_FLOOR_POOL", "10"))
        self.pool = asyncio.Queue()
        for _ in range(size):
            self.pool.put_nowait(await psycopg.AsyncConnection.connect(dsn))
        await self._audit_columns()

    async def _audit_columns(self) -> None:
        """Any further NOT NULL column without a default (a partition number, after the
        sealer's migration) gets a plain value, so the floor keeps running as the table grows."""
        conn = await self.pool.get()
        try:
            rows = await (await conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'audit_pending' AND is_nullable = 'NO' "
                "AND column_default IS NULL AND column_name NOT IN ('id', 'at', 'username', "
                "'role', 'action', 'purpose')")).fetchall()
            await conn.rollback()
        finally:
            self.pool.put_nowait(conn)
        names = [name for name, _ in rows]
        self.audit_extra = tuple(0 if "int" in kind else "" for _, kind in rows)
        self.audit_sql = AUDIT.format(extra="".join(", " + n for n in names),
                                      marks=", %s" * len(names))

    async def audit(self, conn, action: str, purpose: str, person_code: str, kind: str,
                    object_id: str, detail: dict | None = None) -> None:
        await conn.execute(self.audit_sql, (
            datetime.now(UTC).replace(tzinfo=None), 1, "floor", "police", action, person_code,
            kind, object_id, purpose, json.dumps(detail) if detail else None,
            *self.audit_extra))

    async def person(self, column: str, value: str, detail: dict | None = None):
        conn = await self.pool.get()
        try:
            async with conn.transaction():
                row = await (await conn.execute(PERSON.format(column), (value,))).fetchone()
                if row is None:
                    return 404, {"error": {"code": "not_found"}}
                await self.audit(conn, "person.read", "public_security", row[1], "person",
                                 row[1], detail)
            return 200, {"person_code": row[1], "name": row[2], "sex": row[5],
                         "birth_date": str(row[6]), "phone": row[7],
                         "division_code": row[10], "status": row[12]}
        finally:
            self.pool.put_nowait(conn)

    async def register(self, body: dict):
        conn = await self.pool.get()
        try:
            async with conn.transaction():
                room = await (await conn.execute(ROOM, (body["room_id"],))).fetchone()
                if room is None:
                    return 404, {"error": {"code": "not_found"}}
                if await (await conn.execute(LOCK, (body["person_code"],))).fetchone() is None:
                    return 404, {"error": {"code": "not_found"}}
                current = await (await conn.execute(CURRENT, (body["person_code"],))).fetchall()
                if current:
                    return 409, {"error": {"code": "registration_overlap"}}
                await (await conn.execute(OCCUPANTS, (room[0],))).fetchone()
                start = date.fromisoformat(body["start_date"])
                (reg_id,) = await (await conn.execute(INSERT_REG, (
                    body["person_code"], room[0], room[2], room[3], start, body["reason"],
                    datetime.now(UTC).replace(tzinfo=None)))).fetchone()
                await self.audit(conn, "registration.submit", "residence_registration",
                                 body["person_code"], "registration", str(reg_id))
            return 201, {"registration_id": reg_id, "person_code": body["person_code"],
                         "room_id": room[0], "status": "submitted"}
        finally:
            self.pool.put_nowait(conn)


floor = Floor()


async def _body(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _answer(send, status: int, payload: dict) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await floor.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path, method = scope["path"], scope["method"]
    if path == "/healthz":
        return await _answer(send, 200, {"ok": True})
    if path == "/api/v1/auth/token" and method == "POST":
        await _body(receive)
        return await _answer(send, 200, {"access_token": "floor", "token_type": "bearer"})
    if not any(k == b"authorization" for k, _ in scope["headers"]):
        return await _answer(send, 401, {"error": {"code": "not_authenticated"}})
    if method == "GET" and path.startswith("/api/v1/persons/"):
        status, out = await floor.person("person_code", path.rsplit("/", 1)[1])
    elif method == "GET" and path == "/api/v1/persons":
        number = parse_qs(scope["query_string"].decode()).get("id_number", [""])[0]
        status, out = await floor.person("id_hash", floor.lookup_hash(number),
                                         {"by": "id_number"})
    elif method == "POST" and path == "/api/v1/registrations":
        status, out = await floor.register(json.loads(await _body(receive)))
    else:
        status, out = 404, {"error": {"code": "not_found"}}
    await _answer(send, status, out)
