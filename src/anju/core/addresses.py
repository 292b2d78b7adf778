"""Resolve free-text addresses to county and township division codes.

Walks the division tree top-down, matching each level's names (full, or without the suffix:
浙江 for 浙江省, 雉城 for 雉城街道) as a prefix of what is left of the address. Addresses that
start below province level (长兴县雉城街道…, 湖州市…) are anchored with
`anju.core.divisions.find_by_name`. Departments omit levels, so one level may be skipped.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
             "街道办事处", "街道", "地区", "省", "市", "区", "县", "旗", "盟", "镇", "乡", "苏木")
_ANCHOR_END = re.compile(r"(?:市|县|区|旗|州|盟)")


def _short(name: str) -> str | None:
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return None


def _divisions():
    from anju.core import divisions  # imported late: the table loads on first use

    return divisions


@functools.lru_cache(maxsize=4096)
def _kids(code: str | None) -> tuple:
    d = _divisions()
    if code is None:
        return tuple(d.iter_divisions(1))
    return tuple(k for k in d.children(code) if not k.retired and k.level <= 4)


@functools.lru_cache(maxsize=4096)
def _names(code: str | None, skip: bool) -> tuple[dict, tuple[int, ...]]:
    """The names (full and short) of `code`'s children — or, with `skip`, of its children's
    children below level 4 — each to the first division in walk order that bears it, and the
    name lengths present, longest first. A lookup per length then finds the longest name that
    prefixes an address, as walking every child would, without the walk."""
    table: dict[str, object] = {}
    parents = [k.code for k in _kids(code) if k.level < 4] if skip else [code]
    for parent in parents:
        for kid in _kids(parent):
            for nm in (kid.name, _short(kid.name)):
                if nm:
                    table.setdefault(nm, kid)
    return table, tuple(sorted({len(n) for n in table}, reverse=True))


def _longest(text: str, code: str | None, skip: bool):
    table, lengths = _names(code, skip)
    for n in lengths:
        kid = table.get(text[:n]) if n <= len(text) else None
        if kid is not None:
            return kid, n
    return None


def _match_child(text: str, parent: str | None, skip: bool = True):
    """The child (or, skipping a level, grandchild) whose name prefixes `text`, and its length."""
    best = _longest(text, parent, False)
    if best is None and skip and parent is not None:
        best = _longest(text, parent, True)
    return best


def _anchor(text: str):
    """Resolve an address that starts below province: 长兴县…, 湖州市…, or a bare 长兴雉城…"""
    d = _divisions()
    ends = [m.end() for m in _ANCHOR_END.finditer(text[:16])]
    # Bare short names (长兴) are weak evidence: accept them only if a child follows.
    for end, strict in [(e, False) for e in ends] + [(k, True) for k in (2, 3, 4)]:
        prefix = text[:end]
        cands = [c for c in d.find_by_name(prefix) if not c.retired and c.level in (2, 3)]
        fits = []
        for c in cands:
            used = len(c.name) if text.startswith(c.name) else end
            # 朝阳区: Beijing or Changchun? Let what follows decide.
            if (strict or len(cands) > 1) and not _match_child(text[used:], c.code):
                continue
            fits.append((c, used))
        if len(fits) == 1:
            return fits[0]
    return None


@functools.lru_cache(maxsize=200_000)
def resolve(text: str | None, home: str | None = None) -> tuple[str | None, str | None]:
    """(county_code, township_code) for an address; either may be None.

    `home` is the county the sending department serves: its local addresses often start at
    the township (洪桥镇和平路45号), so they are tried against its townships last.
    """
    if not text:
        return None, None
    node, pos = None, 0
    hit = _match_child(text, None, skip=False) or _anchor(text)
    if hit is None and home:
        hit = _match_child(text, _divisions().canonical(home), skip=False)
    while hit is not None:
        node, used = hit
        pos += used
        if node.level >= 4:
            break
        hit = _match_child(text[pos:], node.code)
    if node is None or node.level < 3:
        return None, None
    chain = {a.level: a.code for a in _divisions().ancestors(node.code)} | {node.level: node.code}
    return chain.get(3), chain.get(4)


_DASHES = re.compile(r"[‐‑‒–—―－~～]")
_NUMBER_SIGN = re.compile(r"(\d)\s*[#＃]")
_TRAILING = re.compile(r"[。．.，,、；;：:\s]+$")


def normalise(text: str) -> str:
    """An address as a comparison key: full-width forms folded (ＡＢ１２ → AB12), whitespace
    dropped, Latin letters in one case, dashes unified, "88#" read as "88号", trailing
    punctuation gone. "长兴县 明珠路８８号" and "长兴县明珠路88#" give the same key."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _NUMBER_SIGN.sub(r"\1号", text)
    text = _DASHES.sub("-", text)
    text = re.sub(r"\s+", "", text).casefold()
    return _TRAILING.sub("", text)
