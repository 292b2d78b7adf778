import csv
from importlib import resources

import pytest

from anju.core import divisions as dv
from anju.core.errors import ValidationError

COUNTY = "330522000000"  # 长兴县, the demo county
ZHICHENG = "330522001000"  # 雉城街道


# --- code forms ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, c12, level, prefix, short", [
    ("33", "330000000000", 1, "33", "330000"),
    ("330000", "330000000000", 1, "33", "330000"),
    ("3305", "330500000000", 2, "3305", "330500"),
    ("330500", "330500000000", 2, "3305", "330500"),
    ("330522", COUNTY, 3, "330522", "330522"),
    ("330522001", ZHICHENG, 4, "330522001", "330522001"),
    (ZHICHENG, ZHICHENG, 4, "330522001", "330522001"),
    ("330522001001", "330522001001", 5, "330522001001", "330522001001"),
    (" 330522 ", COUNTY, 3, "330522", "330522"),
    ("441900003000", "441900003000", 4, "441900003", "441900003"),  # 东莞: no county level
    ("460001", "460001000000", 3, "460001", "460001"),  # 1990s 海南 county, city segment 00
])
def test_code_forms(raw, c12, level, prefix, short):
    assert dv.canonical(raw) == c12
    assert dv.level(raw) == level
    assert dv.significant_prefix(raw) == prefix
    assert dv.short_code(raw) == short


@pytest.mark.parametrize("raw", ["", "3", "33052", "3305220", "3305220010000", "33052A", "abc",
                                 "３３０５２２", "00", "000000", "-33052", None, 330522])
def test_bad_codes_rejected(raw):
    with pytest.raises(ValidationError) as exc:
        dv.canonical(raw)
    assert exc.value.code == "division_format"
    assert exc.value.field == "division_code"
    assert exc.value.message_zh and exc.value.message_en


def test_prefix_selects_exactly_the_subtree():
    inside = [d.code for d in dv.iter_divisions() if d.code.startswith(dv.significant_prefix(COUNTY))]
    assert COUNTY in inside and ZHICHENG in inside
    assert all(dv.is_within(c, COUNTY) for c in inside)
    assert "330523000000" not in inside  # 安吉县 shares "33052" but not the county prefix


# --- lookups ---------------------------------------------------------------------------------

def test_county_parent_and_children():
    county = dv.get("330522")
    assert county == dv.Division(COUNTY, "长兴县", 3, "330500000000", False, False)
    assert dv.get(county.parent_code).name == "湖州市"
    towns = dv.children("330522")
    names = [t.name for t in towns]
    assert len(towns) == 15
    assert {"雉城街道", "画溪街道", "太湖街道", "龙山街道", "煤山镇", "水口乡", "吕山乡"} <= set(names)
    assert all(t.level == 4 and t.parent_code == COUNTY for t in towns)
    assert towns[0].code == ZHICHENG  # ordered by code


def test_villages_of_the_demo_county():
    villages = dv.children(ZHICHENG)
    assert villages and all(v.level == 5 and v.parent_code == ZHICHENG for v in villages)
    assert dv.get("330522001001").name == "钮店湾社区"
    # every township of the county has its communities/villages
    total = sum(len(dv.children(t.code)) for t in dv.children(COUNTY))
    assert total > 250
    names = {v.name for t in dv.children(COUNTY) for v in dv.children(t.code)}
    assert all(n.endswith(("村", "社区")) for n in names)


def test_ancestors_and_full_name():
    assert [d.name for d in dv.ancestors(ZHICHENG)] == ["浙江省", "湖州市", "长兴县"]
    assert [d.level for d in dv.ancestors("330522001001")] == [1, 2, 3, 4]
    assert dv.ancestors("330000") == []
    assert dv.full_name(ZHICHENG) == "浙江省湖州市长兴县雉城街道"
    assert dv.full_name("330522") == "浙江省湖州市长兴县"
    assert dv.full_name("110101") == "北京市东城区"  # municipality: no city level in between
    assert dv.get("110101").parent_code == "110000000000"
    assert dv.full_name("441900003000") == "广东省东莞市东城街道"
    assert dv.full_name("429004") == "湖北省仙桃市"  # county-level city directly under a province


def test_retired_code_known_as_retired():
    d = dv.get("110104")
    assert d is not None and d.name == "宣武区" and d.retired and d.level == 3
    assert dv.full_name("110104") == "北京市宣武区"
    assert "110104000000" not in [c.code for c in dv.children("110000")]
    assert "110104000000" in [c.code for c in dv.children("110000", include_retired=True)]
    assert dv.get("332500").retired and dv.get("332500").name == "丽水地区"  # a retired prefecture
    assert dv.get("332521").parent_code == "332500000000"


@pytest.mark.parametrize("code, name, parent", [
    ("330113", "临平区", "杭州市"),
    ("410308", "孟津区", "洛阳市"),
    ("653228", "和康县", "和田地区"),
    ("659011", "新星市", "新疆维吾尔自治区"),
])
def test_new_counties_present(code, name, parent):
    d = dv.require(code)
    assert d.name == name and not d.retired
    assert dv.get(d.parent_code).name == parent


def test_get_and_require_unknown():
    assert dv.get("330599") is None
    assert dv.get("330522999000") is None
    with pytest.raises(ValidationError) as exc:
        dv.require("330599")
    assert exc.value.code == "division_unknown" and exc.value.field == "division_code"
    with pytest.raises(ValidationError) as exc:
        dv.get("bad")
    assert exc.value.code == "division_format"


def test_is_within():
    assert dv.is_within("330522001001", "330522")
    assert dv.is_within("330522001001", "3305")
    assert dv.is_within("330522001001", "33")
    assert dv.is_within("330522", "330522000000")
    assert dv.is_within(ZHICHENG, ZHICHENG)
    assert not dv.is_within("330523000000", "330522")
    assert not dv.is_within("330500", "330522")  # a parent is not within its child
    assert not dv.is_within("330522002001", ZHICHENG)


# --- names -----------------------------------------------------------------------------------

def test_find_by_exact_name():
    found = dv.find_by_name("长兴县")
    assert found[0].code == COUNTY
    assert all(d.retired for d in found[1:])  # 1980s codes of the same county (332127, 332129)
    assert [d.code for d in dv.find_by_name("雉城街道")] == [ZHICHENG]
    assert dv.find_by_name(" 长兴县 ") == found


def test_find_by_name_without_suffix():
    found = dv.find_by_name("长兴")
    assert found[0].code == COUNTY  # counties rank before the townships also called 长兴
    assert dv.find_by_name("雉城", within="330522")[0].code == ZHICHENG
    assert dv.find_by_name("雉城镇", within="330522")[0].code == ZHICHENG  # wrong suffix still finds it
    assert dv.find_by_name("湖州")[0].code == "330500000000"


def test_find_by_name_within_limits_the_subtree():
    everywhere = dv.find_by_name("和平镇")
    assert len(everywhere) > 5
    local = dv.find_by_name("和平镇", within="330522")
    assert [d.name for d in local] == ["和平镇"] and local[0].code.startswith("330522")
    assert dv.find_by_name("雉城街道", within="330523") == []


@pytest.mark.parametrize("query, code", [
    ("广西", "450000000000"),
    ("新疆", "650000000000"),
    ("宁夏", "640000000000"),
    ("内蒙古", "150000000000"),  # "蒙古" is not stripped from 内蒙古
    ("西藏", "540000000000"),
    ("恩施", "422800000000"),  # 恩施土家族苗族自治州
    ("巴音郭楞", "652800000000"),  # 巴音郭楞蒙古自治州
])
def test_find_autonomous_areas_by_short_name(query, code):
    assert dv.find_by_name(query)[0].code == code


def test_retired_names_come_after_current_ones():
    found = dv.find_by_name("宣武区")
    assert [d.code for d in found] == ["110104000000"] and found[0].retired
    huzhou = dv.find_by_name("湖州市")
    assert not huzhou[0].retired and all(d.retired for d in huzhou[1:])


def test_find_nothing():
    assert dv.find_by_name("不存在的地方") == []
    assert dv.find_by_name("") == []
    assert dv.find_by_name("和") == []  # one-character stems are not indexed


# --- the data file -------------------------------------------------------------------------

def test_data_file_integrity():
    path = resources.files("anju.core").joinpath("data/divisions.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) > 40000
    assert codes == sorted(codes)  # the loader relies on parents coming first
    assert all(len(c) == 12 and c.isdigit() for c in codes)
    assert {r["retired"] for r in rows} <= {"0", "1"} and {r["synthetic"] for r in rows} <= {"0", "1"}
    assert {r["source"] for r in rows} <= {"M", "N", "H"}
    assert all(r["name"] and r["name"] == r["name"].strip() for r in rows)


def test_every_division_has_a_parent_but_provinces():
    for d in dv.iter_divisions(include_retired=True):
        if d.level == 1:
            assert d.parent_code is None
        else:
            parent = dv.get(d.parent_code)
            assert parent is not None and parent.level < d.level and dv.is_within(d.code, parent.code)


def test_table_coverage():
    provinces = list(dv.iter_divisions(level=1))
    assert len(provinces) == 34
    assert len(list(dv.iter_divisions(level=3))) > 2900
    assert len(list(dv.iter_divisions(level=4))) > 38000
    assert len(list(dv.iter_divisions(level=3, include_retired=True))) > 5000
    villages = list(dv.iter_divisions(level=5))
    assert villages and all(v.code.startswith("330522") for v in villages)
    assert not any(v.synthetic for v in villages)  # real NBS codes, nothing made up
