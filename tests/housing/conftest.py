"""Housing fixtures: a tenant with an approved registration, a registered lock vendor and lock,
signed batches, and a real Mosquitto broker for the MQTT test."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import date

import pytest

from anju.core.identity import SYSTEM
from anju.housing import rules, service
from anju.housing.schemas import LockIn
from anju.registry import service as registry
from tests.factories import submit
from tests.support.pgserver import free_port


@dataclass
class Vendor:
    name: str
    secret: str

    def body(self, events: list[dict]) -> bytes:
        return json.dumps({"vendor": self.name, "events": events}).encode()

    def headers(self, body: bytes) -> dict:
        return {"X-Anju-Signature": rules.signature(self.secret, body),
                "content-type": "application/json"}


def approve(db, police, registration_id: int) -> None:
    with db.unit_of_work() as s:
        registry.approve_registration(s, police, registration_id)


def tenant(world, start: date = date(2026, 1, 5)) -> int:
    """The world's resident, registered in room 101 and approved; returns the registration id."""
    reg_id = submit(world.db, world.resident, world.resident.person_code, world.room_id, start)
    approve(world.db, world.police, reg_id)
    return reg_id


def keys_of(world, actor, person_code):
    with world.db.unit_of_work() as s:
        return service.list_keys(s, actor, person_code)


def make_vendor(world, name: str = "安居锁业") -> Vendor:
    """A vendor with a lock ("L-<room id>") on every room of the world's house."""
    with world.db.unit_of_work() as s:
        secret = service.add_vendor(s, SYSTEM, name)
    with world.db.unit_of_work() as s:
        for room in world.house["rooms"]:
            service.register_lock(s, world.landlord, LockIn(
                lock_id=f"L-{room['room_id']}", vendor=name, room_id=room["room_id"]))
    return Vendor(name, secret)


@pytest.fixture
def vendor(world) -> Vendor:
    return make_vendor(world)


@pytest.fixture
def mosquitto(tmp_path):
    """A real broker on 127.0.0.1 and a free port, stopped after the test."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not shutil.os.path.exists(binary):
        pytest.fail("mosquitto is not installed: run `./dev setup` (apt-get install mosquitto)")
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"mosquitto did not start: {process.stderr.read().decode()}")
            time.sleep(0.05)
    yield port
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(autouse=True)
def _fresh_ingest_caches():
    """Each test's database is new: forget the in-process lock map and dedup index."""
    from anju.housing import events

    events.forget_locks()
    events.forget_dedup_index()
    yield
    events.forget_locks()
    events.forget_dedup_index()
