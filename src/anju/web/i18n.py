"""Every visible string of the pages, in Chinese first and English second.

Templates call `t("key")`; a missing English text falls back to Chinese, a missing key shows
the key itself (a test checks every key used in a template exists in both languages).
"""
from __future__ import annotations

from datetime import UTC, datetime

from anju.core.clock import CST

LANGS = ("zh", "en")
DEFAULT = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

ZH: dict[str, str] = {
    "site.name": "安居", "site.tagline": "流动人口服务平台", "punct.colon": "：",
    "nav.skip": "跳到正文", "nav.menu": "主菜单", "nav.home": "首页", "nav.logout": "退出登录",
    "nav.lang_other": "English", "nav.lang_label": "切换语言",
    "user.signed_in_as": "当前用户", "footer.privacy": "您的个人信息仅用于办理业务，每次查阅都有记录可查。",
    # login
    "login.title": "登录", "login.username": "用户名", "login.password": "密码",
    "login.submit": "登录", "login.intro": "请使用分配给您的账号登录。",
    "login.logged_out": "您已退出登录。",
    # home
    "home.title": "首页", "home.welcome": "您好，{name}", "home.choose": "请选择要办理的事项：",
    "home.nothing": "您的角色暂无可办理的页面事项。",
    # roles
    "role.resident": "居民", "role.landlord": "房东", "role.grid_worker": "网格员",
    "role.police": "派出所民警", "role.dept_officer": "部门工作人员", "role.data_steward": "数据管理员",
    "role.analyst": "分析人员", "role.auditor": "审计员", "role.admin": "系统管理员",
    "role.leader": "县领导",
    # menus
    "menu.my_registrations": "我的居住登记", "menu.register": "申报居住登记",
    "menu.my_permit": "我的居住证", "menu.access_log": "谁查看了我的信息",
    "menu.houses": "我的房屋", "menu.house_new": "登记房屋", "menu.tenants": "租户",
    "menu.tenant_new": "登记租户", "menu.queue": "登记审核", "menu.search": "人员查询",
    "menu.accounts": "账号管理", "accounts.create": "新建账号", "accounts.username": "用户名",
    "accounts.password": "初始密码（至少 8 位）", "accounts.role": "角色",
    "accounts.division": "辖区", "accounts.department": "部门（部门人员必选）",
    "accounts.person_code": "人员编码（居民、房东必填）", "accounts.active": "状态",
    "accounts.enabled": "启用", "accounts.disabled": "已停用", "accounts.disable": "停用…",
    "menu.audit": "审计链", "audit.title": "审计链校验与访问日志",
    "audit.verify": "校验整条审计链", "audit.ok": "审计链完整", "audit.broken": "审计链被篡改",
    "audit.recent": "最近的访问记录", "audit.seq": "序号", "audit.at": "时间",
    "audit.who": "账号", "audit.role": "角色", "audit.action": "操作", "audit.person": "人员编码",
    "audit.purpose": "用途",
    # registration states and reasons
    "status.submitted": "待审核", "status.approved": "已登记", "status.rejected": "已退回",
    "status.ended": "已注销",
    "reason.work": "务工", "reason.study": "就学", "reason.stable_home": "稳定住所",
    "reason.family": "投亲靠友", "reason.business": "经商", "reason.other": "其他",
    "permit.status.valid": "有效", "permit.status.expired": "已过期", "permit.status.revoked": "已注销",
    "sex.M": "男", "sex.F": "女",
    # fields
    "field.address": "地址", "field.room": "房间", "field.rooms": "房间",
    "field.room_label": "房间号", "field.capacity": "核定人数", "field.occupancy": "在住/核定",
    "field.start_date": "开始日期", "field.end_date": "结束日期", "field.reason": "居住事由",
    "field.status": "状态", "field.name": "姓名", "field.id_number": "身份证号码",
    "field.phone": "手机号码", "field.sex": "性别", "field.birth_date": "出生日期",
    "field.hukou_address": "户籍地址", "field.person_code": "人员编码",
    "field.division_code": "所属街道（乡镇）", "field.lives_in": "现居住地",
    "field.division": "区划", "field.decided": "审核",
    "field.rejection_reason": "退回原因", "field.registration_id": "登记编号",
    "field.permit_number": "居住证号", "field.issued_on": "签发日期",
    "field.valid_until": "有效期至", "field.endorsements": "签注", "field.optional": "（选填）",
    "field.person": "人员", "field.submitted": "提交时间",
    "field.time": "时间（北京时间）", "field.official": "账号", "field.role": "角色",
    "field.action": "操作", "field.purpose": "用途",
    # common
    "common.save": "保存", "common.search": "查询", "common.none": "暂无记录",
    "common.back": "返回", "common.yes": "是", "common.no": "否", "common.self": "（本人）",
    "common.error": "未能完成", "common.actions": "操作", "common.required": "必填",
    "common.select": "请选择", "common.unlabelled": "其他",
    "audit.result_ok": "已逐条核对 {checked} 条记录，未发现篡改、删除或缺失。",
    "audit.result_broken": "在第 {seq} 条记录处不一致（之前的 {checked} 条核对无误）：可能有记录被修改、删除或调换顺序。",
    "audit.result_unsealed": "已核对 {checked} 条记录，另有记录未被封存进审计链。",
    # resident
    "reg.title": "我的居住登记", "reg.end": "注销登记", "reg.end_hint": "搬离时注销原登记",
    "register.title": "申报居住登记", "register.find": "查找房屋",
    "register.find_hint": "输入地址中的关键字（至少 2 个字），如路名或小区名。",
    "register.no_rooms": "没有找到匹配的房间，请换个关键字。",
    "register.submit": "提交申报", "register.choose_room": "选择房间",
    "permit.title": "居住证", "permit.eligibility": "申领条件", "permit.eligible": "符合申领条件",
    "permit.not_eligible": "暂不符合申领条件", "permit.eligible_from": "可申领日期",
    "permit.none": "尚未办理居住证", "permit.issue": "签发居住证", "permit.list": "已办理的居住证",
    "log.title": "谁查看了我的信息",
    "log.intro": "以下是工作人员查阅或办理您个人信息的记录，包括账号、角色、操作、用途和时间。",
    # landlord
    "houses.title": "我的房屋", "houses.none": "您还没有登记房屋。",
    "house_new.title": "登记房屋", "house_new.rooms_hint": "每行一个房间；空行会被忽略。",
    "house_new.add_room": "再加一个房间", "house_new.submit": "登记房屋",
    "houses.edit": "修改房屋和房间", "menu.houses_all": "房屋",
    "houses_find.title": "辖区房屋", "houses_find.query": "地址",
    "houses_find.hint": "输入地址中的关键字，如路名、小区名或门牌号。",
    "houses_find.none": "没有找到房屋。",
    "house_edit.title": "修改房屋", "house_edit.details": "地址与所在地",
    "house_edit.rooms_hint": "修改房间号或核定人数后点“保存”。核定人数不能少于在住人数；有人居住或待审核的房间不能删除。",
    "house_edit.occupants": "在住及待审核", "house_edit.remove": "删除",
    "house_edit.occupied": "有人居住，不能删除", "house_edit.add_room": "增加房间",
    "confirm.remove_room_title": "确认删除房间",
    "confirm.remove_room_question": "确定从这处房屋删除这个房间吗？已有的登记记录会保留。",
    "confirm.remove_room_button": "确认删除",
    "notice.house_updated": "房屋信息已更新。", "notice.room_added": "房间已增加。",
    "notice.room_updated": "房间已更新。", "notice.room_removed": "房间已删除。",
    "tenants.title": "租户", "tenants.end": "登记搬离",
    "tenant_new.title": "登记租户", "tenant_new.person": "租户信息",
    "tenant_new.stay": "居住信息", "tenant_new.submit": "提交登记",
    # police
    "queue.title": "居住登记审核", "queue.intro": "辖区内的居住登记，默认列出待审核的；可按乡镇、提交日期和状态筛选，按姓名或身份证号码查找。",
    "queue.approve": "通过", "queue.reject": "退回", "queue.reject_reason": "退回原因",
    "queue.empty": "没有符合条件的登记。", "queue.filters": "筛选",
    "queue.any_status": "全部状态", "queue.township": "乡镇（街道）",
    "queue.any_township": "全部乡镇（街道）", "queue.submitted_from": "提交日期（起）",
    "queue.submitted_to": "提交日期（止）", "queue.search": "姓名或身份证号码",
    "queue.search_hint": "可输入姓名（或姓名开头）、完整的身份证号码或登记编号。",
    "queue.reset": "清除筛选", "queue.total": "共 {total} 条", "queue.showing": "，本页第 {first}–{last} 条",
    "queue.pages": "分页", "queue.previous": "上一页", "queue.next": "下一页",
    "queue.page_of": "第 {page} 页，共 {pages} 页",
    # confirming what cannot be undone
    "confirm.cannot_undo": "此操作完成后不能撤销，请核对。", "confirm.cancel": "取消，返回",
    "confirm.approve_title": "确认审核通过",
    "confirm.approve_question": "确定通过这条居住登记吗？通过后将向租住人发放电子钥匙。",
    "confirm.approve_button": "确认通过", "confirm.reject_title": "确认退回",
    "confirm.reject_question": "确定退回这条居住登记吗？", "confirm.reject_button": "确认退回",
    "confirm.end_title": "确认注销登记",
    "confirm.end_question": "确定注销这条居住登记吗？注销后该房间的电子钥匙将被收回。",
    "confirm.end_button": "确认注销",
    # sessions that expire mid-form
    "login.expired": "登录已过期，请重新登录。",
    "login.kept": "登录已过期。您刚才填写的内容（密码除外）已暂存 15 分钟：重新登录后会回到原页面，请核对后再提交。",
    "form.restored": "已恢复您在登录过期前填写的内容，请核对后再提交。",
    # search
    "search.title": "人员查询", "search.query": "身份证号码、手机号码、姓名或人员编码",
    "search.hint": "结果已按规定脱敏。查询会被记录。", "search.none": "没有找到符合条件的人员。",
    "person.title": "人员信息", "person.permit": "居住证与申领条件",
    # notices
    "notice.submitted": "居住登记已提交，等待派出所审核。", "notice.approved": "已审核通过。",
    "notice.rejected": "已退回。", "notice.ended": "登记已注销。",
    "notice.house_created": "房屋已登记。", "notice.tenant_registered": "租户登记已提交，等待派出所审核。",
    "notice.permit_issued": "居住证已签发。", "notice.room_over_capacity": "注意：该房间登记人数已超过核定人数。",
    # errors
    "error.title": "出错了", "error.not_found": "页面不存在", "error.invalid": "输入不符合要求",
    "error.invalid_date": "日期格式应为 YYYY-MM-DD", "error.invalid_number": "应为整数",
    "error.required": "必填项缺失",
    # account administration and binding (anju.web.admin)
    "accounts.username_hint": "2–64 位字母、数字、下划线、点或连字符",
    "accounts.division_hint": "账号可以查看和办理的区域", "accounts.whole": "{name}（全域）",
    "accounts.person_code_hint": "居民、房东账号填写其人员编码（见其居住登记记录）。账号创建后暂不关联，"
                                 "由该人员所在辖区的派出所民警核实本人后确认关联。",
    "accounts.list": "全部账号", "accounts.jurisdiction": "辖区", "accounts.binding": "人员关联",
    "accounts.binding.bound": "已关联", "accounts.binding.pending": "待民警确认",
    "accounts.binding.refused": "民警已拒绝关联", "accounts.binding.none": "未关联",
    "accounts.manage": "管理", "accounts.account": "账号", "accounts.status": "启用与停用",
    "accounts.enable": "重新启用", "accounts.cannot_disable_self": "这是您自己的账号，不能停用。",
    "accounts.confirm_disable_title": "确认停用账号",
    "accounts.confirm_disable_text": "停用后，账号 {name} 的所有登录和令牌立即失效，无法再登录；"
                                     "之后可以在此页重新启用。",
    "accounts.confirm_disable": "确认停用", "accounts.reset": "重设密码",
    "accounts.reset_text": "设置新密码后，该账号原有的所有登录和令牌立即失效，须用新密码重新登录。"
                           "请通过安全途径把新密码告诉账号持有人。",
    "accounts.new_password": "新密码（至少 8 位）", "accounts.back": "返回账号列表",
    "accounts.done.created": "已创建账号 {name}。",
    "accounts.done.created_pending": "已创建账号 {name}。与人员的关联已提交，待该人员所在辖区的派出所"
                                     "民警确认；确认之前该账号看不到任何个人信息。",
    "accounts.done.disabled": "账号 {name} 已停用，其所有登录已失效。",
    "accounts.done.enabled": "账号 {name} 已重新启用。",
    "accounts.done.password": "账号 {name} 的密码已重设，其原有登录已全部失效。",
    "accounts.done.bound": "已确认账号 {name} 与人员的关联。",
    "accounts.done.refused": "已拒绝账号 {name} 的关联申请。",
    "common.cancel": "取消",
    "binding.title": "核实账号关联", "binding.waiting": "待确认的账号关联",
    "binding.waiting_intro": "管理员为以下账号申请关联到您辖区内的人员，请逐一核实。",
    "binding.intro": "管理员创建了以下账号，并申请将其关联到您辖区内的一名人员。",
    "binding.see_person": "（查看人员信息；查看会被记录）", "binding.requested_by": "申请人（管理员）",
    "binding.requested_at": "申请时间",
    "binding.check": "请先核实账号持有人就是该人员本人（如当面核验身份证件）。确认后，该账号可以查看和"
                     "办理此人的个人信息，页面上无法撤销。",
    "binding.confirm": "确认关联", "binding.refuse": "拒绝关联", "binding.review": "核实",
    "home.binding_pending": "您的账号与个人信息的关联正在等待派出所民警确认。确认之前，您还不能查看或"
                            "办理个人事项。",
    "home.unbound": "您的账号尚未关联个人信息，请联系管理员。",
    "dept.gongan": "公安局", "dept.renshe": "人力资源和社会保障局", "dept.shichang": "市场监督管理局",
    "dept.yibao": "医疗保障局", "dept.weijian": "卫生健康局", "dept.jiaoyu": "教育局",
    "dept.minzheng": "民政局", "dept.zhujian": "住房和城乡建设局",
    "log.refused": "被拒绝的尝试",
    "log.refused_intro": "标为“被拒绝的尝试”的记录，是有人试图查看或办理您的信息但无权访问；系统没有向其"
                         "显示任何内容。",
}

EN: dict[str, str] = {
    "site.name": "Anju", "site.tagline": "Floating population services", "punct.colon": ": ",
    "nav.skip": "Skip to content", "nav.menu": "Main menu", "nav.home": "Home",
    "nav.logout": "Sign out", "nav.lang_other": "中文", "nav.lang_label": "Language",
    "user.signed_in_as": "Signed in as",
    "footer.privacy": "Your personal data is used only to serve you; every access is logged.",
    "login.title": "Sign in", "login.username": "Username", "login.password": "Password",
    "login.submit": "Sign in", "login.intro": "Sign in with the account you were given.",
    "login.logged_out": "You have signed out.",
    "home.title": "Home", "home.welcome": "Hello, {name}", "home.choose": "What would you like to do?",
    "home.nothing": "There are no pages for your role yet.",
    "role.resident": "Resident", "role.landlord": "Landlord", "role.grid_worker": "Grid worker",
    "role.police": "Police officer", "role.dept_officer": "Department officer",
    "role.data_steward": "Data steward", "role.analyst": "Analyst", "role.auditor": "Auditor",
    "role.leader": "County leader",
    "role.admin": "Administrator",
    "menu.my_registrations": "My registrations", "menu.register": "Register residence",
    "menu.my_permit": "My residence permit", "menu.access_log": "Who viewed my data",
    "menu.houses": "My houses", "menu.house_new": "Register a house", "menu.tenants": "Tenants",
    "menu.tenant_new": "Register a tenant", "menu.queue": "Approval queue",
    "menu.search": "Person search",
    "menu.accounts": "Accounts", "accounts.create": "New account", "accounts.username": "Username",
    "accounts.password": "Initial password (8+ characters)", "accounts.role": "Role",
    "accounts.division": "Jurisdiction",
    "accounts.department": "Department (department officers)",
    "accounts.person_code": "Person code (residents, landlords)", "accounts.active": "Status",
    "accounts.enabled": "Active", "accounts.disabled": "Disabled", "accounts.disable": "Disable…",
    "menu.audit": "Audit chain", "audit.title": "Audit chain and access log",
    "audit.verify": "Verify the whole chain", "audit.ok": "Audit chain intact",
    "audit.broken": "Audit chain tampered with", "audit.recent": "Latest accesses",
    "audit.seq": "No.", "audit.at": "Time", "audit.who": "Account", "audit.role": "Role",
    "audit.action": "Action", "audit.person": "Person code", "audit.purpose": "Purpose",
    "status.submitted": "Pending review", "status.approved": "Registered",
    "status.rejected": "Returned", "status.ended": "Ended",
    "reason.work": "Work", "reason.study": "Study", "reason.stable_home": "Stable home",
    "reason.family": "Family", "reason.business": "Business", "reason.other": "Other",
    "permit.status.valid": "Valid", "permit.status.expired": "Expired",
    "permit.status.revoked": "Revoked", "sex.M": "Male", "sex.F": "Female",
    "field.address": "Address", "field.room": "Room", "field.rooms": "Rooms",
    "field.room_label": "Room no.", "field.capacity": "Capacity",
    "field.occupancy": "Occupants / capacity", "field.start_date": "Start date",
    "field.end_date": "End date", "field.reason": "Reason", "field.status": "Status",
    "field.name": "Name", "field.id_number": "ID number", "field.phone": "Mobile phone",
    "field.sex": "Sex", "field.birth_date": "Date of birth", "field.hukou_address": "Hukou address",
    "field.person_code": "Person code", "field.division_code": "Township / street",
    "field.lives_in": "Lives in",
    "field.division": "Division", "field.decided": "Reviewed",
    "field.rejection_reason": "Reason returned", "field.registration_id": "Registration no.",
    "field.permit_number": "Permit no.", "field.issued_on": "Issued",
    "field.valid_until": "Valid until", "field.endorsements": "Endorsements",
    "field.optional": "(optional)", "field.person": "Person", "field.submitted": "Submitted at",
    "field.time": "Time (China Standard Time)", "field.official": "Account",
    "field.role": "Role", "field.action": "Action", "field.purpose": "Purpose",
    "common.save": "Save", "common.search": "Search", "common.none": "Nothing yet",
    "common.back": "Back", "common.yes": "Yes", "common.no": "No", "common.self": "(you)",
    "common.error": "Could not be done", "common.actions": "Actions", "common.required": "required",
    "common.select": "Choose…", "common.unlabelled": "Other",
    "audit.result_ok": "all {checked} entries checked one by one; nothing altered, deleted or "
                       "missing.",
    "audit.result_broken": "inconsistent at entry {seq} (the {checked} before it check out): "
                           "entries were altered, deleted or reordered.",
    "audit.result_unsealed": "{checked} entries checked; other entries were never sealed into "
                             "the chain.",
    "reg.title": "My residence registrations", "reg.end": "End registration",
    "reg.end_hint": "End it when you move out",
    "register.title": "Register residence", "register.find": "Find the house",
    "register.find_hint": "Type part of the address (2+ characters), e.g. a street or estate.",
    "register.no_rooms": "No matching rooms; try another word.",
    "register.submit": "Submit", "register.choose_room": "Room",
    "permit.title": "Residence permit", "permit.eligibility": "Eligibility",
    "permit.eligible": "Eligible to apply", "permit.not_eligible": "Not yet eligible",
    "permit.eligible_from": "Eligible from", "permit.none": "No residence permit yet",
    "permit.issue": "Issue permit", "permit.list": "Permits",
    "log.title": "Who viewed my data",
    "log.intro": "Every time an official viewed or handled your data: account, role, action, "
                 "purpose and time.",
    "houses.title": "My houses", "houses.none": "You have not registered a house yet.",
    "house_new.title": "Register a house", "house_new.rooms_hint": "One room per row; empty rows "
                                                                   "are ignored.",
    "house_new.add_room": "Add a room", "house_new.submit": "Register house",
    "houses.edit": "Edit house and rooms", "menu.houses_all": "Houses",
    "houses_find.title": "Houses in my area", "houses_find.query": "Address",
    "houses_find.hint": "Part of the address: a street, an estate or a number.",
    "houses_find.none": "No houses found.",
    "house_edit.title": "Edit a house", "house_edit.details": "Address and place",
    "house_edit.rooms_hint": "Change a room number or capacity and press Save. Capacity cannot "
                             "drop below the people registered; occupied rooms cannot be "
                             "removed.",
    "house_edit.occupants": "Registered or pending", "house_edit.remove": "Remove",
    "house_edit.occupied": "Occupied; cannot be removed", "house_edit.add_room": "Add a room",
    "confirm.remove_room_title": "Confirm removing the room",
    "confirm.remove_room_question": "Remove this room from the house? Past registrations are "
                                    "kept.",
    "confirm.remove_room_button": "Remove it",
    "notice.house_updated": "House updated.", "notice.room_added": "Room added.",
    "notice.room_updated": "Room updated.", "notice.room_removed": "Room removed.",
    "tenants.title": "Tenants", "tenants.end": "Moved out",
    "tenant_new.title": "Register a tenant", "tenant_new.person": "Tenant",
    "tenant_new.stay": "Stay", "tenant_new.submit": "Submit",
    "queue.title": "Registration approvals",
    "queue.intro": "Registrations in your jurisdiction, those waiting for review first by "
                   "default; filter by township, submission date and status, or find a person "
                   "by name or ID number.",
    "queue.approve": "Approve", "queue.reject": "Return", "queue.reject_reason": "Reason",
    "queue.empty": "No registrations match.", "queue.filters": "Filters",
    "queue.any_status": "Any status", "queue.township": "Township / street",
    "queue.any_township": "All townships", "queue.submitted_from": "Submitted from",
    "queue.submitted_to": "Submitted until", "queue.search": "Name or ID number",
    "queue.search_hint": "A name (or its start), a whole ID number or a registration number.",
    "queue.reset": "Clear filters", "queue.total": "{total} in all",
    "queue.showing": "; showing {first}–{last}", "queue.pages": "Pages",
    "queue.previous": "Previous", "queue.next": "Next", "queue.page_of": "Page {page} of {pages}",
    "confirm.cannot_undo": "This cannot be undone. Please check.",
    "confirm.cancel": "Cancel, go back", "confirm.approve_title": "Confirm approval",
    "confirm.approve_question": "Approve this residence registration? The tenant will be "
                                "issued an e-key.",
    "confirm.approve_button": "Approve", "confirm.reject_title": "Confirm return",
    "confirm.reject_question": "Return this residence registration?",
    "confirm.reject_button": "Return it", "confirm.end_title": "Confirm ending",
    "confirm.end_question": "End this residence registration? The room's e-key will be "
                            "taken back.",
    "confirm.end_button": "End it",
    "login.expired": "Your session expired; please sign in again.",
    "login.kept": "Your session expired. What you had typed (not passwords) is kept for 15 "
                  "minutes: sign in again to return to the form, check it and submit.",
    "form.restored": "What you typed before your session expired is back in the form; please "
                     "check it and submit.",
    "search.title": "Person search", "search.query": "ID number, phone, name or person code",
    "search.hint": "Results are masked. Searches are logged.", "search.none": "No one found.",
    "person.title": "Person", "person.permit": "Permit and eligibility",
    "notice.submitted": "Registration submitted; the police station will review it.",
    "notice.approved": "Approved.", "notice.rejected": "Returned.",
    "notice.ended": "Registration ended.", "notice.house_created": "House registered.",
    "notice.tenant_registered": "Tenant registration submitted for review.",
    "notice.permit_issued": "Residence permit issued.",
    "notice.room_over_capacity": "Note: the room now has more occupants than its capacity.",
    "error.title": "Something went wrong", "error.not_found": "Page not found",
    "error.invalid": "Input not accepted", "error.invalid_date": "Dates are YYYY-MM-DD",
    "error.invalid_number": "Must be a whole number", "error.required": "Required field missing",
    "accounts.username_hint": "2–64 letters, digits, _ . or -",
    "accounts.division_hint": "The area this account serves", "accounts.whole": "{name} (all of it)",
    "accounts.person_code_hint": "Residents and landlords: their person code (on their "
                                 "registration record). The account starts unbound; a police "
                                 "officer of the person's area confirms the binding after "
                                 "checking who they are.",
    "accounts.list": "All accounts", "accounts.jurisdiction": "Jurisdiction",
    "accounts.binding": "Person binding", "accounts.binding.bound": "Bound",
    "accounts.binding.pending": "Awaiting police confirmation",
    "accounts.binding.refused": "Refused by the police", "accounts.binding.none": "Not bound",
    "accounts.manage": "Manage", "accounts.account": "Account",
    "accounts.status": "Enable or disable", "accounts.enable": "Re-enable",
    "accounts.cannot_disable_self": "This is your own account; you cannot disable it.",
    "accounts.confirm_disable_title": "Disable this account?",
    "accounts.confirm_disable_text": "Account {name} will be signed out everywhere at once "
                                     "(sessions and tokens) and cannot sign in; you can re-enable "
                                     "it on this page later.",
    "accounts.confirm_disable": "Disable the account", "accounts.reset": "Reset the password",
    "accounts.reset_text": "With a new password, every sign-in and token the account holds ends "
                           "at once; its holder signs in again with the new one. Tell them the "
                           "password by a safe route.",
    "accounts.new_password": "New password (8+ characters)", "accounts.back": "Back to all accounts",
    "accounts.done.created": "Account {name} created.",
    "accounts.done.created_pending": "Account {name} created. Its binding to the person now "
                                     "waits for a police officer of the person's area; until "
                                     "then the account sees no personal data.",
    "accounts.done.disabled": "Account {name} disabled; all its sign-ins have ended.",
    "accounts.done.enabled": "Account {name} enabled again.",
    "accounts.done.password": "Password of {name} reset; all its earlier sign-ins have ended.",
    "accounts.done.bound": "Binding of account {name} confirmed.",
    "accounts.done.refused": "Binding of account {name} refused.",
    "common.cancel": "Cancel",
    "binding.title": "Confirm an account binding", "binding.waiting": "Account bindings to confirm",
    "binding.waiting_intro": "An administrator asked to bind these accounts to persons in your "
                             "jurisdiction; check each one.",
    "binding.intro": "An administrator created this account and asked to bind it to a person in "
                     "your jurisdiction.",
    "binding.see_person": "(see the person; the view is logged)",
    "binding.requested_by": "Requested by (administrator)", "binding.requested_at": "Requested",
    "binding.check": "First make sure the account holder is this person (for example, check "
                     "their ID card in person). Once confirmed, the account sees and handles "
                     "this person's data; this cannot be undone on a page.",
    "binding.confirm": "Confirm the binding", "binding.refuse": "Refuse the binding",
    "binding.review": "Review",
    "home.binding_pending": "Your account is waiting for a police officer to confirm it belongs "
                            "to you. Until then you cannot see or handle your personal matters.",
    "home.unbound": "Your account is not linked to your personal record; please contact the "
                    "administrator.",
    "dept.gongan": "Public security bureau", "dept.renshe": "Human resources and social security "
                                                            "bureau",
    "dept.shichang": "Market regulation bureau", "dept.yibao": "Medical insurance bureau",
    "dept.weijian": "Health commission", "dept.jiaoyu": "Education bureau",
    "dept.minzheng": "Civil affairs bureau", "dept.zhujian": "Housing and construction bureau",
    "log.refused": "refused attempt",
    "log.refused_intro": "Entries marked “refused attempt” are officials who tried to see or "
                         "handle your data without the right to; nothing was shown to them.",
}

def register_policy_labels() -> None:
    """Every action and purpose the domains declare (anju.core.policy.merged), as the access
    log and the auditor's page say them: "action.<code>", "purpose.<name>"."""
    from anju.core.policy import merged

    policy = merged()
    for action in policy.actions.values():
        ZH[f"action.{action.code}"], EN[f"action.{action.code}"] = action.zh, action.en
    for purpose in policy.purposes.values():
        ZH[f"purpose.{purpose.name}"], EN[f"purpose.{purpose.name}"] = purpose.zh, purpose.en


MESSAGES = {"zh": ZH, "en": EN}


def register(prefix: str, text: dict[str, dict[str, str]]) -> None:
    """Add a domain's own words (its pages' TEXT) as `prefix.key`, e.g. "housing.menu_keys"."""
    for language, words in text.items():
        MESSAGES.setdefault(language, {}).update({f"{prefix}.{k}": v for k, v in words.items()})


def lang_of(value: str | None) -> str:
    return value if value in LANGS else DEFAULT


def t(key: str, lang: str = DEFAULT, **params: object) -> str:
    text = MESSAGES.get(lang, ZH).get(key) or ZH.get(key) or key
    return text.format(**params) if params else text


def cst(value: datetime | None, lang: str = DEFAULT) -> str:
    """A stored (naive UTC) time as China Standard Time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def error_text(error, lang: str = DEFAULT) -> tuple[str, str]:
    """(message in the page language, message in the other) of a bilingual error."""
    zh, en = error.message_zh, error.message_en
    return (en, zh) if lang == "en" else (zh, en)
