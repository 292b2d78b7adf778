"""The permission matrix of notices, ratings and participation: every role × action × inside /
outside its reach, at the service layer, with the exact field set of each "ok" answer. Same
conventions as tests/support/matrix.py: "ok"; "empty" — allowed, nothing within reach; "403" —
the role may never; "404" — outside its reach, so it looks missing. Written out by hand: it is
the specification.

Inside / outside per role: a resident or landlord with their own notices, cases and suggestions /
another without; officers and supervisors of the human-resources bureau here / of another
county; a provider the case was assigned to / another provider; the system's console / a job."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from anju.cases.models import Case
from anju.cases.service import digest, notices, participation, ratings
from anju.core.identity import SYSTEM, job_actor
from tests.cases.notices_world import HERE, make_case
from tests.factories import OTHER_COUNTY, make_account, make_person, valid_id
from tests.support.matrix import mismatches

ROLES = ["resident", "landlord", "window_clerk", "dept_officer", "dept_supervisor",
         "service_provider", "analyst", "admin", "police", "system"]
NO = "403/403"
# op: (resident, landlord, window_clerk, dept_officer, dept_supervisor, service_provider,
#      analyst, admin, police, system)
MATRIX = {
    "notice.inbox":        ("ok/empty", "ok/empty", NO, "ok/empty", "ok/empty", "ok/empty", NO,
                            NO, NO, NO),
    "notice.read":         ("ok/404", "ok/404", NO, "ok/404", "ok/404", "ok/404", NO, NO, NO,
                            NO),
    "notice.preferences":  ("ok/ok", "ok/ok", NO, NO, NO, NO, NO, NO, NO, NO),
    "case.rate":           ("ok/404", "ok/404", NO, NO, NO, NO, NO, NO, NO, NO),
    "rating.read":         ("ok/404", "ok/404", NO, "ok/404", "ok/404", "ok/404", NO, NO, NO,
                            NO),
    "rectification.list":  (NO, NO, NO, "ok/empty", "ok/empty", NO, NO, NO, NO, NO),
    "rectification.answer": (NO, NO, NO, "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "rectification.follow_up": (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO),
    "satisfaction":        (NO, NO, NO, NO, "ok/empty", NO, "ok/empty", NO, NO, NO),
    "suggestion.create":   ("ok/ok", "ok/ok", NO, NO, NO, NO, NO, NO, NO, NO),
    "suggestion.list":     ("ok/empty", "ok/empty", NO, "ok/empty", "ok/empty", NO, NO, NO, NO,
                            NO),
    "suggestion.answer":   (NO, NO, NO, "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "provider.register":   (NO, NO, NO, NO, NO, NO, NO, "ok/ok", NO, NO),
    "provider.list":       (NO, NO, NO, "ok/ok", "ok/ok", NO, NO, "ok/ok", NO, NO),
    "case.assign":         (NO, NO, NO, "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "job.deliver":         (NO, NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok"),
    "job.officer_digest":  (NO, NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok"),
}
# a person's own notices and ratings are theirs to read unrecorded (an officer's are recorded);
# the providers' list names no one
AUDIT_OPTIONAL = {"notice.inbox", "notice.read", "rating.read", "suggestion.list"}
UNAUDITED = {"provider.list"}

NOTICE = {"notice_id", "template", "text_zh", "text_en", "essential", "created_at", "delivery",
          "case_id"}
RATING = {"rating_id", "case_id", "service_code", "department", "score", "score_zh", "score_en",
          "comment", "created_at"}
RECT = {"rectification_id", "case_id", "service_code", "department", "division_code", "score",
        "comment", "due_date", "due_provisional", "status", "overdue"}
SUGGESTION = {"suggestion_id", "person_code", "kind", "department", "subject", "body",
              "created_at", "due_date", "due_provisional", "overdue", "published"}
FIELDS = {
    "notice.inbox": NOTICE, "notice.read": NOTICE | {"read_at"},
    "notice.preferences": {"person_code", "non_essential"},
    "case.rate": RATING | {"rectification_id"}, "rating.read": RATING | {"rectification_id"},
    "rectification.list": RECT, "rectification.answer": RECT | {"answer"},
    "rectification.follow_up": RECT | {"answer", "closed_at"},
    "satisfaction": {"key", "ratings", "average", "satisfied_share", "by_score"},
    "suggestion.create": SUGGESTION, "suggestion.list": SUGGESTION,
    "suggestion.answer": SUGGESTION | {"answer", "answered_at"},
    "provider.register": {"code", "name", "kind", "division_code", "active"},
    "provider.list": {"code", "name", "kind", "division_code", "active"},
    "case.assign": {"case_id", "provider_code", "provider_name"},
}


class Setup:
    def __init__(self, db):
        self.db = db
        police = make_account(db, "police")
        self.police_elsewhere = make_account(db, "police", division=OTHER_COUNTY)
        self.police = police
        codes = {who: make_person(db, police, name, id_number=valid_id(region), phone=phone)
                 for who, name, region, phone in (
                     ("resident", "王芳", "341221", "13800001111"),
                     ("resident_out", "陈静", "412721", None),
                     ("landlord", "李建国", "330522", "13900002222"),
                     ("landlord_out", "周海", "330522", None))}
        self.codes = codes
        self.people = {who: make_account(db, "landlord" if who.startswith("landlord")
                                         else "resident", person_code=code)
                       for who, code in codes.items()}
        with db.unit_of_work() as s:
            for code in ("prov_a", "prov_b"):
                participation.register_provider(s, SYSTEM_ADMIN(db), code=code, name=code,
                                                kind="legal_aid", division_code="330522")
        self.providers = {inside: make_account(db, "service_provider",
                                               department=f"provider:{code}")
                          for inside, code in ((True, "prov_a"), (False, "prov_b"))}
        self.cases, self.rated, self.notice = {}, {}, {}
        for who in ("resident", "landlord"):
            self.cases[who] = make_case(db, codes[who])  # to rate
            self.rated[who] = make_case(db, codes[who])  # rated already, a rectification
            with db.unit_of_work() as s:
                ratings.rate(s, self.people[who], self.rated[who], 2, "太慢")
            with db.unit_of_work() as s:
                s.execute(update(Case).where(Case.id == self.rated[who])
                          .values(provider_code="provider:prov_a"))
                self.notice[who] = _id(s, notices.notify(
                    s, person_code=codes[who], template="case_accepted",
                    case_id=self.cases[who], params={"service_code": "labour_contract_filing"}))
            with db.unit_of_work() as s:
                participation.submit_suggestion(s, self.people[who], kind="suggestion",
                                                department="renshe", subject="窗口",
                                                body="周六开放")
        with db.unit_of_work() as s:
            [first, second] = ratings.list_rectifications(s, make_officer(db))
            self.rect_open, self.rect_answered = first.rectification_id, second.rectification_id
            for role in ("dept_officer", "dept_supervisor"):
                self.notice[role] = _id(s, notices.notify_officers(
                    s, department="renshe", division_code=HERE, role=role,
                    template="case_due_soon", case_id=self.cases["resident"],
                    params={"service_code": "labour_contract_filing", "days": 1}))
            self.notice["service_provider"] = _id(s, notices.notify_officers(
                s, department="provider:prov_a", division_code=HERE, role="service_provider",
                template="case_assigned", case_id=self.rated["resident"],
                params={"service_code": "legal_aid"}))
        with db.unit_of_work() as s:
            ratings.answer_rectification(s, make_officer(db), self.rect_answered, "已整改")
            self.suggestion = participation.list_suggestions(s, make_officer(db))[0].suggestion_id
        self.legal = make_case(db, codes["resident"], status="accepted", service="legal_aid")
        self.accounts = {}

    def actor(self, role: str, inside: bool):
        if role == "system":
            return SYSTEM if inside else job_actor("cases.digest")
        if role in ("resident", "landlord"):
            return self.people[role if inside else f"{role}_out"]
        if role == "service_provider":
            return self.providers[inside]
        key = (role, inside)
        if key not in self.accounts:
            division = "330522" if inside else OTHER_COUNTY
            department = "renshe" if role in ("dept_officer", "dept_supervisor") else None
            if role == "police":
                self.accounts[key] = self.police if inside else self.police_elsewhere
            else:
                self.accounts[key] = make_account(self.db, role, division=division,
                                                  department=department)
        return self.accounts[key]

    def call(self, op: str, s, actor, inside: bool):
        person = actor.role.value if actor.role.value in ("resident", "landlord") else "resident"
        return {
            "notice.inbox": lambda: list(notices.inbox(s, actor)),
            "notice.read": lambda: notices.mark_read(
                s, actor, self.notice.get(actor.role.value, self.notice["resident"])),
            "notice.preferences": lambda: notices.set_preference(s, actor, False),
            "case.rate": lambda: ratings.rate(s, actor, self.cases[person], 2, "排队久"),
            "rating.read": lambda: ratings.rating_of(s, actor, self.rated[person]),
            "rectification.list": lambda: ratings.list_rectifications(s, actor, "open"),
            "rectification.answer": lambda: ratings.answer_rectification(
                s, actor, self.rect_open, "已改进"),
            "rectification.follow_up": lambda: ratings.follow_up(
                s, actor, self.rect_answered, True),
            "satisfaction": lambda: ratings.satisfaction(s, actor, "department"),
            "suggestion.create": lambda: participation.submit_suggestion(
                s, actor, kind="complaint", department="jiaoyu", subject="入学", body="材料太多"),
            "suggestion.list": lambda: participation.list_suggestions(s, actor),
            "suggestion.answer": lambda: participation.answer_suggestion(
                s, actor, self.suggestion, "已答复"),
            "provider.register": lambda: participation.register_provider(
                s, actor, code="prov_c", name="新机构", kind="social_org",
                division_code="330522"),
            "provider.list": lambda: participation.list_providers(s, actor),
            "case.assign": lambda: participation.assign_to_provider(
                s, actor, self.legal, "provider:prov_a"),
            "job.deliver": lambda: digest.deliver_pending(s, actor),
            "job.officer_digest": lambda: digest.officer_digests(s, actor, _today()),
        }[op]()


def _today():
    from anju.core import clock

    return clock.today()


def _id(session, notice) -> int:
    session.flush()
    return notice.id


def SYSTEM_ADMIN(db):  # noqa: N802 - an admin account, made once per database
    cached = getattr(db, "_matrix_admin", None)
    if cached is None:
        cached = make_account(db, "admin")
        db._matrix_admin = cached
    return cached


def make_officer(db):
    cached = getattr(db, "_matrix_officer", None)
    if cached is None:
        cached = make_account(db, "dept_officer", department="renshe")
        db._matrix_officer = cached
    return cached


@pytest.fixture
def setup(db):
    return Setup(db)


def _records(op: str, result) -> list:
    # the field set of a notice about a case (one about a suggestion names no case)
    records = result if isinstance(result, list) else [result]
    return [r for r in records if r.case_id] if op == "notice.inbox" else records


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix(setup, role):
    found = mismatches(setup.db, MATRIX, ROLES, role, setup.actor, setup.call,
                       unaudited=UNAUDITED, audit_optional=AUDIT_OPTIONAL,
                       fields=lambda op, r, inside: FIELDS.get(op), records=_records)
    assert not found, "\n".join(found)
