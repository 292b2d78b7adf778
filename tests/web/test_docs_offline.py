"""/docs (Swagger UI) and /redoc work on a county intranet: they name no outside host, every
file they load is ours and answers 200, and in Chromium with every outside host unreachable
Swagger UI lists the operations and ReDoc its menu."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

from anju.web.app import create_app
from tests.support.live import live_server

CHROMIUM = "/usr/bin/chromium"
# Every name resolves to nothing except the test server's own address: the network is closed.
OFFLINE = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--disable-sync",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
LINKS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|specUrl)\s*:\s*['"]([^'"]+)""")


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_docs_pages_name_only_our_own_files(sqlite_db, path):
    with TestClient(create_app(db=sqlite_db)) as client:
        page = client.get(path)
        assert page.status_code == 200
        assert not re.search(r"(?:https?:)?//[a-z0-9]", page.text, re.IGNORECASE), \
            "an outside address in the page"
        links = [a or b for a, b in LINKS.findall(page.text)]
        if path != "/docs/oauth2-redirect":
            assert any(link.endswith(".js") for link in links), links
        for link in links:
            assert link.startswith("/") and not link.startswith("//"), link
            assert client.get(link).status_code == 200, link


@pytest.mark.browser
def test_swagger_ui_and_redoc_render_with_the_network_closed(sqlite_db):
    outside: list[str] = []
    with live_server(create_app(db=sqlite_db)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=OFFLINE)
        try:
            page = browser.new_context(base_url=base).new_page()
            page.set_default_timeout(20_000)
            page.on("request", lambda r: outside.append(r.url)
                    if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None)
            page.goto("/docs")
            page.locator(".opblock").first.wait_for()
            operations = page.locator(".opblock").count()
            assert operations >= 40, operations
            assert page.locator(".opblock-summary-path", has_text="/api/v1/persons").count()
            page.goto("/redoc")
            page.get_by_text("/api/v1/exchange/imports").first.wait_for(state="attached")
            assert page.locator("[role=menuitem]").count() >= 40
        finally:
            browser.close()
    assert not outside, f"asked outside hosts: {sorted(set(outside))[:5]}"
