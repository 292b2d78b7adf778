"""Core's own part of the policy: the audit chain, accounts and their binding to persons, and a
person's own access log. (Each domain declares its part in `anju/<domain>/policy.py`;
`anju.core.policy.merged` puts them together.)"""
from __future__ import annotations

from anju.core.policy import Action, Purpose, Role, Scope

S, J, G = Scope.SELF, Scope.JURISDICTION, Scope.GLOBAL

ACCESS_LOG_READ = Action("access_log.read", "查看本人访问记录", "Read own access log")
AUDIT_VERIFY = Action("audit.verify", "校验审计链", "Verified audit chain")
AUDIT_READ = Action("audit.read", "查阅审计日志", "Read audit log")
AUDIT_WITNESS = Action("audit.witness", "见证审计链", "Witnessed audit chain")
ACCOUNT_MANAGE = Action("account.manage", "管理账号", "Managed account")
ACCOUNT_BIND = Action("account.bind_decide", "确认或拒绝账号关联", "Decided an account binding")
# recorded about the person an account is bound to
BIND_DIRECT = Action("account.bind", "在服务器控制台关联账号", "Bound an account on the console")
BIND_REQUEST = Action("account.bind_request", "申请关联账号", "Requested an account binding")
BIND_CONFIRM = Action("account.bind_confirm", "确认关联账号", "Confirmed an account binding")
BIND_REFUSE = Action("account.bind_refuse", "拒绝关联账号", "Refused an account binding")
# what a refused attempt records when an actor whose role reads no persons asks for one
PERSONAL_DATA = Action("personal_data.read", "查阅个人信息", "Looked up personal data")
# the county's official holiday arrangements (anju.core.calendars): nobody's personal data
CALENDAR_LOAD = Action("calendar.load", "载入放假安排", "Loaded a holiday arrangement")
ACTIONS = (PERSONAL_DATA, ACCESS_LOG_READ, AUDIT_VERIFY, AUDIT_READ, AUDIT_WITNESS, ACCOUNT_MANAGE,
           ACCOUNT_BIND, BIND_DIRECT, BIND_REQUEST, BIND_CONFIRM, BIND_REFUSE, CALENDAR_LOAD)

AUDIT = Purpose("audit", "审计", "Audit")
ACCOUNT_ADMINISTRATION = Purpose("account_administration", "账号管理", "Account administration")
ACCOUNT_BINDING = Purpose("account_binding", "账号关联确认", "Account binding")
# A refused attempt's entry: the action that was refused, under this purpose.
ATTEMPT = Purpose("attempt", "被拒绝的尝试", "Refused attempt")
# what a record about nobody in particular is read or written under (a vendor, a setting)
ADMINISTRATION = Purpose("administration", "系统管理", "Administration")
PURPOSES = (AUDIT, ACCOUNT_ADMINISTRATION, ACCOUNT_BINDING, ATTEMPT, ADMINISTRATION)

RULES = {
    Role.RESIDENT: {ACCESS_LOG_READ: (S,)},
    Role.LANDLORD: {ACCESS_LOG_READ: (S,)},
    Role.POLICE: {ACCOUNT_BIND: (J,)},
    Role.AUDITOR: {AUDIT_VERIFY: (G,), AUDIT_READ: (G,)},
    # Administrators manage accounts; they get no person data by virtue of being admin.
    Role.ADMIN: {ACCOUNT_MANAGE: (G,), AUDIT_VERIFY: (G,), CALENDAR_LOAD: (G,)},
    Role.SYSTEM: {ACCOUNT_MANAGE: (G,), AUDIT_VERIFY: (G,), AUDIT_WITNESS: (G,),
                  CALENDAR_LOAD: (G,)},
}
