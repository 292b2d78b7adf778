"""Federation's part of the policy: who manages peers, who reads the message lists, who may ask
another county about one person, and the purposes such a request names (each lists exactly the
fields the other county may answer with)."""
from __future__ import annotations

from anju.core.policy import Action, Purpose, Role, Scope

G, J, S = Scope.GLOBAL, Scope.JURISDICTION, Scope.SELF

PEERS_MANAGE = Action("federation.peers", "管理互联县", "Managed peer installations")
MESSAGES_READ = Action("federation.messages", "查看跨县报文", "Read cross-county messages")
STATS_READ = Action("federation.stats", "查看跨县流动统计", "Read cross-county flow statistics")
SEND = Action("federation.send", "发送跨县报文", "Sent cross-county messages")
CONTINUITY_REQUEST = Action("federation.continuity_request", "向外县发出服务接续请求",
                            "Asked another county about a person (service continuity)")
CONTINUITY_READ = Action("federation.continuity_read", "查看外县服务接续答复",
                         "Read another county's continuity answer")
# recorded on the receiving side, by the peer's identity, against the person answered about
CONTINUITY_ANSWER = Action("federation.continuity_answer", "答复外县服务接续请求",
                           "Answered another county's continuity request")
# recorded on the asking side when the answer arrives
CONTINUITY_ANSWERED = Action("federation.continuity_answered", "收到外县服务接续答复",
                             "Received another county's continuity answer")
ARRIVAL_NOTICE = Action("federation.arrival", "向户籍地发送到达通知",
                        "Sent an arrival notice to the place of registration")
ARRIVAL_RECEIVED = Action("federation.arrival_received", "收到流入地到达通知",
                          "Received an arrival notice")
OWN_READ = Action("federation.own", "查看关于本人的跨县请求", "Read cross-county requests about me")
ACTIONS = (PEERS_MANAGE, MESSAGES_READ, STATS_READ, SEND, CONTINUITY_REQUEST, CONTINUITY_READ,
           CONTINUITY_ANSWER, CONTINUITY_ANSWERED, ARRIVAL_NOTICE, ARRIVAL_RECEIVED, OWN_READ)

_WHO = ("person_code", "name", "sex", "birth_date")
SOCIAL_INSURANCE = Purpose("federation.social_insurance", "跨县社保转移接续",
                           "Cross-county social-insurance transfer",
                           fields=(*_WHO, "insurance", "employer"))
SCHOOL_RECORD = Purpose("federation.school_record", "跨县子女学籍转接",
                        "Cross-county school record of a child",
                        fields=(*_WHO, "school"), minors_only=True)
BENEFIT_STOPPED = Purpose("federation.benefit_stopped", "核实户籍地待遇已停发",
                          "Confirming a benefit in the origin has stopped",
                          fields=(*_WHO, "civil_affairs"))
ARRIVAL = Purpose("federation.arrival", "流入地到达通知（户籍管理职责）",
                  "Arrival notice to the place of registration",
                  fields=(*_WHO, "hukou_division_code", "division_code"))
FLOWS = Purpose("federation.flows", "跨县流动统计（不含个人）", "Cross-county flow statistics")
CONTINUITY = {p.name: p for p in (SOCIAL_INSURANCE, SCHOOL_RECORD, BENEFIT_STOPPED)}
PURPOSES = (SOCIAL_INSURANCE, SCHOOL_RECORD, BENEFIT_STOPPED, ARRIVAL, FLOWS)

_ASKERS = {CONTINUITY_REQUEST: (J,), CONTINUITY_READ: (J,)}
RULES = {
    Role.ADMIN: {PEERS_MANAGE: (G,), MESSAGES_READ: (G,), STATS_READ: (G,), SEND: (G,)},
    Role.ANALYST: {STATS_READ: (G,)},
    Role.LEADER: {STATS_READ: (G,)},  # the flows on the dashboard and the flows page
    Role.DEPT_OFFICER: _ASKERS,
    Role.DEPT_SUPERVISOR: _ASKERS,
    Role.WINDOW_CLERK: _ASKERS,
    Role.RESIDENT: {OWN_READ: (S,)},
    Role.SYSTEM: {PEERS_MANAGE: (G,), MESSAGES_READ: (G,), STATS_READ: (G,), SEND: (G,),
                  CONTINUITY_ANSWER: (G,), CONTINUITY_ANSWERED: (G,), ARRIVAL_NOTICE: (G,),
                  ARRIVAL_RECEIVED: (G,)},
}
