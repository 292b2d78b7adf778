"""What every statistics use case shares: the current build, reach over released aggregates,
division lists for zero cells, and bilingual refusals."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import divisions
from anju.core.access import Access, not_found
from anju.core.config import get_settings
from anju.core.errors import NotFound, ValidationError
from anju.core.policy import Action, Actor, Scope
from anju.monitoring import rules
from anju.monitoring.models import StatsBuild, StatsCell, StatsTable
from anju.monitoring.plan import level as level_of
from anju.monitoring.rules import DIRECT


def county_code() -> str:
    return divisions.canonical(get_settings().county_code)


def current_build(session: Session) -> StatsBuild:
    build = session.execute(select(StatsBuild).where(StatsBuild.status == "done")
                            .order_by(StatsBuild.id.desc()).limit(1)).scalar()
    if build is None:
        raise NotFound("stats_not_built", "尚未生成统计数据（请运行 anju stats build，或等待每晚的统计任务）",
                       "no statistics have been built yet (run `anju stats build` or wait for "
                       "the nightly job)")
    return build


@dataclass
class Reach:
    """Which released aggregates an actor sees: cells whose people all lie in their
    jurisdiction (the county's own ancestors count as the county's when the actor reaches
    the whole county: this installation's figures for them are the county's)."""

    access: Access
    root: str | None  # None: everywhere
    whole_county: bool

    def sees(self, code: str) -> bool:
        code = code.rstrip(DIRECT)
        if self.root is None:
            return True
        if code == rules.UNKNOWN:
            return self.whole_county
        if divisions.is_within(code, self.root):
            return True
        return self.whole_county and divisions.is_within(county_code(), code)


def reach(session: Session, actor: Actor, action: Action,
          division: str | None = None) -> Reach:
    """The actor may read released aggregates (403 otherwise) and reaches `division` (404,
    the same answer as a division with no figures, otherwise)."""
    access = Access(session, actor)
    scopes = access.allow(action)
    root = None if Scope.GLOBAL in scopes else divisions.canonical(actor.division_code)
    found = Reach(access, root, root is None or divisions.is_within(county_code(), root))
    if division is not None:
        code = canonical_division(division)
        if not found.sees(code):
            raise access.refuse(action, not_found("统计区域", "statistics area", "division_code"),
                                division_code=code)
    return found


def canonical_division(code: str) -> str:
    try:
        return divisions.canonical(code)
    except ValidationError:
        raise ValidationError("division_format", f"区划代码格式错误：{code}",
                              f"malformed division code: {code}", field="division_code") from None


def published_refs(session: Session, build: StatsBuild, table: str, dim: str,
                   level: int) -> list[str]:
    return sorted(session.execute(select(StatsTable.ref).where(
        StatsTable.build_id == build.id, StatsTable.table == table, StatsTable.dim == dim,
        StatsTable.level == level)).scalars())


def not_published(what_zh: str, what_en: str) -> NotFound:
    return NotFound("not_published", f"未发布该统计表：{what_zh}",
                    f"no such table is published: {what_en}")


def cells(session: Session, build: StatsBuild, table: str, refs: list[str], level: int,
          dim: str) -> list[StatsCell]:
    return list(session.execute(select(StatsCell).where(
        StatsCell.build_id == build.id, StatsCell.table == table, StatsCell.ref.in_(refs),
        StatsCell.level == level, StatsCell.dim == dim)).scalars())


def divisions_at(level: int, within: str | None = None) -> list[str]:
    """The county's current divisions at `level` (its ancestors above it), for zero cells."""
    county = county_code()
    if level <= rules.COUNTY:
        return [rules.up(county, level)]
    found, frontier = [], [county]
    while frontier:
        code = frontier.pop()
        for child in divisions.children(code):
            if child.level == level:
                found.append(child.code)
            elif child.level < level:
                frontier.append(child.code)
    if within:
        prefix = divisions.significant_prefix(within)
        found = [c for c in found if c.startswith(prefix)]
    return sorted(found)


def within(code: str, parent: str | None) -> bool:
    if parent is None:
        return True
    return code.rstrip(DIRECT).startswith(divisions.significant_prefix(parent)) or \
        code.rstrip(DIRECT) == parent


def name_of(code: str) -> str:
    return rules.division_name(code)


def level_number(name: str) -> int:
    return rules.LEVELS[str(name)]


def level_name(number: int) -> str:
    return rules.LEVEL_NAMES[number]


def parse_ref(ref: str) -> date:
    return date.fromisoformat(ref)


__all__ = ["Reach", "cells", "county_code", "current_build", "divisions_at", "level_of",
           "name_of", "not_published", "published_refs", "reach", "within"]
