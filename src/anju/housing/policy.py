"""Housing's part of the policy: e-keys, lock vendors and devices, management tasks, the county
housing policy, fees, and assisted mode. A tenant sees their own keys and fees; a landlord their
rooms' keys and fees and may revoke a key on them; grid workers and police work the tasks of
their jurisdiction. A lock vendor is no role: it authenticates by its HMAC signature
(anju.housing.events). The scheduled job runs as the system role."""
from __future__ import annotations

from anju.core.policy import Action, Purpose, Role, Scope

S, J, O, G = Scope.SELF, Scope.JURISDICTION, Scope.OWN_PROPERTY, Scope.GLOBAL  # noqa: E741

KEY_READ = Action("key.read", "查看电子钥匙", "Viewed e-keys")
KEY_REVOKE = Action("key.revoke", "收回电子钥匙", "Revoked e-key")
KEY_ISSUE = Action("key.issue", "发放电子钥匙", "Issued e-key")
KEY_SHORTEN = Action("key.shorten", "缩短钥匙有效期", "Shortened e-key validity")
LOCK_MANAGE = Action("lock.manage", "管理门锁", "Managed locks")  # register a lock on a room
LOCK_REGISTER = Action("lock.register", "登记门锁", "Registered lock")
LOCK_VENDOR_ADD = Action("lock_vendor.add", "登记门锁厂商", "Registered lock vendor")
LOCK_VENDOR_ROTATE = Action("lock_vendor.rotate", "更换门锁厂商密钥", "Rotated lock vendor secret")
LOCK_EVENTS_REDUCE = Action("lock_events.reduce", "汇总门锁记录", "Reduced lock events")
HOUSING_TASK_READ = Action("housing_task.read", "查看管理任务", "Viewed management tasks")
HOUSING_TASK_RESOLVE = Action("housing_task.resolve", "处理管理任务",
                              "Resolved management task")
HOUSING_TASK_OPEN = Action("housing_task.open", "生成管理任务", "Raised management task")
FEE_READ = Action("fee.read", "查看服务费", "Viewed fees")
FEE_PAY = Action("fee.pay", "缴纳服务费", "Recorded fee payment")
FEE_STATEMENT = Action("fee.statement", "生成服务费账单", "Made fee statement")
FEE_EXEMPT = Action("fee.exempt", "减免服务费", "Exempted fee")
FEE_EXEMPTIONS_IMPORT = Action("fee.exemptions_import", "导入减免名单", "Imported exemption list")
# vendors, county housing policy, fee runs, exemption imports
HOUSING_ADMIN = Action("housing.admin", "住房管理设置", "Housing administration")
HOUSING_POLICY = Action("housing.policy", "修改县级住房政策", "Changed county housing policy")
# read the county's settings (fee, provisional keys, task thresholds): who administers them
HOUSING_POLICY_READ = Action("housing_policy.read", "查看县级住房政策",
                             "Viewed county housing policy")
# the daily job: reduce lock events, revoke keys of lapsed permits, raise tasks
HOUSING_JOB = Action("housing.job", "住房每日作业", "Ran the daily housing job")
# Assisted mode: a grid worker records an (elderly) landlord's consent — who, how, when — and then
# registers a house or a tenant, ends a tenancy or revokes a key for them, within the worker's
# jurisdiction and only under a live consent. The landlord reads what was done on their behalf;
# the grid worker reads the consents and actions of their jurisdiction. A consent is withdrawn by
# its landlord or by the grid worker it was given to (ASSIST_WITHDRAW, then the service checks
# that the worker is that one).
HOUSING_ASSIST = Action("housing.assist", "协助房东办理", "Assisted a landlord")
HOUSING_ASSIST_READ = Action("housing_assist.read", "查看代办记录", "Viewed assisted actions")
ASSIST_CONSENT = Action("housing_assist.consent", "记录房东同意代办", "Recorded landlord's consent")
ASSIST_WITHDRAW = Action("housing_assist.withdraw", "撤回代办同意", "Withdrew consent")
ASSIST_HOUSE_CREATE = Action("housing_assist.house.create", "代房东登记房屋",
                             "Registered house for landlord")
ASSIST_REGISTRATION_SUBMIT = Action("housing_assist.registration.submit", "代房东登记租客",
                                    "Registered tenant for landlord")
ASSIST_REGISTRATION_END = Action("housing_assist.registration.end", "代房东注销租住",
                                 "Ended tenancy for landlord")
ASSIST_KEY_REVOKE = Action("housing_assist.key.revoke", "代房东收回钥匙",
                           "Revoked key for landlord")
ACTIONS = (KEY_READ, KEY_REVOKE, KEY_ISSUE, KEY_SHORTEN, LOCK_MANAGE, LOCK_REGISTER,
           LOCK_VENDOR_ADD, LOCK_VENDOR_ROTATE, LOCK_EVENTS_REDUCE, HOUSING_TASK_READ,
           HOUSING_TASK_RESOLVE, HOUSING_TASK_OPEN, FEE_READ, FEE_PAY, FEE_STATEMENT, FEE_EXEMPT,
           FEE_EXEMPTIONS_IMPORT, HOUSING_ADMIN, HOUSING_POLICY, HOUSING_POLICY_READ, HOUSING_JOB, HOUSING_ASSIST,
           HOUSING_ASSIST_READ, ASSIST_CONSENT, ASSIST_WITHDRAW, ASSIST_HOUSE_CREATE,
           ASSIST_REGISTRATION_SUBMIT, ASSIST_REGISTRATION_END, ASSIST_KEY_REVOKE)

E_KEY = Purpose("e_key", "电子钥匙", "E-keys")
HOUSING_MANAGEMENT = Purpose("housing_management", "出租房屋管理", "Rental management")
LOCK_SERVICE_FEE = Purpose("lock_service_fee", "门锁服务费", "Lock service fee")
LOCK_INTEGRATION = Purpose("lock_integration", "智能门锁接入", "Smart-lock integration")
COUNTY_ADMINISTRATION = Purpose("county_administration", "县级管理", "County administration")
ASSISTED_TENANCY_MANAGEMENT = Purpose("assisted_tenancy_management", "协助房东办理",
                                      "Assisting a landlord")
PURPOSES = (E_KEY, HOUSING_MANAGEMENT, LOCK_SERVICE_FEE, LOCK_INTEGRATION,
            COUNTY_ADMINISTRATION, ASSISTED_TENANCY_MANAGEMENT)

RULES = {
    Role.RESIDENT: {KEY_READ: (S,), FEE_READ: (S,), FEE_PAY: (S,)},
    Role.LANDLORD: {KEY_READ: (S, O), KEY_REVOKE: (O,), LOCK_MANAGE: (O,), FEE_READ: (S, O),
                    FEE_PAY: (S,), HOUSING_ASSIST_READ: (S,), ASSIST_WITHDRAW: (S,)},
    Role.GRID_WORKER: {KEY_READ: (J,), LOCK_MANAGE: (J,), HOUSING_TASK_READ: (J,),
                       HOUSING_TASK_RESOLVE: (J,), HOUSING_ASSIST: (J,),
                       HOUSING_ASSIST_READ: (J,), ASSIST_WITHDRAW: (J,)},
    Role.POLICE: {KEY_READ: (J,), KEY_REVOKE: (J,), LOCK_MANAGE: (J,), HOUSING_TASK_READ: (J,),
                  HOUSING_TASK_RESOLVE: (J,)},
    Role.ADMIN: {HOUSING_ADMIN: (G,), HOUSING_POLICY_READ: (G,), FEE_PAY: (G,)},
    Role.SYSTEM: {HOUSING_ADMIN: (G,), HOUSING_POLICY_READ: (G,), HOUSING_JOB: (G,)},
}
