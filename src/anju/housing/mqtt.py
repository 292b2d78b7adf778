"""Lock events from a county's MQTT broker: the same signed batches as the HTTP endpoint.

Vendors publish (MQTT 5, QoS 1) to `anju/lock-events/<vendor>`: the payload is exactly the JSON
body they would POST, and the user property `X-Anju-Signature` carries the same HMAC. A message
with a Response Topic gets the ingest result (or the error) published there, with its
Correlation Data. The broker may redeliver after a reconnect; event ids make that harmless.
The embedded default needs no broker: this subscriber runs only where a county operates one.
"""
from __future__ import annotations

import json
import logging
import threading

from anju.core.db import Database
from anju.core.errors import AnjuError
from anju.housing import events

log = logging.getLogger(__name__)
DEFAULT_TOPIC = "anju/lock-events/+"
SIGNATURE_PROPERTY = "X-Anju-Signature"


def signature_of(properties) -> str | None:
    for name, value in getattr(properties, "UserProperty", None) or []:
        if name == SIGNATURE_PROPERTY:
            return value
    return None


class Subscriber:
    """Feeds every message on `topic` to `events.ingest`, one transaction per message."""

    def __init__(self, db: Database, host: str = "127.0.0.1", port: int = 1883,
                 topic: str = DEFAULT_TOPIC, client_id: str = "anju-lock-events",
                 username: str | None = None, password: str | None = None) -> None:
        import paho.mqtt.client as mqtt

        self.db, self.host, self.port, self.topic = db, host, port, topic
        self.subscribed = threading.Event()
        self.handled = 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        client.subscribe(self.topic, qos=1)

    def handle(self, payload: bytes, properties) -> dict:
        """Ingest one message; returns what is published back on its Response Topic."""
        try:
            with self.db.unit_of_work() as session:
                result = events.ingest(session, payload, signature_of(properties))
            return {"status": 202, **result.model_dump()}
        except AnjuError as error:
            log.warning("lock-event batch refused: %s", error)
            return {"status": getattr(error, "http_status", 400), "error": error.to_dict()}
        except Exception:  # keep the subscription alive; the broker keeps the message's QoS
            log.exception("lock-event batch failed")
            return {"status": 500, "error": {"code": "internal_error"}}

    def _on_message(self, client, userdata, message) -> None:
        answer = self.handle(message.payload, message.properties)
        self.handled += 1
        reply_to = getattr(message.properties, "ResponseTopic", None)
        if reply_to:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.PUBLISH)
            correlation = getattr(message.properties, "CorrelationData", None)
            if correlation:
                props.CorrelationData = correlation
            client.publish(reply_to, json.dumps(answer, ensure_ascii=False), qos=1,
                           properties=props)

    def start(self) -> Subscriber:
        """Connect and handle messages on a background thread."""
        self.client.connect(self.host, self.port, keepalive=30, clean_start=True)
        self.client.loop_start()
        return self

    def run_forever(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30, clean_start=True)
        self.client.loop_forever(retry_first_connection=True)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
