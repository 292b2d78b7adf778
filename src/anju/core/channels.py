"""Outbound messages to people (text messages first), behind one interface.

A `Channel` takes a `Message` and answers a `Delivery`: where the message stands (accepted by
the channel, delivered to the handset, failed) under the channel's own message id, which a
later `status()` call looks up again (a gateway's delivery report). Anju reaches no SMS provider
here, so the default `OutboxChannel` appends each message to `data_dir/outbox/sms.jsonl` (an
operator, a training room or a test reads it there). A county plugs in its gateway by writing a
`Channel` subclass and naming it in `ANJU_SMS_CHANNEL=module:Class`; nothing else changes.

What to say and to whom (templates, preferences, the in-app inbox, storing delivery status on
the notice) is the `cases` domain's; this module only carries the text.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from anju.core.config import Settings, get_settings
from anju.core.errors import AnjuError, ValidationError

MAX_TEXT = 500  # characters: a long text message is sent in parts of 67; beyond this, a letter
_PHONE = re.compile(r"^(\+?86)?1\d{10}$")


class DeliveryStatus(StrEnum):
    ACCEPTED = "accepted"  # the channel took it (queued at the gateway, or in the outbox)
    DELIVERED = "delivered"  # the handset confirmed it (a gateway's delivery report)
    FAILED = "failed"  # it will not arrive (bad number, refused, expired)


@dataclass(frozen=True)
class Message:
    to: str  # a mainland mobile number, 11 digits (optionally +86)
    text: str
    reference: str | None = None  # the sender's id for it (a notice), echoed in the delivery

    def __post_init__(self) -> None:
        number = re.sub(r"[\s-]", "", self.to or "")
        if not _PHONE.match(number):
            raise ValidationError("sms_number", "短信号码应为 11 位手机号码",
                                  "a text message needs an 11-digit mobile number", field="to")
        if not self.text or len(self.text) > MAX_TEXT:
            raise ValidationError("sms_text", f"短信内容应为 1–{MAX_TEXT} 个字",
                                  f"a text message holds 1-{MAX_TEXT} characters", field="text")
        object.__setattr__(self, "to", number[-11:])


@dataclass(frozen=True)
class Delivery:
    message_id: str  # the channel's id of the message
    status: DeliveryStatus
    channel: str
    at: datetime  # when the status was learnt (UTC)
    reference: str | None = None
    reason: str | None = None  # why it failed, in the gateway's words


class Channel(ABC):
    """Where outbound messages of one kind go. Subclasses take the settings in their
    constructor, send in `send` and look a message up again in `status`."""

    name: str = "channel"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def send(self, message: Message) -> Delivery:
        """Hand the message over; the answer is usually ACCEPTED (or FAILED at once)."""

    @abstractmethod
    def status(self, message_id: str) -> Delivery | None:
        """Where a message sent earlier stands now (None: this channel never saw it)."""


class OutboxChannel(Channel):
    """Every message becomes one JSON line in data_dir/outbox/sms.jsonl (mode 0600: it holds
    phone numbers). Appends from several server processes do not interleave (an exclusive
    lock around each write)."""

    name = "outbox"

    @property
    def path(self) -> Path:
        return self.settings.data_dir / "outbox" / "sms.jsonl"

    def send(self, message: Message) -> Delivery:
        delivery = Delivery(f"outbox-{secrets.token_hex(8)}", DeliveryStatus.ACCEPTED, self.name,
                            datetime.now(UTC), message.reference)
        line = json.dumps({**asdict(message), "message_id": delivery.message_id,
                           "status": delivery.status.value, "at": delivery.at.isoformat()},
                          ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)
            f.flush()
        return delivery

    def status(self, message_id: str) -> Delivery | None:
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                item = json.loads(line)
                if item.get("message_id") == message_id:
                    return Delivery(message_id, DeliveryStatus(item["status"]), self.name,
                                    datetime.fromisoformat(item["at"]), item.get("reference"))
        return None


def sms_channel(settings: Settings | None = None) -> Channel:
    """The text-message channel ANJU_SMS_CHANNEL names: "outbox", or "module:Class" of a
    Channel subclass (loaded when first asked for, so a missing gateway library does not stop
    the rest of Anju)."""
    from anju.core.domain import resolve

    settings = settings or get_settings()
    if settings.sms_channel == "outbox":
        return OutboxChannel(settings)
    try:
        found = resolve(settings.sms_channel)
    except (ImportError, AttributeError) as error:
        raise ChannelError(settings.sms_channel, str(error)) from None
    if not (isinstance(found, type) and issubclass(found, Channel)):
        raise ChannelError(settings.sms_channel, "not a subclass of anju.core.channels.Channel")
    return found(settings)


class ChannelError(AnjuError):
    """ANJU_SMS_CHANNEL names nothing usable: an operator's mistake, said plainly."""

    http_status = 503

    def __init__(self, name: str, why: str) -> None:
        super().__init__("sms_channel_unusable", f"短信通道 {name} 无法使用：{why}",
                         f"the SMS channel {name} cannot be used: {why}")
