"""Exchange pages: the data steward's clerical review queue, and one pair side by side with
"same person" / "not the same person" buttons. Each route calls the exchange service and renders
through the app's shared layout; CSRF is checked for every POST by the web layer.

The pages' words are `anju.exchange.words.WORDS`, which the web registers as "exchange.<key>";
templates read them with `t("exchange.<key>")`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from anju.core.errors import AnjuError
from anju.core.pages import confirm, submit
from anju.core.pages import confirmed as is_confirmed
from anju.core.policy import Actor
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep
from anju.exchange import connectors, service
from anju.exchange.words import WORDS

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]

MENU = {"data_steward": [("/exchange/imports", "exchange.menu_imports"),
                         ("/exchange/review", "exchange.menu_review")]}

FIELDS = ("department", "source_record_id", "as_of", "name", "id_number", "sex", "birth_date",
          "phone", "hukou_address", "current_address", "employer", "golden_id")
def _department(code: str | None, lang: str) -> str:
    """A department by its name in the page's language (its connector's), never its code."""
    found = connectors.available().get(code or "")
    if found is None:
        return code or ""
    return found.name_en if lang == "en" else found.name_zh


def _field(code: str, lang: str) -> str:
    """A row error's field in the page's language; a department's own column name (a mapped
    column missing from its file) as the department wrote it."""
    return WORDS.get(lang, WORDS["zh"]).get(code, code)


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    context["fields"], context["department"], context["field_name"] = FIELDS, _department, _field
    return request.app.state.templates.TemplateResponse(request, f"exchange/{name}", context,
                                                        status_code)


def _queue(request: Request, session: Session, actor: Actor, notice: str | None = None):
    return _page(request, "review.html", pairs=service.list_review_pairs(session, actor),
                 notice=notice)


def _imports(request: Request, session: Session, actor: Actor,
             error: AnjuError | None = None) -> Response:
    return _page(request, "imports.html", error.http_status if error else 200, error=error,
                 departments=service.import_departments(), imports=service.list_imports(
                     session, actor, limit=30))


@router.get("/exchange/imports")
def imports_page(request: Request, session: SessionDep, actor: ActorDep):
    return _imports(request, session, actor)


@router.post("/exchange/imports")
def upload(request: Request, session: SessionDep, actor: ActorDep,
           file: Annotated[UploadFile, File()], department: Text = ""):
    """The same background job as the API's upload; then its progress page."""
    return submit(session, lambda: service.submit_import(
                      session, actor, request.app.state.jobs, file.file, department,
                      file.filename, spool=request.app.state.settings.data_dir / "imports"),
                  lambda e: _imports(request, session, actor, e),
                  lambda job: f"/exchange/imports/{job.job_id}")


@router.get("/exchange/imports/{job_id}")
def import_job_page(job_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "import_job.html",
                 job=service.import_job(session, actor, job_id, request.app.state.jobs))


@router.get("/exchange/review")
def review_queue(request: Request, session: SessionDep, actor: ActorDep, done: str = ""):
    return _queue(request, session, actor, "decided_notice" if done else None)


def _pair(request: Request, session: Session, actor: Actor, pair_id: int,
          error: AnjuError | None = None) -> Response:
    return _page(request, "pair.html", error.http_status if error else 200,
                 pair=service.read_review_pair(session, actor, pair_id), error=error)


@router.get("/exchange/review/{pair_id}")
def review_pair(pair_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return _pair(request, session, actor, pair_id)


@router.post("/exchange/review/{pair_id}")
def decide(pair_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
           decision: Text = "", confirmed: Text = ""):
    def do():
        if decision in ("match", "non_match") and not is_confirmed(confirmed):
            pair = service.read_review_pair(session, actor, pair_id)
            if pair.status == "pending":
                lang = request.cookies.get("anju_lang", "zh")

                def side(record):
                    return f"{_department(record.department, lang)} · {record.name or ''} · " \
                           f"{record.id_number or ''}"

                return confirm(request, title="exchange.confirm_title",
                               question=f"exchange.confirm_{decision}",
                               action=f"/exchange/review/{pair_id}",
                               back=f"/exchange/review/{pair_id}", fields={"decision": decision},
                               facts=[("exchange.left", side(pair.left)),
                                      ("exchange.right", side(pair.right)),
                                      ("exchange.weight", f"{pair.weight:.1f}")],
                               button=f"exchange.{decision}",
                               style="ok" if decision == "match" else "primary")
        return service.decide_review_pair(session, actor, pair_id, decision)
    return submit(session, do, lambda e: _pair(request, session, actor, pair_id, e),
                  "/exchange/review?done=1")
