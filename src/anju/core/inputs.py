"""How input from people and programs is read, and how a refusal of it is said.

- `choice(...)`: an enumerated input (residence reason, sex, task outcome, …) that accepts the
  code, the English key and the Chinese label people actually type (务工, 男, 已搬离 …), built once
  from the enum's labels and reused by API bodies, query parameters and page forms alike. The
  OpenAPI schema lists exactly the spellings that are accepted; the value read is the enum.
- `explain(errors)`: pydantic's complaints as one bilingual `ValidationError` that names the field
  by its label ("房间：应填写整数"), never by its code ("room_id") or in pydantic's English.
- `parse(model, data)`: a request model from form fields, or that error.

Words live here rather than in the page dictionary because the JSON API says them too.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, WithJsonSchema
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from anju.core.errors import ValidationError

E = TypeVar("E", bound=Enum)


# --- enumerated inputs -------------------------------------------------------------------------
def choice(enum: type[E], spellings: Mapping[E, Iterable[str]], *, what: str = "") -> Any:
    """`Annotated[enum, …]` accepting each member's value plus the given spellings (codes,
    English keys and labels, Chinese labels). The first spelling of each member should be its
    Chinese label: the refusal lists those ("请从以下选择：务工、经商 …")."""
    table: dict[str, E] = {}
    for member in enum:
        table[str(member.value)] = member
    labels_zh: list[str] = []
    for member, words in spellings.items():
        words = list(words)
        labels_zh.append(words[0] if words else str(member.value))
        for word in words:
            if table.setdefault(word, member) is not member:
                raise ValueError(f"{word!r} spells two members of {enum.__name__}")
    expected = ", ".join(f"'{m.value}'" for m in enum)
    expected_zh = "、".join(labels_zh)

    def read(value: object) -> object:
        if isinstance(value, enum):
            return value
        if isinstance(value, str) and value in table:
            return table[value]
        raise PydanticCustomError("enum", "Input should be one of {expected}",
                                  {"expected": expected, "expected_zh": expected_zh})

    schema = {"type": "string", "enum": list(table),
              "description": (f"{what + ': ' if what else ''}the code, English key or Chinese "
                              f"label ({expected_zh}); answered as the code ({expected})")}
    return Annotated[enum, BeforeValidator(read), WithJsonSchema(schema)]


# --- field labels ------------------------------------------------------------------------------
# Every name a request body, query, path or page form uses (tests/core/test_inputs.py checks the
# API's against this table).
FIELDS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"), "id_number": ("身份证号码", "ID number"), "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "date of birth"), "phone": ("手机号码", "mobile phone"),
    "hukou_address": ("户籍地址", "hukou address"), "person_code": ("人员编码", "person code"),
    "address": ("地址", "address"), "division_code": ("所属街道（乡镇）或村（社区）", "division"),
    "division": ("区划", "division"), "landlord_person_code": ("房东", "landlord"),
    "rooms": ("房间", "rooms"), "label": ("房间号", "room number"),
    "capacity": ("核定人数", "capacity"), "room_id": ("房间", "room"),
    "room_label": ("房间号", "room number"), "room_capacity": ("核定人数", "capacity"),
    "room_labels": ("房间号", "room numbers"), "house_id": ("房屋", "house"),
    "start_date": ("开始日期", "start date"), "end_date": ("结束日期", "end date"),
    "reason": ("事由", "reason"), "status": ("状态", "status"),
    "registration_id": ("居住登记", "registration"), "permit_number": ("居住证号", "permit number"),
    "submitted_from": ("提交日期（起）", "submitted from"),
    "submitted_to": ("提交日期（止）", "submitted to"), "q": ("查询内容", "search"),
    "offset": ("起始位置", "offset"), "limit": ("每页条数", "page size"), "page": ("页码", "page"),
    "key_id": ("钥匙", "key"), "note": ("备注（原因）", "note"), "outcome": ("处理结果", "outcome"),
    "task_id": ("任务", "task"), "kind": ("类型", "kind"), "lock_id": ("门锁编号", "lock id"),
    "vendor": ("门锁厂商", "lock vendor"), "amount_fen": ("金额", "amount"),
    "method": ("方式", "method"), "reference": ("编号（说明）", "reference"),
    "statement_id": ("账单", "statement"), "consent_id": ("同意记录", "consent"),
    "consented_at": ("同意时间", "time of consent"), "valid_days": ("有效天数", "days valid"),
    "decision": ("复核结论", "decision"), "pair_id": ("记录对", "record pair"),
    "golden_id": ("主记录", "golden record"), "golden_ids": ("主记录", "golden records"),
    "served": ("服务对象", "served persons"), "cursor": ("游标", "cursor"),
    "dataset": ("数据范围", "dataset"), "purpose": ("用途", "purpose"),
    "approve": ("是否批准", "approve"), "expires_on": ("有效期至", "expires on"),
    "request_id": ("数据申请", "data request"), "import_id": ("导入批次", "import"),
    "job_id": ("导入任务", "import job"),
    "department": ("部门", "department"), "file": ("文件", "file"),
    "username": ("用户名", "username"), "password": ("密码", "password"),
    "role": ("角色", "role"), "idempotency_key": ("表单编号", "form id"),
    "Idempotency-Key": ("幂等键", "idempotency key"), "X-Anju-Signature": ("签名", "signature"),
    "grant_type": ("授权类型", "grant type"), "scope": ("授权范围", "scope"),
    "client_id": ("客户端编号", "client id"), "client_secret": ("客户端密钥", "client secret"),
    "body": ("请求内容", "request body"),
    # cases, points and schools, federation
    "accepted": ("是否通过", "accepted"), "active": ("是否启用", "active"),
    "answer": ("答复", "answer"), "appeal_id": ("异议", "appeal"),
    "arrival_notices": ("到达通知", "arrival notices"), "by": ("分组方式", "grouped by"),
    "case_id": ("办件号", "case number"), "code": ("编号", "code"),
    "comment": ("意见", "comment"), "consent": ("本人同意", "consent"),
    "fact": ("积分事项", "fact"), "form": ("申请表", "application form"),
    "indicator": ("积分指标", "indicator"), "item": ("材料", "item"),
    "link_secret": ("比对密钥", "link secret"), "message_id": ("消息编号", "message id"),
    "month": ("月份", "month"), "non_essential": ("接收一般消息", "non-essential notices"),
    "notice_id": ("消息", "notice"), "obtained_on": ("取得日期", "obtained on"),
    "on": ("日期", "date"), "payload": ("二维码内容", "QR content"),
    "peer": ("对端县", "peer county"), "provider_code": ("服务机构", "service provider"),
    "public_key": ("公钥", "public key"), "rect_id": ("整改", "rectification"),
    "result_id": ("积分结果", "points result"), "score": ("评价", "rating"),
    "seed": ("摇号种子", "lottery seed"), "service_code": ("服务事项", "service"),
    "source": ("来源", "source"), "state": ("状态", "state"),
    "subject": ("标题", "subject"), "suggestion_id": ("意见建议", "suggestion"),
    "text": ("内容", "text"), "type": ("类型", "type"),
    "unanswered": ("仅未答复", "unanswered only"), "unread": ("仅未读", "unread only"),
    "url": ("地址（URL）", "URL"), "value": ("数值", "value"),
    "warning": ("时限预警", "deadline warning"), "year": ("年份", "year"),
    # statistics (anju.monitoring)
    "level": ("区划层级", "level"), "date": ("日期", "date"),
    "boundaries": ("区划口径", "boundaries"), "format": ("格式", "format"),
    "encoding": ("编码", "encoding"), "freq": ("频度", "frequency"),
    "from": ("起始日期", "from"), "to": ("截止日期", "to"),
    "origin_level": ("来源地层级", "origin level"),
    "dest_level": ("目的地层级", "destination level"), "horizon": ("预测月数", "horizon"),
    "operator": ("运营商", "operator"),
    "growth_warning_pct": ("月增长预警阈值（%）", "growth warning (%)"),
    "grid_load_max": ("网格员负荷上限", "grid-worker load limit"),
    "anomaly_level": ("异常判定区间", "anomaly interval"),
    "mobile_retention_days": ("信令数据保留天数", "mobile-count retention (days)"),
    "dp_budget": ("年度隐私预算 ε", "yearly privacy budget ε"),
    "dp_epsilon": ("每张表的 ε", "ε per table"),
}


def field_label(loc: Iterable[object]) -> tuple[str, str] | None:
    """("rooms", 0, "capacity") → ("房间（第 1 项）核定人数", "rooms (item 1) capacity")."""
    zh, en = [], []
    for part in loc:
        if isinstance(part, int):
            zh.append(f"（第 {part + 1} 项）")
            en.append(f" (item {part + 1})")
            continue
        label = FIELDS.get(str(part))
        if label is None:
            return None
        zh.append(label[0])
        en.append((" " if en else "") + label[1])
    return ("".join(zh), "".join(en)) if zh else None


# --- pydantic's error types, said plainly --------------------------------------------------------
# Exact types first; then a family by prefix, so every type pydantic can raise has Chinese words.
_EXACT: dict[str, tuple[str, str]] = {
    "missing": ("必填，不能为空", "is required"),
    "string_too_short": ("至少 {min_length} 个字", "needs at least {min_length} characters"),
    "string_too_long": ("最多 {max_length} 个字", "takes at most {max_length} characters"),
    "string_pattern_mismatch": ("格式不正确", "is not in the expected format"),
    "too_short": ("至少 {min_length} 项", "needs at least {min_length} items"),
    "too_long": ("最多 {max_length} 项", "takes at most {max_length} items"),
    "greater_than": ("应大于 {gt}", "must be greater than {gt}"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "less_than": ("应小于 {lt}", "must be less than {lt}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "multiple_of": ("应为 {multiple_of} 的倍数", "must be a multiple of {multiple_of}"),
    "int_from_float": ("应填写整数", "must be a whole number"),
    "int_parsing_size": ("数值超出范围", "is out of range"),
    "finite_number": ("应为有限数值", "must be a finite number"),
    "enum": ("请从以下选择：{expected_zh}", "must be one of {expected}"),
    "literal_error": ("请从以下选择：{expected}", "must be one of {expected}"),
    "json_invalid": ("不是有效的 JSON", "is not valid JSON"),
    "json_type": ("应为 JSON 文本", "must be JSON text"),
    "extra_forbidden": ("不是可接受的项目", "is not an accepted field"),
    "none_required": ("应为空", "must be empty"),
    "date_past": ("应为过去的日期", "must be in the past"),
    "date_future": ("应为将来的日期", "must be in the future"),
    "datetime_past": ("应为过去的时间", "must be in the past"),
    "datetime_future": ("应为将来的时间", "must be in the future"),
    "timezone_naive": ("不应带时区", "must not carry a time zone"),
    "timezone_aware": ("应带时区", "must carry a time zone"),
    "timezone_offset": ("时区不符", "has the wrong time zone"),
    "value_error": ("不符合要求", "is not accepted"),
    "assertion_error": ("不符合要求", "is not accepted"),
    "string_unicode": ("含有无效字符", "contains invalid characters"),
    "string_not_ascii": ("只能包含英文字母、数字和符号", "must be ASCII"),
}
_FAMILIES: tuple[tuple[str, tuple[str, str]], ...] = (
    ("datetime", ("时间格式应为 YYYY-MM-DD HH:MM", "must be a time as YYYY-MM-DD HH:MM")),
    ("date", ("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD")),
    ("time", ("时间格式应为 HH:MM", "must be a time as HH:MM")),
    ("int", ("应填写整数", "must be a whole number")),
    ("float", ("应填写数字", "must be a number")),
    ("decimal", ("应填写数字", "must be a number")),
    ("complex", ("应填写数字", "must be a number")),
    ("fraction", ("应填写数字", "must be a number")),
    ("bool", ("应为“是”或“否”", "must be true or false")),
    ("string", ("应填写文字", "must be text")),
    ("bytes", ("应为文件或文字", "must be a file or text")),
    ("url", ("网址格式不正确", "must be a valid URL")),
    ("uuid", ("编号格式不正确", "must be a valid UUID")),
    ("list", ("应为列表", "must be a list")),
    ("tuple", ("应为列表", "must be a list")),
    ("set", ("应为列表", "must be a list")),
    ("frozen_set", ("应为列表", "must be a list")),
    ("deque", ("应为列表", "must be a list")),
    ("iterable", ("应为列表", "must be a list")),
    ("iteration", ("应为列表", "must be a list")),
    ("model", ("应为对象（键值对）", "must be an object")),
    ("dict", ("应为对象（键值对）", "must be an object")),
    ("mapping", ("应为对象（键值对）", "must be an object")),
    ("dataclass", ("应为对象（键值对）", "must be an object")),
)
_GENERAL = ("不符合要求", "is not accepted")


def _safe_format(template: str, ctx: Mapping[str, object]) -> str:
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return re.sub(r"\{[^}]*\}", "", template).rstrip("：: ")


def reason_for(kind: str, ctx: Mapping[str, object] | None = None) -> tuple[str, str]:
    """(Chinese, English) of one pydantic error type, with its limits filled in."""
    zh, en = _EXACT.get(kind) or next((words for prefix, words in _FAMILIES
                                       if kind.startswith(prefix)), _GENERAL)
    ctx = dict(ctx or {})
    ctx.setdefault("expected_zh", ctx.get("expected", ""))
    return _safe_format(zh, ctx), _safe_format(en, ctx)


_WHERE = ("body", "query", "path", "header", "cookie", "form")


def describe(item: Mapping[str, Any]) -> dict[str, str | None]:
    """One pydantic error as {"field", "code", "message_zh", "message_en"}, field by label."""
    loc = [p for p in item.get("loc", ()) if p not in _WHERE]
    # pydantic names the validator in the location of a union or annotated type; drop it
    loc = [p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function")))]
    field = ".".join(str(p) for p in loc) or None
    zh, en = reason_for(item.get("type", ""), item.get("ctx"))
    label = field_label(loc)
    if label:
        zh, en = f"{label[0]}：{zh}", f"{label[1][:1].upper()}{label[1][1:]}: {en}"
    else:
        zh, en = f"输入{zh}", f"Input {en}"
    return {"field": field, "code": item.get("type"), "message_zh": zh, "message_en": en}


def explain(errors: Iterable[Mapping[str, Any]]) -> ValidationError:
    """pydantic's errors as one bilingual ValidationError about the first; all are in `.fields`."""
    described = [describe(e) for e in errors] or [
        {"field": None, "code": "invalid_input", "message_zh": "输入不符合要求",
         "message_en": "Input is not accepted"}]
    first = described[0]
    error = ValidationError("invalid_input", first["message_zh"], first["message_en"],
                            field=first["field"])
    error.fields = described
    return error


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Mapping[str, object]) -> M:
    """A request model from form fields; its first complaint as a bilingual field error."""
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise explain(exc.errors()) from None
