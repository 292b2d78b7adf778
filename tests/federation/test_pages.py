"""The federation pages in both languages: the administrator sees a peer that stays down, the
analyst the released flows, the resident the requests about them."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from fastapi.testclient import TestClient

from anju.core.identity import job_actor
from anju.federation import rules, service
from anju.web.app import create_app
from tests.factories import make_account, make_person, token, valid_id
from tests.federation.conftest import PEER_CODE


def test_pages_in_both_languages(db, peer):
    envelope = {"version": rules.VERSION, "message_id": "s-0000000001", "sender": PEER_CODE,
                "receiver": "330522", "sent_at": rules.stamp(datetime.now(UTC)),
                "type": "stats", "body": {"month": "2026-11", "cells": [
                    {"origin": "330522001000", "destination": "330523100000", "arrivals": None,
                     "departures": 0, "stock": 44}]}}
    envelope["signature"] = peer.key.sign(envelope)
    assert service.receive(db, json.dumps(envelope).encode())[0] == 200
    police = make_account(db, "police")
    person = make_person(db, police, "陈小梅", id_number=valid_id("330523"))
    clerk = make_account(db, "window_clerk")
    with db.unit_of_work() as s:
        service.request_continuity(s, clerk, peer=PEER_CODE, person_code=person,
                                   purpose="federation.social_insurance")

    def down(url, env):
        raise httpx.ConnectError("refused")

    for _ in range(3):
        service.flush(db, job_actor("test"), force=True, transport=down)
    make_account(db, "admin", username="admin-1")
    make_account(db, "analyst", username="analyst-1")
    make_account(db, "resident", person_code=person, username="chen-1")
    with TestClient(create_app(db=db)) as client:
        for lang, down_word, flows_word, mine_word in (
                ("zh", "无法送达", "＜16（不公布）", "服务接续请求"),
                ("en", "unreachable", "&lt;16 (withheld)", "service continuity")):
            client.cookies.set("anju_lang", lang)
            page = client.get("/admin/federation", headers=token(client, "admin-1"))
            assert page.status_code == 200 and down_word in page.text
            assert "federation." not in page.text  # no untranslated key
            flows = client.get("/federation/flows", headers=token(client, "analyst-1"))
            assert flows.status_code == 200 and flows_word in flows.text and "44" in flows.text
            mine = client.get("/me/federation", headers=token(client, "chen-1"))
            assert mine.status_code == 200 and mine_word in mine.text
            assert "federation." not in mine.text
        refused = client.get("/admin/federation", headers=token(client, "analyst-1"))
        assert refused.status_code == 403


def test_an_administrator_flushes_and_reads_peers_through_the_api(db, peer):
    make_account(db, "admin", username="admin-2")
    make_account(db, "analyst", username="analyst-2")
    with TestClient(create_app(db=db)) as client:
        admin = token(client, "admin-2")
        queued = client.post("/api/v1/federation/stats", headers=admin, json={"month": "2026-11"})
        assert queued.status_code == 202 and queued.json()[0]["state"] == "queued"
        flushed = client.post("/api/v1/federation/flush", headers=admin)
        assert flushed.status_code == 200, flushed.text
        assert flushed.json()["peers_down"] == [PEER_CODE]  # anji.invalid never answers
        [listed] = client.get("/api/v1/federation/peers", headers=admin).json()
        assert listed["failures"] == 1 and listed["queued"] == 1
        analyst = token(client, "analyst-2")
        assert client.post("/api/v1/federation/flush", headers=analyst).status_code == 403
        assert client.get("/api/v1/federation/outbox", headers=analyst).json()[0]["type"] == "stats"


def test_the_resident_is_told_on_their_registration_that_the_notice_went_and_to_whom(db, peer):
    """Registry's page shows federation's line through anju.core.notes (no import between the
    two): waiting while queued, then sent with its date, in both languages; a registration
    without a notice says nothing."""
    from sqlalchemy import update

    from anju.federation.models import Peer as PeerRow
    from tests.federation.test_messages import Peer, _approve_someone_from

    quiet = _approve_someone_from(db, "341221")  # registered in 临泉, not a peer: no notice
    with db.unit_of_work() as s:
        s.execute(update(PeerRow).values(arrival_notices=True))
    person = _approve_someone_from(db, PEER_CODE)
    make_account(db, "resident", person_code=person, username="arrived-1")
    make_account(db, "resident", person_code=quiet, username="quiet-1")
    waiting = {"zh": "将按户籍管理规定向您的户籍地安吉县发送到达通知",
               "en": "An arrival notice to 安吉县, your place of household registration, is "
                     "waiting to be sent"}
    sent = {"zh": "已按户籍管理规定向您的户籍地安吉县发送到达通知（",
            "en": "An arrival notice was sent to 安吉县, your place of household registration"}
    with TestClient(create_app(db=db)) as client:
        for lang in ("zh", "en"):
            client.cookies.set("anju_lang", lang)
            page = client.get("/me/registrations", headers=token(client, "arrived-1"))
            assert page.status_code == 200 and waiting[lang] in page.text
            assert "federation." not in page.text
            other = client.get("/me/registrations", headers=token(client, "quiet-1"))
            assert other.status_code == 200 and "安吉县" not in other.text
        assert service.flush(db, job_actor("test"), force=True, transport=Peer(peer)).delivered
        for lang in ("zh", "en"):
            client.cookies.set("anju_lang", lang)
            page = client.get("/me/registrations", headers=token(client, "arrived-1"))
            assert sent[lang] in page.text and waiting[lang] not in page.text


def test_the_dashboard_shows_the_flows_panel_to_a_leader_not_to_the_police(db, peer):
    envelope = {"version": rules.VERSION, "message_id": "s-0000000021", "sender": PEER_CODE,
                "receiver": "330522", "sent_at": rules.stamp(datetime.now(UTC)),
                "type": "stats", "body": {"month": "2026-11", "cells": [
                    {"origin": "330522001000", "destination": "330523100000", "arrivals": 31,
                     "departures": 0, "stock": None}]}}
    envelope["signature"] = peer.key.sign(envelope)
    assert service.receive(db, json.dumps(envelope).encode())[0] == 200
    make_account(db, "leader", username="leader-1")
    make_account(db, "police", username="police-1")
    with TestClient(create_app(db=db)) as client:
        for lang, words in (("zh", ("与互联县交换的流动统计", "2026-11：流入 31 人")),
                            ("en", ("Flow statistics exchanged with peer counties",
                                    "2026-11: 31 arrivals"))):
            client.cookies.set("anju_lang", lang)
            page = client.get("/stats", headers=token(client, "leader-1"))
            assert page.status_code == 200 and all(w in page.text for w in words)
            assert 'href="/federation/flows"' in page.text and "federation." not in page.text
            assert client.get("/federation/flows",
                              headers=token(client, "leader-1")).status_code == 200
        police = client.get("/stats", headers=token(client, "police-1"))
        assert police.status_code == 200 and "/federation/flows" not in police.text
