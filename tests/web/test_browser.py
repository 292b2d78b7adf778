"""Real headless Chromium (Debian's) against a real uvicorn server on a SQLite county.

The journey of issue 2: a resident registers, the police approve, the resident sees it approved
and sees the officer in "who viewed my data". Screenshots of each page land in screenshots/.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from anju.core import clock
from anju.web.app import create_app
from tests.factories import PASSWORD, build_world, valid_id
from tests.support.live import live_server

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
TODAY = date(2026, 8, 1)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def live(sqlite_db):
    """(world, base URL): the factories' county served by uvicorn in a background thread."""
    world = build_world(sqlite_db)
    clock.pin_today(TODAY)  # the server thread reads the same clock
    with live_server(create_app(db=sqlite_db)) as base:
        yield world, base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _page(browser: Browser, base: str, **kw) -> Page:
    context = browser.new_context(base_url=base, locale="zh-CN", **kw)
    context.set_default_timeout(10_000)
    return context.new_page()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def _login(page: Page, username: str, shot: str | None = None) -> None:
    if "/login" not in page.url:
        page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    if shot:
        _shot(page, shot)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text(username)


def test_resident_registers_police_approve_resident_sees_it_and_the_access(browser, live):
    world, base = live
    resident, police = world.resident, world.police

    # The resident signs in and registers residence in a room found by address.
    me = _page(browser, base)
    me.goto("/me/registrations")
    expect(me).to_have_url(re.compile(r"/login\?next=/me/registrations"))
    _login(me, resident.username, shot="01-login")
    expect(me).to_have_url(f"{base}/me/registrations")
    expect(me.locator(".who .role")).to_have_text("居民")
    _menu(me, "申报居住登记")
    me.get_by_label("查找房屋").fill("明珠路")
    me.get_by_role("button", name="查询").click()
    me.get_by_label("房间").select_option(label="长兴县雉城街道明珠路 88 号 101")
    me.get_by_label("开始日期").fill("2026-01-05")
    me.get_by_label("居住事由").select_option("work")
    _shot(me, "02-register")
    me.get_by_role("button", name="提交申报").click()
    expect(me.get_by_role("status")).to_contain_text("已提交")
    expect(me.locator("tbody tr")).to_have_count(1)
    expect(me.locator("tbody")).to_contain_text("待审核")
    _shot(me, "03-my-registrations-submitted")

    # The police officer signs in, finds it in the queue and approves it.
    officer = _page(browser, base)
    _login(officer, police.username)
    _menu(officer, "登记审核")
    row = officer.locator("tbody tr", has_text="王芳")
    expect(row).to_contain_text("明珠路 88 号 101")
    _shot(officer, "04-police-queue")
    row.get_by_role("button", name="通过").click()
    # approving asks first, saying who and where
    expect(officer.locator("main")).to_contain_text("确定通过这条居住登记吗")
    expect(officer.locator("main dl")).to_contain_text("王芳")
    _shot(officer, "04b-police-confirm")
    officer.get_by_role("button", name="确认通过").click()
    expect(officer.get_by_role("status")).to_contain_text("已审核通过")
    expect(officer.locator("main")).to_contain_text("没有符合条件的登记")

    # The resident sees it approved, and sees the officer in "who viewed my data".
    _menu(me, "我的居住登记")
    expect(me.locator("tbody")).to_contain_text("已登记")
    _shot(me, "05-my-registrations-approved")
    _menu(me, "谁查看了我的信息")
    approval = me.locator("tbody tr", has_text="审核通过居住登记")
    expect(approval).to_contain_text(police.username)
    expect(approval).to_contain_text("派出所民警")
    expect(approval).to_contain_text("居住登记管理")
    expect(approval.locator("td").first).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    _shot(me, "06-access-log")

    # Six months since 2026-01-05 for work: the officer issues a residence permit.
    officer.goto(f"/persons/{resident.person_code}")
    expect(officer.locator("main")).to_contain_text(resident.person_code)
    _shot(officer, "07-person")
    officer.get_by_role("link", name="居住证与申领条件").click()
    expect(officer.locator("main")).to_contain_text("符合申领条件")
    officer.get_by_role("button", name="签发居住证").click()
    expect(officer.get_by_role("status")).to_contain_text("居住证已签发")
    expect(officer.get_by_role("button", name="签发居住证")).to_have_count(0)

    _menu(me, "我的居住证")
    expect(me.locator("tbody")).to_contain_text("3305222026")
    expect(me.locator("tbody")).to_contain_text("有效")
    _shot(me, "08-permit")

    # English is one click away, and the same page reads in English.
    me.get_by_role("link", name="English").click()
    expect(me.locator("h1")).to_have_text("Residence permit")
    expect(me.locator("html")).to_have_attribute("lang", "en")
    _shot(me, "09-permit-en")

    # The officer searches people by name: masked results.
    _menu(officer, "人员查询")
    officer.get_by_label("身份证号码、手机号码、姓名或人员编码").fill("王芳")
    officer.get_by_role("button", name="查询").click()
    expect(officer.locator("tbody")).to_contain_text("王*")
    expect(officer.locator("tbody")).to_contain_text("138****1111")
    _shot(officer, "10-search")

    # Sign-out ends the session: pages ask for a login again.
    officer.get_by_role("button", name="退出登录").click()
    expect(officer.get_by_role("status")).to_contain_text("已退出")
    officer.goto("/police/queue")
    expect(officer).to_have_url(re.compile(r"/login\?next=/police/queue"))
    for page in (me, officer):
        page.context.close()


def test_landlord_adds_a_house_and_a_tenant(browser, live):
    world, base = live
    page = _page(browser, base)
    _login(page, world.landlord.username)
    expect(page.locator(".who .role")).to_have_text("房东")
    _shot(page, "11-landlord-home")

    # A new house with two rooms.
    _menu(page, "登记房屋")
    page.get_by_label("地址").fill("长兴县画溪街道人民路 5 号")
    page.get_by_label("所属街道（乡镇）").select_option(label="画溪街道")
    page.get_by_label("房间号").nth(0).fill("A1")
    page.get_by_label("核定人数").nth(0).fill("2")
    page.get_by_label("房间号").nth(1).fill("A2")
    page.get_by_label("核定人数").nth(1).fill("1")
    _shot(page, "12-house-new")
    page.get_by_role("button", name="登记房屋").click()
    expect(page.get_by_role("status")).to_contain_text("房屋已登记")
    expect(page.locator("main")).to_contain_text("人民路 5 号")

    # A tenant by ID number: a mistyped number is refused inline and the form keeps its input.
    _menu(page, "登记租户")
    number = valid_id("341221", date(1992, 4, 9), "M")
    page.get_by_label("姓名").fill("赵小明")
    page.get_by_label("身份证号码").fill(number[:-1] + ("0" if number[-1] != "0" else "1"))
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("房间").select_option(label="长兴县画溪街道人民路 5 号 A1")
    page.get_by_label("居住事由").select_option("work")
    page.get_by_role("button", name="提交登记").click()
    expect(page.get_by_role("alert")).to_contain_text("校验")
    expect(page.get_by_label("姓名")).to_have_value("赵小明")
    expect(page.get_by_label("身份证号码")).to_have_attribute("aria-invalid", "true")
    _shot(page, "13-tenant-error")
    page.get_by_label("身份证号码").fill(number)
    page.get_by_role("button", name="提交登记").click()
    expect(page.get_by_role("status")).to_contain_text("租户登记已提交")
    tenant = page.locator("tbody tr", has_text="人民路 5 号 A1")
    expect(tenant).to_contain_text("赵**")
    expect(tenant).to_contain_text("待审核")
    _shot(page, "14-tenants")

    _menu(page, "我的房屋")
    expect(page.locator("section", has_text="人民路 5 号").locator("tbody tr").first)\
        .to_contain_text("1 / 2")

    # The tenant moves out.
    _menu(page, "租户")
    tenant = page.locator("tbody tr", has_text="人民路 5 号 A1")
    tenant.get_by_role("button", name="登记搬离").click()
    expect(page.locator("main")).to_contain_text("确定注销这条居住登记吗")
    page.get_by_role("button", name="确认注销").click()
    expect(page.get_by_role("status")).to_contain_text("登记已注销")
    expect(page.locator("tbody tr", has_text="人民路 5 号 A1")).to_contain_text("已注销")

    # At phone width the menu wraps and tables stack; nothing needs sideways scrolling.
    phone = _page(browser, base, viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/landlord/tenants")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    _shot(phone, "15-tenants-phone")
    page.context.close()
    phone.context.close()


def test_police_queue_pages_filters_and_searches(browser, live):
    from tests.factories import OTHER_TOWNSHIP, TOWNSHIP, crowd

    world, base = live
    crowd(world.db, world.landlord.person_code, {TOWNSHIP: 70, OTHER_TOWNSHIP: 6})
    page = _page(browser, base)
    _login(page, world.police.username)
    _menu(page, "登记审核")
    expect(page.locator("main")).to_contain_text("共 76 条，本页第 1–50 条")
    expect(page.locator("tbody tr")).to_have_count(50)
    _shot(page, "16-queue-page-1")
    page.get_by_role("link", name="下一页").click()
    expect(page.locator("tbody tr")).to_have_count(26)
    expect(page.locator("main")).to_contain_text("第 2 页，共 2 页")
    # the township is picked by its name; the search finds a person by name
    page.get_by_label("乡镇（街道）").select_option(label="洪桥镇")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("main")).to_contain_text("共 6 条")
    page.get_by_label("姓名或身份证号码").fill("孙娜2")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    _shot(page, "17-queue-filtered")
    # approving from a filtered page returns to it
    page.get_by_role("button", name="通过").click()
    page.get_by_role("button", name="确认通过").click()
    expect(page.get_by_role("status")).to_contain_text("已审核通过")
    expect(page.get_by_label("乡镇（街道）")).to_have_value(OTHER_TOWNSHIP)
    page.context.close()


def test_a_form_survives_an_expired_session(browser, live, monkeypatch):
    """The session expires while the landlord fills in a tenant: signing in again brings the
    form back with what was typed (the password is never kept), and it goes through."""
    from datetime import timedelta

    from sqlalchemy import update

    from anju.core.db import utcnow
    from anju.core.models import UiSession

    world, base = live
    page = _page(browser, base)
    _login(page, world.landlord.username)
    page.goto("/landlord/tenants/new")
    number = valid_id("341221", date(1990, 6, 6), "F")
    page.get_by_label("姓名").fill("周小燕")
    page.get_by_label("身份证号码").fill(number)
    page.get_by_label("手机号码").fill("13912340000")
    page.get_by_label("房间").select_option(label="长兴县雉城街道明珠路 88 号 102")
    page.get_by_label("居住事由").select_option("business")
    # the session runs out while the form is being filled in
    with world.db.unit_of_work() as s:
        s.execute(update(UiSession).where(UiSession.account_id == world.landlord.account_id)
                  .values(expires_at=utcnow() - timedelta(minutes=1)))
    page.get_by_role("button", name="提交登记").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/landlord/tenants/new&expired=1"))
    expect(page.get_by_role("status")).to_contain_text("已暂存")
    _shot(page, "18-session-expired-kept")
    _login(page, world.landlord.username)
    expect(page).to_have_url(f"{base}/landlord/tenants/new")
    expect(page.get_by_role("status")).to_contain_text("已恢复")
    expect(page.get_by_label("姓名")).to_have_value("周小燕")
    expect(page.get_by_label("身份证号码")).to_have_value(number)
    expect(page.get_by_label("居住事由")).to_have_value("business")
    _shot(page, "19-form-restored")
    page.get_by_role("button", name="提交登记").click()
    expect(page.get_by_role("status")).to_contain_text("租户登记已提交")
    expect(page.locator("tbody")).to_contain_text("周*")
    page.context.close()


def test_landlord_corrects_a_house_and_its_rooms(browser, live):
    world, base = live
    page = _page(browser, base)
    _login(page, world.landlord.username)
    _menu(page, "我的房屋")
    page.get_by_role("link", name="修改房屋和房间").click()
    page.get_by_label("地址", exact=True).fill("长兴县雉城街道明珠路 88-1 号")
    page.get_by_label("所属街道（乡镇）").select_option(label="钮店湾社区")
    page.get_by_role("button", name="保存").first.click()
    expect(page.get_by_role("status")).to_contain_text("房屋信息已更新")
    page.get_by_placeholder("房间号").fill("103")
    page.get_by_placeholder("核定人数").fill("2")
    page.get_by_role("button", name="增加房间").click()
    expect(page.get_by_role("status")).to_contain_text("房间已增加")
    _shot(page, "20-house-edit")
    page.locator("tbody tr", has=page.locator('input[value="103"]')) \
        .get_by_role("button", name="删除").click()
    expect(page.locator("main")).to_contain_text("确定从这处房屋删除这个房间吗")
    page.get_by_role("button", name="确认删除").click()
    expect(page.get_by_role("status")).to_contain_text("房间已删除")
    expect(page.locator('input[value="103"]')).to_have_count(0)
    page.context.close()
