"""The auditor's page verifies the chain and shows tampering; other roles are refused."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from anju.web.app import create_app
from tests.factories import PASSWORD


@pytest.fixture
def client(db):
    # http://localhost: the session cookie is not marked Secure there, as in a local demo
    with TestClient(create_app(db=db), base_url="http://localhost") as c:
        yield c


def _login(client, username: str) -> None:
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_auditor_verifies_and_sees_tampering(client, world):
    client.get(f"/api/v1/persons/{world.resident.person_code}")  # nothing: not signed in
    from anju.core import sealer

    _login(client, world.auditor.username)
    sealer.seal_all(world.db)  # what the factories wrote (the server's sealer would, too)
    page = client.get("/audit?verify=true")
    assert page.status_code == 200 and "审计链完整" in page.text
    assert world.police.username in page.text  # the factories' writes are on the chain
    with world.db.unit_of_work() as s:
        part = s.execute(text("SELECT min(part) FROM audit_entries WHERE seq = 2")).scalar()
        s.execute(text(f"UPDATE audit_entries SET purpose = 'curiosity' WHERE seq = 2 "
                       f"AND part = {part}"))
    page = client.get("/audit?verify=true")
    assert "审计链被篡改" in page.text and f"在分区 {part} 第 2 条处被破坏" in page.text
    # the result line is wholly in the page's language: no English (and no codes) in Chinese
    line = page.text.split('role="status">')[1].split("</p>")[0]
    assert not re.search(r"[A-Za-z]", line), line
    client.cookies.set("anju_lang", "en")
    english = client.get("/audit?verify=true").text.split('role="status">')[1].split("</p>")[0]
    assert f"broken at partition {part}, entry 2" in english and not re.search(r"[\u4e00-\u9fff]", english)


def test_audit_and_access_log_pages_show_labels_never_codes(client, world):
    """Actions such as key.issue and purposes such as e_key are shown by their labels."""
    from tests.factories import submit

    reg = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    from anju.registry import service
    with world.db.unit_of_work() as s:
        service.approve_registration(s, world.police, reg)  # issues the e-key
    _login(client, world.auditor.username)
    page = client.get("/audit").text.split("<tbody>")[1]
    assert "发放电子钥匙" in page and "电子钥匙" in page and "审核通过居住登记" in page
    for code in ("key.issue", "e_key", "registration.approve", "registration_management",
                 "person.create", "registration_intake"):
        assert f">{code}<" not in page
    client.cookies.clear()
    _login(client, world.resident.username)
    log = client.get("/me/access-log").text.split("<tbody>")[1]
    assert "发放电子钥匙" in log and "key.issue" not in log and "e_key" not in log


def test_other_roles_may_not_open_the_audit_page(client, world):
    _login(client, world.police.username)
    assert client.get("/audit").status_code == 403


def _csrf(client, path: str) -> str:
    return client.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def test_admin_account_page_creates_and_disables(client, world):
    _login(client, world.admin.username)
    page = client.get("/admin/accounts")
    assert page.status_code == 200 and world.police.username in page.text
    form = {"username": "clerk7", "password": "long-enough-1", "role": "grid_worker",
            "division": "330522001000", "csrf_token": _csrf(client, "/admin/accounts")}
    assert client.post("/admin/accounts", data=form, follow_redirects=False).status_code == 303
    bad = client.post("/admin/accounts", data={**form, "username": "clerk8", "role": "king"})
    assert bad.status_code == 422 and "未知角色" in bad.text and 'value="clerk8"' in bad.text
    done = client.post("/admin/accounts/clerk7/disable", follow_redirects=False,
                       data={"csrf_token": _csrf(client, "/admin/accounts"), "confirm": "yes"})
    assert done.status_code == 303
    assert "已停用" in client.get("/admin/accounts").text


def test_truncation_is_named_on_the_page_and_in_the_api(client, world):
    """The auditor's page and the API check against the witness and name what is missing."""
    from sqlalchemy import delete

    from anju.core import audit, sealer
    from anju.core.audit import AuditEvent
    from anju.core.models import AuditEntry, AuditHead, AuditRoot
    from anju.core.permissions import AUDIT, AUDIT_READ
    from tests.factories import token

    auditor = world.auditor  # entries naming no person go to the partition of the account
    part = audit.partition_of(None, auditor.account_id, auditor.username, 16)
    with world.db.unit_of_work() as s:
        audit.append(s, auditor, [AuditEvent(AUDIT_READ, AUDIT)] * 3)
    sealer.seal_all(world.db)
    with world.db.unit_of_work() as s:
        w = audit.witness_head(s)
        last = dict((p, seq) for p, seq, _ in w.heads)[part]
        s.execute(delete(AuditEntry).where(AuditEntry.part == part, AuditEntry.seq >= last - 1))
        s.execute(delete(AuditHead))
        s.execute(delete(AuditRoot))
    _login(client, world.auditor.username)
    page = client.get("/audit?verify=true").text
    assert "审计链被篡改" in page and f"分区 {part}：第 {last - 1}–{last} 条缺失" in page
    # the page's own check and read were appended since and sealed, re-using the deleted
    # numbers: the witness still shows those entries are not the ones it saw
    sealer.seal_all(world.db)
    client.get("/lang/en")
    again = client.get("/audit?verify=true").text
    assert "Audit chain tampered with" in again
    assert "differs from the witness" in again and f"–{last} were deleted or replaced" in again
    api = client.get("/api/v1/audit/verify", headers=token(client, world.auditor.username))
    body = api.json()
    assert body["ok"] is False and body["bad_seq"] == last and body["bad_partition"] == part
    assert body["witness_seq"] == w.seq and body["witness_root"] == w.root
    assert "differs from the witness" in body["message_en"] and "见证不符" in body["message_zh"]
