"""The exchange hub's part of the policy: department imports, golden records, review, conflicts
and sharing back, and the purpose each department's officers read persons under. A data steward
runs imports and clerical review and approves data-access requests in their jurisdiction; a
department officer subscribes, reads the feed and requests datasets for their own department
only. Analysts: nothing here."""
from __future__ import annotations

from anju.core.policy import ADDRESS, Action, Purpose, Role, Scope

J = Scope.JURISDICTION
D = Scope.DEPARTMENT  # the officer's own department's rows, in their jurisdiction

EXCHANGE_IMPORT = Action("exchange.import", "导入部门数据", "Imported department data")
EXCHANGE_REVIEW = Action("exchange.review", "复核记录匹配", "Reviewed record match")
GOLDEN_READ = Action("golden.read", "查看主记录", "Viewed golden record")
CONFLICT_READ = Action("conflict.read", "查看数据冲突", "Viewed data conflicts")
SUBSCRIPTION_MANAGE = Action("subscription.manage", "订阅人员变更", "Subscribed to changes")
# the change feed of subscribed persons, purpose fields only
FEED_READ = Action("exchange.feed", "接收变更推送", "Received change feed")
DATA_REQUEST_CREATE = Action("data_request.create", "申请共享数据", "Requested data")
DATA_REQUEST_READ = Action("data_request.read", "查看数据申请", "Viewed data requests")
DATA_REQUEST_DECIDE = Action("data_request.decide", "审批数据申请", "Decided data request")
DATA_REQUEST_DELIVER = Action("data_request.deliver", "交付共享数据", "Delivered data")
ACTIONS = (EXCHANGE_IMPORT, EXCHANGE_REVIEW, GOLDEN_READ, CONFLICT_READ, SUBSCRIPTION_MANAGE,
           FEED_READ, DATA_REQUEST_CREATE, DATA_REQUEST_READ, DATA_REQUEST_DECIDE,
           DATA_REQUEST_DELIVER)

# Department officers: the purpose follows the department, for registry reads and for what the
# hub shares back alike. Departments are named by their connector code
# (anju/exchange/connectors/*.toml); accounts may carry a common English alias.
PUBLIC_SECURITY = Purpose(
    "public_security", "公安管理", "Public security",
    ("person_code", "golden_id", "name", "id_number", "sex", "birth_date", "phone",
     "hukou_address", "hukou_division_code", "division_code", "status", ADDRESS,
     "current_division_code", "employer"), id_whole=True)
EMPLOYMENT = Purpose(
    "employment", "就业和社会保障", "Employment and social security",
    ("person_code", "golden_id", "name", "id_number", "employer", "insurance"))
MARKET_REGULATION = Purpose(
    "market_regulation", "市场监管", "Market regulation",
    ("person_code", "golden_id", "name", "id_number", "employer"))
MEDICAL_INSURANCE = Purpose(
    "medical_insurance", "医疗保障", "Medical insurance",
    ("person_code", "golden_id", "name", "id_number", "sex", "birth_date", "employer",
     "insurance"), id_whole=True)
HEALTH = Purpose(
    "health", "卫生健康服务", "Health services",
    ("person_code", "golden_id", "name", "id_number", "sex", "birth_date", "phone",
     "division_code", ADDRESS, "current_division_code"), phone_whole=False)
EDUCATION = Purpose(
    "education", "教育服务", "Education services",
    ("person_code", "golden_id", "name", "sex", "birth_date", "division_code", ADDRESS,
     "current_division_code", "school"), minors_only=True)
CIVIL_AFFAIRS = Purpose(
    "civil_affairs", "民政服务", "Civil affairs",
    ("person_code", "golden_id", "name", "id_number", "sex", "birth_date", "hukou_address",
     "hukou_division_code", "division_code", ADDRESS, "civil_affairs"))
HOUSING_ADMINISTRATION = Purpose(
    "housing_administration", "住房管理", "Housing administration",
    ("person_code", "golden_id", "name", "id_number", "phone", "division_code", ADDRESS,
     "current_division_code"), phone_whole=False)
# what writes are recorded under
DATA_CORRECTION = Purpose("data_correction", "数据纠错", "Data correction")
DATA_REQUEST = Purpose("data_request", "数据共享申请", "Data request")
PURPOSES = (PUBLIC_SECURITY, EMPLOYMENT, MARKET_REGULATION, MEDICAL_INSURANCE, HEALTH,
            EDUCATION, CIVIL_AFFAIRS, HOUSING_ADMINISTRATION, DATA_CORRECTION, DATA_REQUEST)

DEPARTMENT_PURPOSES = {
    "gongan": PUBLIC_SECURITY, "renshe": EMPLOYMENT, "shichang": MARKET_REGULATION,
    "yibao": MEDICAL_INSURANCE, "weijian": HEALTH, "jiaoyu": EDUCATION,
    "minzheng": CIVIL_AFFAIRS, "zhujian": HOUSING_ADMINISTRATION,
}
DEPARTMENT_ALIASES = {"police": "gongan", "hrss": "renshe", "market_regulation": "shichang",
                      "medical_insurance": "yibao", "health": "weijian", "education": "jiaoyu",
                      "civil_affairs": "minzheng", "housing": "zhujian"}

RULES = {
    Role.DATA_STEWARD: {EXCHANGE_IMPORT: (J,), EXCHANGE_REVIEW: (J,), GOLDEN_READ: (J,),
                        CONFLICT_READ: (J,), DATA_REQUEST_READ: (J,), DATA_REQUEST_DECIDE: (J,)},
    Role.DEPT_OFFICER: {CONFLICT_READ: (D,), SUBSCRIPTION_MANAGE: (D,), FEED_READ: (D,),
                        DATA_REQUEST_CREATE: (D,), DATA_REQUEST_READ: (D,),
                        DATA_REQUEST_DELIVER: (D,)},
}
