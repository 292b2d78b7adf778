"""The notices, ratings and participation routes over the real app: the inbox API paged with
X-Total-Count, read/unread and preferences; rating with bilingual refusals; suggestions and the
public published list; the pages in Chinese and English."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from anju.cases.service import notices
from anju.web.app import create_app
from tests.cases.notices_world import build, make_case
from tests.factories import PASSWORD, token

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def site(sqlite_db):
    desk = build(sqlite_db)
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield desk, client


def _notices(db, person, n):
    with db.unit_of_work() as s:
        for i in range(n):
            notices.notify(s, person_code=person, template="case_accepted",
                           params={"service_code": "legal_aid", "due_date": f"2026-04-{i + 1:02d}"})


def _login(client, username: str) -> None:
    client.cookies.clear()
    csrf = CSRF.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def _post(client, path: str, form_page: str, data: dict):
    csrf = CSRF.search(client.get(form_page).text).group(1)
    return client.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)


def test_the_inbox_api_pages_reads_and_keeps_preferences(site):
    desk, client = site
    _notices(desk.db, desk.resident_code, 3)
    me = token(client, desk.resident.username)
    first = client.get("/api/v1/me/notifications?limit=2", headers=me)
    assert first.status_code == 200 and first.headers["X-Total-Count"] == "3"
    assert len(first.json()) == 2
    assert set(first.json()[0]) == {"notice_id", "template", "text_zh", "text_en", "essential",
                                    "created_at", "read_at", "delivery", "case_id"}
    assert "Legal aid" in first.json()[0]["text_en"]
    notice_id = first.json()[0]["notice_id"]
    assert client.post(f"/api/v1/me/notifications/{notice_id}/read", headers=me).json()["read_at"]
    assert client.get("/api/v1/me/notifications/unread", headers=me).json() == {"unread": 2}
    assert client.get("/api/v1/me/notifications?unread=true", headers=me) \
        .headers["X-Total-Count"] == "2"
    assert client.post("/api/v1/me/notifications/read-all", headers=me).json() == \
        {"marked_read": 2}
    other = token(client, desk.quiet.username)
    missing = client.post(f"/api/v1/me/notifications/{notice_id}/read", headers=other)
    assert missing.status_code == 404 and missing.json()["error"]["message_en"]
    put = client.put("/api/v1/me/notice-preferences", json={"non_essential": False}, headers=me)
    assert put.json() == {"person_code": desk.resident_code, "non_essential": False}
    assert client.get("/api/v1/me/notice-preferences", headers=me).json()["non_essential"] is False
    officer = token(client, desk.officer.username)
    assert client.get("/api/v1/me/notice-preferences", headers=officer).status_code == 403


def test_rating_over_the_api_refuses_in_both_languages(site):
    desk, client = site
    case = make_case(desk.db, desk.resident_code)
    me = token(client, desk.resident.username)
    bad = client.post(f"/api/v1/cases/{case}/rating", json={"score": 7}, headers=me)
    assert bad.status_code == 422 and bad.json()["error"]["message_zh"]
    rated = client.post(f"/api/v1/cases/{case}/rating", json={"score": 1, "comment": "太慢"},
                        headers=me)
    assert rated.status_code == 201 and rated.json()["rectification_id"]
    again = client.post(f"/api/v1/cases/{case}/rating", json={"score": 5}, headers=me)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    supervisor = token(client, desk.supervisor.username)
    [rect] = client.get("/api/v1/rectifications", headers=supervisor).json()
    assert rect["status"] == "open" and rect["comment"] == "太慢"
    officer = token(client, desk.officer.username)
    assert client.post(f"/api/v1/rectifications/{rect['rectification_id']}/answer",
                       json={"answer": "已增派人手"}, headers=officer).json()["status"] == \
        "answered"
    closed = client.post(f"/api/v1/rectifications/{rect['rectification_id']}/follow-up",
                         json={"accepted": True}, headers=supervisor)
    assert closed.json()["status"] == "done"
    by = client.get("/api/v1/satisfaction?by=department", headers=supervisor).json()
    assert by[0]["key"] == "renshe" and by[0]["ratings"] == 1


def test_suggestions_over_the_api_and_the_public_list(site):
    desk, client = site
    me = token(client, desk.resident.username)
    sent = client.post("/api/v1/suggestions", json={
        "kind": "suggestion", "department": "renshe", "subject": "延长窗口时间",
        "body": "希望周六也能办理。"}, headers=me)
    assert sent.status_code == 201
    sid = sent.json()["suggestion_id"]
    officer = token(client, desk.officer.username)
    client.post(f"/api/v1/suggestions/{sid}/answer", json={"answer": "周六上午开放"},
                headers=officer)
    leaky = client.post(f"/api/v1/suggestions/{sid}/publish", json={"text": "王芳的建议"},
                        headers=officer)
    assert leaky.status_code == 422 and leaky.json()["error"]["code"] == "personal_data"
    client.post(f"/api/v1/suggestions/{sid}/publish", json={"text": "建议周六办理；已开放。"},
                headers=officer)
    client.cookies.clear()
    public = client.get("/api/v1/public/suggestions")
    assert public.status_code == 200 and public.json()[0]["text"] == "建议周六办理；已开放。"
    assert "person_code" not in public.json()[0]
    page = client.get("/suggestions/published")
    assert page.status_code == 200 and "建议周六办理" in page.text


def test_the_inbox_page_in_both_languages_and_its_preference(site):
    desk, client = site
    _notices(desk.db, desk.resident_code, 1)
    _login(client, desk.resident.username)
    page = client.get("/inbox")
    assert page.status_code == 200 and "“法律援助申请”已受理" in page.text and 'class="notice-item unread"' \
        in page.text
    assert "接收一般提醒" in page.text and "消息" in client.get("/").text
    client.get("/lang/en")
    english = client.get("/inbox")
    assert "was accepted" in english.text and "Receive general notices" in english.text
    assert "已受理" not in english.text
    saved = _post(client, "/inbox/preferences", "/inbox", {})
    assert saved.status_code == 303
    with desk.db.unit_of_work() as s:
        assert notices.preference(s, desk.resident).non_essential is False
    assert _post(client, "/inbox/read-all", "/inbox", {}).status_code == 303
    assert 'class="notice-item unread"' not in client.get("/inbox").text


def test_rating_and_suggestion_pages(site):
    desk, client = site
    case = make_case(desk.db, desk.resident_code)
    _login(client, desk.resident.username)
    form = client.get(f"/me/cases/{case}/rate")
    assert form.status_code == 200 and "非常满意" in form.text
    refused = _post(client, f"/me/cases/{case}/rate", f"/me/cases/{case}/rate", {"score": "9"})
    assert refused.status_code == 422 and "评价须为 1–5 级" in refused.text
    done = _post(client, f"/me/cases/{case}/rate", f"/me/cases/{case}/rate",
                 {"score": "2", "comment": "排队久"})
    assert done.status_code == 303
    assert "不满意" in client.get(f"/me/cases/{case}/rate").text
    sent = _post(client, "/suggestions", "/suggestions", {
        "kind": "complaint", "department": "renshe", "subject": "排队太久", "body": "……"})
    assert sent.status_code == 303 and "排队太久" in client.get("/suggestions").text
    _login(client, desk.supervisor.username)
    desk_page = client.get("/rectifications")
    assert desk_page.status_code == 200 and "排队久" in desk_page.text and "满意度" in desk_page.text
    stats = client.get("/satisfaction")
    assert stats.status_code == 200 and "人力资源和社会保障局" in stats.text and "50.0%" not in \
        stats.text and "0.0%" in stats.text  # one rating, 不满意: none satisfied
    _login(client, desk.officer.username)
    assert "排队太久" in client.get("/suggestions").text
    assert client.get("/satisfaction").status_code == 403  # an officer counts nothing
    _login(client, desk.analyst.username)
    client.get("/lang/en")
    stats = client.get("/satisfaction")
    assert "Labour-contract filing" in stats.text and "劳动合同备案" not in stats.text


def test_the_admin_registers_a_provider_on_the_page(site):
    desk, client = site
    _login(client, desk.admin.username)
    assert "服务机构" in client.get("/").text
    bad = _post(client, "/admin/providers", "/admin/providers",
                {"code": "X!", "name": "某站", "kind": "legal_aid", "division_code": "330522"})
    assert bad.status_code == 422 and "机构编码" in bad.text
    ok = _post(client, "/admin/providers", "/admin/providers",
               {"code": "legal_aid_1", "name": "长兴县法律援助工作站", "kind": "legal_aid",
                "division_code": "330522"})
    assert ok.status_code == 303
    page = client.get("/admin/providers")
    assert "长兴县法律援助工作站" in page.text and "法律援助工作站" in page.text
