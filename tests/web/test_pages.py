"""Pages over HTTP (TestClient): sessions, CSRF, throttling, language, and that every page goes
through the service layer (policy, jurisdiction, audit) like the API does."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from anju.core.config import get_settings
from anju.core.web import SESSION_COOKIE
from anju.registry import service
from anju.registry.models import Registration
from anju.web import i18n
from anju.web.app import create_app
from tests.factories import submit

SRC = Path(__file__).parents[2] / "src" / "anju"


def _registrations(site) -> int:
    with site.world.db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(Registration)).scalar_one()


# --- sign-in and sign-out ----------------------------------------------------------------------
def test_login_sets_a_signed_httponly_session_cookie_and_follows_next(site):
    client = site.client
    first = client.get("/me/permit", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/me/permit"
    token = site.csrf("/login?next=/me/permit")
    response = client.post("/login", data={"username": site.world.resident.username,
                                           "password": "correct-horse-9", "next": "/me/permit",
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me/permit"
    cookie = next(v for v in response.headers.get_list("set-cookie")
                  if v.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    page = client.get("/me/permit")
    assert page.status_code == 200
    # who is signed in, with the role in Chinese, and the resident's menu
    assert site.world.resident.username in page.text and "居民" in page.text
    assert "谁查看了我的信息" in page.text and "登记审核" not in page.text


def test_session_cookie_is_secure_off_localhost(site):
    with TestClient(create_app(db=site.world.db), base_url="https://anju.example.gov.cn") as c:
        token = re.search(r'name="csrf_token" value="([^"]*)"', c.get("/login").text).group(1)
        response = c.post("/login", data={"username": site.world.police.username,
                                          "password": "correct-horse-9", "csrf_token": token},
                          follow_redirects=False)
    cookie = next(v for v in response.headers.get_list("set-cookie")
                  if v.startswith(SESSION_COOKIE + "="))
    assert "Secure" in cookie


def test_wrong_password_is_refused_in_both_languages_and_keeps_the_username(site):
    response = site.login(site.world.police.username, "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text and "wrong username or password" in response.text
    assert f'value="{site.world.police.username}"' in response.text
    assert SESSION_COOKIE not in site.client.cookies


def test_login_is_throttled_after_repeated_failures(site):
    username = site.world.police.username
    for _ in range(get_settings().login_max_failures):
        assert site.login(username, "wrong-password-1").status_code == 401
    # now even the right password waits
    response = site.login(username)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text and "too many failed logins" in response.text
    assert SESSION_COOKIE not in site.client.cookies


def test_next_never_leaves_the_site(site):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        token = site.csrf("/login")
        response = site.client.post("/login", data={
            "username": site.world.police.username, "password": "correct-horse-9",
            "next": target, "csrf_token": token}, follow_redirects=False)
        assert response.headers["location"] == "/"


def test_logout_ends_the_session(site):
    site.login(site.world.police.username)
    assert site.client.get("/police/queue").status_code == 200
    response = site.post("/logout", {}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?done=logout"
    assert site.client.get("/login?done=logout").text.count("您已退出登录") == 1
    again = site.client.get("/police/queue", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_tampered_session_cookie_goes_back_to_login(site):
    site.client.cookies.set(SESSION_COOKIE, "eyJhIjoxLCJ2IjoxfQ.forged.signature")
    response = site.client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/"


def test_api_still_answers_401_json(site):
    response = site.client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    missing = site.client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/json")


# --- CSRF --------------------------------------------------------------------------------------
def test_login_form_without_csrf_token_is_refused(site):
    site.client.get("/login")
    response = site.client.post("/login", data={"username": site.world.police.username,
                                                "password": "correct-horse-9"},
                                follow_redirects=False)
    assert response.status_code == 403 and "表单已失效" in response.text
    assert SESSION_COOKIE not in site.client.cookies


def test_page_post_with_a_wrong_or_foreign_csrf_token_writes_nothing(site):
    world = site.world
    site.login(world.resident.username)
    form = {"room_id": world.room_id, "start_date": "2026-01-05", "reason": "work"}
    assert site.client.post("/me/register", data=form).status_code == 403
    assert site.client.post("/me/register", data={**form, "csrf_token": "x" * 27}).status_code == 403
    # a token from another user's session does not fit this session
    with TestClient(create_app(db=world.db), base_url="http://localhost") as other:
        token = re.search(r'name="csrf_token" value="([^"]*)"', other.get("/login").text).group(1)
    response = site.client.post("/me/register", data={**form, "csrf_token": token})
    assert response.status_code == 403
    assert "the form has expired or did not come from this site" in response.text
    assert _registrations(site) == 0
    # with the right token it goes through
    ok = site.post("/me/register", {**form, "idempotency_key": "k"}, "/me/register")
    assert ok.status_code == 200 and _registrations(site) == 1


# --- language ----------------------------------------------------------------------------------
def test_language_switch(site):
    site.login(site.world.resident.username)
    assert '<html lang="zh-CN">' in site.client.get("/me/registrations").text
    response = site.client.get("/lang/en?next=/me/registrations", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me/registrations"
    page = site.client.get("/me/registrations")
    assert '<html lang="en">' in page.text
    assert "My residence registrations" in page.text and "我的居住登记" not in page.text
    assert "中文" in page.text  # the way back
    assert site.client.get("/lang/fr").status_code == 404
    site.client.get("/lang/zh")
    assert "我的居住登记" in site.client.get("/me/registrations").text


def test_every_template_key_is_translated(sqlite_db):
    from anju.web.app import create_app

    # the app registers the words kept outside i18n: each domain's declared words
    # ("<domain>.<key>"), the calendar page's
    create_app(db=sqlite_db)
    from anju.core.domain import parts

    keys = set()
    folders = [SRC / "web" / "templates", *(pages.TEMPLATES for _d, pages in parts("pages"))]
    assert len(folders) >= 4  # the web's own and every domain's with pages
    for path in [p for folder in folders for p in folder.rglob("*.html")]:
        # whole keys only: t("exchange.state_" ~ state) is a family the domain test checks
        keys |= set(re.findall(r'\bt\(\s*"([a-z_]+(?:\.[a-z_]+)+)"\s*[,)]', path.read_text()))
    from anju.registry.pages import MENU
    keys |= {key for links in MENU.values() for _, key in links}
    assert keys, "no keys found"
    from anju.core import domain
    for described, words in domain.parts("words"):  # as the web does when it starts
        i18n.register(described.name, words)
    assert not keys - i18n.ZH.keys(), "missing Chinese"
    assert not keys - i18n.EN.keys(), "missing English"
    # families built at run time: roles, states, reasons
    for family in ("role.", "status.", "reason.", "action.", "purpose.", "permit.status.",
                   "dept.", "accounts.binding.", "accounts.done."):
        zh = {k for k in i18n.ZH if k.startswith(family)}
        assert zh == {k for k in i18n.EN if k.startswith(family)}, family


def test_access_times_are_shown_in_china_standard_time():
    from datetime import datetime
    assert i18n.cst(datetime(2026, 3, 1, 16, 30)) == "2026-03-02 00:30"


# --- pages go through the service layer ----------------------------------------------------------
def test_outside_jurisdiction_person_is_not_found_on_the_page_too(site):
    world = site.world
    code = world.resident.person_code
    site.login(world.police_other_county.username)
    response = site.client.get(f"/persons/{code}")
    assert response.status_code == 404
    assert "人员不存在" in response.text
    assert site.client.get(f"/persons/{code}/permit").status_code == 404
    assert "没有找到符合条件的人员" in site.client.get("/persons", params={"q": "王芳"}).text
    site.post("/logout", {})
    site.login(world.police.username)
    page = site.client.get(f"/persons/{code}")
    assert page.status_code == 200 and "王芳" in page.text


def test_search_results_are_masked_and_the_search_is_in_the_residents_log(site):
    world = site.world
    site.login(world.grid.username)  # grid worker of 雉城街道, where the resident was registered
    reg = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    with world.db.unit_of_work() as s:  # an approved registration places them in the township
        service.approve_registration(s, world.police, reg)
    page = site.client.get("/persons", params={"q": "13800001111"})
    main = page.text.split("<main")[1]
    assert page.status_code == 200 and "王*" in main and "138****1111" in main
    assert "王芳" not in main and "13800001111" not in main.replace('value="13800001111"', "")
    site.post("/logout", {})
    site.login(world.resident.username)
    log = site.client.get("/me/access-log").text
    assert world.grid.username in log and "网格员" in log and "查询人员" in log


def test_roles_without_the_action_get_a_clear_page_not_a_500(site):
    site.login(site.world.resident.username)
    response = site.client.get("/persons")
    assert response.status_code == 403 and "当前角色无权执行该操作" in response.text
    assert site.client.get("/no/such/page").status_code == 404
    assert "页面不存在" in site.client.get("/no/such/page").text
    approve = site.post("/registrations/1/approve", {"confirmed": "yes"})
    assert approve.status_code == 403 and "当前角色无权执行该操作" in approve.text
    assert "registration.approve" not in approve.text  # no action codes on a page
    police_page = site.client.get("/landlord/houses/new")  # a landlord page, for a resident
    assert police_page.status_code == 200  # the form is harmless; saving it is refused:
    refused = site.post("/landlord/houses/new", {"address": "某路 1 号",
                                                 "division_code": "330522001000",
                                                 "room_label": "1", "room_capacity": "1"})
    assert refused.status_code == 403 and 'value="某路 1 号"' in refused.text


def test_police_approve_and_reject_from_the_queue(site):
    world = site.world
    first = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    site.login(world.police.username)
    queue = site.client.get("/police/queue").text
    assert "王芳" in queue and f"/registrations/{first}/approve" in queue
    too_short = site.post(f"/registrations/{first}/reject", {"reason": "x"}, "/police/queue")
    assert too_short.status_code == 422 and "事由：至少 2 个字" in too_short.text
    assert 'value="x"' in too_short.text  # what was typed stays in that row's form
    # approving asks first; only the confirmed post changes anything
    asked = site.post(f"/registrations/{first}/approve", {}, "/police/queue")
    assert asked.status_code == 200 and "确定通过这条居住登记吗" in asked.text
    assert "王芳" in asked.text and 'name="confirmed" value="yes"' in asked.text
    with world.db.unit_of_work() as s:
        assert s.get(Registration, first).status == "submitted"
    done = site.post(f"/registrations/{first}/approve", {"confirmed": "yes"}, "/police/queue")
    assert done.status_code == 200 and "已审核通过" in done.text
    again = site.post(f"/registrations/{first}/approve", {"confirmed": "yes"}, "/police/queue")
    assert again.status_code == 409 and "不能变为" in again.text
    # outside the jurisdiction the registration does not exist, confirmed or not
    site.post("/logout", {})
    site.login(world.police_other_county.username)
    assert "王芳" not in site.client.get("/police/queue").text
    for confirmed in ("", "yes"):
        hidden = site.post(f"/registrations/{first}/reject",
                           {"reason": "材料不全", "confirmed": confirmed}, "/police/queue")
        assert hidden.status_code == 404 and "居住登记不存在" in hidden.text


# --- forms keep what the user typed --------------------------------------------------------------
def test_refused_registration_is_shown_inline_with_the_input_kept(site):
    world = site.world
    site.login(world.resident.username)
    form = {"q": "明珠", "room_id": world.room_id, "start_date": "2099-01-01", "reason": "study",
            "idempotency_key": "k-1"}
    response = site.post("/me/register", form, "/me/register")
    assert response.status_code == 422
    assert "开始日期不能晚于今天 30 天以上" in response.text
    assert 'value="2099-01-01"' in response.text and 'aria-invalid="true"' in response.text
    assert '<option value="study" selected>' in response.text
    assert f'<option value="{world.room_id}" selected>' in response.text
    bad_date = site.post("/me/register", {**form, "start_date": "05/01/2026"}, "/me/register")
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text
    assert _registrations(site) == 0


def test_a_double_submitted_registration_is_kept_once(site):
    world = site.world
    site.login(world.resident.username)
    form = {"q": "明珠", "room_id": world.room_id, "start_date": "2026-01-05", "reason": "work",
            "idempotency_key": "same-form"}
    assert site.post("/me/register", form, "/me/register").status_code == 200
    assert site.post("/me/register", form, "/me/register").status_code == 200
    assert _registrations(site) == 1


def test_landlord_tenant_registration_is_all_or_nothing(site):
    from tests.factories import valid_id

    world = site.world
    resident_room = world.room_id
    submit(world.db, world.resident, world.resident.person_code, resident_room)
    site.login(world.landlord.username)
    number = valid_id("341221", date(1993, 2, 3))
    # the tenant already has a registration for the period: refused, and no person is left behind
    form = {"name": "王芳", "id_number": "", "phone": "", "room_id": resident_room,
            "start_date": "2026-02-01", "reason": "work", "idempotency_key": "t-1"}
    with world.db.unit_of_work() as s:
        from anju.registry.models import Person
        persons = s.execute(select(func.count()).select_from(Person)).scalar_one()
    bad = site.post("/landlord/tenants/new", {**form, "name": "孙强", "id_number": number,
                                              "phone": "12345"}, "/landlord/tenants/new")
    assert bad.status_code == 422 and "电话号码格式不正确" in bad.text
    assert 'value="孙强"' in bad.text and f'value="{number}"' in bad.text
    with world.db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == persons
    ok = site.post("/landlord/tenants/new", {**form, "name": "孙强", "id_number": number,
                                             "phone": "13900002222"}, "/landlord/tenants/new")
    assert ok.status_code == 200 and "租户登记已提交" in ok.text
    tenants = ok.text.split("<main")[1]
    assert "孙*" in tenants and "孙强" not in tenants and "王*" in tenants
    houses = site.client.get("/landlord/houses").text
    assert "2 / 2" in houses  # room 101 now holds both


def test_pages_are_not_cached_or_framed(site):
    site.login(site.world.resident.username)
    response = site.client.get("/me/access-log")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    css = site.client.get("/static/anju.css")
    assert css.status_code == 200 and "WenQuanYi Micro Hei" in css.text


def test_no_page_answers_500_to_odd_input(site):
    from tests.api.test_route_contract import all_routes

    odd_forms = [{}, {"room_id": "abc", "start_date": "2026-02-30", "reason": "fun",
                      "end_date": "yesterday", "q": "x" * 5000, "name": "x" * 5000,
                      "id_number": "１２３", "phone": "++", "division_code": "abc",
                      "room_label": ["", "x", "x"], "room_capacity": ["0", "abc", "1"],
                      "address": "", "back": "nowhere", "next": "javascript:alert(1)"}]
    odd_values = ["0", "-1", "99999999999999999999", "PXXXXXXXXXXX", "%E4%BD%A0", "1.5"]
    failures = []
    for who in (site.world.police, site.world.landlord, site.world.resident):
        site.client.cookies.clear()
        site.login(who.username)
        token = site.csrf("/")
        for route_path, methods in all_routes(site.client.app):
            if route_path.startswith(("/api/", "/docs", "/redoc", "/openapi", "/static",
                                      "/healthz")) or route_path in ("/logout", "/login"):
                continue
            for value in odd_values if "{" in route_path else odd_values[:1]:
                path = re.sub(r"\{[^}]+\}", value, route_path)
                for method in methods - {"HEAD", "OPTIONS"}:
                    forms = odd_forms if method == "POST" else [None]
                    for form in forms:
                        data = {**form, "csrf_token": token} if form is not None else None
                        response = site.client.request(method, path, data=data,
                                                       params={"q": "x" * 100},
                                                       follow_redirects=False)
                        if response.status_code >= 500 or (
                                response.status_code < 300 and
                                "text/html" not in response.headers["content-type"]):
                            failures.append(f"{who.role} {method} {path} → "
                                            f"{response.status_code}")
    assert not failures, "\n".join(failures[:20])


def test_room_choices_follow_the_policy(world):
    """The room picker's service (both backends): residents find rooms by address only, with no
    landlord data; officials and landlords see what they reach."""
    from anju.core.errors import Forbidden
    from anju.registry import service

    with world.db.unit_of_work() as s:
        assert service.list_rooms_for_registration(s, world.resident) == []
        assert service.list_rooms_for_registration(s, world.resident, "明") == []
        found = service.list_rooms_for_registration(s, world.resident, "明珠路")
        assert [r["room_label"] for r in found] == ["101", "102"]
        assert set(found[0]) == {"room_id", "label", "address", "room_label", "capacity"}
        assert service.list_rooms_for_registration(s, world.resident, "100%") == []
        assert len(service.list_rooms_for_registration(s, world.landlord)) == 2
        assert len(service.list_rooms_for_registration(s, world.grid)) == 2
        assert service.list_rooms_for_registration(s, world.grid_other_township) == []
        assert service.list_rooms_for_registration(s, world.police_other_county, "明珠") == []
        with pytest.raises(Forbidden):
            service.list_rooms_for_registration(s, world.steward, "明珠")
