"""Points schemes (居住证积分): county-owned data files `cases/data/points_scheme*.toml`, one per
version, each with its effective date. A file is validated whole — a rule that does not parse or
reads an unknown fact refuses the whole file, naming the indicator — and a person's points are
computed under the version in force on the date asked.

The computation is pure: facts in, each indicator's points (capped), the deductions, and a veto
out. A result names the scheme version it was computed under; results are stored and never
recomputed in place (see anju.cases.points.service)."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from anju.cases.points.expr import Rule, RuleError, compile_rule
from anju.cases.points.facts import FACTS, TYPES
from anju.core.errors import NotFound, ValidationError

DATA = Path(__file__).resolve().parent.parent / "data"
CATEGORIES = {"basic": ("基础指标", "Basic"), "bonus": ("加分指标", "Bonus"),
              "deduction": ("减分指标", "Deduction"), "veto": ("一票否决指标", "Veto")}


class SchemeError(ValidationError):
    """A scheme file that cannot be used; `field` names the indicator."""


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    category: str
    rule: Rule
    points: int  # per unit the rule yields (a true rule yields one unit); negative: deduction
    cap: int | None  # the most (absolute) points the indicator gives

    def score(self, value: Any) -> int:
        if self.category == "veto":
            return 0
        units = int(value) if not isinstance(value, str) else 0
        points = units * self.points
        if self.cap is not None:
            points = max(-self.cap, min(self.cap, points))
        return points

    @property
    def reads(self) -> list[str]:
        return sorted(self.rule.reads)


@dataclass(frozen=True)
class Scheme:
    code: str
    version: str
    effective_from: date
    name_zh: str
    name_en: str
    standard: int  # the score that qualifies (Shanghai's standard is 120)
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Item:
    indicator: Indicator
    value: Any  # what the rule yielded
    points: int
    vetoing: bool


@dataclass(frozen=True)
class Result:
    scheme: Scheme
    total: int
    vetoed: bool
    items: tuple[Item, ...]


def _refuse(where: str, zh: str, en: str) -> SchemeError:
    return SchemeError("points_scheme_invalid", f"积分方案 {where}：{zh}", f"points scheme {where}: {en}",
                       field=where)


def parse(text: str, name: str = "scheme") -> Scheme:
    """A scheme from its TOML text, checked whole (SchemeError names the first bad part)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _refuse(name, f"文件无法解析（{error}）", f"the file does not parse ({error})") from None
    head = raw.get("scheme") or {}
    for key in ("code", "version", "effective_from", "name_zh", "name_en", "standard"):
        if key not in head:
            raise _refuse(name, f"缺少 scheme.{key}", f"scheme.{key} is missing")
    if not isinstance(head["effective_from"], date):
        raise _refuse(name, "生效日期须为日期", "effective_from must be a date")
    indicators, seen = [], set()
    for entry in raw.get("indicator") or []:
        code = str(entry.get("code") or "")
        where = f"indicator.{code or len(indicators) + 1}"
        if not code or code in seen:
            raise _refuse(where, "指标代码缺失或重复", "the indicator code is missing or repeated")
        seen.add(code)
        category = entry.get("category")
        if category not in CATEGORIES:
            raise _refuse(where, f"类别须为 {'、'.join(CATEGORIES)}",
                          f"category must be one of {', '.join(CATEGORIES)}")
        if not entry.get("name_zh") or not entry.get("name_en"):
            raise _refuse(where, "须有中文和英文名称", "needs a Chinese and an English name")
        try:
            rule = compile_rule(str(entry.get("rule") or ""), TYPES)
        except RuleError as error:
            raise _refuse(where, error.reason_zh, error.reason_en) from None
        points, cap = entry.get("points", 1), entry.get("cap")
        if not isinstance(points, int) or (cap is not None and (not isinstance(cap, int) or cap < 0)):
            raise _refuse(where, "分值和上限须为整数", "points and cap must be whole numbers")
        if (category == "deduction") != (points < 0) and category != "veto":
            raise _refuse(where, "减分指标的分值须为负数，其他指标须为正数",
                          "a deduction gives negative points, other indicators positive ones")
        indicators.append(Indicator(code, entry["name_zh"], entry["name_en"], category, rule,
                                    points, cap))
    if not indicators:
        raise _refuse(name, "没有任何指标", "the scheme has no indicators")
    return Scheme(str(head["code"]), str(head["version"]), head["effective_from"],
                  head["name_zh"], head["name_en"], int(head["standard"]), tuple(indicators))


@functools.cache
def load(directory: Path = DATA) -> tuple[Scheme, ...]:
    """Every scheme version the county publishes, oldest first (no two effective the same day)."""
    schemes = sorted((parse(p.read_text(encoding="utf-8"), p.name)
                      for p in sorted(directory.glob("points_scheme*.toml"))),
                     key=lambda s: s.effective_from)
    for a, b in zip(schemes, schemes[1:], strict=False):
        if a.effective_from == b.effective_from or a.version == b.version:
            raise _refuse(b.version, "两个版本生效日期或版本号相同",
                          "two versions share an effective date or a version")
    return tuple(schemes)


def in_force(on: date, schemes: tuple[Scheme, ...] | None = None) -> Scheme:
    """The version in force on `on`."""
    chosen = None
    for scheme in schemes if schemes is not None else load():
        if scheme.effective_from <= on:
            chosen = scheme
    if chosen is None:
        raise NotFound("points_scheme_none", "该日期尚无生效的积分方案",
                       "no points scheme was in force on that date", field="on")
    return chosen


def compute(scheme: Scheme, facts: dict[str, Any]) -> Result:
    """Each indicator's points for these facts; a veto sets the total to nought."""
    items = []
    for indicator in scheme.indicators:
        value = indicator.rule.evaluate(facts, TYPES)
        vetoing = indicator.category == "veto" and bool(value)
        items.append(Item(indicator, value, indicator.score(value), vetoing))
    vetoed = any(i.vetoing for i in items)
    total = 0 if vetoed else max(sum(i.points for i in items), 0)
    return Result(scheme, total, vetoed, tuple(items))


def could_gain(result: Result) -> list[dict]:
    """"What would change my score": each indicator that could still give more, how much more at
    most, and the evidence it reads."""
    out = []
    for item in result.items:
        ind = item.indicator
        if ind.category not in ("basic", "bonus") or (ind.cap is not None and item.points >= ind.cap):
            continue
        if ind.reads and all(FACTS[f].source == "registry" for f in ind.reads) and item.points:
            continue  # only time changes it (age, years of residence)
        out.append({"indicator": ind.code, "name_zh": ind.name_zh, "name_en": ind.name_en,
                    "points": item.points, "at_most": ind.cap,
                    "evidence": [{"item": FACTS[f].item, "source": FACTS[f].source,
                                  "name_zh": FACTS[f].zh, "name_en": FACTS[f].en}
                                 for f in ind.reads]})
    return out
