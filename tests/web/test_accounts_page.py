"""Sessions end on the server; the administrator's account pages and the police officer's
binding review, in both languages, with every hard-to-undo change confirmed first."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from anju.core import identity
from anju.core.models import Account
from anju.core.web import SESSION_COOKIE
from tests.factories import PASSWORD, make_person, valid_id


def _account(site, username: str) -> Account:
    with site.world.db.unit_of_work() as s:
        return s.execute(select(Account).where(Account.username == username)).scalar_one()


# --- sessions live on the server ---------------------------------------------------------------
def test_a_cookie_replayed_after_logout_is_refused(site):
    site.login(site.world.police.username)
    stolen = site.client.cookies.get(SESSION_COOKIE)
    assert site.client.get("/police/queue").status_code == 200
    site.post("/logout", {}, follow_redirects=False)
    site.client.cookies.set(SESSION_COOKIE, stolen)  # the copy someone kept
    again = site.client.get("/police/queue", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")
    site.client.cookies.set(SESSION_COOKIE, stolen)
    assert site.client.get("/api/v1/me").status_code == 401


def test_disabling_or_resetting_an_account_ends_its_browser_sessions(site):
    from fastapi.testclient import TestClient

    from anju.web.app import create_app

    world = site.world
    with TestClient(create_app(db=world.db), base_url="http://localhost") as officer:
        token = re.search(r'name="csrf_token" value="([^"]*)"', officer.get("/login").text)[1]
        officer.post("/login", data={"username": world.grid.username, "password": PASSWORD,
                                     "csrf_token": token})
        assert officer.get("/persons", follow_redirects=False).status_code == 200
        site.login(world.admin.username)
        path = f"/admin/accounts/{world.grid.username}"
        site.post(f"{path}/password", {"password": "brand-new-pass-1"}, path)
        assert officer.get("/persons", follow_redirects=False).status_code == 303


def test_unknown_users_cost_the_same_password_work(site, monkeypatch):
    """No timing tells whether a username exists: argon2 verifies in both cases."""
    calls = []
    real = identity.verify_password

    def counting(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(identity, "verify_password", counting)
    assert site.login("nobody-by-this-name", "some-password-1").status_code == 401
    assert site.login(site.world.police.username, "some-password-1").status_code == 401
    assert len(calls) == 2 and all(c.startswith("$argon2id$") for c in calls)
    assert calls[0] != _account(site, site.world.police.username).password_hash


# --- the administrator's desk ------------------------------------------------------------------
def test_account_form_picks_places_and_departments_by_name(site):
    site.login(site.world.admin.username)
    page = site.client.get("/admin/accounts").text
    assert '<optgroup label="雉城街道">' in page and ">长兴县（全域）</option>" in page
    assert 'value="330522001000"' in page  # the code travels, the name shows
    assert ">人力资源和社会保障局</option>" in page
    assert 'maxlength="64"' in page
    assert not re.search(r'<input[^>]*name="(division|department)"', page)  # no codes to type
    site.client.get("/lang/en")
    english = site.client.get("/admin/accounts").text
    assert "Human resources and social security bureau" in english and "Jurisdiction" in english


def test_creating_an_account_is_confirmed_and_long_names_are_refused(site):
    site.login(site.world.admin.username)
    form = {"username": "clerk7", "password": "long-enough-1", "role": "dept_officer",
            "division": "330522001000", "department": "renshe"}
    done = site.post("/admin/accounts", form, "/admin/accounts")
    assert done.status_code == 200 and "已创建账号 clerk7。" in done.text
    assert _account(site, "clerk7").department == "renshe"
    too_long = site.post("/admin/accounts", {**form, "username": "x" * 300}, "/admin/accounts")
    assert too_long.status_code == 422 and "用户名须为 2–64 位" in too_long.text
    with site.world.db.unit_of_work() as s:
        assert s.execute(select(Account).where(Account.username == "x" * 300)).first() is None


def test_admin_list_shows_binding_state_not_person_codes(site):
    site.login(site.world.admin.username)
    page = site.client.get("/admin/accounts").text
    assert "已关联" in page
    assert site.world.resident.person_code not in page
    assert site.world.landlord.person_code not in page


def test_disabling_asks_first_and_nobody_disables_themselves(site):
    world = site.world
    site.login(world.admin.username)
    path = f"/admin/accounts/{world.police.username}"
    ask = site.client.get(f"{path}/disable")
    assert ask.status_code == 200 and "确认停用账号" in ask.text and 'value="yes"' in ask.text
    assert _account(site, world.police.username).active
    unconfirmed = site.post(f"{path}/disable", {}, path)  # the old one-click form
    assert unconfirmed.status_code == 200 and "确认停用账号" in unconfirmed.text
    assert _account(site, world.police.username).active
    done = site.post(f"{path}/disable", {"confirm": "yes"}, path)
    assert "已停用，其所有登录已失效" in done.text
    assert not _account(site, world.police.username).active
    enabled = site.post(f"{path}/enable", {}, path)
    assert "已重新启用" in enabled.text and _account(site, world.police.username).active

    own = f"/admin/accounts/{world.admin.username}"
    page = site.client.get(own).text
    assert "这是您自己的账号，不能停用" in page and f'action="{own}/disable"' not in page
    refused = site.post(f"{own}/disable", {"confirm": "yes"}, own)
    assert refused.status_code == 409 and "不能停用自己的账号" in refused.text
    assert _account(site, world.admin.username).active


def test_password_reset_is_confirmed_on_the_page(site):
    world = site.world
    site.login(world.admin.username)
    path = f"/admin/accounts/{world.grid.username}"
    short = site.post(f"{path}/password", {"password": "short"}, path)
    assert short.status_code == 422 and "密码至少 8 位" in short.text
    done = site.post(f"{path}/password", {"password": "brand-new-pass-1"}, path)
    assert "的密码已重设" in done.text


# --- binding: requested by the admin, confirmed by the police ---------------------------------
@pytest.fixture
def pending(site):
    """An admin asked for account "wu.kong" to be bound to a new person in the county."""
    world = site.world
    code = make_person(world.db, world.police, "吴空", id_number=valid_id("341221"))
    site.login(world.admin.username)
    done = site.post("/admin/accounts", {"username": "wu.kong", "password": "long-enough-1",
                                         "role": "resident", "person_code": code},
                     "/admin/accounts")
    assert "待该人员所在辖区的派出所民警确认" in done.text
    site.post("/logout", {})
    return code


def test_a_pending_account_says_so_and_offers_nothing(site, pending):
    site.login("wu.kong", "long-enough-1")
    home = site.client.get("/").text
    assert "正在等待派出所民警确认" in home and "谁查看了我的信息" not in home
    assert site.client.get("/me/access-log").status_code in (403, 404)


def test_police_confirm_a_binding_from_their_home_page(site, pending):
    site.login(site.world.police.username)
    home = site.client.get("/").text
    assert "待确认的账号关联" in home and "wu.kong" in home and pending in home
    review = site.client.get("/police/bindings/wu.kong")
    assert review.status_code == 200 and "核实账号持有人就是该人员本人" in review.text
    done = site.post("/police/bindings/wu.kong/confirm", {}, "/police/bindings/wu.kong")
    assert "已确认账号 wu.kong 与人员的关联" in done.text
    assert _account(site, "wu.kong").person_code == pending
    site.post("/logout", {})
    site.login("wu.kong", "long-enough-1")
    log = site.client.get("/me/access-log").text
    assert "申请关联账号" in log and "确认关联账号" in log


def test_police_of_elsewhere_do_not_see_the_request(site, pending):
    site.login(site.world.police_other_county.username)
    assert "wu.kong" not in site.client.get("/").text
    assert site.client.get("/police/bindings/wu.kong").status_code == 404
    refused = site.post("/police/bindings/wu.kong/confirm", {})
    assert refused.status_code == 404 and _account(site, "wu.kong").person_code is None
