"""The cases journey of issue 9 in real headless Chromium against a live server (the fixtures and
helpers of tests/web/test_browser.py): a resident applies for a residence permit on the pages →
the evidence page shows items pulled from the registry and from a department (人社) → an officer
of public security (gongan) asks for a supplement → the resident supplies it → the officer
accepts and approves, which issues the permit → the resident reads the notice in the inbox, sees
the QR permit, rates the service, and sees the officer's and the evidence pull's accesses in
"who accessed my data". Screenshots land in tests/web/screenshots/."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from anju.core import clock, signing
from anju.demo import departments
from anju.registry import service as registry
from anju.web.app import create_app
from tests.factories import build_world, make_account, submit
from tests.support.live import live_server
from tests.web.test_browser import _login, _menu, _page, _shot, browser  # noqa: F401

pytestmark = pytest.mark.browser

TODAY = date(2026, 3, 2)


@pytest.fixture
def county(sqlite_db, tmp_path):
    """(world, gongan officer, base URL): the resident has lived here since 2025-06 (approved,
    so eligible for a permit), is employed and insured with 人社; public security has an officer
    in the county. Served by uvicorn on a SQLite county."""
    clock.pin_today(TODAY)  # the server thread reads the same clock
    signing.ensure_key()  # the permit's QR code is signed with the installation's key
    world = build_world(sqlite_db)
    db = world.db
    reg = submit(db, world.landlord, world.resident.person_code, world.room_id,
                 start=date(2025, 6, 2))
    with db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
        person = registry.read_person(s, world.police, world.resident.person_code)
    me = departments.Insured("王芳", person.id_number, "F", date(1995, 8, 8), "13800001111",
                             "长兴新华纺织有限公司")
    files = departments.extracts(tmp_path / "extracts", renshe=[me], as_of=date(2026, 2, 28))
    with db.unit_of_work() as s:
        departments.load(s, world.steward, files, as_of=date(2026, 2, 28))
    gongan = make_account(db, "dept_officer", department="gongan")
    with live_server(create_app(db=sqlite_db)) as base:
        yield world, gongan, base


def test_a_resident_applies_for_a_permit_and_gets_it_through_a_case(browser, county):  # noqa: F811
    world, gongan, base = county
    resident = world.resident

    # The resident signs in; the permit page's "eligible" badge is an apply button.
    me = _page(browser, base)
    me.goto("/login")
    _login(me, resident.username)
    _menu(me, "我的居住证")
    expect(me.locator("main")).to_contain_text("符合申领条件")
    me.get_by_role("link", name="申领居住证").click()
    # the form shows, before anything is sent, what will be fetched from whom
    expect(me.locator("main")).to_contain_text("居住登记系统（部门共享）")
    expect(me.locator("main")).to_contain_text("部门共享：人力资源和社会保障局")
    me.get_by_label("申领事由").select_option(label="合法稳定就业")
    _shot(me, "c01-apply-permit")
    me.get_by_role("button", name="提交申请").click()

    # The case's evidence: pulled from the registry and from 人社, nothing to upload.
    expect(me).to_have_url(re.compile(r"/me/cases/\d+/evidence"))
    case_id = int(re.search(r"/me/cases/(\d+)/evidence", me.url).group(1))
    rows = me.locator("tbody tr")
    registry_row = rows.filter(has_text="居住登记（连续居住半年以上）")
    expect(registry_row).to_contain_text("居住登记系统（部门共享）")
    expect(registry_row).to_contain_text("已调取")
    expect(registry_row).to_contain_text(TODAY.isoformat())
    employment = rows.filter(has_text="就业和参保情况")
    expect(employment).to_contain_text("部门共享：人力资源和社会保障局")
    expect(employment).to_contain_text("已调取")
    expect(me.locator("main")).to_contain_text("本件材料中由部门共享的比例：100%")
    _shot(me, "c02-evidence-pulled")

    # The public-security officer finds it in the queue and asks for a supplement.
    officer = _page(browser, base)
    officer.goto("/login")
    _login(officer, gongan.username)
    _menu(officer, "待办件")
    officer.locator("tbody tr", has_text="居住证申领").get_by_role(
        "link", name=str(case_id)).click()
    expect(officer.locator("#case-status")).to_have_text("已提交")
    officer.get_by_role("button", name="受理", exact=True).click()
    expect(officer.get_by_role("status")).to_be_visible()
    expect(officer.locator("#case-status")).to_have_text("已受理")
    officer.get_by_label("理由").first.fill("请确认申领事由：是否在本县稳定就业")
    officer.get_by_role("button", name="要求补正").click()
    expect(officer.locator("#case-status")).to_have_text("待补正")
    _shot(officer, "c03-officer-supplement")

    # The resident sees the request in the inbox and supplies the answer on the case page.
    _menu(me, "消息")
    expect(me.locator("#inbox")).to_contain_text("补正")
    _menu(me, "我的办件")
    me.locator("tbody tr", has_text="居住证申领").get_by_role("link", name=str(case_id)).click()
    expect(me.locator("#case-status")).to_have_text("待补正")
    me.get_by_label("申领事由").select_option(label="合法稳定就业")
    me.get_by_label("说明").fill("在长兴新华纺织有限公司工作，已参保")
    me.get_by_role("button", name="提交补正材料").click()
    expect(me.locator("#case-status")).to_have_text("办理中")
    _shot(me, "c04-supplied")

    # The officer approves: the case is decided and the registry issues the permit.
    officer.reload()
    expect(officer.locator("#case-timeline")).to_contain_text("补正材料 · 居民")
    officer.get_by_role("button", name="准予（同意）").click()
    expect(officer.locator("#case-status")).to_have_text(re.compile("办结"))
    expect(officer.locator("#case-timeline")).to_contain_text("居住证 3305222026")
    _shot(officer, "c05-approved")

    # The resident: the notice in the inbox, the QR permit, the rating, the access log.
    _menu(me, "消息")
    decided = me.locator("#inbox li", has_text="已办结：准予")
    expect(decided).to_contain_text(f"办件号 {case_id}")
    _shot(me, "c06-inbox")
    _menu(me, "我的居住证")
    expect(me.locator("tbody")).to_contain_text("3305222026")
    expect(me.locator(".qr svg")).to_be_visible()
    _shot(me, "c07-qr-permit")
    _menu(me, "我的办件")
    me.locator("tbody tr", has_text="居住证申领").get_by_role("link", name=str(case_id)).click()
    expect(me.locator("#case-timeline")).to_contain_text("居住证 3305222026")
    me.get_by_role("link", name="评价本次服务").click()
    me.get_by_label("非常满意").check()
    me.get_by_label("意见（可选）").fill("没有跑腿，很方便")
    me.get_by_role("button", name="提交评价").click()
    expect(me.get_by_role("status")).to_contain_text("感谢您的评价")
    expect(me.locator("#rating")).to_contain_text("非常满意")
    _shot(me, "c08-rated")

    _menu(me, "谁查看了我的信息")
    log = me.locator("tbody")
    pull = log.locator("tr", has_text="调取办事材料")
    expect(pull.first).to_contain_text("system:evidence")
    expect(pull.first).to_contain_text("办事材料共享")
    handled = log.locator("tr", has_text=gongan.username)
    expect(handled.filter(has_text="受理办件")).to_have_count(1)
    expect(handled.filter(has_text="签发居住证")).to_have_count(1)
    expect(handled.first).to_contain_text("部门工作人员")
    _shot(me, "c09-access-log")
