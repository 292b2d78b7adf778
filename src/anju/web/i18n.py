"""The visible strings of the core pages, and those several domains' pages share, in Chinese
first and English second. Each domain's own words are in its words table (`Domain.words`, e.g.
anju.registry.words), registered here as "<domain>.<key>" when the pages are installed.

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
    # menus of the core pages
    "menu.accounts": "账号管理", "accounts.create": "新建账号", "accounts.username": "用户名",
    "accounts.password": "初始密码（至少 8 位）", "accounts.role": "角色",
    "accounts.division": "辖区", "accounts.department": "部门（部门人员必选）",
    "accounts.person_code": "人员编码（居民、房东必填）", "accounts.active": "状态",
    "accounts.enabled": "启用", "accounts.disabled": "已停用", "accounts.disable": "停用…",
    "menu.audit": "审计链", "audit.title": "审计链校验与访问日志",
    "audit.verify": "校验整条审计链", "audit.ok": "审计链完整", "audit.broken": "审计链被篡改",
    "audit.recent": "最近的访问记录", "audit.seq": "分区·序号", "audit.at": "时间",
    "audit.who": "账号", "audit.role": "角色", "audit.action": "操作", "audit.person": "人员编码",
    "audit.purpose": "用途",
    "audit.pending": "待封存",  # issue 12: appended, not sealed into the chain yet
    # registration states and reasons
    "status.submitted": "待审核", "status.approved": "已登记", "status.rejected": "已退回",
    "status.ended": "已注销",
    "reason.work": "务工", "reason.study": "就学", "reason.stable_home": "稳定住所",
    "reason.family": "投亲靠友", "reason.business": "经商", "reason.other": "其他",
    "sex.M": "男", "sex.F": "女",
    # fields several domains' pages name (a domain's own are in its words: anju.<domain>.words)
    "field.address": "地址", "field.start_date": "开始日期", "field.end_date": "结束日期",
    "field.reason": "居住事由", "field.person_code": "人员编码", "field.registration_id": "登记编号",
    "field.optional": "（选填）", "field.person": "人员",
    # common
    "common.save": "保存", "common.search": "查询", "common.none": "暂无记录",
    "common.back": "返回", "common.yes": "是", "common.no": "否", "common.self": "（本人）",
    "common.error": "未能完成", "common.actions": "操作", "common.required": "必填",
    "common.select": "请选择", "common.unlabelled": "其他",
    "audit.result_ok": "已逐条核对 {checked} 条记录，未发现篡改、删除或缺失。",
    "audit.result_broken": "在第 {seq} 条记录处不一致（之前的 {checked} 条核对无误）：可能有记录被修改、删除或调换顺序。",
    "audit.result_unsealed": "已核对 {checked} 条记录，另有记录未被封存进审计链。",
    # confirming what cannot be undone
    "confirm.cannot_undo": "此操作完成后不能撤销，请核对。", "confirm.cancel": "取消，返回",
    "confirm.end_title": "确认注销登记",
    "confirm.end_question": "确定注销这条居住登记吗？注销后该房间的电子钥匙将被收回。",
    "confirm.end_button": "确认注销",
    # sessions that expire mid-form
    "login.expired": "登录已过期，请重新登录。",
    "login.kept": "登录已过期。您刚才填写的内容（密码除外）已暂存 15 分钟：重新登录后会回到原页面，请核对后再提交。",
    "form.restored": "已恢复您在登录过期前填写的内容，请核对后再提交。",
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
    "menu.accounts": "Accounts", "accounts.create": "New account", "accounts.username": "Username",
    "accounts.password": "Initial password (8+ characters)", "accounts.role": "Role",
    "accounts.division": "Jurisdiction",
    "accounts.department": "Department (department officers)",
    "accounts.person_code": "Person code (residents, landlords)", "accounts.active": "Status",
    "accounts.enabled": "Active", "accounts.disabled": "Disabled", "accounts.disable": "Disable…",
    "menu.audit": "Audit chain", "audit.title": "Audit chain and access log",
    "audit.verify": "Verify the whole chain", "audit.ok": "Audit chain intact",
    "audit.broken": "Audit chain tampered with", "audit.recent": "Latest accesses",
    "audit.seq": "Part·No.", "audit.at": "Time", "audit.who": "Account", "audit.role": "Role",
    "audit.action": "Action", "audit.person": "Person code", "audit.purpose": "Purpose",
    "audit.pending": "pending",  # issue 12: appended, not sealed into the chain yet
    "status.submitted": "Pending review", "status.approved": "Registered",
    "status.rejected": "Returned", "status.ended": "Ended",
    "reason.work": "Work", "reason.study": "Study", "reason.stable_home": "Stable home",
    "reason.family": "Family", "reason.business": "Business", "reason.other": "Other",
    "sex.M": "Male", "sex.F": "Female",
    "field.address": "Address", "field.start_date": "Start date", "field.end_date": "End date",
    "field.reason": "Reason", "field.person_code": "Person code",
    "field.registration_id": "Registration no.", "field.optional": "(optional)",
    "field.person": "Person",
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
    "confirm.cannot_undo": "This cannot be undone. Please check.",
    "confirm.cancel": "Cancel, go back",
    "confirm.end_title": "Confirm ending",
    "confirm.end_question": "End this residence registration? The room's e-key will be "
                            "taken back.",
    "confirm.end_button": "End it",
    "login.expired": "Your session expired; please sign in again.",
    "login.kept": "Your session expired. What you had typed (not passwords) is kept for 15 "
                  "minutes: sign in again to return to the form, check it and submit.",
    "form.restored": "What you typed before your session expired is back in the form; please "
                     "check it and submit.",
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
}

# --- cases core (issue 9): the case roles and the justice bureau ---------------------------------
ZH.update({"role.window_clerk": "综合窗口工作人员", "role.dept_supervisor": "部门负责人",
           "role.service_provider": "服务机构", "role.system": "系统", "dept.sifa": "司法局"})
EN.update({"role.window_clerk": "Window clerk", "role.dept_supervisor": "Department supervisor",
           "role.service_provider": "Service provider", "role.system": "System",
           "dept.sifa": "Justice bureau"})


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
