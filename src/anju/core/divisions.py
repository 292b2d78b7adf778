"""GB/T 2260 administrative divisions plus 12-digit statistical township/village codes.

Every code is handled in its canonical 12-digit form: 330000 -> "330000000000" (province),
330522 -> "330522000000" (county), "330522001000" (township), "330522001001" (village).
The table is the project-owned data/divisions.csv (see data/DIVISIONS_SOURCE.md), loaded once.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from anju.core.errors import ValidationError

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = 1, 2, 3, 4, 5
# digits that identify a division at each level ("33", "3305", "330522", "330522001", ...)
_PREFIX_LEN = {PROVINCE: 2, CITY: 4, COUNTY: 6, TOWNSHIP: 9, VILLAGE: 12}
_ACCEPTED_LEN = (2, 4, 6, 9, 12)


@dataclass(frozen=True, slots=True)
class Division:
    code: str  # canonical 12 digits
    name: str
    level: int
    parent_code: str | None
    retired: bool
    synthetic: bool


def _format_error(code: object) -> ValidationError:
    return ValidationError(
        "division_format",
        f"区划代码格式错误：{code!r}（应为2/4/6/9/12位数字）",
        f"malformed division code {code!r} (expected 2, 4, 6, 9 or 12 digits)",
        field="division_code",
    )


def canonical(code: str) -> str:
    """Pad a 2/4/6/9/12-digit code to 12 digits; reject anything else."""
    s = code.strip() if isinstance(code, str) else ""
    if len(s) not in _ACCEPTED_LEN or not (s.isascii() and s.isdigit()):
        raise _format_error(code)
    if s[:2] == "00":  # no province
        raise _format_error(code)
    return s.ljust(12, "0")


def _level_of(c12: str) -> int:
    """Level from the trailing zeros. Inner zero segments are legal: 海南 460001 (a county with
    city segment 00, 1990s) and 东莞 441900003000 (a township directly under a city)."""
    return next(lv for lv in (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE)
                if c12[_PREFIX_LEN[lv]:] == "0" * (12 - _PREFIX_LEN[lv]))


def level(code: str) -> int:
    return _level_of(canonical(code))


@functools.lru_cache(maxsize=4096)  # asked on every access check of the actor's division
def significant_prefix(code: str) -> str:
    """The prefix that selects this division and its whole subtree (SQL: LIKE prefix || '%')."""
    c = canonical(code)
    return c[: _PREFIX_LEN[_level_of(c)]]


def short_code(code: str) -> str:
    """6 digits for province/city/county, 9 for township, 12 for village."""
    c = canonical(code)
    return c[: max(6, _PREFIX_LEN[_level_of(c)])]


def is_within(code: str, root: str) -> bool:
    """True when code is root itself or lies in root's subtree (by code, not by table)."""
    return canonical(code).startswith(significant_prefix(root))


# --- the table -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Table:
    by_code: dict[str, Division]
    children: dict[str, list[str]]


@functools.cache
def _table() -> _Table:
    by_code: dict[str, Division] = {}
    children: dict[str, list[str]] = {}
    path = resources.files("anju.core").joinpath("data/divisions.csv")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)  # header: code,name,retired,synthetic,source
        # rows are sorted by code, so every parent is loaded before its children
        for code, name, retired, synthetic, _source in reader:
            lv = _level_of(code)
            parent = next((p for p in _ancestor_codes(code, lv) if p in by_code), None)
            by_code[code] = Division(code, name, lv, parent, retired == "1", synthetic == "1")
            if parent:
                children.setdefault(parent, []).append(code)
    return _Table(by_code, children)


@functools.cache
def _name_index() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(exact name -> codes, suffix-less name -> codes); built on the first name search."""
    by_name: dict[str, list[str]] = {}
    by_short: dict[str, list[str]] = {}
    for d in _table().by_code.values():
        by_name.setdefault(d.name, []).append(d.code)
        short = _short_name(d.name)
        if short != d.name:
            by_short.setdefault(short, []).append(d.code)
    return by_name, by_short


def _ancestor_codes(c12: str, lv: int) -> Iterator[str]:
    """Candidate parents, nearest first (a county under a municipality has no city row)."""
    for up in range(lv - 1, 0, -1):
        yield c12[: _PREFIX_LEN[up]].ljust(12, "0")


def get(code: str) -> Division | None:
    """The division (current or retired) with this code, or None."""
    return _table().by_code.get(canonical(code))


def require(code: str) -> Division:
    d = get(code)
    if d is None:
        raise ValidationError(
            "division_unknown",
            f"未知的行政区划代码：{code}",
            f"unknown administrative division code: {code}",
            field="division_code",
        )
    return d


def children(code: str, *, include_retired: bool = False) -> list[Division]:
    t = _table()
    kids = (t.by_code[c] for c in t.children.get(canonical(code), ()))
    return [d for d in kids if include_retired or not d.retired]


def ancestors(code: str) -> list[Division]:
    """Ancestors of the division, root (province) first, the division itself excluded."""
    t = _table()
    out = []
    d = require(code)
    while d.parent_code:
        d = t.by_code[d.parent_code]
        out.append(d)
    return out[::-1]


@functools.lru_cache(maxsize=65536)  # the table never changes in a process; ID parsing calls this
def full_name(code: str) -> str:
    """E.g. "浙江省湖州市长兴县雉城街道"."""
    return "".join(d.name for d in ancestors(code)) + require(code).name


def townships_with_villages(root_code: str) -> list[tuple[Division, list[Division]]]:
    """The current townships under (or at) `root_code`, each with its current villages — what a
    form offers to pick a place from by name. A village root gives just that village."""
    root = get(root_code)
    if root is None:
        return []
    if root.level >= VILLAGE:
        return [(root, [])]
    townships = [root] if root.level == TOWNSHIP else [
        d for d in children(root.code) if d.level == TOWNSHIP]
    return [(t, [v for v in children(t.code) if v.level == VILLAGE]) for t in townships]


def iter_divisions(level: int | None = None, *, include_retired: bool = False) -> Iterator[Division]:
    for d in _table().by_code.values():
        if (level is None or d.level == level) and (include_retired or not d.retired):
            yield d


def find_by_name(name: str, within: str | None = None) -> list[Division]:
    """Divisions called `name`: exact matches first; failing those, matches without the
    generic suffix ("长兴" -> 长兴县, "雉城" -> 雉城街道). Current before retired, higher level first."""
    t = _table()
    by_name, by_short = _name_index()
    query = "".join(name.split())
    if not query:
        return []
    prefix = significant_prefix(within) if within else ""

    def pick(codes: list[str]) -> list[Division]:
        found = {t.by_code[c] for c in codes if c.startswith(prefix)}
        return sorted(found, key=lambda d: (d.retired, d.level, d.code))

    exact = pick(by_name.get(query, []))
    if exact:
        return exact
    short = _short_name(query)
    return pick(by_short.get(short, []) + by_name.get(short, []))


# --- short names ---------------------------------------------------------------------------

# generic endings; the lazy stem makes the longest ending win ("自治县" over "县")
_SUFFIX_RE = re.compile(
    "^(.+?)(特别行政区|自治区|自治州|自治县|自治旗|省|市|地区|盟|县|区|旗|林区|特区|"
    "街道办事处|街道|镇|民族乡|乡|苏木|村|社区)$")
# ethnic groups as they appear in autonomous-area names ("双江拉祜族佤族布朗族傣族自治县")
_ETHNIC = (
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
    "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西",
    "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌",
    "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
    "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# single-character groups only with 族, so 西藏 and 内蒙古 survive; stems keep >= 2 characters
_ETHNIC_TAILS = sorted([e + "族" for e in _ETHNIC] + [e for e in _ETHNIC if len(e) > 1],
                       key=len, reverse=True)
_ETHNIC_TAIL_RE = re.compile(f"^(.{{2,}}?)((?:{'|'.join(_ETHNIC_TAILS)})+)$")


def _short_name(name: str) -> str:
    """Name without its generic suffix; one-character stems are too ambiguous and are kept whole."""
    m = _SUFFIX_RE.match(name)
    if not m:
        return name
    base, suffix = m.groups()
    if "自治" in suffix or base.endswith("族"):
        e = _ETHNIC_TAIL_RE.match(base)
        base = e.group(1) if e else base
    return base if len(base) >= 2 else name
