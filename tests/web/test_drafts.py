"""Keeping what was typed when a session expires mid-form, and confirming what cannot be undone
(over HTTP; tests/web/test_browser.py drives the same in Chromium)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from anju.core.web import SESSION_COOKIE
from anju.registry.models import Person, Registration
from anju.web import drafts
from tests.factories import submit, valid_id

FORM_PAGE = "/landlord/tenants/new"


def _expire_session(site, actor) -> str:
    """Replace the client's session with one of `actor` that ended an hour ago (expired), and
    answer the CSRF token its pages carried."""
    from datetime import timedelta

    from anju.core import identity
    from anju.core.db import utcnow
    from anju.core.models import Account, UiSession
    from anju.core.web import csrf_token_for

    with site.world.db.unit_of_work() as s:
        stale = identity.start_session(s, s.get(Account, actor.account_id))
        s.flush()
        for row in s.execute(select(UiSession).where(
                UiSession.account_id == actor.account_id)).scalars():
            row.expires_at = utcnow() - timedelta(hours=1)
    site.client.cookies.clear()
    site.client.cookies.set(SESSION_COOKIE, stale, domain="localhost.local")
    return csrf_token_for(stale)


def _count(site, model) -> int:
    with site.world.db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _login(site, username: str, next_: str):
    token = site.csrf("/login")
    return site.client.post("/login", data={"username": username, "password": "correct-horse-9",
                                            "csrf_token": token, "next": next_},
                            follow_redirects=False)


def test_a_form_posted_into_an_expired_session_comes_back_after_signing_in(site):
    world = site.world
    site.login(world.landlord.username)
    assert site.client.get(FORM_PAGE).status_code == 200
    csrf = _expire_session(site, world.landlord)
    number = valid_id("341221", date(1993, 2, 3))
    typed = {"name": "孙强", "id_number": number, "phone": "13900002222",
             "room_id": str(world.room_id), "start_date": "2026-02-01", "reason": "business",
             "idempotency_key": "draft-1", "password": "not-kept-1"}
    persons = _count(site, Person)
    response = site.client.post(FORM_PAGE, data={**typed, "csrf_token": csrf},
                                headers={"referer": f"http://localhost{FORM_PAGE}"},
                                follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={FORM_PAGE}&expired=1"
    cookie = site.client.cookies.get(drafts.COOKIE)
    assert cookie and "孙强" not in cookie and number not in cookie  # encrypted, not just signed
    assert _count(site, Person) == persons and _count(site, Registration) == 0
    assert "not-kept-1" not in str(drafts._decode(cookie))  # never a password
    login_page = site.client.get(response.headers["location"])
    assert "已暂存" in login_page.text
    signed_in = _login(site, world.landlord.username, FORM_PAGE)
    assert signed_in.headers["location"] == FORM_PAGE
    page = site.client.get(FORM_PAGE).text
    assert "已恢复您在登录过期前填写的内容" in page
    assert 'value="孙强"' in page and f'value="{number}"' in page
    assert f'<option value="{world.room_id}" selected>' in page
    assert '<option value="business" selected>' in page and 'value="draft-1"' in page
    assert drafts.COOKIE not in site.client.cookies  # read back once
    assert 'value="孙强"' not in site.client.get(FORM_PAGE).text
    # checked and submitted: it goes through
    done = site.post(FORM_PAGE, {k: v for k, v in typed.items() if k != "password"}, FORM_PAGE)
    assert done.status_code == 200 and "租户登记已提交" in done.text
    assert _count(site, Registration) == 1


def test_the_kept_input_is_only_for_the_account_that_typed_it(site):
    world = site.world
    site.login(world.landlord.username)
    csrf = _expire_session(site, world.landlord)
    site.client.post(FORM_PAGE, data={"name": "孙强", "id_number": "x", "csrf_token": csrf},
                     headers={"referer": f"http://localhost{FORM_PAGE}"}, follow_redirects=False)
    assert site.client.cookies.get(drafts.COOKIE)
    _login(site, world.police.username, FORM_PAGE)  # someone else at the same browser
    page = site.client.get(FORM_PAGE).text
    assert "孙强" not in page and "已恢复" not in page


def test_without_a_session_to_name_the_typist_nothing_is_kept(site):
    site.client.get("/login")
    response = site.client.post(FORM_PAGE, data={"name": "孙强", "csrf_token": "x"},
                                headers={"referer": f"http://localhost{FORM_PAGE}"},
                                follow_redirects=False)
    assert response.headers["location"] == f"/login?next={FORM_PAGE}"
    assert drafts.COOKIE not in site.client.cookies


def test_ending_a_registration_asks_first(site):
    world = site.world
    reg = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    site.login(world.resident.username)
    form = {"end_date": "2026-03-01", "back": "me"}
    asked = site.post(f"/registrations/{reg}/end", form, "/me/registrations")
    assert asked.status_code == 200 and "确定注销这条居住登记吗" in asked.text
    assert "2026-03-01" in asked.text and 'href="/me/registrations"' in asked.text  # the way back
    with world.db.unit_of_work() as s:
        assert s.get(Registration, reg).status == "submitted"
    done = site.post(f"/registrations/{reg}/end", {**form, "confirmed": "yes"}, "/me/registrations")
    assert done.status_code == 200 and "登记已注销" in done.text
    with world.db.unit_of_work() as s:
        assert s.get(Registration, reg).status == "ended"
