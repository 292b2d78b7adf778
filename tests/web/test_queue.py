"""The police approval queue over HTTP: the total, pages through every submission, filters by
township (picked by name), date and status, search, and the API's paging with X-Total-Count."""
from __future__ import annotations

import re

from anju.core import divisions
from tests.factories import OTHER_TOWNSHIP, TOWNSHIP, crowd, token


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'action="/registrations/(\d+)/approve"', html)]


def test_queue_says_how_many_and_pages_through_all_of_them(site):
    world = site.world
    ids = crowd(world.db, world.landlord.person_code, {TOWNSHIP: 230, OTHER_TOWNSHIP: 3})
    site.login(world.police.username)
    first = site.client.get("/police/queue")
    assert first.status_code == 200
    assert "共 233 条" in first.text and "本页第 1–50 条" in first.text
    assert "第 1 页，共 5 页" in first.text
    seen = _row_ids(first.text)
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text)
    while next_link:
        page = site.client.get(next_link.group(1).replace("&amp;", "&"))
        seen += _row_ids(page.text)
        next_link = re.search(r'href="([^"]+)" rel="next"', page.text)
    assert sorted(seen) == sorted(ids) and len(seen) == 233  # nothing silently left out


def test_queue_filters_by_township_name_status_and_search(site):
    world = site.world
    crowd(world.db, world.landlord.person_code, {TOWNSHIP: 4, OTHER_TOWNSHIP: 2})
    site.login(world.police.username)
    page = site.client.get("/police/queue").text
    # townships are picked by name; no code is typed
    hongqiao = divisions.get(OTHER_TOWNSHIP).name
    assert f'<option value="{OTHER_TOWNSHIP}">{hongqiao}</option>' in page
    only = site.client.get("/police/queue", params={"division": OTHER_TOWNSHIP})
    assert "共 2 条" in only.text and len(_row_ids(only.text)) == 2
    assert f'<option value="{OTHER_TOWNSHIP}" selected>' in only.text
    found = site.client.get("/police/queue", params={"q": "李敏3"})
    assert "共 1 条" in found.text and "李敏3" in found.text
    none = site.client.get("/police/queue", params={"status": "approved"})
    assert "共 0 条" in none.text and "没有符合条件的登记" in none.text
    # a status typed as its Chinese label is understood too; a bad date is said, not a 500
    labelled = site.client.get("/police/queue", params={"status": "待审核"})
    assert "共 6 条" in labelled.text
    bad = site.client.get("/police/queue", params={"submitted_from": "2026-13-01"})
    assert bad.status_code == 422 and "提交日期（起）：日期格式应为 YYYY-MM-DD" in bad.text


def test_after_approving_the_officer_returns_to_the_same_filtered_page(site):
    world = site.world
    ids = crowd(world.db, world.landlord.person_code, {OTHER_TOWNSHIP: 3})
    site.login(world.police.username)
    back = f"/police/queue?division={OTHER_TOWNSHIP}"
    response = site.post(f"/registrations/{ids[0]}/approve",
                         {"back": back, "confirmed": "yes"}, back, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == back + "&notice=approved"
    # a return address off the queue is not followed
    response = site.post(f"/registrations/{ids[1]}/approve",
                         {"back": "https://evil.example/", "confirmed": "yes"}, back,
                         follow_redirects=False)
    assert response.headers["location"] == "/police/queue?notice=approved"


def test_api_pages_with_a_total_count_and_takes_labels(site):
    world = site.world
    crowd(world.db, world.landlord.person_code, {TOWNSHIP: 25, OTHER_TOWNSHIP: 5})
    police = token(site.client, world.police.username)
    first = site.client.get("/api/v1/registrations", headers=police,
                            params={"status": "submitted", "limit": 10})
    assert first.status_code == 200 and first.headers["X-Total-Count"] == "30"
    assert len(first.json()) == 10
    rest = site.client.get("/api/v1/registrations", headers=police,
                           params={"status": "待审核", "limit": 200, "offset": 10})
    assert rest.headers["X-Total-Count"] == "30" and len(rest.json()) == 20
    ids = {r["registration_id"] for r in first.json()} | {r["registration_id"] for r in rest.json()}
    assert len(ids) == 30
    there = site.client.get("/api/v1/registrations", headers=police,
                            params={"division": OTHER_TOWNSHIP})
    assert there.headers["X-Total-Count"] == "5"
    bad = site.client.get("/api/v1/registrations", headers=police, params={"status": "pending?"})
    assert bad.status_code == 422
    assert bad.json()["error"]["message_zh"] == ("状态：请从以下选择：待审核、已登记、已退回、已注销")
    spec = site.client.get("/openapi.json").json()["paths"]["/api/v1/registrations"]["get"]
    assert "X-Total-Count" in spec["responses"]["200"]["headers"]
