"""Words of the cases pages (cases core: my cases, the case page, the queue, the window, the
supervisor's view), Chinese first. Templates say t("cases.<key>")."""
from __future__ import annotations

_ZH = {
    # menus
    "menu_my_cases": "我的办件", "menu_queue": "待办件", "menu_overdue": "逾期督办",
    "menu_window": "综合窗口受理", "menu_counts": "办件统计",
    # lists
    "my_cases_title": "我的办件", "my_cases_intro": "您提交的办事申请，以及每件的办理进度和剩余时限。",
    "my_cases_empty": "您还没有办事申请。", "queue_title": "待办件",
    "queue_intro": "本部门在本辖区的在办件，按到期日排列；黄色为两个工作日内到期，红色为已逾期。",
    "queue_empty": "没有符合条件的办件。", "overdue_title": "逾期办件督办",
    "overdue_intro": "本部门已超过承诺时限的办件，逾期最久的在前。", "overdue_empty": "本部门没有逾期办件。",
    "counts_title": "办件统计", "counts_intro": "按部门和事项统计在办、逾期、办结和按时办结的件数（只是件数，不含个人）。",
    "counts_empty": "暂无办件。", "total": "共 {n} 件，第 {first}–{last} 件",
    "previous": "上一页", "next": "下一页", "filter": "筛选", "all": "全部",
    # columns and facts
    "case_no": "办件编号", "service": "事项", "applicant": "申请人", "department": "承办部门",
    "status": "状态", "submitted_at": "提交时间", "accepted_on": "受理日期", "due_date": "办结期限",
    "days_left": "剩余工作日", "warning": "预警", "channel": "受理渠道", "division": "所在地",
    "open_count": "在办", "overdue_count": "逾期", "decided_count": "办结", "on_time_count": "按时办结",
    "late_count": "超期办结", "paused_days": "补正暂停（工作日）", "decision_reason": "理由",
    "form": "申请内容", "evidence": "办事材料", "evidence_source": "来源", "evidence_date": "取得日期",
    "evidence_applicant": "申请人提供", "evidence_waiting": "待申请人提供",
    "approvals": "审批环节", "timeline": "办理过程", "escalated": "已报负责人督办",
    "channel_online": "网上申请", "channel_window": "综合窗口代办",
    "days_left_n": "剩 {n} 个工作日", "due_today": "今天到期", "clock_stopped": "已结束计时", "overdue_n": "已逾期 {n} 个工作日",
    "paused_note": "待补正，时限暂停计算", "not_started": "尚未受理，未开始计时",
    "provisional": "（按推算日历，待官方放假安排公布后可能调整）",
    "provisional_short": "推算", "warning_none": "正常", "warning_yellow": "即将到期",
    "warning_red": "已逾期", "approval_pending": "待审批", "approval_approved": "已同意",
    "approval_rejected": "不同意",
    # the case page and its actions
    "case_title": "办件详情", "back_to_list": "返回列表", "actions": "办理",
    "accept": "受理", "not_accept": "不予受理", "start": "开始办理",
    "request_supplement": "要求补正", "supply": "提交补正材料", "approve": "准予（同意）",
    "reject": "不予批准", "withdraw": "撤回申请", "transfer": "转办", "transfer_to": "转至部门",
    "reason": "理由", "reason_hint": "申请人会看到这段理由", "note": "说明",
    "supply_intro": "承办部门要求补正：请修改或补充下列内容后提交。",
    "withdraw_confirm": "撤回后本申请即告结束。", "done_open": "申请已提交，承办部门受理后开始计算办理时限。",
    "done_accept": "已受理。", "done_not_accept": "已决定不予受理。", "done_start": "已开始办理。",
    "done_request_supplement": "已通知申请人补正，时限暂停。", "done_supply": "补正材料已提交，时限继续计算。",
    "done_decide": "已作出决定。", "done_withdraw": "申请已撤回。", "done_transfer": "已转办。",
    # timeline actions
    "act_open": "提交申请", "act_accept": "受理", "act_not_accept": "不予受理",
    "act_start": "开始办理", "act_request_supplement": "要求补正", "act_supply": "补正材料",
    "act_approve": "办结（准予）", "act_reject": "办结（不予批准）", "act_approve_step": "部门审批同意",
    "act_withdraw": "撤回申请", "act_transfer": "转办", "act_escalate": "逾期报负责人督办",
    # the window
    "window_title": "综合窗口受理", "window_intro": "凭申请人的身份证号码查找本人，在其同意下代为提交办事申请。",
    "id_number": "身份证号码", "find": "查找", "person_found": "申请人",
    "person_cases": "该申请人的办件", "open_for": "代为申请", "choose_service": "选择事项",
    "consent_method": "本人同意方式", "consent_reference": "同意书编号",
    "consent_paper_form": "书面同意书", "consent_in_person": "当面口头同意",
    "consent_note": "代为申请须取得申请人本人同意，同意方式会记入办件和申请人的访问记录。",
    "submit_case": "提交申请", "opened_by_me": "我受理的办件",
    # the supervisor
    "supervisor_counts": "本部门办件统计",
    "dept_sifa": "司法局",
}
# the case page's links for the applicant, and a decision's outcome on the timeline (journey9)
_ZH |= {
    "evidence_link": "查看办事材料及来源", "outcome_permit": "居住证 {number}，有效期至 {until}",
}
_EN = {
    "menu_my_cases": "My cases", "menu_queue": "Case queue", "menu_overdue": "Overdue cases",
    "menu_window": "One-stop window", "menu_counts": "Case figures",
    "my_cases_title": "My cases",
    "my_cases_intro": "Your applications, how far each has gone and the time left.",
    "my_cases_empty": "You have no applications yet.", "queue_title": "Case queue",
    "queue_intro": "Your department's open cases in your area, soonest due first; yellow: due "
                   "within two working days, red: overdue.",
    "queue_empty": "No cases match.", "overdue_title": "Overdue cases",
    "overdue_intro": "Your department's cases past their time limit, most overdue first.",
    "overdue_empty": "Your department has no overdue cases.", "counts_title": "Case figures",
    "counts_intro": "Open, overdue, decided and decided-on-time cases per department and "
                    "service (counts only, no person).",
    "counts_empty": "No cases yet.", "total": "{n} in all, {first}–{last}",
    "previous": "Previous", "next": "Next", "filter": "Filter", "all": "All",
    "case_no": "Case no.", "service": "Service", "applicant": "Applicant",
    "department": "Department", "status": "Status", "submitted_at": "Submitted",
    "accepted_on": "Accepted on", "due_date": "Due date", "days_left": "Working days left",
    "warning": "Warning", "channel": "Channel", "division": "Area", "open_count": "Open",
    "overdue_count": "Overdue", "decided_count": "Decided", "on_time_count": "On time",
    "late_count": "Late", "paused_days": "Paused for supplement (working days)",
    "decision_reason": "Reason", "form": "Application", "evidence": "Evidence",
    "evidence_source": "Source", "evidence_date": "Obtained on",
    "evidence_applicant": "Supplied by the applicant",
    "evidence_waiting": "Awaiting the applicant", "approvals": "Approvals",
    "timeline": "Timeline", "escalated": "Escalated to the supervisor",
    "channel_online": "Online", "channel_window": "At the one-stop window",
    "days_left_n": "{n} working days left", "due_today": "Due today", "clock_stopped": "Clock stopped",
    "overdue_n": "Overdue by {n} working days",
    "paused_note": "Waiting for a supplement; the clock is stopped",
    "not_started": "Not accepted yet; the clock has not started",
    "provisional": "(on a provisional calendar; may change once the official holidays are "
                   "published)",
    "provisional_short": "provisional", "warning_none": "On track", "warning_yellow": "Due soon",
    "warning_red": "Overdue", "approval_pending": "Pending", "approval_approved": "Approved",
    "approval_rejected": "Refused",
    "case_title": "Case", "back_to_list": "Back to the list", "actions": "Handle",
    "accept": "Accept", "not_accept": "Do not accept", "start": "Start work",
    "request_supplement": "Request a supplement", "supply": "Send the supplement",
    "approve": "Approve", "reject": "Reject", "withdraw": "Withdraw the application",
    "transfer": "Transfer", "transfer_to": "To department", "reason": "Reason",
    "reason_hint": "The applicant will see this reason", "note": "Note",
    "supply_intro": "The department asks for a supplement: correct or complete the items below "
                    "and send them.",
    "withdraw_confirm": "Withdrawing ends this application.",
    "done_open": "Application sent; the time limit starts when the department accepts it.",
    "done_accept": "Accepted.", "done_not_accept": "Not accepted.", "done_start": "Work started.",
    "done_request_supplement": "The applicant was asked for a supplement; the clock is stopped.",
    "done_supply": "Supplement sent; the clock runs again.", "done_decide": "Decided.",
    "done_withdraw": "Application withdrawn.", "done_transfer": "Transferred.",
    "act_open": "Application sent", "act_accept": "Accepted", "act_not_accept": "Not accepted",
    "act_start": "Work started", "act_request_supplement": "Supplement requested",
    "act_supply": "Supplement sent", "act_approve": "Approved", "act_reject": "Rejected",
    "act_approve_step": "A department approved", "act_withdraw": "Withdrawn",
    "act_transfer": "Transferred", "act_escalate": "Escalated as overdue",
    "window_title": "One-stop window",
    "window_intro": "Find the applicant by their ID card's number and, with their consent, "
                    "open a case for them.",
    "id_number": "ID number", "find": "Find", "person_found": "Applicant",
    "person_cases": "The applicant's cases", "open_for": "Apply on their behalf",
    "choose_service": "Choose a service", "consent_method": "How they consented",
    "consent_reference": "Consent form no.", "consent_paper_form": "Signed paper form",
    "consent_in_person": "In person",
    "consent_note": "Applying for someone needs their own consent; how they consented is kept "
                    "with the case and in their access log.",
    "submit_case": "Send the application", "opened_by_me": "Cases I opened",
    "supervisor_counts": "Your department's figures",
    "dept_sifa": "Justice bureau",
}
_EN |= {
    "evidence_link": "See the evidence and where it came from",
    "outcome_permit": "Residence permit {number}, valid until {until}",
}
WORDS: dict[str, dict[str, str]] = {"zh": _ZH, "en": _EN}
