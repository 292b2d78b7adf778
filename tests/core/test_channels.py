"""Outbound text messages: the default channel writes each one to the outbox with its status, and
a county's own gateway adapter is loaded from ANJU_SMS_CHANNEL."""
from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from pydantic import ValidationError as SettingsError

from anju.core import channels
from anju.core.channels import Channel, Delivery, DeliveryStatus, Message
from anju.core.config import Settings
from anju.core.errors import ValidationError


class RecordingGateway(Channel):
    """A stand-in for a provider's adapter: what a county would write (tests only)."""

    name = "recording"
    sent: ClassVar[list[Message]] = []

    def send(self, message: Message) -> Delivery:
        RecordingGateway.sent.append(message)
        return Delivery(f"gw-{len(self.sent)}", DeliveryStatus.ACCEPTED, self.name,
                        datetime.now(UTC), message.reference)

    def status(self, message_id: str) -> Delivery | None:
        return Delivery(message_id, DeliveryStatus.DELIVERED, self.name, datetime.now(UTC))


class NotAChannel:
    pass


def test_a_message_goes_to_the_outbox_with_its_status(tmp_path):
    channel = channels.sms_channel(Settings(data_dir=tmp_path))
    assert isinstance(channel, channels.OutboxChannel)
    first = channel.send(Message("138 1234 5678", "您的居住证申请已受理。", reference="notice-1"))
    second = channel.send(Message("+8613900001111", "Your case was accepted."))
    assert first.status is DeliveryStatus.ACCEPTED and first.channel == "outbox"
    assert first.message_id != second.message_id
    outbox = tmp_path / "outbox" / "sms.jsonl"
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [(m["to"], m["text"], m["status"], m["reference"]) for m in lines] == [
        ("13812345678", "您的居住证申请已受理。", "accepted", "notice-1"),
        ("13900001111", "Your case was accepted.", "accepted", None)]
    assert lines[0]["message_id"] == first.message_id
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600  # phone numbers inside
    again = channel.status(first.message_id)
    assert (again.status, again.reference) == (DeliveryStatus.ACCEPTED, "notice-1")
    assert channel.status("outbox-unknown") is None


@pytest.mark.parametrize("to, text", [("12345", "hi"), ("138123456789", "hi"),
                                      ("13812345678", ""), ("13812345678", "长" * 501)])
def test_a_message_without_a_mobile_number_or_text_is_refused(to, text):
    with pytest.raises(ValidationError):
        Message(to, text)


def test_a_custom_channel_is_loaded_from_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("ANJU_SMS_CHANNEL", f"{__name__}:RecordingGateway")
    settings = Settings(data_dir=tmp_path)
    channel = channels.sms_channel(settings)
    assert isinstance(channel, RecordingGateway) and channel.settings is settings
    delivery = channel.send(Message("13812345678", "测试"))
    assert delivery.channel == "recording" and RecordingGateway.sent[-1].text == "测试"
    assert channel.status(delivery.message_id).status is DeliveryStatus.DELIVERED
    assert not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("name, why", [
    (f"{__name__}:NotAChannel", "not a subclass"),
    (f"{__name__}:Missing", "Missing"),
    ("anju.no_such_module:Gateway", "anju.no_such_module"),
])
def test_a_setting_naming_nothing_usable_says_so(tmp_path, name, why):
    with pytest.raises(channels.ChannelError) as error:
        channels.sms_channel(Settings(data_dir=tmp_path, sms_channel=name))
    assert why in error.value.message_en and name in error.value.message_zh


def test_a_malformed_setting_is_refused_at_settings_load():
    with pytest.raises(SettingsError, match="ANJU_SMS_CHANNEL"):
        Settings(sms_channel="smtp://gateway")
