"""Synthetic people and places for the demo county (长兴县) and the load benchmark.

Everything comes from a seeded `random.Random`, so the same seed gives the same people. Places
are real: origin counties, townships and 长兴's own villages and communities are read from the
divisions table (anju.core.divisions), never made up. Names come from a surname frequency list
(the ~100 commonest surnames cover ~85% of people) and sex- and generation-aware given names,
with the very common ones (伟, 芳, 娜, 秀英 …) weighted so that 王伟 and 张伟 are common too.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from anju.core import divisions
from anju.core.idnumber import check_digit
from anju.registry.rules import add_months

HOST = "330522"  # 长兴县, 湖州市, 浙江省


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Where 长兴's migrants come from: neighbouring 安徽 first, then the big sending provinces and
# poorer Zhejiang counties. Within a province, named counties are the known migration chains
# (listed by weight) and the rest of the province fills a fifth of the draws.
ORIGINS: dict[str, tuple[float, str]] = {
    "34": (0.31, ("广德市 郎溪县 临泉县 太和县 阜南县 颍上县 界首市 寿县 霍邱县 金寨县 宿松县 "
                  "望江县 怀远县 泗县 萧县 舒城县 无为市 庐江县 潜山市 太湖县 岳西县 利辛县 涡阳县 "
                  "蒙城县 宣州区 宁国市 泾县")),
    "41": (0.13, ("固始县 商城县 光山县 新县 潢川县 息县 淮滨县 罗山县 太康县 郸城县 沈丘县 鹿邑县 "
                  "项城市 邓州市 唐河县 永城市")),
    "52": (0.11, ("威宁彝族回族苗族自治县 赫章县 纳雍县 织金县 大方县 黔西市 金沙县 正安县 "
                  "道真仡佬族苗族自治县 务川仡佬族苗族自治县 习水县 桐梓县 思南县 "
                  "印江土家族苗族自治县 沿河土家族自治县 松桃苗族自治县 榕江县 从江县")),
    "51": (0.09, ("南部县 仪陇县 营山县 蓬安县 阆中市 渠县 宣汉县 大竹县 开江县 安岳县 乐至县 "
                  "中江县 三台县 岳池县 武胜县 平昌县 通江县 南江县 古蔺县 叙永县")),
    "36": (0.08, ("鄱阳县 余干县 万年县 都昌县 修水县 永修县 于都县 兴国县 宁都县 瑞金市 广丰区 "
                  "玉山县 丰城市")),
    "53": (0.06, ("镇雄县 彝良县 威信县 昭阳区 会泽县 宣威市 巧家县 鲁甸县 大关县 永善县 盐津县")),
    "43": (0.05, ("邵东市 新邵县 隆回县 洞口县 武冈市 新化县 涟源市 衡阳县 祁东县 耒阳市 安化县 "
                  "桃江县")),
    "42": (0.05, ("红安县 麻城市 罗田县 英山县 浠水县 蕲春县 黄梅县 武穴市 阳新县 大悟县 孝昌县 "
                  "房县")),
    "33": (0.06, ("安吉县 德清县 吴兴区 南浔区 淳安县 开化县 常山县 江山市 遂昌县 松阳县 "
                  "景宁畲族自治县 庆元县 文成县 泰顺县 苍南县 平阳县 磐安县")),
    "32": (0.04, ("宜兴市 溧阳市 沭阳县 泗洪县 睢宁县 邳州市")),
    "50": (0.02, ("开州区 云阳县 万州区 奉节县 巫山县 忠县")),
}

# Surnames by frequency (per mille of the population, 2020 census order); compound ones rare.
SURNAMES = (
    "王71 李70 张66 刘54 陈47 杨32 黄25 赵23 吴21 周20 徐17 孙15 马15 朱14 胡13 郭12 何12 "
    "林11 高11 罗11 郑10 梁9 谢8 宋8 唐8 许7 韩7 邓7 冯7 曹7 彭6 曾6 肖6 田6 董5 潘5 袁5 蔡5 "
    "蒋5 余5 于5 杜5 叶5 程4 魏4 苏4 吕4 丁4 任4 卢4 姚4 沈4 钟4 姜4 崔4 谭3 陆3 范3 汪3 廖3 "
    "石3 金3 韦3 贾3 夏3 付3 方3 邹3 熊3 白3 孟3 秦3 邱3 侯3 江3 尹3 薛2 闫2 段2 雷2 龙2 黎2 "
    "史2 陶2 贺2 毛2 郝2 顾2 龚2 邵2 万2 覃2 武2 钱2 戴2 严2 欧2 莫2 孔2 向2 常2 汤2 康2 易2 "
    "乔2 赖2 文2 施1 洪1 辛1 柯1 庄1 葛1 单1 牛1 章1 鲁1 舒1 左1 倪1 殷1 詹1 聂1 尤1 柏1 甘1 "
    "祝1 包1 宁1 符1 阮1 蓝1 穆1 仇1 查1 解1 区1 欧阳1 上官1 司马1 诸葛1")
# The commonest whole given names, most common first (they make 王伟, 李娜, 张敏 … common).
COMMON_MALE = _words("伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 斌 宇 浩 凯 健 俊 帆 帅 旭 "
               "龙 林 阳 亮 成 建华 建国 建军 志强 兵 雷 东 博 彬 坤 全 荣 岩 文 利 海 峰")
COMMON_FEMALE = _words("芳 娜 秀英 敏 静 丽 艳 娟 霞 秀兰 燕 玲 桂英 丹 萍 红 玉兰 桂兰 英 梅 莉 "
                 "秀珍 婷 欢 雪 琳 晶 慧 颖 倩 洁 玉梅 红霞 凤英 春梅 美玲 丽娟 海燕 小红")
# Characters for composed names; older and younger cohorts favour different ones.
MALE_CHARS = ("伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发"
              "武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪"
              "心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦奇朗伯宏言鸣朋斌梁栋维启克伦翔旭鹏泽"
              "晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠风航弘")
FEMALE_CHARS = ("秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱"
                "妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露"
                "瑶怡婵雁蓓仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨琰韵园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希欣"
                "滢馥筠柔竹凝晓欢霄枫芸菲寒伊亚宜可舒影荔丽妮宝")
YOUNG_MALE = _words("子轩 浩宇 宇轩 浩然 梓轩 俊杰 宇航 子豪 皓轩 浩轩 子涵 一鸣 博文 思远 明轩 "
              "文博 天佑 家豪 俊熙 泽宇 晨阳 嘉懿 昊天 睿 航 宇 鑫 凯 浩 杰 帅 成 豪")
YOUNG_FEMALE = _words("梓涵 欣怡 子涵 雨涵 诗涵 思雨 佳怡 可馨 语嫣 紫涵 雨欣 欣妍 一诺 若曦 梦瑶 "
                "佳琪 欣然 晨曦 雨桐 馨怡 诗琪 婷 琪 悦 雪 颖 洁 倩 萱")

# Rejection reasons a police station writes.
REJECTIONS = ("房屋信息与实际不符，请核实房间号", "身份证件照片不清晰，请重新上传",
              "缺少租赁合同或住房证明", "所选房间登记人数已满，请核实入住人数",
              "登记信息与户籍信息不一致，请核对姓名")
REASONS = (("work", 74), ("family", 10), ("business", 8), ("study", 3), ("stable_home", 3),
           ("other", 2))
# Where migrants live: the industrial towns and the county seat's streets take the most.
TOWNSHIP_WEIGHT = {"雉城街道": 1.6, "画溪街道": 1.6, "太湖街道": 1.4, "龙山街道": 1.4, "洪桥镇": 1.2,
                   "李家巷镇": 1.3, "和平镇": 1.2, "煤山镇": 1.2, "夹浦镇": 1.1, "林城镇": 1.1,
                   "虹星桥镇": 1.1, "泗安镇": 1.0, "小浦镇": 0.8, "水口乡": 0.6, "吕山乡": 0.6}
MOBILE_PREFIXES = _words("130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
                   "166 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199")


class Weighted:
    """Draw from items by weight quickly (cumulative weights, bisection)."""

    def __init__(self, items, weights) -> None:
        self.items, self.cum = list(items), list(accumulate(weights))

    def __call__(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cum)[0]


def _zipf(n: int, s: float = 0.8) -> list[float]:
    return [1 / (i + 1) ** s for i in range(n)]


@functools.cache
def _surnames() -> Weighted:
    pairs = [(token.rstrip("0123456789"), int(token[len(token.rstrip("0123456789")):]))
             for token in SURNAMES.split()]
    return Weighted([s for s, _ in pairs], [w for _, w in pairs])


@dataclass(frozen=True)
class Origin:
    county: str  # canonical 12-digit county code
    townships: tuple[str, ...]


@functools.cache
def origins() -> tuple[Weighted, dict[str, Origin]]:
    """Origin counties weighted as 长兴's migrants come (real codes from the divisions table)."""
    codes, weights, by_code = [], [], {}
    for province, (share, names) in ORIGINS.items():
        named = []
        for name in names.split():
            found = [d for d in divisions.find_by_name(name, within=province)
                     if d.level == divisions.COUNTY and not d.retired]
            named += found[:1]
        rest = [d for d in divisions.iter_divisions(divisions.COUNTY)
                if d.code.startswith(province) and d not in named and not d.synthetic]
        for group, part in ((named, 0.8), (rest, 0.2)):
            zipf = _zipf(len(group)) if group is named else [1.0] * len(group)
            total = sum(zipf) or 1
            for d, z in zip(group, zipf):
                towns = tuple(t.code for t in divisions.children(d.code)
                              if t.level == divisions.TOWNSHIP)
                if towns and d.code[:6] != HOST:
                    codes.append(d.code)
                    weights.append(share * part * z / total)
                    by_code[d.code] = Origin(d.code, towns)
    return Weighted(codes, weights), by_code


@dataclass(frozen=True)
class SynthPerson:
    name: str
    sex: str  # "M" / "F"
    birth: date
    id_number: str
    phone: str
    hukou_address: str
    hukou_code: str  # 12-digit township or village


class People:
    """Makes unique people (ID numbers and phones never repeat within one maker)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.given = {
            ("M", False): Weighted(COMMON_MALE, _zipf(len(COMMON_MALE), 1.0)),
            ("F", False): Weighted(COMMON_FEMALE, _zipf(len(COMMON_FEMALE), 1.0)),
            ("M", True): Weighted(YOUNG_MALE, _zipf(len(YOUNG_MALE), 0.6)),
            ("F", True): Weighted(YOUNG_FEMALE, _zipf(len(YOUNG_FEMALE), 0.6)),
        }

    def name(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        young = birth_year >= 1990
        draw = rng.random()
        if draw < (0.22 if young else 0.40):  # the commonest names of the cohort
            given = self.given[(sex, young)](rng)
        else:
            chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
            single = rng.random() < (0.12 if young else 0.30)
            given = rng.choice(chars) if single else rng.choice(chars) + rng.choice(chars)
        return _surnames()(rng) + given

    def birth(self, first: int, last: int, peak: int) -> date:
        year = round(self.rng.triangular(first, last + 0.49, peak))
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def id_number(self, region6: str, birth: date, sex: str) -> str:
        while True:
            seq = 2 * self.rng.randrange(499) + (1 if sex == "M" else 2)  # odd = male
            first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def migrant(self) -> SynthPerson:
        """A working-age migrant from a weighted origin county, born 1960–2006."""
        table, by_code = origins()
        origin = by_code[table(self.rng)]
        sex = "M" if self.rng.random() < 0.56 else "F"
        birth = self.birth(1960, 2006, 1990)
        town = self.rng.choice(origin.townships)
        address = _street_or_group(self.rng, town)
        return SynthPerson(self.name(sex, birth.year), sex, birth,
                           self.id_number(origin.county[:6], birth, sex), self.phone(),
                           address, town)

    def local(self, village: str) -> SynthPerson:
        """A 长兴 villager (landlord) registered in `village`, born 1952–1985."""
        sex = "M" if self.rng.random() < 0.7 else "F"
        birth = self.birth(1952, 1985, 1968)
        return SynthPerson(self.name(sex, birth.year), sex, birth,
                           self.id_number(HOST, birth, sex), self.phone(),
                           _street_or_group(self.rng, village), village)


def _street_or_group(rng: random.Random, code: str) -> str:
    """A household address under a real division: "…某村3组12号" or "…某街道 18号"."""
    name = divisions.full_name(code)
    if name.endswith(("村", "乡", "镇")):
        return f"{name}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
    return f"{name}{rng.randint(1, 30)}幢{rng.randint(1, 6)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"


@functools.cache
def host_places() -> tuple[Weighted, dict[str, str]]:
    """长兴's villages and communities, weighted by where migrants live; code -> township name."""
    codes, weights, town_of = [], [], {}
    for town in divisions.children(HOST + "000000"):
        places = divisions.children(town.code)
        for place in places:
            codes.append(place.code)
            weights.append(TOWNSHIP_WEIGHT.get(town.name, 1.0) / len(places) ** 0.5)
            town_of[place.code] = town.name
    return Weighted(codes, weights), town_of


def house_address(rng: random.Random, place: str, number: int) -> str:
    """A rental house in a real village (self-built house) or community (apartment block)."""
    name = divisions.full_name(place).split("长兴县", 1)[-1]
    if name.endswith("社区"):
        return f"长兴县{name}{number}幢"
    return f"长兴县{name}{rng.randint(1, 12)}组{number}号"


def rooms_for(rng: random.Random, place: str) -> tuple[tuple[str, int], ...]:
    """Rooms of one house: villages' self-built houses have more, apartments fewer."""
    count = rng.randint(3, 8) if not divisions.get(place).name.endswith("社区") else rng.randint(2, 4)
    per_floor = 3 if count > 4 else 2
    return tuple((f"{1 + i // per_floor}0{1 + i % per_floor}",
                  rng.choices((1, 2, 3, 4), (25, 45, 20, 10))[0]) for i in range(count))


def reasons() -> Weighted:
    return Weighted([r for r, _ in REASONS], [w for _, w in REASONS])


# --- the demo county: who lives where, and what became of their registrations -----------------
@dataclass(frozen=True)
class PlannedHouse:
    landlord: int  # index into County.landlords
    place: str  # 12-digit village or community
    address: str
    rooms: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PlannedRegistration:
    migrant: int  # index into County.migrants
    house: int
    room: str  # label
    start: date
    reason: str
    status: str
    end: date | None = None
    rejection: str | None = None


@dataclass
class County:
    landlords: list[SynthPerson]
    migrants: list[SynthPerson]
    # Where each migrant belongs before any approved registration: the county, whose service
    # centre took them in. Their approved registration, loaded after, moves them to its house.
    base: str
    houses: list[PlannedHouse]
    registrations: list[PlannedRegistration]
    permits: list[tuple[int, date]]  # (index into registrations, issued on)
    personas: dict[str, int]  # "resident"/"newcomer" -> migrant, "landlord" -> landlord


# What became of each migrant's registrations, and how often.
FATES = (("approved", 66), ("submitted", 9), ("moved", 10), ("rejected", 5), ("left", 10))
OCCUPANCY = 0.72  # share of room capacity that active registrations fill


def county(migrants: int, seed: int, today: date) -> County:
    """Plan a county of `migrants` residents around `today`; pure, nothing is written."""
    rng, maker = random.Random(seed), People(seed + 1)
    people = [maker.migrant() for _ in range(migrants)]
    fate_of = Weighted([f for f, _ in FATES], [w for _, w in FATES])
    fates = ["approved", "submitted"][:migrants] + [fate_of(rng) for _ in range(migrants - 2)]
    active = sum(f in ("approved", "submitted", "moved") for f in fates)
    active += sum(1 for f in fates if f == "rejected") // 2
    plan = _Housing(rng, maker)
    plan.add(_demo_place(rng))  # the personas' house: a community of the county seat
    while plan.capacity < active / OCCUPANCY:
        plan.add()
    slots = [(h, label) for h, house in enumerate(plan.houses) for label, cap in house.rooms
             for _ in range(cap)]
    persona_slots, slots = slots[:2], slots[2:]
    rng.shuffle(slots)
    fate = _Fates(rng, plan, slots, persona_slots, today)
    reason_of, regs = reasons(), []
    for m, kind in enumerate(fates):
        regs += fate.registrations(m, kind, "work" if m < 2 else reason_of(rng))
    permits = _permits(rng, regs, today, max(3, migrants // 50))
    return County(plan.landlords, people, HOST + "000000", plan.houses, regs, permits,
                  {"resident": 0, "newcomer": 1, "landlord": plan.houses[0].landlord})


class _Fates:
    """One migrant's registrations for their fate, in rooms with a free place when active."""

    def __init__(self, rng: random.Random, plan: _Housing, slots: list, personas: list,
                 today: date) -> None:
        self.rng, self.plan, self.slots, self.personas, self.today = (
            rng, plan, slots, personas, today)

    def room(self, m: int) -> tuple[int, str]:
        if m < len(self.personas):
            return self.personas[m]
        if self.slots:
            return self.slots.pop()
        house = self.plan.add()  # more people than planned places: one more house
        return house, self.plan.houses[house].rooms[0][0]

    def anywhere(self) -> tuple[int, str]:  # past registrations need no free place
        h = self.rng.randrange(len(self.plan.houses))
        return h, self.rng.choice(self.plan.houses[h].rooms)[0]

    def ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def registrations(self, m: int, kind: str, reason: str) -> list[PlannedRegistration]:
        rng, today, R = self.rng, self.today, PlannedRegistration
        if kind == "approved":
            start = today - timedelta(days=240) if m == 0 else (
                self.ago(10, 180) if rng.random() < 0.3 else self.ago(181, 1100))
            return [R(m, *self.room(m), start, reason, "approved")]
        if kind == "submitted":
            start = today - timedelta(days=3) if m == 1 else self.ago(0, 20)
            return [R(m, *self.room(m), start, reason, "submitted")]
        if kind == "moved":  # ended in one room, approved in another
            start = self.ago(500, 1400)
            end = min(start + timedelta(days=rng.randint(120, 400)), today - timedelta(days=40))
            return [R(m, *self.anywhere(), start, reason, "ended", end),
                    R(m, *self.room(m), end + timedelta(days=rng.randint(1, 20)), reason,
                      "approved")]
        if kind == "rejected":
            start = self.ago(15, 90)
            out = [R(m, *self.anywhere(), start, reason, "rejected",
                     rejection=rng.choice(REJECTIONS))]
            if rng.random() < 0.5:  # corrected and approved a few days later
                out.append(R(m, *self.room(m), start + timedelta(days=rng.randint(3, 10)),
                             reason, "approved"))
            return out
        start = self.ago(400, 1500)  # left the county
        end = min(start + timedelta(days=rng.randint(60, 500)), today - timedelta(days=5))
        return [R(m, *self.anywhere(), start, reason, "ended", end)]


class _Housing:
    """Houses in real villages and communities, let by local landlords (some own several)."""

    def __init__(self, rng: random.Random, maker: People) -> None:
        self.rng, self.maker = rng, maker
        self.landlords: list[SynthPerson] = []
        self.houses: list[PlannedHouse] = []
        self.capacity = 0
        self.numbers: dict[str, int] = {}

    def add(self, place: str | None = None) -> int:
        rng = self.rng
        place = place or host_places()[0](rng)
        if self.landlords and rng.random() < 0.3:  # a landlord with more than one house
            owner = rng.randrange(len(self.landlords))
        else:
            self.landlords.append(self.maker.local(place))
            owner = len(self.landlords) - 1
        self.numbers[place] = self.numbers.get(place, 0) + rng.randint(1, 9)
        rooms = rooms_for(rng, place)
        self.houses.append(PlannedHouse(owner, place, house_address(rng, place,
                                                                  self.numbers[place]), rooms))
        self.capacity += sum(cap for _, cap in rooms)
        return len(self.houses) - 1


def _demo_place(rng: random.Random) -> str:
    town = next(t for t in divisions.children(HOST + "000000") if t.name == "雉城街道")
    return rng.choice([c.code for c in divisions.children(town.code)])


def _permits(rng: random.Random, regs: list[PlannedRegistration], today: date,
             target: int) -> list[tuple[int, date]]:
    """Permits for people with one approved spell of six months or more (not the personas, who
    are there to try things)."""
    spells: dict[int, int] = {}
    for r in regs:
        spells[r.migrant] = spells.get(r.migrant, 0) + 1
    days = [today - timedelta(days=d) for d in (90, 60, 30, 7)]
    # A permit issued 350 days ago expires within the month: the grid worker gets a reminder.
    soon = today - timedelta(days=350)
    found = []
    for i, r in enumerate(regs):
        if r.status == "approved" and spells[r.migrant] == 1 and r.migrant > 1 \
                and r.reason in ("work", "study", "stable_home"):
            dates = [d for d in days if add_months(r.start, 6) <= d]
            if dates:
                found.append((i, rng.choice(dates), add_months(r.start, 6) <= soon))
    chosen = rng.sample(found, min(target, len(found)))
    expiring = {i for i, _, can in chosen if can}
    expiring = set(sorted(expiring)[:max(1, len(chosen) // 5)])
    return sorted((i, soon if i in expiring else d) for i, d, _ in chosen)
