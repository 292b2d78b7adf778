"""The public-services part of the policy: cases opened once (online or at a window) and handled
by departments, evidence pulled from the registry and the departments under the case's purpose,
notices, ratings and their rectification, residents' suggestions, and service providers.

Reach over a case: the applicant's own (SELF); a department officer's, supervisor's or service
provider's when the case is their department's or assigned to them, within their jurisdiction
(DEPARTMENT: `Case.department` or `Case.provider_code` equals the account's department); a
window clerk's for persons of their jurisdiction (JURISDICTION over the person's division).
"""
from __future__ import annotations

from anju.core.policy import Action, Purpose, Role, Scope

S, J, D, G = Scope.SELF, Scope.JURISDICTION, Scope.DEPARTMENT, Scope.GLOBAL

SERVICES_READ = Action("services.read", "查看办事指南", "Read the service guide")
CASE_OPEN = Action("case.open", "提交办事申请", "Opened a case")
CASE_READ = Action("case.read", "查看办件", "Viewed a case")
CASE_ACCEPT = Action("case.accept", "受理办件", "Accepted a case")
CASE_NOT_ACCEPT = Action("case.not_accept", "不予受理", "Did not accept a case")
CASE_START = Action("case.start", "开始办理", "Started work on a case")
CASE_REQUEST_SUPPLEMENT = Action("case.request_supplement", "要求补正材料",
                                 "Requested a supplement")
CASE_SUPPLY = Action("case.supply", "补正材料", "Supplied what was asked")
CASE_DECIDE = Action("case.decide", "作出办理决定", "Decided a case")
CASE_WITHDRAW = Action("case.withdraw", "撤回申请", "Withdrew a case")
CASE_TRANSFER = Action("case.transfer", "转办", "Transferred a case")
CASE_ASSIGN = Action("case.assign", "指派服务机构", "Assigned a case to a provider")
CASE_ESCALATE = Action("case.escalate", "逾期督办", "Escalated an overdue case")
CASE_SWEEP = Action("case.sweep", "办件时限巡检", "Checked case deadlines")
EVIDENCE_PULL = Action("case.evidence_pull", "调取办事材料", "Pulled evidence for a case")
CASE_RATE = Action("case.rate", "评价服务", "Rated a service")
CASE_STATS = Action("case.stats", "查看办件统计", "Viewed case statistics")
NOTICE_READ = Action("notice.read", "查看消息", "Read notices")
NOTICE_SEND = Action("notice.send", "发送消息", "Sent a notice")
RECTIFY = Action("rectification.handle", "办理整改", "Handled a rectification")
SUGGESTION_CREATE = Action("suggestion.create", "提出意见建议", "Sent a suggestion")
SUGGESTION_ANSWER = Action("suggestion.answer", "答复意见建议", "Answered a suggestion")
SUGGESTION_READ = Action("suggestion.read", "查看意见建议", "Viewed suggestions")
PROVIDER_MANAGE = Action("provider.manage", "管理服务机构", "Managed service providers")
ACTIONS = (SERVICES_READ, CASE_OPEN, CASE_READ, CASE_ACCEPT, CASE_NOT_ACCEPT, CASE_START,
           CASE_REQUEST_SUPPLEMENT, CASE_SUPPLY, CASE_DECIDE, CASE_WITHDRAW, CASE_TRANSFER,
           CASE_ASSIGN, CASE_ESCALATE, CASE_SWEEP, EVIDENCE_PULL, CASE_RATE, CASE_STATS,
           NOTICE_READ, NOTICE_SEND, RECTIFY, SUGGESTION_CREATE, SUGGESTION_ANSWER,
           SUGGESTION_READ, PROVIDER_MANAGE)

APPLICATION = Purpose("service_application", "办理公共服务", "Applying for a public service")
CASE_HANDLING = Purpose("case_handling", "办理公共服务事项", "Handling a public-service case")
CASE_EVIDENCE = Purpose("case_evidence", "办事材料共享（数据多跑路）",
                        "Evidence for a case, pulled instead of asked for")
WINDOW_SERVICE = Purpose("window_service", "综合窗口代为办理", "Opened at the one-stop window")
SERVICE_NOTICE = Purpose("service_notice", "办事通知", "Service notices")
SERVICE_EVALUATION = Purpose("service_evaluation", "服务评价", "Service evaluation")
PARTICIPATION = Purpose("public_participation", "意见建议", "Suggestions and complaints")
# The justice bureau's legal-aid officers (a department the exchange hub has no connector for).
LEGAL_AID = Purpose("legal_aid", "法律援助", "Legal aid",
                    ("person_code", "name", "id_number", "sex", "birth_date", "phone",
                     "current_address"))
PURPOSES = (APPLICATION, CASE_HANDLING, CASE_EVIDENCE, WINDOW_SERVICE, SERVICE_NOTICE,
            SERVICE_EVALUATION, PARTICIPATION, LEGAL_AID)
DEPARTMENT_PURPOSES = {"sifa": LEGAL_AID}
DEPARTMENT_ALIASES = {"justice": "sifa"}

_OFFICER = {CASE_READ: (D,), CASE_ACCEPT: (D,), CASE_NOT_ACCEPT: (D,), CASE_START: (D,),
            CASE_REQUEST_SUPPLEMENT: (D,), CASE_DECIDE: (D,), CASE_TRANSFER: (D,),
            CASE_ASSIGN: (D,), RECTIFY: (D,), SUGGESTION_READ: (D,), SUGGESTION_ANSWER: (D,),
            SERVICES_READ: (G,)}
RULES = {
    Role.RESIDENT: {SERVICES_READ: (G,), CASE_OPEN: (S,), CASE_READ: (S,), CASE_SUPPLY: (S,),
                    CASE_WITHDRAW: (S,), CASE_RATE: (S,), NOTICE_READ: (S,),
                    SUGGESTION_CREATE: (S,), SUGGESTION_READ: (S,)},
    Role.LANDLORD: {SERVICES_READ: (G,), CASE_OPEN: (S,), CASE_READ: (S,), CASE_SUPPLY: (S,),
                    CASE_WITHDRAW: (S,), CASE_RATE: (S,), NOTICE_READ: (S,),
                    SUGGESTION_CREATE: (S,), SUGGESTION_READ: (S,)},
    Role.WINDOW_CLERK: {SERVICES_READ: (G,), CASE_OPEN: (J,), CASE_READ: (J,),
                        CASE_SUPPLY: (J,), CASE_WITHDRAW: (J,)},
    Role.DEPT_OFFICER: _OFFICER,
    Role.DEPT_SUPERVISOR: {**_OFFICER, CASE_STATS: (D,)},
    Role.SERVICE_PROVIDER: {SERVICES_READ: (G,), CASE_READ: (D,), CASE_START: (D,),
                            CASE_REQUEST_SUPPLEMENT: (D,), CASE_DECIDE: (D,)},
    Role.ANALYST: {SERVICES_READ: (G,), CASE_STATS: (J,)},
    Role.ADMIN: {SERVICES_READ: (G,), PROVIDER_MANAGE: (G,)},
    Role.SYSTEM: {CASE_SWEEP: (G,), NOTICE_SEND: (G,), CASE_ESCALATE: (G,)},
}

# --- evidence and the electronic permit (ca2) ------------------------------------------------
# Evidence is pulled by Anju itself for the case (not by the applicant or the clerk who opened
# it), so the person's access log names the pull and the case as its reason. A permit's QR code
# is checked by anyone; a validly signed one is looked up (revoked? endorsed since?) and that
# look-up is on the holder's trail.
PERMIT_VERIFY = Action("permit.verify", "核验电子居住证", "Verified an electronic permit")
PERMIT_CHECK = Purpose("permit_verification", "电子居住证核验", "Verifying an electronic permit")
ACTIONS = (*ACTIONS, PERMIT_VERIFY)
PURPOSES = (*PURPOSES, PERMIT_CHECK)
RULES[Role.SYSTEM] = {**RULES[Role.SYSTEM], EVIDENCE_PULL: (G,), PERMIT_VERIFY: (G,)}

# --- notices, ratings, participation (ca3) ---------------------------------------------------
# Officers, supervisors and providers read the notices addressed to their department in their
# jurisdiction; a person sets their own notice preference and reads their own ratings; a
# supervisor follows up a department's rectification.
NOTICE_PREFERENCES = Action("notice.preferences", "设置消息提醒", "Set notice preferences")
RECTIFY_FOLLOW_UP = Action("rectification.follow_up", "督办整改", "Followed up a rectification")
RATING_READ = Action("case.rating_read", "查看服务评价", "Viewed service ratings")
ACTIONS = (*ACTIONS, NOTICE_PREFERENCES, RECTIFY_FOLLOW_UP, RATING_READ)
for _role in (Role.RESIDENT, Role.LANDLORD):
    RULES[_role] |= {NOTICE_PREFERENCES: (S,), RATING_READ: (S,)}
for _role in (Role.DEPT_OFFICER, Role.DEPT_SUPERVISOR, Role.SERVICE_PROVIDER):
    RULES[_role] = {**RULES[_role], NOTICE_READ: (D,), RATING_READ: (D,)}
RULES[Role.DEPT_SUPERVISOR][RECTIFY_FOLLOW_UP] = (D,)

# --- points, school places and proactive eligibility (issue 11; anju.cases.points, .schools,
# .eligibility). Officers' scope is their jurisdiction (a person has no department); the
# education department's runs are checked against its department by the service.
POINTS_READ = Action("points.read", "查看居住证积分", "Viewed residence-permit points")
POINTS_EVIDENCE = Action("points.evidence", "登记积分材料", "Recorded evidence for points")
POINTS_APPEAL = Action("points.appeal", "对积分提出异议", "Appealed a point")
POINTS_REOPEN = Action("points.reopen", "复核积分", "Reopened a points computation")
SCHOOL_PUBLISH = Action("schools.publish_seed", "公布入学摇号种子", "Published the lottery seed")
SCHOOL_ALLOCATE = Action("schools.allocate", "分配入学学位", "Allocated school places")
SCHOOL_PLACEMENT = Action("schools.placement", "查看入学分配结果", "Viewed a school placement")
SCHOOL_APPEAL = Action("schools.appeal", "对入学分配提出异议", "Appealed a school placement")
ELIGIBILITY_RUN = Action("eligibility.run", "主动告知可办服务", "Told residents what they may apply for")
ELIGIBILITY_STATS = Action("eligibility.stats", "查看政策知晓率", "Viewed policy awareness")
ACTIONS = ACTIONS + (POINTS_READ, POINTS_EVIDENCE, POINTS_APPEAL, POINTS_REOPEN, SCHOOL_PUBLISH,
                     SCHOOL_ALLOCATE, SCHOOL_PLACEMENT, SCHOOL_APPEAL, ELIGIBILITY_RUN,
                     ELIGIBILITY_STATS)
POINTS_ASSESSMENT = Purpose("points_assessment", "居住证积分核算", "Residence-permit points")
SCHOOL_PLACES = Purpose("school_places", "随迁子女入学分配", "School places for migrant children")
PROACTIVE = Purpose("proactive_eligibility", "主动告知可享受的服务",
                    "Telling people what they are entitled to")
PURPOSES = PURPOSES + (POINTS_ASSESSMENT, SCHOOL_PLACES, PROACTIVE)
for _role, _granted in {
    Role.RESIDENT: {POINTS_READ: (S,), POINTS_APPEAL: (S,), SCHOOL_PLACEMENT: (S,),
                    SCHOOL_APPEAL: (S,)},
    Role.LANDLORD: {POINTS_READ: (S,), POINTS_APPEAL: (S,), SCHOOL_PLACEMENT: (S,),
                    SCHOOL_APPEAL: (S,)},
    Role.WINDOW_CLERK: {POINTS_READ: (J,)},
    Role.DEPT_OFFICER: {POINTS_READ: (J,), POINTS_EVIDENCE: (J,), POINTS_REOPEN: (J,),
                        SCHOOL_PUBLISH: (D,), SCHOOL_ALLOCATE: (D,), SCHOOL_PLACEMENT: (J,)},
    Role.DEPT_SUPERVISOR: {POINTS_READ: (J,), ELIGIBILITY_STATS: (J,)},
    Role.ANALYST: {ELIGIBILITY_STATS: (J,)},
    Role.SYSTEM: {ELIGIBILITY_RUN: (G,), POINTS_READ: (G,)},
}.items():
    RULES[_role] = {**RULES.get(_role, {}), **_granted}
