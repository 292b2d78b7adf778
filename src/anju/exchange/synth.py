"""Synthetic migrants and their department records, with known truth and the hard cases.

`population()` makes people, including households whose children share a generation character,
home and family phone; twins (same region and birth date: IDs differ only in the sequence
digits); strangers with near-identical valid IDs; same-name same-birthday strangers; and the
common names 王伟/李娜. `render()` writes one person as a department would: mixed date and sex
styles, full-width digits, legacy 15-digit IDs, typos, homophones, traditional or pinyin names,
missing values. Everything is seeded, so a benchmark is reproducible.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass

from anju.core import divisions
from anju.core.idnumber import check_digit

HOST_COUNTY = "330522000000"  # 长兴县, where the migrants now live
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单解区仇查朴"
SURNAME_WEIGHTS = [7.2, 7.1, 6.9, 5.4, 4.6, 3.1, 2.4, 2.2, 2.0, 1.9] + [0.6] * (len(SURNAMES) - 10)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玉兰志文斌辉鹏宇浩然子轩梓涵欣怡雨婷思远晨阳佳琪嘉豪俊杰海燕春梅秋菊冬雪立新永福德利振兴家宝金凤玲琳颖晶博文昊天一诺若曦瑞泽"
HOMOPHONES = {"张": "章", "李": "黎", "王": "汪", "刘": "柳", "杨": "阳", "黄": "皇", "伟": "玮",
              "娜": "纳", "丽": "莉", "静": "婧", "敏": "珉", "军": "君", "洋": "阳", "杰": "洁",
              "明": "铭", "华": "桦", "玲": "铃", "琳": "霖", "涛": "滔", "辉": "晖"}
ROADS = ["人民", "解放", "中山", "建设", "和平", "太湖", "金陵", "龙山", "长兴", "明珠", "画溪", "新华", "青年", "团结", "迎宾", "花园"]
EMPLOYERS = ["长兴{}纺织有限公司", "长兴{}电池厂", "湖州{}建筑工程公司", "长兴县{}物流中心",
             "{}餐饮店", "长兴{}机械厂", "{}超市", "长兴{}电子科技有限公司"]


@dataclass
class Person:
    uid: int
    name: str
    sex: str  # 'M' / 'F'
    birth: dt.date
    hukou: str  # 12-digit township code
    hukou_detail: str  # village / street part
    id_number: str
    phone: str | None
    current: str  # full current address text in the host county
    employer: str | None


@functools.lru_cache(maxsize=1)
def _regions() -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Origin counties (with their townships) and the host county's townships."""
    origins = []
    for county in divisions.iter_divisions(3):
        towns = [t.code for t in divisions.children(county.code) if t.level == 4]
        if towns and not county.synthetic:
            origins.append((county.code, towns))
    host = [t.code for t in divisions.children(HOST_COUNTY) if t.level == 4]
    return origins, host


def make_id(region6: str, birth: dt.date, seq: int) -> str:
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


class _Maker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.origins, self.host = _regions()
        self.origins = rng.sample(self.origins, min(400, len(self.origins)))
        self.used_ids: set[str] = set()
        self.uid = 0

    def _phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"

    def _id(self, region6: str, birth: dt.date, sex: str, avoid_seq: int | None = None) -> str:
        while True:
            seq = self.rng.randrange(1, 999)
            if (seq % 2 == 1) != (sex == "M"):
                seq = seq + 1 if seq < 998 else seq - 1
            number = make_id(region6, birth, seq)
            if seq != avoid_seq and number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def _current(self) -> str:
        town = divisions.require(self.rng.choice(self.host)).name
        return f"{town}{self.rng.choice(ROADS)}路{self.rng.randrange(1, 400)}号{self.rng.randrange(1, 30)}幢"

    def _given(self, generation: str | None = None) -> str:
        r = self.rng
        if generation:
            return generation + r.choice(GIVEN)
        return r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")

    def person(self, **fixed) -> Person:
        r = self.rng
        self.uid += 1
        _county, towns = r.choice(self.origins)
        sex = fixed.pop("sex", r.choice("MF"))
        birth = fixed.pop("birth", dt.date(1955, 1, 1) + dt.timedelta(days=r.randrange(365 * 50)))
        hukou = fixed.pop("hukou", r.choice(towns))
        roll = r.random()
        name = fixed.pop("name", None) or (
            "王伟" if roll < 0.03 else "李娜" if roll < 0.05 else "张伟" if roll < 0.06 else
            r.choices(SURNAMES, SURNAME_WEIGHTS)[0] + self._given()
        )
        employer = r.choice(EMPLOYERS).format(r.choice(ROADS)) if r.random() < 0.6 else None
        p = Person(
            uid=self.uid, name=name, sex=sex, birth=birth, hukou=hukou,
            hukou_detail=fixed.pop("hukou_detail", f"{r.choice(ROADS)}村{r.randrange(1, 20)}组"),
            id_number=fixed.pop("id_number", None) or self._id(hukou[:6], birth, sex),
            phone=fixed.pop("phone", self._phone()), current=fixed.pop("current", None)
            or self._current(), employer=employer,
        )
        return p

    def household(self) -> list[Person]:
        """Siblings (or twins) sharing surname, generation character, home and family phone."""
        r = self.rng
        parent = self.person()
        surname, gen = parent.name[0], r.choice(GIVEN)
        shared = {"hukou": parent.hukou, "hukou_detail": parent.hukou_detail, "phone": parent.phone,
                      "current": parent.current}
        kids = []
        birth = dt.date(1985, 1, 1) + dt.timedelta(days=r.randrange(365 * 20))
        twins = r.random() < 0.3
        for i in range(r.choice((2, 2, 3))):
            if not (twins and i == 1):
                birth = birth + dt.timedelta(days=r.randrange(400, 2500)) if i else birth
            kids.append(self.person(name=surname + self._given(gen), birth=birth, **shared))
        return [parent] + kids

    def near_id_stranger(self, other: Person) -> Person:
        """A stranger whose valid ID shares region and birth date: only the sequence differs."""
        seq = int(other.id_number[14:17])
        return self.person(birth=other.birth, hukou=other.hukou, sex=other.sex,
                           id_number=self._id(other.hukou[:6], other.birth, other.sex, seq))

    def namesake(self, other: Person) -> Person:
        """Same name, same birthday, different person."""
        return self.person(name=other.name, birth=other.birth, sex=other.sex)


def population(n: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    m = _Maker(rng)
    people: list[Person] = []
    while len(people) < n:
        roll = rng.random()
        if roll < 0.12:
            people += m.household()
        elif roll < 0.15 and people:
            people.append(m.near_id_stranger(rng.choice(people)))
        elif roll < 0.19 and people:
            people.append(m.namesake(rng.choice(people)))
        else:
            people.append(m.person())
    return people[:n]


# --- rendering records as departments send them -------------------------------------------

DATE_STYLES = {
    "iso": lambda d: f"{d:%Y-%m-%d}", "compact": lambda d: f"{d:%Y%m%d}",
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}", "dotted": lambda d: f"{d:%Y.%m.%d}",
    "chinese": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "excel": lambda d: str((d - dt.date(1899, 12, 30)).days),
}
SEX_STYLES = {"zh": {"M": "男", "F": "女"}, "gb": {"M": "1", "F": "2"}, "mf": {"M": "M", "F": "F"},
              "zh2": {"M": "男性", "F": "女性"}}
_FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@dataclass
class Dirt:
    """Probabilities of each kind of dirt in one department's records."""

    id_missing: float = 0.06
    id_legacy15: float = 0.04
    id_typo: float = 0.015
    id_fullwidth: float = 0.02
    id_spaces: float = 0.02
    name_homophone: float = 0.02
    name_traditional: float = 0.015
    name_pinyin: float = 0.01
    name_spaces: float = 0.02
    birth_missing: float = 0.04
    birth_typo: float = 0.008
    sex_missing: float = 0.03
    phone_missing: float = 0.15
    phone_changed: float = 0.05
    hukou_missing: float = 0.25
    current_missing: float = 0.2
    current_moved: float = 0.08


def _id_typo(rng: random.Random, number: str) -> str:
    i = rng.randrange(17)
    if rng.random() < 0.5 and i < 16 and number[i] != number[i + 1]:
        return number[:i] + number[i + 1] + number[i] + number[i + 2:]
    digit = rng.choice([c for c in "0123456789" if c != number[i]])
    return number[:i] + digit + number[i + 1:]


def _pinyin(name: str, rng: random.Random) -> str:
    from pypinyin import lazy_pinyin

    from anju.exchange.names import SURNAME_READINGS

    sur = SURNAME_READINGS.get(name[0]) or lazy_pinyin(name[0])[0]
    text = f"{sur.capitalize()} {''.join(lazy_pinyin(name[1:])).capitalize()}"
    return text.upper() if rng.random() < 0.5 else text


def render(p: Person, rng: random.Random, dept: str, date_style: str = "iso",
           sex_style: str = "zh", dirt: Dirt | None = None, rid: str | None = None) -> dict:
    """One record of person `p` as department `dept` would send it (standard column names)."""
    import zhconv

    d = dirt or Dirt()
    r = rng.random
    id_number: str | None = p.id_number
    if r() < d.id_missing:
        id_number = None
    else:
        if r() < d.id_legacy15 and p.birth.year < 2000:
            id_number = id_number[:6] + id_number[8:17]
        elif r() < d.id_typo:
            id_number = _id_typo(rng, id_number)
        if r() < 0.3 and id_number.endswith("X"):
            id_number = id_number[:-1] + "x"
        if r() < d.id_fullwidth:
            id_number = id_number.translate(_FULLWIDTH)
        if r() < d.id_spaces:
            id_number = f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"
    name = p.name
    if r() < d.name_homophone:
        name = "".join(HOMOPHONES.get(c, c) if r() < 0.6 else c for c in name)
    if r() < d.name_traditional:
        name = zhconv.convert(name, "zh-tw")
    elif r() < d.name_pinyin:
        name = _pinyin(name, rng)
    elif r() < d.name_spaces:
        name = name[0] + " " + name[1:] if r() < 0.5 else f" {name} "
    birth = None if r() < d.birth_missing else p.birth
    if birth and r() < d.birth_typo:
        birth = birth.replace(day=min(28, (birth.day % 28) + 1))
    phone = None if r() < d.phone_missing else p.phone
    if phone and r() < d.phone_changed:
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    if phone:
        phone = rng.choice([phone, phone, f"+86 {phone}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                            f"{phone[:3]} {phone[3:7]} {phone[7:]}"])
    hukou = None if r() < d.hukou_missing else _hukou_text(p, rng)
    current = None if r() < d.current_missing else p.current
    if current and r() < d.current_moved:
        current = current.split("路")[0] + f"路{rng.randrange(1, 400)}号"  # moved down the road
    if current and r() < 0.5:
        current = "浙江省湖州市长兴县" + current
    return {
        "source": dept, "source_record_id": rid or f"{dept}-{p.uid}-{rng.randrange(10**6)}",
        "name": name, "id_number": id_number,
        "sex": None if r() < d.sex_missing else SEX_STYLES[sex_style][p.sex],
        "birth_date": DATE_STYLES[date_style](birth) if birth else None,
        "phone": phone, "hukou_address": hukou, "current_address": current,
        "employer": p.employer,
    }


def _hukou_text(p: Person, rng: random.Random) -> str:
    chain = divisions.ancestors(p.hukou) + [divisions.require(p.hukou)]
    start = rng.choice([0, 0, 1, 2])  # departments drop the province, or the city too
    return "".join(d.name for d in chain[start:]) + p.hukou_detail


# The benchmark's departments: native date and sex styles and their own amount of dirt.
BENCH_DEPARTMENTS = [
    ("gongan", "compact", "gb", Dirt(id_missing=0.01, phone_missing=0.3)),
    ("renshe", "excel", "zh", Dirt()),
    ("weijian", "slash", "mf", Dirt(id_missing=0.1, name_traditional=0.03)),
    ("yibao", "iso", "gb", Dirt(id_missing=0.02)),
    ("jiaoyu", "chinese", "zh", Dirt(id_missing=0.08, name_pinyin=0.02)),
    ("minzheng", "dotted", "zh2", Dirt(id_typo=0.03)),
    ("shichang", "iso", "zh", Dirt(id_missing=0.03, birth_missing=0.5, sex_missing=0.5)),
]


def benchmark(n_records: int, seed: int = 11, dup_rate: float = 0.355):
    """`n_records` department records about ~n·(1-dup_rate) people, and the truth.

    Returns (records, truth): records as dicts in the standard columns with raw values,
    truth as a list of person uids aligned with the records.
    """
    rng = random.Random(seed)
    n_people = max(1, round(n_records * (1 - dup_rate)))
    people = population(n_people, seed)
    records, truth = [], []
    counts = [1] * n_people
    for _ in range(n_records - n_people):  # extra records go preferentially to some people
        counts[rng.randrange(n_people)] += 1
    for p, k in zip(people, counts):
        for dept, date_style, sex_style, dirt in rng.sample(BENCH_DEPARTMENTS * 3, k):
            rec = render(p, rng, dept, date_style, sex_style, dirt, rid=f"{dept}-{len(records)}")
            records.append(rec)
            truth.append(p.uid)
    order = list(range(len(records)))
    rng.shuffle(order)
    return [records[i] for i in order], [truth[i] for i in order]
