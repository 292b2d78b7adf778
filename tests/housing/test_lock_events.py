"""Lock events: signed batches, all-or-nothing validation, dedup by event id, brief raw storage
reduced to daily presence, and MQTT through a real Mosquitto broker."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from anju.core import clock
from anju.core.identity import SYSTEM
from anju.housing import events
from anju.housing.models import LockEventSeen, LockPresence
from tests.housing.conftest import keys_of, tenant


def _events(key_id: str, lock_id: str, day: date, n: int, prefix: str = "e") -> list[dict]:
    return [{"event_id": f"{prefix}-{day}-{i}", "lock_id": lock_id, "key_id": key_id,
             "ts": f"{day.isoformat()}T{8 + i % 12:02d}:{i % 60:02d}:00+08:00", "kind": "open"}
            for i in range(n)]


def _post(client, vendor, evts, signature=None):
    body = vendor.body(evts)
    headers = vendor.headers(body)
    if signature is not None:
        headers["X-Anju-Signature"] = signature
    return client.post("/api/v1/lock-events", content=body, headers=headers)


def _seen(db) -> int:
    with db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(LockEventSeen)).scalar_one()


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
        seen_days = set(s.execute(select(LockEventSeen.day)).scalars())
    mine = [(d, n) for k, d, n in presence if k == key.key_id]
    assert mine == [(d, n + 1) for n, d in enumerate(days)]
    assert seen_days == set(days[2:])  # the dedup index shrinks with the raw window
    # an event for a deleted day is not stored again
    with world.db.unit_of_work() as s:
        out = events.ingest_events(s, 1, {"vendor": vendor.name,
                                          "events": _events(key.key_id, _lock(world), days[0], 1,
                                                            "late")})
    assert out.stale == 1 and out.new == 0 and events.raw_days_on_disk() == days[2:]
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
