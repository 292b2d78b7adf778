"""The registry's part of the policy: persons, houses and rooms, residence registrations and
permits — what each role may do how far, and the purposes persons are read under."""
from __future__ import annotations

from anju.core.policy import ADDRESS, FIELDS, PERSON_FIELDS, Action, Purpose, Role, Scope

S, J, O, G = Scope.SELF, Scope.JURISDICTION, Scope.OWN_PROPERTY, Scope.GLOBAL  # noqa: E741
D = Scope.DEPARTMENT
# Permits are public security's business: a department officer issues or endorses one only as an
# officer of this department (deciding a permit case, anju.cases.service.outcomes).
PERMIT_DEPARTMENT = "gongan"

PERSON_CREATE = Action("person.create", "建立人员档案", "Created person record")
PERSON_READ = Action("person.read", "查看个人信息", "Viewed personal data")
PERSON_SEARCH = Action("person.search", "查询人员", "Searched persons")
# Bulk loads of registry records made elsewhere (department migrations, the demo, benchmarks).
# No route exposes them; see anju.registry.bulk.
PERSON_IMPORT = Action("person.import", "批量导入人员", "Imported person records")
HOUSE_CREATE = Action("house.create", "登记房屋", "Registered house")
HOUSE_READ = Action("house.read", "查看房屋", "Viewed house")
# Whoever may register a house in a reach may correct it and its rooms there.
HOUSE_UPDATE = Action("house.update", "修改房屋信息", "Corrected house")
HOUSE_IMPORT = Action("house.import", "批量导入房屋", "Imported houses")
ROOM_ADD = Action("room.add", "增加房间", "Added room")
ROOM_UPDATE = Action("room.update", "修改房间", "Changed room")
ROOM_REMOVE = Action("room.remove", "删除房间", "Removed room")
REGISTRATION_SUBMIT = Action("registration.submit", "提交居住登记", "Submitted registration")
REGISTRATION_READ = Action("registration.read", "查看居住登记", "Viewed registration")
REGISTRATION_APPROVE = Action("registration.approve", "审核通过居住登记",
                              "Approved registration")  # the policy's action for reject too
REGISTRATION_REJECT = Action("registration.reject", "退回居住登记", "Returned registration")
REGISTRATION_END = Action("registration.end", "注销居住登记", "Ended registration")
REGISTRATION_IMPORT = Action("registration.import", "批量导入居住登记", "Imported registrations")
PERMIT_READ = Action("permit.read", "查看居住证", "Viewed permit")
# Whoever may read a person's permits may check their eligibility, as far (the rules below).
PERMIT_ELIGIBILITY = Action("permit.eligibility", "查看居住证申领条件",
                            "Checked permit eligibility")
PERMIT_ISSUE = Action("permit.issue", "签发居住证", "Issued permit")
PERMIT_ENDORSE = Action("permit.endorse", "居住证签注", "Endorsed permit")
PERMIT_IMPORT = Action("permit.import", "批量导入居住证", "Imported permits")
ACTIONS = (PERSON_CREATE, PERSON_READ, PERSON_SEARCH, PERSON_IMPORT, HOUSE_CREATE, HOUSE_READ,
           HOUSE_UPDATE, HOUSE_IMPORT, ROOM_ADD, ROOM_UPDATE, ROOM_REMOVE, REGISTRATION_SUBMIT,
           REGISTRATION_READ, REGISTRATION_APPROVE, REGISTRATION_REJECT, REGISTRATION_END,
           REGISTRATION_IMPORT, PERMIT_READ, PERMIT_ELIGIBILITY, PERMIT_ISSUE, PERMIT_ENDORSE,
           PERMIT_IMPORT)

# --- purposes persons are read under (one per role; department officers: anju.exchange.policy)
SELF_SERVICE = Purpose("self_service", "本人办理", "Self-service",
                       PERSON_FIELDS + (ADDRESS,), id_whole=True)
# A landlord sees their tenants enough to know who lives there, not their papers.
TENANCY_MANAGEMENT = Purpose(
    "tenancy_management", "租住管理", "Tenancy management",
    ("person_code", "name", "id_number", "sex", "phone", "status", ADDRESS))
FIELD_VERIFICATION = Purpose(
    "field_verification", "实地核查", "Field verification",
    ("person_code", "name", "id_number", "sex", "birth_date", "phone", "hukou_address",
     "division_code", "status", ADDRESS))
REGISTRATION_MANAGEMENT = Purpose("registration_management", "居住登记管理",
                                  "Registration management", PERSON_FIELDS + (ADDRESS,),
                                  id_whole=True)
# Data quality compares every value of every source, but never needs a number whole.
DATA_QUALITY = Purpose("data_quality", "数据质量管理", "Data quality", FIELDS,
                       phone_whole=False)
# --- purposes writes are recorded under
REGISTRATION_INTAKE = Purpose("registration_intake", "登记受理", "Registration intake")
HOUSING_REGISTRATION = Purpose("housing_registration", "房屋登记", "House registration")
HOUSING = Purpose("housing", "房屋管理", "Housing")
RESIDENCE_REGISTRATION = Purpose("residence_registration", "居住登记", "Residence registration")
RESIDENCE_PERMIT = Purpose("residence_permit", "居住证办理", "Residence permit")
REGISTRY_IMPORT = Purpose("registry_import", "数据迁移导入", "Registry import")
PURPOSES = (SELF_SERVICE, TENANCY_MANAGEMENT, FIELD_VERIFICATION, REGISTRATION_MANAGEMENT,
            DATA_QUALITY, REGISTRATION_INTAKE, HOUSING_REGISTRATION, HOUSING,
            RESIDENCE_REGISTRATION, RESIDENCE_PERMIT, REGISTRY_IMPORT)

ROLE_PURPOSES = {
    Role.RESIDENT: SELF_SERVICE, Role.LANDLORD: TENANCY_MANAGEMENT,
    Role.GRID_WORKER: FIELD_VERIFICATION, Role.POLICE: REGISTRATION_MANAGEMENT,
    Role.DATA_STEWARD: DATA_QUALITY,
}

# Each role lists what it may do and how far. Anything absent is denied. A role may hold more
# than one scope for an action (a landlord reads their own record and their tenants').
RULES = {
    Role.RESIDENT: {
        PERSON_READ: (S,), REGISTRATION_SUBMIT: (S,), REGISTRATION_READ: (S,),
        REGISTRATION_END: (S,), PERMIT_READ: (S,), PERMIT_ELIGIBILITY: (S,), HOUSE_READ: (S,),
    },
    Role.LANDLORD: {
        PERSON_READ: (S, O), PERSON_CREATE: (O,), HOUSE_CREATE: (O,), HOUSE_READ: (O,),
        HOUSE_UPDATE: (O,), REGISTRATION_SUBMIT: (S, O), REGISTRATION_READ: (S, O),
        REGISTRATION_END: (S, O), PERMIT_READ: (S,), PERMIT_ELIGIBILITY: (S,),
    },
    Role.GRID_WORKER: {
        PERSON_READ: (J,), PERSON_SEARCH: (J,), PERSON_CREATE: (J,), HOUSE_CREATE: (J,),
        HOUSE_UPDATE: (J,), HOUSE_READ: (J,), REGISTRATION_SUBMIT: (J,),
        REGISTRATION_READ: (J,), REGISTRATION_END: (J,), PERMIT_READ: (J,),
        PERMIT_ELIGIBILITY: (J,),
    },
    Role.POLICE: {
        PERSON_READ: (J,), PERSON_SEARCH: (J,), PERSON_CREATE: (J,), HOUSE_CREATE: (J,),
        HOUSE_UPDATE: (J,), HOUSE_READ: (J,), REGISTRATION_SUBMIT: (J,),
        REGISTRATION_READ: (J,), REGISTRATION_APPROVE: (J,), REGISTRATION_END: (J,),
        PERMIT_READ: (J,), PERMIT_ELIGIBILITY: (J,), PERMIT_ISSUE: (J,), PERMIT_ENDORSE: (J,),
        PERSON_IMPORT: (J,),
    },
    Role.DEPT_OFFICER: {
        PERSON_READ: (J,), PERSON_SEARCH: (J,), REGISTRATION_READ: (J,), PERMIT_READ: (J,),
        PERMIT_ELIGIBILITY: (J,), PERMIT_ISSUE: (D,), PERMIT_ENDORSE: (D,),
    },
    Role.DATA_STEWARD: {PERSON_READ: (J,), PERSON_SEARCH: (J,), PERSON_IMPORT: (J,)},
    # Import writes but returns no personal fields: the console's and the demo's bulk loads.
    Role.ADMIN: {PERSON_IMPORT: (G,)},
    Role.SYSTEM: {PERSON_IMPORT: (G,)},
}
