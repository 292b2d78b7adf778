"""What every domain's pages share without importing the web layer: the confirmation step, and
a form post that redirects on success and shows the form again with its error on refusal.

A change that is hard to undo (approve, reject or end a registration, revoke a key, record a
move-out, merge two records) is posted twice: the first post answers a page saying what will
happen, with a button that posts the same form again with confirmed=yes. No state changes until
then, and it works without JavaScript. The page is the shared template "confirm.html".
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from anju.core.errors import AnjuError

CONFIRMED = "yes"


def confirmed(value: str | None) -> bool:
    return value == CONFIRMED


def confirm(request: Request, *, title: str, question: str, action: str, back: str,
            fields: Mapping[str, object], facts: Sequence[tuple[str, object]], button: str,
            style: str = "primary", **params: object) -> Response:
    """The confirmation page. Words are i18n keys (`question` formatted with `params`); a fact's
    value is shown as is, or translated when it is {"key": …}; `fields` are posted again."""
    page = {"title": title, "question": question, "params": params, "action": action,
            "back": back, "fields": [(k, v) for k, v in fields.items() if k != "confirmed"],
            "facts": list(facts), "button": button, "style": style}
    return request.app.state.templates.TemplateResponse(request, "confirm.html",
                                                        {"confirm": page, "error": None})


def submit(session, do: Callable[[], object], redisplay: Callable[[AnjuError], Response],
           then: str | Callable[[Any], str | Response]) -> Response:
    """Run a page's use case: on success see `then` (303, post-redirect-get); on a refusal undo
    what it began and answer `redisplay(error)`, the page again with the reason.

    `then` may be a function of what `do` returned, giving the path to see or the page to
    answer (a look-up form shows its finding). When `do` answers a page itself — the
    confirmation asked before a change that is hard to undo — nothing was done yet: it is the
    answer."""
    try:
        done = do()
    except AnjuError as error:
        session.rollback()
        return redisplay(error)
    if isinstance(done, Response):
        return done
    target = then(done) if callable(then) else then
    return target if isinstance(target, Response) else RedirectResponse(target, status_code=303)
