"""Build the demo county once: synthetic residents of 长兴县 loaded through the registry's bulk
use cases (so policy, validation and the audit chain apply), plus one account per role.

`ensure_demo` is a no-op when the demo accounts exist already, and the whole build is one unit
of work, so an interrupted build leaves nothing behind. Demo accounts have a published password:
building them is refused when ANJU_ENVIRONMENT is "production".
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from anju.cases.points import demo as points_demo
from anju.core import clock, divisions, identity
from anju.core.config import get_settings
from anju.core.db import Database
from anju.core.errors import AnjuError, Conflict, ValidationError
from anju.core.identity import SYSTEM
from anju.core.models import Account
from anju.demo import cases_core, synth
from anju.housing import service as housing  # subscribes housing: tenancies get their e-keys
from anju.registry import bulk
from anju.registry.bulk import BulkHouse, BulkPerson, BulkRegistration

PASSWORD = "anju-demo-2026"
SEED = 2026


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    try_zh: str
    try_en: str
    department: str | None = None


ACCOUNTS = (
    DemoAccount("resident", "resident", "本人居住登记、居住证办理资格、谁查看了我的信息",
                "own registration, permit eligibility, who looked at my record"),
    DemoAccount("resident", "newcomer", "刚提交、待派出所审核的居住登记",
                "a registration just submitted, awaiting the police"),
    DemoAccount("landlord", "landlord", "名下房屋与租客，为新租客登记",
                "own houses and tenants; register a new tenant"),
    DemoAccount("police", "police", "审核待审登记（含 newcomer），签发居住证",
                "approve pending registrations (newcomer's too), issue permits"),
    DemoAccount("grid_worker", "grid", "本街道的房屋与登记核查", "field checks in one township"),
    DemoAccount("dept_officer", "hrss", "人社用途查看人员（证件号脱敏）",
                "see persons for social insurance (masked IDs)", "hrss"),
    DemoAccount("data_steward", "steward", "数据质量查询、部门数据导入",
                "data quality, department imports"),
    DemoAccount("analyst", "analyst", "监测看板、来源地图、差分隐私发布：只有汇总数，看不到任何个人",
                "the monitoring dashboard, origins map, privacy releases: aggregates, never a "
                "person"),
    DemoAccount("leader", "leader", "全县监测看板（一张图、预测预警、指标），设置预警阈值",
                "the county dashboard (one map, forecasts, warnings, KPIs); set the thresholds"),
    DemoAccount("auditor", "auditor", "校验审计链、查阅访问日志（/audit）", "verify the audit chain (/audit)"),
    DemoAccount("admin", "admin", "管理账号", "manage accounts"),
    # cases core (issue 9): the one-stop window and human resources' supervisor
    DemoAccount("window_clerk", "clerk", "综合窗口：凭身份证号查找群众，经本人同意代为申请办事",
                "one-stop window: find a person by ID number, apply for them with consent"),
    DemoAccount("dept_supervisor", "supervisor", "人社逾期办件督办、办件统计",
                "human resources' overdue cases and case figures", "hrss"),
    DemoAccount("dept_officer", "gongan", "公安居住证办件：受理、补正、审批居住证申领",
                "public security's permit cases: accept, ask for more, decide", "gongan"),
)


@dataclass
class DemoSummary:
    built: bool  # False: the demo was there already
    seconds: float
    counts: dict = field(default_factory=dict)
    accounts: tuple[DemoAccount, ...] = ACCOUNTS
    password: str = PASSWORD
    county: str = "浙江省湖州市长兴县 (330522)"


class DemoRefused(AnjuError):
    http_status = 409


def ensure_demo(db: Database, persons: int = 20000,
                progress: Callable[[str], object] = print, seed: int = SEED) -> DemoSummary:
    """Build the demo county unless it is there already; answers what is there."""
    if get_settings().environment == "production":
        raise DemoRefused("demo_in_production", "生产环境不能创建演示数据和演示账号",
                          "refusing to create demo data and demo accounts in production")
    if persons < 10:
        raise ValidationError("demo_too_small", "演示县至少需要 10 名居民",
                              "the demo county needs at least 10 residents", field="persons")
    started = time.perf_counter()
    with db.unit_of_work() as session:
        present = set(session.execute(select(Account.username).where(
            Account.username.in_([a.username for a in ACCOUNTS]))).scalars())
        if len(present) == len(ACCOUNTS):
            progress("demo: already built, nothing to do (演示数据已存在)")
            return DemoSummary(False, time.perf_counter() - started, bulk.table_counts(session))
        if present:
            raise Conflict("demo_partial", f"数据库中已有部分演示账号（{', '.join(sorted(present))}），"
                           "请换用新的 ANJU_DATA_DIR",
                           f"some demo usernames exist already ({', '.join(sorted(present))}); "
                           "use a fresh ANJU_DATA_DIR")
    progress(f"demo: planning {persons:,} synthetic residents of 长兴县 (seed {seed})…")
    plan = synth.county(persons, seed, clock.today())
    with db.unit_of_work() as session:
        codes = _load(session, plan, progress)
        progress("demo: creating demo accounts…")
        _accounts(session, plan, codes)
        _department_data(session, plan, seed, progress)
        cases_core.build(session, codes, progress)  # cases core: demo cases for every case role
        _cases_participation(session)
        points_demo.seed(session, codes["resident"], clock.today())  # issue 11: points evidence
        counts = bulk.table_counts(session)
    _eligibility(db, progress)
    _statistics(db, progress)
    _federation(db, codes["resident"], progress)
    _seal(db, progress)
    seconds = time.perf_counter() - started
    progress(f"demo: built in {seconds:.1f} s")
    return DemoSummary(True, seconds, counts)


def _seal(db: Database, progress) -> None:
    """Issue 12: the loads append their audit entries unsealed; seal them all now, so the demo
    starts with the whole chain sealed and a root recorded."""
    from anju.core import sealer

    sealed = sealer.seal_all(db)
    progress(f"demo: sealed {sealed:,} audit entries (审计条目已封存)")


def _step(progress, what: str, result: bulk.BulkResult, since: float) -> bulk.BulkResult:
    result.raise_for_rejected()  # synthetic data must be valid: a rejection is a bug here
    progress(f"demo: {what}: {result.created:,} created in {time.perf_counter() - since:.1f} s")
    return result


def _load(session, plan: synth.County, progress) -> dict[str, str]:
    """Load the plan; answers the personas' person codes."""
    t = time.perf_counter()
    landlords = _step(progress, "landlords", bulk.load_persons(session, SYSTEM, [
        BulkPerson(p.name, p.id_number, p.phone, p.hukou_address, p.hukou_code)
        for p in plan.landlords]), t)
    t = time.perf_counter()
    migrants = _step(progress, "residents", bulk.load_persons(session, SYSTEM, [
        BulkPerson(p.name, p.id_number, p.phone, p.hukou_address, plan.base)
        for p in plan.migrants]), t)
    t = time.perf_counter()
    rooms = _step(progress, "houses", bulk.load_houses(session, SYSTEM, [
        BulkHouse(h.address, h.place, landlords[h.landlord], h.rooms) for h in plan.houses]), t)
    room_id = {(h, label): rid for h, house in enumerate(plan.houses)
               for (label, _), rid in zip(house.rooms, rooms[h])}
    t = time.perf_counter()
    regs = _step(progress, "registrations", bulk.load_registrations(session, SYSTEM, [
        BulkRegistration(migrants[r.migrant], room_id[(r.house, r.room)], r.start, r.reason,
                         r.status, r.end, r.rejection) for r in plan.registrations]), t)
    t = time.perf_counter()
    by_day: dict = {}
    for index, issued_on in plan.permits:
        by_day.setdefault(issued_on, []).append(
            (migrants[plan.registrations[index].migrant], regs[index]))
    issued = 0
    for issued_on, pairs in sorted(by_day.items()):
        permits = bulk.load_permits(session, SYSTEM, pairs, issued_on)
        permits.raise_for_rejected()
        issued += permits.created
    progress(f"demo: permits: {issued:,} issued in {time.perf_counter() - t:.1f} s")
    # The daily job's task detection, once: permits about to expire become reminders.
    opened = housing.detect_tasks(session, SYSTEM)
    progress("demo: management tasks: " + ", ".join(f"{k} {n:,}" for k, n in opened.items()))
    return {"resident": migrants[plan.personas["resident"]],
            "newcomer": migrants[plan.personas["newcomer"]],
            "landlord": landlords[plan.personas["landlord"]]}


def _accounts(session, plan: synth.County, codes: dict[str, str]) -> None:
    home = plan.houses[0].place  # the personas' community; the grid worker serves its township
    township = divisions.ancestors(home)[-1].code
    names = {"resident": plan.migrants[plan.personas["resident"]].name,
             "newcomer": plan.migrants[plan.personas["newcomer"]].name,
             "landlord": plan.landlords[plan.personas["landlord"]].name}
    for a in ACCOUNTS:
        identity.create_account(
            session, username=a.username, password=PASSWORD, role=a.role,
            division=township if a.role == "grid_worker" else None, department=a.department,
            person_code=codes.get(a.username),
            display_name=names.get(a.username, f"演示{a.username}"))


def _department_data(session, plan: synth.County, seed: int, progress) -> None:
    """What the departments hold about the county's residents, imported into the hub by the
    demo steward, so a case's evidence is really pulled (anju.demo.departments)."""
    from anju.demo import departments

    t = time.perf_counter()
    steward = identity.actor_of(session.execute(select(Account).where(
        Account.username == "steward")).scalar_one())
    folder = get_settings().data_dir / "demo_departments"
    counts = departments.ensure(session, plan, steward, clock.today(), folder, seed)
    progress("demo: department data: " + ", ".join(f"{d} {n:,}" for d, n in counts.items())
             + f" in {time.perf_counter() - t:.1f} s")
def _cases_participation(session) -> None:
    """The demo's service providers (cases: participation), registered by the demo admin."""
    from anju.cases.service.participation import demo_providers

    admin = identity.actor_of(session.execute(select(Account).where(
        Account.username == "admin")).scalar_one())
    demo_providers(session, admin, get_settings().county_code[:6])


def describe(summary: DemoSummary, url: str) -> str:
    """What `anju demo` prints: where to go, who to log in as, what is there."""
    c = summary.counts
    states = c.get("registrations", {})
    lines = [
        f"Anju 安居 demo — {summary.county}, synthetic people (合成数据，非真实人员)",
        "",
        f"  Open 打开: {url}",
        "",
        f"  Demo accounts 演示账号 (password for all 统一密码: {summary.password})",
        f"  {'role':<13} {'username':<10} {'password':<15} what to try 可以试试",
    ]
    for a in summary.accounts:
        lines.append(f"  {a.role:<13} {a.username:<10} {summary.password:<15} "
                     f"{a.try_zh} / {a.try_en}")
    landlords = c.get("landlords", 0)
    lines += [
        "",
        (f"  Persons 人员: {c.get('persons', 0):,} (of whom landlords 其中房东 {landlords:,})   "
         f"houses 房屋: {c.get('houses', 0):,}   rooms 房间: {c.get('rooms', 0):,}"),
        "  Registrations 居住登记: " + ", ".join(
            f"{state} {states.get(state, 0):,}"
            for state in ("approved", "submitted", "rejected", "ended")),
        f"  Permits 居住证: {c.get('permits', 0):,}",
        "",
        ("  Built in 构建用时 " if summary.built else "  Already built 已存在; checked in ")
        + f"{summary.seconds:.1f} s. Demo passwords are public: never use them in production.",
    ]
    return "\n".join(lines)


# --- proactive eligibility (issue 11): the nightly run, so residents hold their notices and the
# dashboard's "eligible people notified" KPI has figures on the first day --------------------
def _eligibility(db: Database, progress: Callable[[str], object]) -> None:
    from anju.cases import eligibility

    done = eligibility.nightly(db, identity.job_actor("cases.eligibility"))
    progress(f"demo: eligibility run, {done['notified']} residents told of services they qualify for")


# --- monitoring (mon10): the leader's and analyst's dashboard needs a statistics build ----------
def _statistics(db: Database, progress: Callable[[str], object]) -> None:
    from anju.monitoring import build as stats

    stats.ensure_built(db, progress=progress)


# --- federation (fed13b): a peer installation for the resident's county of registration -------
def _federation(db: Database, resident: str, progress: Callable[[str], object]) -> None:
    from anju.demo import federation

    t = time.perf_counter()
    federation.build(db, resident, progress)
    progress(f"demo: federation in {time.perf_counter() - t:.1f} s")

