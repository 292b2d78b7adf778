"""A small closed-loop HTTP/1.1 load generator (asyncio + uvloop, raw keep-alive sockets).

Run as its own process by run.py: `python loadgen.py SPEC.json RESULT.json`. It keeps exactly
`concurrency` connections busy, each sending one request, waiting for the whole answer, then
sending the next (no pipelining). Requests made during the warm-up are not recorded. Everything
is bounded: it stops starting requests at the deadline, waits at most `grace` seconds for those in
flight, and each connection also stops after `max_requests_per_conn`.

It only ever connects to 127.0.0.1 (the spec's host is checked).

The mix, per request: `lookup_code` (GET /api/v1/persons/{code}), `lookup_id`
(GET /api/v1/persons?id_number=...), `register` (POST /api/v1/registrations for a person of the
pool, each pool person used at most once; when the pool runs out the connection sends a lookup
instead and the shortfall is reported).
"""
from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from array import array

KINDS = ("lookup_code", "lookup_id", "register")


class Pool:
    """Hands out each registration-pool person once (one event loop thread: no lock needed)."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        self.next = 0
        self.exhausted = 0

    def take(self) -> str | None:
        if self.next >= len(self.codes):
            self.exhausted += 1
            return None
        code = self.codes[self.next]
        self.next += 1
        return code


class Stats:
    def __init__(self) -> None:
        self.latency = {k: array("d") for k in KINDS}
        self.status: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self.errors: dict[str, int] = {k: 0 for k in KINDS}
        self.transport_errors = 0
        self.samples: list[dict] = []
        self.per_second: dict[int, int] = {}
        self.warmup_requests = 0
        self.warmup_errors = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size + 2)
            del body[-2:]
        return status, bytes(body), close
    return status, (await reader.readexactly(length) if length else b""), close


class Generator:
    def __init__(self, spec: dict) -> None:
        if spec["host"] != "127.0.0.1":
            raise SystemExit("the load generator only targets 127.0.0.1")
        self.spec = spec
        self.host, self.port = spec["host"], int(spec["port"])
        self.hostline = f"Host: {self.host}:{self.port}\r\n".encode()
        self.tokens = [f"Authorization: Bearer {t}\r\n".encode() for t in spec["tokens"]]
        self.codes = spec["lookup_codes"]
        self.ids = spec["lookup_ids"]
        self.rooms = spec["rooms"]
        self.pool = Pool(spec["pool_codes"])
        self.start_date = spec["start_date"]
        self.mix = spec["mix"]  # fractions of lookup_code, lookup_id, register
        self.stats = Stats()
        self.room_next = 0

    def _request(self, rnd: random.Random, auth: bytes) -> tuple[str, bytes]:
        x = rnd.random()
        kind = "register" if x >= self.mix[0] + self.mix[1] else (
            "lookup_code" if x < self.mix[0] else "lookup_id")
        if kind == "register":
            code = self.pool.take()
            if code is None:
                kind = "lookup_code"
            else:
                room = self.rooms[self.room_next % len(self.rooms)]
                self.room_next += 1
                body = json.dumps({"person_code": code, "room_id": room,
                                   "start_date": self.start_date, "reason": "work"}).encode()
                return kind, (b"POST /api/v1/registrations HTTP/1.1\r\n" + self.hostline + auth +
                              b"Content-Type: application/json\r\nContent-Length: " +
                              str(len(body)).encode() + b"\r\n\r\n" + body)
        if kind == "lookup_code":
            code = self.codes[rnd.randrange(len(self.codes))]
            return kind, (f"GET /api/v1/persons/{code} HTTP/1.1\r\n".encode() + self.hostline +
                          auth + b"\r\n")
        number = self.ids[rnd.randrange(len(self.ids))]
        return kind, (f"GET /api/v1/persons?id_number={number} HTTP/1.1\r\n".encode() +
                      self.hostline + auth + b"\r\n")

    async def connection(self, n: int, t_measure: float, t_end: float) -> None:
        rnd = random.Random(self.spec.get("seed", 1) * 1000 + n)
        auth = self.tokens[n % len(self.tokens)]
        timeout = float(self.spec.get("request_timeout", 30))
        limit = int(self.spec.get("max_requests_per_conn", 1_000_000))
        stats, clock = self.stats, time.perf_counter
        reader = writer = None
        done = 0
        while done < limit and clock() < t_end:
            kind, payload = self._request(rnd, auth)
            t0 = clock()
            try:
                async with asyncio.timeout(timeout):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(self.host, self.port)
                    writer.write(payload)
                    status, body, close = await _read_response(reader)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError, IndexError) as error:
                status, body, close = -1, repr(error).encode(), True
                if writer is not None:
                    writer.close()
                reader = writer = None
                if t0 >= t_measure:
                    stats.transport_errors += 1
                await asyncio.sleep(0.05)
            t1 = clock()
            done += 1
            if close and writer is not None:
                writer.close()
                reader = writer = None
            ok = 200 <= status < 300
            if t0 < t_measure:  # warm-up: not recorded
                stats.warmup_requests += 1
                stats.warmup_errors += not ok
                continue
            if t1 > t_end + self.spec.get("grace", 10):
                continue
            stats.latency[kind].append(t1 - t0)
            key = str(status)
            stats.status[kind][key] = stats.status[kind].get(key, 0) + 1
            sec = int(t1 - t_measure)
            stats.per_second[sec] = stats.per_second.get(sec, 0) + 1
            if not ok:
                stats.errors[kind] += 1
                if len(stats.samples) < 20:
                    stats.samples.append({"kind": kind, "status": status,
                                          "body": body[:300].decode("utf-8", "replace")})
        if writer is not None:
            writer.close()

    async def run(self) -> dict:
        warmup, duration = float(self.spec["warmup"]), float(self.spec["duration"])
        start = time.perf_counter()
        t_measure, t_end = start + warmup, start + warmup + duration
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        tasks = [asyncio.create_task(self.connection(n, t_measure, t_end))
                 for n in range(int(self.spec["concurrency"]))]
        await asyncio.wait(tasks, timeout=warmup + duration + float(self.spec.get("grace", 10)))
        for task in tasks:  # anything still waiting past the grace period is abandoned
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        finished = time.perf_counter()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        return self.summary(duration, finished - start,
                            (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime))

    def summary(self, duration: float, wall: float, cpu: float) -> dict:
        st = self.stats
        kinds = {}
        all_lat = array("d")
        for kind in KINDS:
            lat = st.latency[kind]
            all_lat.extend(lat)
            kinds[kind] = {"requests": len(lat), "errors": st.errors[kind],
                           "status": st.status[kind], **latency_summary(lat)}
        total = len(all_lat)
        errors = sum(st.errors.values())
        return {
            "duration_s": duration,
            "requests": total,
            "errors": errors,
            "transport_errors": st.transport_errors,
            "throughput_rps": total / duration,
            "ok_throughput_rps": (total - errors) / duration,
            "latency": latency_summary(all_lat),
            "by_kind": kinds,
            "mix_observed": {k: (len(st.latency[k]) / total if total else 0.0) for k in KINDS},
            "registration_pool": {"size": len(self.pool.codes), "used": self.pool.next,
                                  "exhausted_draws": self.pool.exhausted},
            "warmup_requests": st.warmup_requests,
            "warmup_errors": st.warmup_errors,
            "per_second": [st.per_second.get(s, 0) for s in range(int(duration))],
            "error_samples": st.samples,
            "generator": {"wall_s": wall, "cpu_s": cpu},
        }


def latency_summary(lat: array) -> dict:
    if not lat:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None}
    s = sorted(lat)

    def pct(p: float) -> float:  # nearest rank
        k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
        return round(s[k] * 1000, 3)

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "mean_ms": round(sum(s) / len(s) * 1000, 3), "max_ms": round(s[-1] * 1000, 3)}


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    try:
        import uvloop

        uvloop.install()
        loop_kind = "uvloop"
    except ImportError:  # pragma: no cover
        loop_kind = "asyncio"
    result = asyncio.run(Generator(spec).run())
    result["generator"]["loop"] = loop_kind
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
