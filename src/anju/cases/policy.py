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
