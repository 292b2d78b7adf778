"""Login throttling against a real server: a client cannot pick its own address with
X-Forwarded-For unless it is one of ANJU_TRUSTED_PROXIES (uvicorn would otherwise believe the
header from 127.0.0.1, where these requests come from)."""
from __future__ import annotations

import httpx

from anju.core.config import Settings, get_settings
from anju.core.web import server_options
from anju.web.app import create_app
from tests.factories import build_world
from tests.support.live import live_server


def _failures(base: str, username: str, rounds: int) -> list[int]:
    return [httpx.post(f"{base}/api/v1/auth/token",
                       data={"username": username, "password": "wrong-password-1"},
                       headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(rounds)]


def test_rotating_x_forwarded_for_does_not_dodge_the_throttle(sqlite_db):
    world = build_world(sqlite_db)
    limit = get_settings().login_max_failures
    with live_server(create_app(db=sqlite_db)) as base:
        statuses = _failures(base, world.police.username, limit + 2)
    assert statuses == [401] * limit + [429, 429]


def test_a_trusted_proxy_s_forwarded_address_is_the_client(sqlite_db):
    world = build_world(sqlite_db)
    settings = Settings(environment="test", trusted_proxies="127.0.0.1",
                        database_url=sqlite_db.url)
    limit = get_settings().login_max_failures
    with live_server(create_app(settings=settings, db=sqlite_db)) as base:
        statuses = _failures(base, world.police.username, limit + 2)
    assert statuses == [401] * (limit + 2)  # each forwarded client counts on its own


def test_serve_passes_the_setting_to_uvicorn():
    assert server_options(Settings(environment="test")) == {"proxy_headers": False,
                                                            "forwarded_allow_ips": ""}
    assert server_options(Settings(environment="test", trusted_proxies=" 10.0.0.5 ,10.1.0.0/16"))\
        == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5,10.1.0.0/16"}
