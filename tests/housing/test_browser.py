"""Real headless Chromium against a real uvicorn server: the landlord registers a tenant, the
police approve, and the tenant sees their electronic key — registering is how you get the key."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from anju.core import clock
from anju.registry.models import Registration
from anju.web.app import create_app
from tests.factories import PASSWORD, build_world, make_account, valid_id
from tests.support.live import live_server

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
TODAY = date(2026, 8, 1)


@pytest.fixture
def live(sqlite_db):
    world = build_world(sqlite_db)
    clock.pin_today(TODAY)
    with live_server(create_app(db=sqlite_db)) as base:
        yield world, base


def _login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text(username)


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_landlord_registers_tenant_police_approve_tenant_sees_the_key(live):
    world, base = live
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pages = [browser.new_context(base_url=base, locale="zh-CN").new_page()
                     for _ in range(3)]
            landlord, officer, me = pages
            for page in pages:
                page.set_default_timeout(10_000)

            _login(landlord, world.landlord.username)
            landlord.goto("/landlord/tenants/new")
            landlord.get_by_label("姓名").fill("钱多多")
            landlord.get_by_label("身份证号码").fill(valid_id("341221", date(1993, 3, 3), "F"))
            landlord.get_by_label("房间").select_option(index=1)
            landlord.get_by_label("开始日期").fill("2026-07-20")
            landlord.get_by_label("居住事由").select_option("work")
            landlord.get_by_role("button", name="登记").last.click()
            expect(landlord).to_have_url(f"{base}/landlord/tenants?notice=tenant_registered")
            with world.db.unit_of_work() as s:
                person_code = s.execute(select(Registration.person_code)
                                        .order_by(Registration.id.desc())).scalars().first()
            tenant = make_account(world.db, "resident", person_code=person_code)

            # Before approval: no key.
            _login(me, tenant.username)
            me.goto("/me/keys")
            expect(me.locator("main")).to_contain_text("暂无钥匙")

            _login(officer, world.police.username)
            officer.goto("/police/queue")
            officer.locator("tbody tr", has_text="钱").get_by_role("button", name="通过").click()
            officer.get_by_role("button", name="确认通过").click()
            expect(officer.get_by_role("status")).to_contain_text("已审核通过")

            me.goto("/me/keys")
            row = me.locator("tbody tr")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("有效")
            expect(row).to_contain_text("明珠路 88 号")
            _shot(me, "tenant-keys")
            landlord.goto("/landlord/keys")
            expect(landlord.locator("tbody")).to_contain_text("钱*")  # masked, not a code
            expect(landlord.locator("tbody")).not_to_contain_text(person_code)
            _shot(landlord, "landlord-keys")
        finally:
            browser.close()


def test_grid_worker_assists_a_landlord_by_names_only(live):
    """Assisted mode asks for no codes: the landlord is found by name, the village picked from
    the township's list, rooms from the landlord's houses."""
    from datetime import datetime, timedelta

    world, base = live
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(base_url=base, locale="zh-CN").new_page()
            page.set_default_timeout(10_000)
            _login(page, world.grid.username)
            page.goto("/assist")
            page.get_by_label("查找房东：姓名、身份证号码或手机号码").fill("李建国")
            page.get_by_role("button", name="查找").click()
            page.get_by_label("房东", exact=True).select_option(index=1)
            page.get_by_label("同意方式").select_option(label="书面同意书")
            page.get_by_label("同意书编号 / 当面同意的地点与在场人").fill("同意书 2026-08-001")
            when = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
            page.get_by_label("同意时间").fill(when)
            page.get_by_role("button", name="保存").click()
            expect(page.get_by_role("status")).to_contain_text("已记录房东同意")
            page.get_by_label("地址").fill("长兴县雉城街道古城路 3 号")
            page.get_by_label("所在乡镇（街道）或村（社区）").select_option(label="古城社区")
            page.get_by_label("房间号（逗号分隔）").fill("1, 2")
            page.locator("form", has_text="房间号（逗号分隔）").get_by_role("button").click()
            expect(page.get_by_role("status")).to_contain_text("已代为办理")
            page.get_by_label("租客姓名").fill("孙二娘")
            page.get_by_label("租客身份证号码").fill(valid_id("341221", date(1991, 1, 1), "F"))
            page.get_by_label("房间", exact=True).select_option(label="长兴县雉城街道古城路 3 号 2")
            page.get_by_label("居住事由").select_option(label="经商")
            _shot(page, "assist-pickers")
            page.locator("form", has_text="租客姓名").get_by_role("button").click()
            expect(page.get_by_role("status")).to_contain_text("已代为办理")
            expect(page.get_by_label("在住租客")).to_contain_text("孙**")
        finally:
            browser.close()
