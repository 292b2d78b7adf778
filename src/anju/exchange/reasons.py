"""Why a value was rejected: one catalogue, bilingual, shared by standardisation and connectors;
the rejections themselves are `anju.core.errors.RowError`s."""

from __future__ import annotations

from anju.core.errors import RowError

# code → (zh, en). ID codes match anju.core.idnumber's ValidationError codes.
REASONS: dict[str, tuple[str, str]] = {
    "id_length": ("身份证号码位数不对（应为15或18位）", "ID number must have 15 or 18 characters"),
    "id_chars": ("身份证号码含非法字符", "ID number contains invalid characters"),
    "id_birth_date": ("身份证号码中的出生日期无效", "ID number holds an invalid birth date"),
    "id_checksum": ("身份证号码校验位错误", "ID number check digit is wrong"),
    "name_missing": ("姓名为空", "name is missing"),
    "name_chars": ("姓名含数字或非法字符", "name contains digits or invalid characters"),
    "date_format": ("日期格式无法识别", "date format not recognised"),
    "date_range": ("日期超出合理范围", "date out of plausible range"),
    "sex_code": ("性别代码无法识别", "sex code not recognised"),
    "phone_format": ("电话号码格式无效", "phone number format invalid"),
    "address_unresolved": ("地址无法解析到区县", "address could not be resolved to a county"),
    "row_unidentifiable": ("记录既无姓名也无身份证号，无法识别", "row has neither name nor ID"),
    "row_malformed": ("行格式错误，无法读取", "row is malformed and cannot be read"),
    "field_missing": ("映射要求的列在文件中不存在", "a mapped column is absent from the file"),
    "duplicate_record": ("记录编号在本文件中重复，只导入第一条",
                         "the record id appears earlier in this file; only the first is imported"),
    "outside_jurisdiction": ("记录所在地不在本人辖区内，未导入",
                             "the record's place lies outside your jurisdiction; not imported"),
}


WHOLE_ROW = "*"  # the field of an error about the row as a whole


def row_error(file: str, row: int, field: str, code: str) -> RowError:
    """The row error (`anju.core.errors.RowError`, the one type every import reports with) for
    a reason of this catalogue. `row` is 1-based in the file's data (the header excluded; a JSON
    array's index + 1), 0 for the header itself (a mapped column missing); `field` is the
    standard field, WHOLE_ROW for the row as a whole."""
    zh, en = REASONS[code]
    return RowError(row, code, zh, en, field, file)
