"""Chinese personal names: cleaning and pinyin keys, vectorised over unique characters.

Names are short and drawn from a few thousand characters, so we convert each distinct
*character* once (zhconv, pypinyin) and map whole columns with Polars; 1M names take well
under a second instead of a minute of per-name Python calls.
"""

from __future__ import annotations

import re

import polars as pl

# Every way departments write the middle dot of minority names (阿依·古丽).
MIDDLE_DOTS = ["•", "・", "‧", "∙", "．", ".", "。", "･", "⋅", "●"]
CANONICAL_DOT = "·"

# Surnames whose everyday pinyin differs from the character's default reading.
# pypinyin's default for 单 is dan, but as a surname it is shan; a clerk typing the pinyin
# writes shan, so the key must too. Each entry is checked against pypinyin's heteronyms.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "查": "zha",
    "朴": "piao", "盖": "ge", "覃": "qin", "乐": "yue", "缪": "miao", "翟": "zhai",
    "召": "shao", "尉": "yu", "长": "chang", "员": "yun", "种": "chong", "秘": "bi",
    "繁": "po", "黑": "he", "隗": "wei", "藏": "zang", "万": "wan", "折": "she",
}
COMPOUND_SURNAMES = {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "端木", "西门", "南宫", "独孤", "百里", "呼延", "万俟",
}
# Dialect merges that clerks and residents confuse when spelling (zh/z, n/l, ing/in …).
_FUZZY = [("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"), ("l", "n")]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _char_maps(chars: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Traditional→simplified and character→pinyin maps for the given characters."""
    import zhconv
    from pypinyin import Style, lazy_pinyin

    simp, pinyin = {}, {}
    for ch in chars:
        if not _CJK.match(ch):
            continue
        s = zhconv.convert(ch, "zh-cn")
        if s != ch and len(s) == 1:
            simp[ch] = s
        pinyin[ch] = lazy_pinyin(s, style=Style.NORMAL)[0]
        pinyin[s] = lazy_pinyin(s, style=Style.NORMAL)[0]
    return simp, pinyin


def _surname_map() -> dict[str, str]:
    from pypinyin import Style, pinyin

    checked = {}
    for ch, reading in SURNAME_READINGS.items():
        if reading in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
            checked[ch] = reading
    return checked


def clean_names(names: pl.Series) -> pl.Series:
    """Whitespace out, middle dots unified, full-width Latin folded, traditional → simplified."""
    s = names.cast(pl.String).str.strip_chars()
    s = s.str.replace_all(r"[\u3000\s]+", " ")
    has_cjk = s.str.contains(_CJK.pattern)
    # CJK names carry no spaces; Latin (pinyin) names keep one between parts.
    s = pl.select(
        pl.when(has_cjk)
        .then(s.str.replace_all(" ", "").str.replace_many(MIDDLE_DOTS, [CANONICAL_DOT] * len(MIDDLE_DOTS)))
        .otherwise(s)
    ).to_series()
    s = s.str.replace_many(_FULLWIDTH_LATIN, _HALFWIDTH_LATIN)
    chars = _distinct_chars(s)
    simp, _ = _char_maps(chars)
    if simp:
        s = s.str.replace_many(list(simp), list(simp.values()))
    return s.replace("", None).alias(names.name)


def pinyin_keys(names: pl.Series) -> pl.DataFrame:
    """Tone-less keys of cleaned names: full key, surname, given name and a dialect-fuzzy key.

    `张伟`, `章伟` and `Zhang Wei` all give `zhangwei`; `单田芳` gives `shantianfang`.
    """
    chars = _distinct_chars(names)
    _, pinyin = _char_maps(chars)
    surname = _surname_map()
    s = names.cast(pl.String)
    is_latin = ~s.str.contains(_CJK.pattern)
    first2 = s.str.slice(0, 2)
    sur_len = pl.select(
        pl.when(is_latin).then(0).when(first2.is_in(list(COMPOUND_SURNAMES))).then(2).otherwise(1)
    ).to_series()
    df = pl.DataFrame({"n": s, "sl": sur_len, "latin": is_latin})
    to_py = pl.element().replace_strict(pinyin, default="")
    df = df.with_columns(
        sur_py=pl.when(pl.col("sl") == 1)
        .then(pl.col("n").str.slice(0, 1).replace_strict({**pinyin, **surname}, default=""))
        .when(pl.col("sl") == 2)
        .then(pl.col("n").str.slice(0, 2).str.split("").list.eval(to_py).list.join(""))
        .otherwise(pl.col("n").str.to_lowercase().str.extract(r"^([a-z]+)\s", 1)),
        given_py=pl.when(pl.col("latin"))
        .then(pl.col("n").str.to_lowercase().str.extract(r"^[a-z]+\s+(.*)$", 1))
        .otherwise(pl.col("n").str.slice(pl.col("sl")).str.split("").list.eval(to_py).list.join("")),
    )
    df = df.with_columns(
        name_py=pl.when(pl.col("latin"))
        .then(pl.col("n").str.to_lowercase().str.replace_all(r"[^a-z]", ""))
        .otherwise(pl.concat_str([pl.col("sur_py"), pl.col("given_py")], ignore_nulls=True)),
        given_py=pl.col("given_py").str.replace_all(r"[^a-z]", ""),
    ).with_columns(pl.col(c).replace("", None) for c in ("name_py", "sur_py", "given_py"))
    fuzzy = pl.col("name_py")
    for a, b in _FUZZY:
        fuzzy = fuzzy.str.replace_all(a, b, literal=True)
    df = df.with_columns(name_pyf=fuzzy)
    return df.select("name_py", "sur_py", "given_py", "name_pyf")


def _distinct_chars(s: pl.Series) -> list[str]:
    return sorted(set("".join(s.drop_nulls().unique().to_list())))


_FULLWIDTH_LATIN = [chr(c) for c in range(0xFF21, 0xFF3B)] + [chr(c) for c in range(0xFF41, 0xFF5B)]
_HALFWIDTH_LATIN = [chr(ord(c) - 0xFEE0) for c in _FULLWIDTH_LATIN]
