"""The exchange API and the clerical-review pages over the real app (SQLite; the service rules
under them run on both backends in test_hub.py and test_permissions.py)."""
from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.exchange.conftest import GONGAN
from tests.factories import PASSWORD, build_world, make_account, make_person, token, valid_id

from anju.exchange import service
from anju.web.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def web(sqlite_db):
    world = build_world(sqlite_db)
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield world, client


def wait_for_job(client, url: str, headers: dict, seconds: float = 60) -> dict:
    """Poll an import job until it is no longer running (bounded in time)."""
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(url, headers=headers).json()
        if job["state"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_import_conflicts_feed_and_requests_over_the_api(web, extracts):
    world, client = web
    number = valid_id("341221", date(1988, 11, 13), "M")
    code = make_person(world.db, world.police, "刘洋", id_number=number)
    housing = make_account(world.db, "dept_officer", department="housing")
    steward = token(client, world.steward.username)
    officer = token(client, housing.username)
    path = extracts.zhujian([["Z1", "刘洋", number, "0", "1988-11-13", "13800009999", "洪桥镇"]])
    sent = lambda: {"file": (path.name, path.read_bytes(), "text/tab-separated-values")}
    first = client.post("/api/v1/exchange/imports", headers=steward,
                        data={"department": "zhujian"}, files=sent())
    assert first.status_code == 202, first.text
    assert first.headers["location"] == first.json()["status_url"]
    report = wait_for_job(client, first.json()["status_url"], steward)["report"]
    assert report["linked"]["registry"] == 1 and report["status"] == "imported"
    again = client.post("/api/v1/exchange/imports", headers=steward,
                        data={"department": "zhujian"}, files=sent())
    assert again.status_code == 200 and again.json()["state"] == "finished"
    assert again.json()["report"]["status"] == "unchanged"
    assert client.post("/api/v1/exchange/imports", headers=officer, data={"department": "zhujian"},
                       files=sent()).status_code == 403
    summary = client.get("/api/v1/exchange/conflicts/summary", headers=steward).json()
    assert summary["records"] == 1 and {r["key"] for r in summary["by_field"]} >= {"name", "sex"}
    analyst = token(client, world.analyst.username)
    assert client.get("/api/v1/exchange/conflicts/summary", headers=analyst).status_code == 403
    assert client.post("/api/v1/exchange/subscriptions", headers=officer,
                       json={"served": True}).json()["added"] == 1
    feed = client.get("/api/v1/exchange/feed?cursor=0", headers=officer).json()
    assert feed["items"][0]["person_code"] == code and "*" in feed["items"][0]["id_number"]
    assert client.get(f"/api/v1/exchange/feed?cursor={feed['next_cursor']}",
                      headers=officer).json()["items"] == []
    req = client.post("/api/v1/exchange/data-requests", headers=officer,
                      json={"dataset": "served", "purpose": "核对承租人信息"}).json()
    decided = client.post(f"/api/v1/exchange/data-requests/{req['request_id']}/decision",
                          headers=steward, json={"approve": True, "expires_on": "2099-01-01"})
    assert decided.json()["status"] == "approved"
    delivery = client.get(f"/api/v1/exchange/data-requests/{req['request_id']}/delivery",
                          headers=officer)
    assert [r["person_code"] for r in delivery.json()["records"]] == [code]
    assert client.get("/api/v1/exchange/golden/999", headers=steward).status_code == 404


def _login(client, username):
    page = client.get("/login")
    client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                "csrf_token": CSRF.search(page.text).group(1)})


def test_review_page_side_by_side_and_decision(web, extracts):
    world, client = web
    db = world.db
    with db.unit_of_work() as s:
        service.import_extract(s, world.steward, extracts.gongan([
            ["G1", "向敏文", valid_id("320413", date(1988, 11, 13)), "1", "19881113", "",
             "雉城街道明珠路1号", "13911113333", ""]]), "gongan")
    with db.unit_of_work() as s:
        service.import_extract(s, world.steward, extracts.zhujian([
            ["Z1", "向敏文", "", "", "1988-11-13", "13122224444", "洪桥镇和平路45号"]]), "zhujian",
            review_band=150, model={**service.default_model(), "anju_threshold": 99})
        [pair] = service.list_review_pairs(s, world.steward)
    assert client.get("/exchange/review", follow_redirects=False).status_code == 303
    _login(client, world.steward.username)
    queue = client.get("/exchange/review")
    assert queue.status_code == 200 and "向敏文" in queue.text and "记录复核" in queue.text
    assert "公安局（流动人口登记）" in queue.text and "gongan" not in queue.text  # names, no codes
    page = client.get(f"/exchange/review/{pair.pair_id}")
    assert page.status_code == 200 and "320413********" in page.text
    form = CSRF.search(page.text).group(1)
    assert client.post(f"/exchange/review/{pair.pair_id}", data={"decision": "match"},
                       follow_redirects=False).status_code == 403  # no CSRF token
    asked = client.post(f"/exchange/review/{pair.pair_id}",
                        data={"decision": "match", "csrf_token": form}, follow_redirects=False)
    assert asked.status_code == 200 and "确定这两条记录是同一人吗" in asked.text  # merging asks
    with db.unit_of_work() as s:
        assert service.list_review_pairs(s, world.steward)[0].status == "pending"
    done = client.post(f"/exchange/review/{pair.pair_id}", follow_redirects=False,
                       data={"decision": "match", "csrf_token": form, "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/exchange/review?done=1"
    assert "复核结论已记录" in client.get("/exchange/review?done=1").text
    with db.unit_of_work() as s:
        assert service.list_review_pairs(s, world.steward, "match")[0].pair_id == pair.pair_id
    # a police officer has no review queue: refused, not shown
    client.post("/logout", data={"csrf_token": CSRF.search(client.get("/").text).group(1)})
    _login(client, world.police.username)
    assert client.get(f"/exchange/review/{pair.pair_id}").status_code == 403


def test_a_steward_uploads_on_the_imports_page_and_follows_the_job(web, extracts):
    """The page runs the same background job as the API: upload → progress page → report,
    in the page's language; an unknown department is refused on the form."""
    world, client = web
    number = valid_id("341221", date(1988, 11, 13), "M")
    path = extracts.gongan([["G1", "刘洋", number, "1", "19881113", "", "雉城街道", "", ""],
                            ["G2", "", "", "", "", "", "", "", ""]])
    _login(client, world.steward.username)
    page = client.get("/exchange/imports")
    assert page.status_code == 200 and "部门数据导入" in page.text and "公安局" in page.text
    token = CSRF.search(page.text).group(1)
    sent = {"file": ("公安.csv", path.read_bytes(), "text/csv")}
    refused = client.post("/exchange/imports", data={"department": "../x.toml",
                                                     "csrf_token": token}, files=sent)
    assert refused.status_code == 422 and "未知部门" in refused.text
    done = client.post("/exchange/imports", data={"department": "gongan", "csrf_token": token},
                       files=sent, follow_redirects=False)
    assert done.status_code == 303
    job_url = done.headers["location"]
    deadline = time.monotonic() + 60
    while "导入中" in (job := client.get(job_url)).text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "已完成" in job.text and "导入结果" in job.text
    assert "记录既无姓名也无身份证号" in job.text  # the rejected row, with its reason
    client.cookies.set("anju_lang", "en")
    assert "Rejected values" in client.get(job_url).text
    assert "公安.csv" in client.get("/exchange/imports").text


# --- words: one table, declared in the descriptor, read as t("exchange.<key>") -----------------
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "anju" / "exchange" / "templates"


def test_exchange_words_are_declared_and_every_template_key_exists_in_both_languages():
    from anju import exchange
    from anju.core.domain import resolve
    from anju.exchange import batches, pages
    from anju.exchange.standardise import STANDARD_FIELDS
    from anju.exchange.words import WORDS

    assert resolve(exchange.DOMAIN.words) is WORDS and not hasattr(pages, "TEXT")
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        source = path.read_text()
        # no private word table any more: every word through the shared t()
        assert not re.search(r"\bH\[|\bh\.[a-z_]|\bh\[", source), path.name
        used |= set(re.findall(r'\bt\(\s*"exchange\.([a-z_.]+)"\s*[,)]', source))
    # keys made from values at run time (t("exchange." ~ value))
    used |= {f"state_{s}" for s in ("running", "finished", "failed", "interrupted")}
    used |= {f"status_{s}" for s in ("imported", "unchanged")}
    used |= {f"linked_{how}" for how in batches.LINKED}
    used |= {f"{s}_status" for s in ("match", "non_match")} | {"decided_notice"}
    used |= {f"confirm_{d}" for d in ("match", "non_match")} | {"match", "non_match"}
    used |= set(pages.FIELDS) | set(STANDARD_FIELDS) - {"source"} | {"*"}
    # the pages' menus and confirmations name "exchange.<key>" too
    used |= set(re.findall(r'"exchange\.([a-z_]+)"', Path(pages.__file__).read_text()))
    assert {"menu_review", "confirm_title", "left", "header"} <= used
    for language in ("zh", "en"):
        missing = sorted(used - set(WORDS[language]))
        assert not missing, f"exchange {language}: {missing}"
    assert set(WORDS["zh"]) == set(WORDS["en"])


def test_a_rejected_header_column_is_named_as_the_department_wrote_it(web, extracts, tmp_path):
    """A mapped column missing from the file is reported against the header, by its name in the
    department's file (not an internal field name)."""
    world, client = web
    path = tmp_path / "no-sex.csv"
    header = [c for c in GONGAN if c != "性别"]
    row = ["G1", "刘洋", "", "19881113", "", "雉城街道", "", ""]
    path.write_bytes("\n".join([",".join(header), ",".join(row), ""]).encode("gbk"))
    with world.db.unit_of_work() as s:
        report = service.import_extract(s, world.steward, path, "gongan")
    missing = next(e for e in report.errors if e.code == "field_missing")
    assert (missing.row, missing.field) == (0, "性别")
    _login(client, world.steward.username)
    page = client.get(f"/exchange/imports/{report.import_id}").text
    assert ">表头<" in page and ">性别<" in page
    client.get("/lang/en")
    page = client.get(f"/exchange/imports/{report.import_id}").text
    assert ">header<" in page and "Import progress" in page and "导入进度" not in page
