"""Every standardisation rule, including the dirty forms departments really send."""

import datetime as dt

import polars as pl
import pytest

from anju.core.idnumber import is_valid_id_number, normalize_id_number
from anju.exchange import standardise as st
from anju.exchange.addresses import resolve
from anju.exchange.reasons import REASONS

TODAY = dt.date(2026, 6, 1)


def one(fn, value, **kw):
    return fn(pl.Series([value], dtype=pl.String), **kw).row(0, named=True)


@pytest.mark.parametrize("raw, number, valid, error", [
    ("330522199001011231", "330522199001011231", True, None),
    ("３３０５２２１９９００１０１１２３１", "330522199001011231", True, None),  # full-width
    (" 330522 19900101 1231 ", "330522199001011231", True, None),  # spaces
    ("330522-19900101-1231", "330522199001011231", True, None),
    ("11010519491231002x", "11010519491231002X", True, None),  # lowercase x
    ("330522900101123", "330522199001011231", True, None),  # legacy 15 → 18
    ("330522199001011232", "330522199001011232", False, "id_checksum"),  # kept, flagged
    ("33052219900101123", None, False, "id_length"),
    ("3305221990010112A1", None, False, "id_chars"),
    ("330522199013011234", "330522199013011234", False, "id_birth_date"),
    ("330522200102291234", "330522200102291234", False, "id_birth_date"),  # 2001-02-29
    ("", None, False, None),
    (None, None, False, None),
])
def test_id_numbers(raw, number, valid, error):
    got = one(st.id_numbers, raw, today=TODAY)
    assert (got["id_number"], got["id_valid"], got["error"]) == (number, valid, error)


def test_id_numbers_agree_with_core():
    import random

    from anju.exchange.synth import make_id

    rng = random.Random(1)
    raws = [make_id("330522", dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)),
                    rng.randrange(1000)) for _ in range(300)]
    raws += [r[:-1] + str((int(r[-1]) + 1) % 10) if r[-1] != "X" else r[:-1] + "0" for r in raws[:100]]
    raws += [r[:6] + r[8:17] for r in raws[:50]]
    got = st.id_numbers(pl.Series(raws))
    for raw, row in zip(raws, got.iter_rows(named=True)):
        assert row["id_valid"] == is_valid_id_number(raw)
        assert row["id_number"] == normalize_id_number(raw)


@pytest.mark.parametrize("raw, want, error", [
    ("1990-03-05", "1990-03-05", None), ("19900305", "1990-03-05", None),
    ("1990/3/5", "1990-03-05", None), ("1990.03.05", "1990-03-05", None),
    ("1990年3月5日", "1990-03-05", None), ("32937", "1990-03-05", None),  # Excel serial
    ("32937.0", "1990-03-05", None), ("1990-03-05 00:00:00", "1990-03-05", None),
    ("１９９０－０３－０５", "1990-03-05", None), ("1990-13-45", None, "date_format"),
    ("不详", None, None), ("19900231", None, "date_format"), ("2099-01-01", None, "date_range"), ("", None, None),
])
def test_dates(raw, want, error):
    assert one(st.dates, raw, today=TODAY) == {"date": want, "error": error}


def test_dates_forced_format():
    assert one(st.dates, "05/03/1990", fmt="%d/%m/%Y")["date"] == "1990-03-05"


@pytest.mark.parametrize("raw, want, error", [
    ("男", "M", None), ("女", "F", None), ("1", "M", None), ("2", "F", None), ("m", "M", None),
    ("F", "F", None), ("男性", "M", None), ("0", None, None), ("9", None, None),  # GB/T 2261.1
    ("1.0", "M", None), ("X", None, "sex_code"), (None, None, None),
])
def test_sexes(raw, want, error):
    assert one(st.sexes, raw) == {"sex": want, "error": error}


def test_sexes_department_code_list():
    # 住建's system writes 0 for female: its connector overrides the table
    assert one(st.sexes, "0", codes={"1": "M", "0": "F"})["sex"] == "F"


@pytest.mark.parametrize("raw, want, error", [
    ("13800138000", "13800138000", None), ("+86 138-0013-8000", "13800138000", None),
    ("0086 13800138000", "13800138000", None), ("138 0013 8000", "13800138000", None),
    ("８６１３８００１３８０００", "13800138000", None), ("0572-6012345", "05726012345", None),
    ("13800138000.0", "13800138000", None), ("12345", None, "phone_format"),
    ("无", None, None), ("0572-123", None, "phone_format"), (None, None, None),
])
def test_phones(raw, want, error):
    assert one(st.phones, raw) == {"phone": want, "error": error}


@pytest.mark.parametrize("raw, name, key", [
    (" 张 伟 ", "张伟", "zhangwei"), ("章伟", "章伟", "zhangwei"), ("Zhang Wei", "Zhang Wei", "zhangwei"),
    ("ZHANG  WEI", "ZHANG WEI", "zhangwei"), ("張偉", "张伟", "zhangwei"),  # traditional
    ("阿依•古丽", "阿依·古丽", "ayiguli"), ("阿依.古丽", "阿依·古丽", "ayiguli"),
    ("阿依・古丽", "阿依·古丽", "ayiguli"), ("单田芳", "单田芳", "shantianfang"),  # surname 单 = shan
    ("曾国藩", "曾国藩", "zengguofan"), ("解缙", "解缙", "xiejin"), ("区志华", "区志华", "ouzhihua"),
    ("欧阳娜娜", "欧阳娜娜", "ouyangnana"),
])
def test_names(raw, name, key):
    got = one(st.person_names, raw)
    assert (got["name"], got["name_py"], got["error"]) == (name, key, None)


def test_name_rejections_and_fuzzy_key():
    assert one(st.person_names, "张三1")["error"] == "name_chars"
    assert one(st.person_names, "  ")["error"] == "name_missing"
    # dialect merges: 刘洋 / 牛洋 (l/n), 张 / 藏 (zh/z) share the fuzzy key
    keys = st.person_names(pl.Series(["刘洋", "牛洋"]))["name_pyf"].to_list()
    assert keys[0] == keys[1]


@pytest.mark.parametrize("text, county, town", [
    ("浙江省湖州市长兴县雉城街道金陵北路12号", "330522000000", "330522001000"),
    ("长兴县雉城街道", "330522000000", "330522001000"),
    ("浙江长兴雉城", "330522000000", "330522001000"),  # short names
    ("北京市朝阳区建外街道", "110105000000", "110105001000"),
    ("德清县新市镇", "330521000000", "330521102000"),  # 市 inside a township name
    ("河南省洛阳市孟津区", "410308000000", None),  # county created 2021
    ("新疆和康县", "653228000000", None),  # county created 2024
    ("火星殖民地", None, None),
])
def test_addresses(text, county, town):
    assert resolve(text) == (county, town)


def test_local_address_uses_home_county():
    assert resolve("洪桥镇和平路45号") == (None, None)
    assert resolve("洪桥镇和平路45号", "330522")[0] == "330522000000"


def test_standardise_frame_reports_each_rejected_value():
    df = pl.DataFrame({
        "source": ["gongan"] * 3, "source_record_id": ["a", "b", "c"],
        "name": ["張偉", None, "李娜"], "id_number": ["330522900101123", None, "123"],
        "sex": ["1", "男", "X"], "birth_date": [None, "1990-01-01", "1990-13-01"],
        "phone": ["+86 13800138000", None, "12"], "hukou_address": [None, None, "火星"],
        "current_address": ["长兴县雉城街道", None, None], "employer": [None, None, None],
    })
    out, errors = st.standardise_frame(df, "x.csv")
    assert out["source_record_id"].to_list() == ["a", "c"]  # b has neither name nor ID
    first = out.row(0, named=True)
    assert first["name"] == "张伟" and first["id_number"] == "330522199001011231"
    assert first["birth_date"] == "1990-01-01"  # taken from the ID
    assert first["current_county_code"] == "330522000000"
    got = {(e.row, e.field, e.code) for e in errors}
    assert got == {(2, "name", "name_missing"), (2, "*", "row_unidentifiable"),
                   (3, "id_number", "id_length"), (3, "sex", "sex_code"),
                   (3, "birth_date", "date_format"), (3, "phone", "phone_format"),
                   (3, "hukou_address", "address_unresolved")}
    assert all(e.file == "x.csv" and e.message_zh and e.message_en for e in errors)
    assert set(REASONS) >= {e.code for e in errors}


def test_core_standardisation_and_real_time_matching_read_id_numbers_alike():
    """The one set of ID-number rules (anju.core.idnumber) behind the registry's check, the
    extracts' vectorised standardisation and the real-time matcher's scalar one."""
    from tests.core.test_idnumber import sample_ids

    from anju.core.idnumber import ERRORS, check_id_number
    from anju.exchange.scalar import id_number

    assert set(ERRORS) <= set(REASONS)  # each has the exchange's words for a row error

    raws = sample_ids(seed=11)
    column = st.id_numbers(pl.Series(raws), today=TODAY).rows(named=True)
    for raw, row in zip(raws, column, strict=True):
        core = check_id_number(raw, TODAY)
        if not raw:  # a department's empty cell is a missing value, not a wrong one
            core = type(core)(None, None)
        assert (row["id_number"], row["id_valid"], row["error"]) == \
            (core.number, core.valid and raw != "", core.error), raw
        assert id_number(raw, TODAY) == (core.number, core.valid and raw != ""), raw
