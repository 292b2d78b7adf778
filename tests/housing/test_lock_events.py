"""Lock events: signed batches, all-or-nothing validation, dedup by event id, brief raw storage
reduced to daily presence, and MQTT through a real Mosquitto broker."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from anju.core import clock
from anju.core.identity import SYSTEM
from anju.housing import events
from anju.housing.events import store
from anju.housing.models import LockPresence
from tests.housing.conftest import keys_of, tenant


def _events(key_id: str, lock_id: str, day: date, n: int, prefix: str = "e") -> list[dict]:
    # Times in the first hour of the day (CST): never "in the future" for today, whatever the
    # hour the tests run at (ingest allows a device clock one hour fast).
    return [{"event_id": f"{prefix}-{day}-{i}", "lock_id": lock_id, "key_id": key_id,
             "ts": f"{day.isoformat()}T00:{i // 60 % 60:02d}:{i % 60:02d}+08:00", "kind": "open"}
            for i in range(n)]


def _post(client, vendor, evts, signature=None):
    body = vendor.body(evts)
    headers = vendor.headers(body)
    if signature is not None:
        headers["X-Anju-Signature"] = signature
    return client.post("/api/v1/lock-events", content=body, headers=headers)


def _seen(db=None) -> int:
    """How many events the raw Parquet files hold (each stored id once)."""
    import pyarrow.parquet as pq

    files = [str(p) for p in events.events_root().rglob("*.parquet")]
    if not files:
        return 0
    ids = [e for f in files for e in pq.read_table(f, columns=["event_id"]).column(0).to_pylist()]
    assert len(ids) == len(set(ids)), "an event id stored twice"
    return len(ids)


def _lock(world) -> str:
    return f"L-{world.room_id}"


def test_a_resent_batch_is_not_counted_twice(world, vendor, client):
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    batch = _events(key.key_id, _lock(world), clock.today(), 5)
    first = _post(client, vendor, batch)
    assert first.status_code == 202, first.text
    assert first.json() == {"received": 5, "new": 5, "duplicate": 0, "stale": 0}
    again = _post(client, vendor, batch + _events(key.key_id, _lock(world), clock.today(), 1, "x"))
    assert again.json() == {"received": 6, "new": 1, "duplicate": 5, "stale": 0}
    assert _seen(world.db) == 6
    assert events.raw_days_on_disk() == [clock.today()]
    import pyarrow.parquet as pq

    stored = pq.read_table(events.partition(events.events_root(), clock.today()))
    assert stored.num_rows == 6 and set(stored.column("key_id").to_pylist()) == {key.key_id}


@pytest.mark.parametrize("signature", ["", "00" * 32, "not-hex"])
def test_a_bad_signature_is_refused_and_nothing_stored(world, vendor, client, signature):
    response = _post(client, vendor, _events("K1", _lock(world), clock.today(), 2),
                     signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("signature_invalid", "not_authenticated")
    assert _seen(world.db) == 0 and events.raw_days_on_disk() == []


def test_a_signature_under_another_vendors_secret_is_refused(world, vendor, client):
    from anju.housing import rules

    body = vendor.body(_events("K1", _lock(world), clock.today(), 1))
    forged = rules.signature("someone-elses-secret", body)
    response = client.post("/api/v1/lock-events", content=body,
                           headers={"X-Anju-Signature": forged})
    assert response.status_code == 401


@pytest.mark.parametrize("mutate,field,code", [
    (lambda e: e.update(lock_id="L-unknown"), "events.3.lock_id", "lock_unknown"),
    (lambda e: e.pop("event_id"), "events.3.event_id", "event_malformed"),
    (lambda e: e.update(ts="yesterday"), "events.3.ts", "event_ts"),
    (lambda e: e.update(kind="teleport"), "events.3.kind", "event_kind"),
    (lambda e: e.update(ts=(datetime.now() + timedelta(days=2)).isoformat()),
     "events.3.ts", "event_in_future"),
])
def test_a_bad_event_sinks_the_whole_batch_with_its_index(world, vendor, client, mutate, field,
                                                          code):
    batch = _events("K1", _lock(world), clock.today(), 6)
    mutate(batch[3])
    response = _post(client, vendor, batch)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and error["code"] == code
    assert "第 3 条" in error["message_zh"] and "event 3" in error["message_en"]
    assert _seen(world.db) == 0 and events.raw_days_on_disk() == []


def test_retention_reduces_to_daily_presence_and_deletes_raw_events(world, vendor):
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    today = clock.today()
    days = [today - timedelta(days=n) for n in (3, 2, 1, 0)]
    with world.db.unit_of_work() as s:
        for n, day in enumerate(days):
            batch = {"vendor": vendor.name,
                     "events": _events(key.key_id, _lock(world), day, n + 1)
                     + _events("K-GUEST", _lock(world), day, 1, "g")}
            events.ingest_events(s, 1, batch)
    assert events.raw_days_on_disk() == days
    # five days later the first two days are beyond the 3-day window
    clock.pin_today(today + timedelta(days=2))
    with world.db.unit_of_work() as s:
        report = events.reduce_and_expire(s, SYSTEM)
    assert report.days_reduced == 4 and report.raw_days_deleted == 2
    assert events.raw_days_on_disk() == days[2:]
    with world.db.unit_of_work() as s:
        presence = s.execute(select(LockPresence.key_id, LockPresence.day, LockPresence.opens)
                             .order_by(LockPresence.day, LockPresence.key_id)).all()
    mine = [(d, n) for k, d, n in presence if k == key.key_id]
    assert mine == [(d, n + 1) for n, d in enumerate(days)]
    # an event for a deleted day is not stored again
    with world.db.unit_of_work() as s:
        out = events.ingest_events(s, 1, {"vendor": vendor.name,
                                          "events": _events(key.key_id, _lock(world), days[0], 1,
                                                            "late")})
    assert out.stale == 1 and out.new == 0 and events.raw_days_on_disk() == days[2:]
    # the dedup index shrinks with the raw window
    assert set(store._INDEXES[str(events.events_root())].days) == set(days[2:])
    # running again changes nothing
    with world.db.unit_of_work() as s:
        assert events.reduce_and_expire(s, SYSTEM).days_reduced == 0


def test_a_failed_transaction_leaves_no_file(world, vendor):
    batch = {"vendor": vendor.name, "events": _events("K1", _lock(world), clock.today(), 3)}
    with pytest.raises(RuntimeError), world.db.unit_of_work() as s:
        events.ingest_events(s, 1, batch)
        raise RuntimeError("crash before commit")
    assert events.raw_days_on_disk() == [] and _seen(world.db) == 0
    assert not list(events.events_root().rglob("*.tmp"))


def test_mqtt_batches_through_a_real_broker(world, vendor, mosquitto):
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from anju.housing.mqtt import SIGNATURE_PROPERTY, Subscriber

    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    subscriber = Subscriber(world.db, port=mosquitto, client_id="anju-test").start()
    answers, got = [], threading.Event()
    try:
        assert subscriber.subscribed.wait(10), "subscriber did not subscribe"
        device = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="vendor-test",
                             protocol=mqtt.MQTTv5)

        def on_message(client, userdata, message):
            answers.append(json.loads(message.payload))
            got.set()

        device.on_message = on_message
        device.connect("127.0.0.1", mosquitto)
        device.subscribe("vendor/replies", qos=1)
        device.loop_start()
        time.sleep(0.2)
        body = vendor.body(_events(key.key_id, _lock(world), clock.today(), 4))
        for signature in (vendor.headers(body)["X-Anju-Signature"], "bad", None):
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = "vendor/replies"
            if signature:
                props.UserProperty = (SIGNATURE_PROPERTY, signature)
            got.clear()
            device.publish(f"anju/lock-events/{vendor.name}", body, qos=1,
                           properties=props).wait_for_publish(5)
            assert got.wait(10), "no answer from the subscriber"
        device.loop_stop()
        device.disconnect()
    finally:
        subscriber.stop()
    assert answers[0] == {"status": 202, "received": 4, "new": 4, "duplicate": 0, "stale": 0}
    assert [a["status"] for a in answers[1:]] == [401, 401]
    assert _seen(world.db) == 4


def test_duplicates_within_one_transaction_and_one_batch_count_once(world, vendor):
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    batch = _events(key.key_id, _lock(world), clock.today(), 3)
    with world.db.unit_of_work() as s:
        first = events.ingest_events(s, 1, {"vendor": vendor.name, "events": batch + batch[:1]})
        again = events.ingest_events(s, 1, {"vendor": vendor.name, "events": batch})
    assert (first.new, first.duplicate) == (3, 1) and (again.new, again.duplicate) == (0, 3)
    assert _seen() == 3


def test_a_fresh_process_rebuilds_the_index_from_the_files(world, vendor, client):
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    batch = _events(key.key_id, _lock(world), clock.today(), 4)
    assert _post(client, vendor, batch).json()["new"] == 4
    events.forget_dedup_index()  # as after a restart, or in another worker process
    events.forget_locks()
    assert _post(client, vendor, batch).json() == {"received": 4, "new": 0, "duplicate": 4,
                                                   "stale": 0}
    assert _seen() == 4


def test_a_hash_collision_is_not_taken_for_a_duplicate(world, vendor, monkeypatch):
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    monkeypatch.setattr(store, "_id_hash", lambda event_id: 7)  # every id collides
    day = clock.today()
    with world.db.unit_of_work() as s:
        events.ingest_events(s, 1, {"vendor": vendor.name,
                                    "events": _events(key.key_id, _lock(world), day, 2, "a")})
    with world.db.unit_of_work() as s:
        out = events.ingest_events(s, 1, {"vendor": vendor.name, "events": _events(
            key.key_id, _lock(world), day, 2, "a") + _events(key.key_id, _lock(world), day, 2, "b")})
    assert (out.new, out.duplicate) == (2, 2) and _seen() == 4


def test_a_lock_registered_after_the_map_was_loaded_is_found(world, vendor, client):
    from anju.housing import service
    from anju.housing.schemas import LockIn

    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    assert _post(client, vendor, _events(key.key_id, _lock(world), clock.today(), 1)).json()["new"]
    with world.db.unit_of_work() as s:
        service.register_lock(s, world.landlord, LockIn(lock_id="L-new", vendor=vendor.name,
                                                        room_id=world.room_id))
    response = _post(client, vendor, _events(key.key_id, "L-new", clock.today(), 1, "n"))
    assert response.status_code == 202 and response.json()["new"] == 1


_WORKER = """
import json, sys, time
from anju.core.db import Database
from anju.housing import events
url, vendor, start, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
batches = json.load(sys.stdin)
db = Database(url)
while time.time() < start:
    time.sleep(0.001)
new = 0
for batch in batches:
    with db.unit_of_work() as s:
        new += events.ingest_events(s, 1, {"vendor": vendor, "events": batch}).new
open(out, "w").write(str(new))
"""


def test_concurrent_worker_processes_never_store_an_event_twice(world, vendor, tmp_path):
    """Two processes (as two uvicorn workers) send overlapping batches at the same moment: every
    event id is stored once and counted new exactly once."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    day = clock.today()
    shared = [_events(key.key_id, _lock(world), day, 300, f"s{b}") for b in range(6)]
    own = {w: [_events(key.key_id, _lock(world), day, 50, f"{w}{b}") for b in range(6)]
           for w in ("p", "q")}
    url = world.db.engine.url.render_as_string(hide_password=False)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    start = time.time() + 2
    workers = []
    for w in ("p", "q"):
        batches = [a + b for a, b in zip(shared, own[w], strict=True)]
        if w == "q":
            batches.reverse()
        process = subprocess.Popen([sys.executable, "-c", _WORKER, url, vendor.name, str(start),
                                    str(tmp_path / f"{w}.out")], stdin=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        process.stdin.write(json.dumps(batches).encode())
        process.stdin.close()
        workers.append(process)
    errors = [p.stderr.read().decode()[-2000:] for p in workers]
    assert [p.wait(120) for p in workers] == [0, 0], errors
    new = sum(int((tmp_path / f"{w}.out").read_text()) for w in ("p", "q"))
    assert new == 6 * 300 + 2 * 6 * 50
    assert _seen() == new  # _seen also asserts that no id is stored twice
