"""Form input kept across an expired session.

When a page form is posted after the session has expired (or was revoked), the 401 handler keeps
what was typed — never passwords or the CSRF token — in a short-lived cookie, SM4-encrypted and
bound to the account whose session it was, and sends the user to sign in again. Signed in, they
land on the page the form was on; the page reads the draft back once (templates fill each field
with `kept(action, name, default)`), says so, and the user checks and submits it.

The same `kept` fills a form again after a refused POST re-renders the page (the posted fields
are on `request.state.posted`), so one mechanism serves every page form.
"""
from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from anju.core.crypto import CipherError, IdCipher, secret_cipher

COOKIE = "anju_draft"
TTL_SECONDS = 15 * 60
MAX_VALUE = 1000  # characters kept per field
MAX_COOKIE = 3800  # bytes: browsers keep cookies up to 4 KB
NEVER_KEPT = ("csrf_token", "confirmed")  # and every field whose name says "password"


def _cipher() -> IdCipher:
    return secret_cipher("anju/web/form-drafts/v1")  # its own key


def _encode(data: dict) -> str:
    token = _cipher().encrypt(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return token.replace("+", "-").replace("/", "_").rstrip("=")


def _decode(token: str) -> dict | None:
    token = token.replace("-", "+").replace("_", "/")
    try:
        data = json.loads(_cipher().decrypt(token + "=" * (-len(token) % 4)))
    except (CipherError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def fields_of(form) -> dict[str, str | list[str]]:
    """The non-secret text fields of a posted form (lists where a name repeats)."""
    kept: dict[str, str | list[str]] = {}
    for name in dict.fromkeys(form.keys()):
        if name in NEVER_KEPT or "password" in name.lower():
            continue
        values = [v[:MAX_VALUE] for v in form.getlist(name) if not isinstance(v, UploadFile)]
        if values:
            kept[name] = values if len(values) > 1 else values[0]
    return kept


def form_page(request: Request) -> str:
    """The page a form was posted from: the Referer if it is one of ours, else the home page."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/") \
            or referer.path.startswith(("//", "/login", "/logout")):
        return "/"
    return referer.path + (f"?{referer.query}" if referer.query else "")


def keep(response: Response, request: Request, *, account_id: int, page: str, action: str,
         fields: dict, secure: bool) -> bool:
    """Set the draft cookie; False when there is nothing to keep or it would not fit."""
    if not fields:
        return False
    token = _encode({"a": account_id, "p": page, "f": action, "d": fields,
                     "t": int(time.time())})
    if len(token) > MAX_COOKIE:
        return False
    response.set_cookie(COOKIE, token, max_age=TTL_SECONDS, httponly=True, samesite="lax",
                        secure=secure)
    return True


def waiting(request: Request) -> bool:
    """A draft cookie is there (the login page says the input was kept)."""
    return bool(request.cookies.get(COOKIE))


def restore(request: Request, account_id: int | None) -> tuple[str, dict] | None:
    """(form action, fields) if a fresh draft of this account belongs to this page."""
    token = request.cookies.get(COOKIE)
    if not token or account_id is None or request.method != "GET":
        return None
    data = _decode(token)
    if not data or data.get("a") != account_id or time.time() - data.get("t", 0) > TTL_SECONDS:
        return None
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if data.get("p") not in (here, request.url.path):
        return None
    return str(data.get("f", "")), dict(data.get("d") or {})


def forget(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=secure)
