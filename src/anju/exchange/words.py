"""Exchange's page words (Chinese first, English second). The web registers them as
"exchange.<key>" (`anju.exchange.DOMAIN.words`); templates say `t("exchange.<key>")`. Some keys are
made from values at run time: import states ("state_<state>", "status_<status>"), how records
were linked ("linked_<how>"), review states ("<status>_status"), the standard fields of a record
and of a row error ("*": the whole row), and the notices the pages pass."""
from __future__ import annotations

WORDS = {
    "zh": {
        "menu_imports": "部门数据导入",
        "imports_title": "部门数据导入",
        "imports_intro": "上传部门导出的数据文件（按该部门的格式，无需改动）。导入在后台分批进行，"
                         "期间系统照常可用；同一文件重复上传不会重复导入，中断的导入再次上传同一文件"
                         "即从中断处继续。",
        "department_field": "部门", "file_field": "数据文件", "upload": "上传并导入",
        "recent": "最近的导入", "no_imports": "还没有导入记录。", "file": "文件",
        "progress": "进度", "state": "状态", "started": "开始时间", "open_job": "查看",
        "state_running": "导入中", "state_finished": "已完成", "state_failed": "失败",
        "state_interrupted": "已中断",
        "job_title": "导入进度", "records_done": "已处理记录", "refreshing": "本页每 3 秒自动刷新。",
        "report": "导入结果", "status_imported": "已导入",
        "status_unchanged": "该文件此前已导入，未重复导入。",
        "rows": "记录数", "new_records": "新增", "updated_records": "更新",
        "unchanged_records": "未变化", "error_count": "被拒绝的值", "linked": "关联方式",
        "linked_exact_id": "身份证号已在库", "linked_registry": "人口库已登记",
        "linked_matched": "自动匹配", "linked_review": "待人工复核", "linked_new": "新身份",
        "row": "行", "reason": "原因", "back_imports": "返回导入列表", "*": "整行",
        "header": "表头",
        "menu_review": "记录复核",
        "queue_title": "记录复核", "pair_title": "记录复核：是否同一人",
        "intro": "以下记录对的匹配分值处于不确定区间，请对照两条记录判断是否为同一人。身份证号码已脱敏。",
        "empty": "暂无待复核的记录对。", "weight": "匹配分值", "left": "记录甲", "right": "记录乙",
        "open": "复核", "match": "是同一人（合并）", "non_match": "不是同一人",
        "decided_notice": "复核结论已记录。", "field": "项目", "status": "状态",
        "pending": "待复核", "match_status": "同一人", "non_match_status": "不是同一人",
        "back": "返回复核队列",
        "department": "部门", "source_record_id": "部门记录编号", "as_of": "数据日期",
        "name": "姓名", "id_number": "身份证号码", "sex": "性别", "birth_date": "出生日期",
        "phone": "联系电话", "hukou_address": "户籍地址", "current_address": "现住址",
        "employer": "工作单位", "golden_id": "主记录编号",
        "confirm_title": "确认复核结论",
        "confirm_match": "确定这两条记录是同一人吗？两条主记录将合并为一条。",
        "confirm_non_match": "确定这两条记录不是同一人吗？这一对记录以后不会再提交复核。",
    },
    "en": {
        "menu_imports": "Department imports",
        "imports_title": "Department imports",
        "imports_intro": "Upload a department's extract as the department exported it. The import "
                         "runs in the background in batches, and the system stays usable "
                         "meanwhile; a file uploaded again is not imported twice, and uploading an "
                         "interrupted import's file again resumes it.",
        "department_field": "Department", "file_field": "Extract file",
        "upload": "Upload and import", "recent": "Recent imports",
        "no_imports": "No imports yet.", "file": "File", "progress": "Progress",
        "state": "State", "started": "Started", "open_job": "Open",
        "state_running": "importing", "state_finished": "finished", "state_failed": "failed",
        "state_interrupted": "interrupted",
        "job_title": "Import progress", "records_done": "Records done",
        "refreshing": "This page refreshes every 3 seconds.",
        "report": "Result", "status_imported": "Imported",
        "status_unchanged": "This file was imported before; nothing was imported again.",
        "rows": "Records", "new_records": "New", "updated_records": "Updated",
        "unchanged_records": "Unchanged", "error_count": "Rejected values", "linked": "Linked by",
        "linked_exact_id": "ID number already held", "linked_registry": "registered person",
        "linked_matched": "matched", "linked_review": "for review", "linked_new": "new identity",
        "row": "Row", "reason": "Reason", "back_imports": "Back to imports", "*": "whole row",
        "header": "header",
        "menu_review": "Match review",
        "queue_title": "Match review", "pair_title": "Match review: the same person?",
        "intro": "These pairs scored in the uncertain band. Compare the two records and decide "
                 "whether they describe the same person. ID numbers are masked.",
        "empty": "No pairs are waiting for review.", "weight": "Match weight", "left": "Record A",
        "right": "Record B", "open": "Review", "match": "Same person (merge)",
        "non_match": "Not the same person", "decided_notice": "Decision recorded.",
        "field": "Field", "status": "Status", "pending": "pending", "match_status": "same person",
        "non_match_status": "not the same person", "back": "Back to the review queue",
        "department": "Department", "source_record_id": "Department record", "as_of": "As of",
        "name": "Name", "id_number": "ID number", "sex": "Sex", "birth_date": "Birth date",
        "phone": "Phone", "hukou_address": "Household registration address",
        "current_address": "Current address", "employer": "Employer", "golden_id": "Golden record",
        "confirm_title": "Confirm the decision",
        "confirm_match": "Are these two records the same person? Their golden records will be "
                         "merged into one.",
        "confirm_non_match": "Are these two records different people? The pair will not be "
                             "proposed for review again.",
    },
}
