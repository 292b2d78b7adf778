"""Synthetic, deterministic data for the registry benchmark.

Person i (0 <= i < N) always gets the same name, ID number and phone, so the load generator can
ask for a person by ID number without the loader handing every number around. ID numbers are
unique by construction: (origin county, birth date, sequence) is a mixed-radix form of i.

Layout of the N persons:
  * the last `pool` persons are the *registration pool*: no active registration (half of them have
    an ended one, half none), so the load can submit a registration for each of them once;
  * every other person has one registration (88 % approved, 10 % submitted, 2 % rejected) in one
    of the county's rooms, three persons per room of capacity 4;
  * the first N // 50 persons are the landlords of the houses (a landlord may own several).
Separately, `bench_houses` houses with 4 rooms of capacity 200 take the registrations submitted
during the load, round-robin, so none of them goes over capacity.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from anju.core import divisions
from anju.core.idnumber import check_digit

COUNTY = "330522"  # 长兴县, the demo county

# Origin counties of the floating population (real GB/T 2260 codes; a few retired ones on purpose,
# since real ID numbers keep the code of the county at birth).
ORIGINS = ("341221", "341222", "411523", "510722", "431023", "500233", "412726", "362421",
           "522426", "452624", "341223", "341225", "341226", "411522", "411526", "411527",
           "510921", "511321", "513723", "421127", "360732", "362426", "450821", "530622")
BIRTH_START = date(1960, 1, 1)
BIRTH_DAYS = 16000  # about 44 years of birthdays
SEQS = 1000
CAPACITY = len(ORIGINS) * BIRTH_DAYS * SEQS  # 384 million distinct numbers

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞斌宇浩凯健俊帆帅旭宁龙林欣晨雪琳婷慧颖佳倩梅琴云莉兵彬春燕志新海波"
STREETS = ("明珠路", "长兴大道", "金陵路", "太湖路", "画溪路", "龙山路", "人民路", "中央大道",
           "解放路", "县前街", "齐山路", "经一路")
ROOMS_PER_HOUSE = 3
ROOM_CAPACITY = 4
PERSONS_PER_ROOM = 3
BENCH_ROOMS_PER_HOUSE = 4
BENCH_ROOM_CAPACITY = 200


def id_number(i: int) -> str:
    if not 0 <= i < CAPACITY:
        raise ValueError(f"person index {i} out of range")
    origin = ORIGINS[i % len(ORIGINS)]
    rest = i // len(ORIGINS)
    birth = BIRTH_START + timedelta(days=rest % BIRTH_DAYS)
    seq = rest // BIRTH_DAYS
    first17 = f"{origin}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def name(i: int) -> str:
    h = (i * 2654435761) & 0xFFFFFFFF
    given = GIVEN[h % len(GIVEN)]
    if h & 0x100:
        given += GIVEN[(h >> 9) % len(GIVEN)]
    return SURNAMES[(h >> 17) % len(SURNAMES)] + given


def phone(i: int) -> str:
    return f"1{3 + i % 7}{(i * 7919 + 12345678) % 10**9:09d}"


@dataclass(frozen=True)
class Layout:
    persons: int
    pool: int
    houses: int
    bench_houses: int
    landlords: int

    @classmethod
    def for_persons(cls, n: int, pool: int | None = None, bench_houses: int = 500) -> Layout:
        if pool is None:
            # Enough for 20 % of a few thousand requests a second over a long run, never more
            # than half the persons.
            pool = min(n // 2, max(n // 10, 60_000))
        registered = n - pool
        houses = -(-registered // (ROOMS_PER_HOUSE * PERSONS_PER_ROOM))
        return cls(persons=n, pool=pool, houses=max(houses, 1), bench_houses=bench_houses,
                   landlords=max(1, n // 50))

    @property
    def registered(self) -> int:
        return self.persons - self.pool

    def in_pool(self, i: int) -> bool:
        return i >= self.registered


class County:
    """The county's communities/villages (level-5 divisions), where houses stand."""

    def __init__(self, county: str = COUNTY) -> None:
        self.villages = [d for d in divisions.iter_divisions(level=5)
                         if d.code.startswith(county)]
        self.villages.sort(key=lambda d: d.code)
        if not self.villages:
            raise RuntimeError(f"no village-level divisions known under {county}")
        self._names = {d.code: divisions.full_name(d.code) for d in self.villages}
        self.origin_names = {o: _safe_full_name(o) for o in ORIGINS}

    def village(self, k: int) -> str:
        return self.villages[k % len(self.villages)].code

    def address(self, house: int) -> str:
        code = self.village(house)
        return f"{self._names[code]}{STREETS[house % len(STREETS)]}{house % 997 + 1}号"

    def hukou_address(self, i: int) -> str:
        return f"{self.origin_names[ORIGINS[i % len(ORIGINS)]]}{i % 40 + 1}组"


def _safe_full_name(code: str) -> str:
    from anju.core.errors import AnjuError

    try:
        return divisions.full_name(code)
    except AnjuError:  # an unknown origin code is fine for a hukou address
        return code


def house_of_person(layout: Layout, i: int) -> int:
    return i // (ROOMS_PER_HOUSE * PERSONS_PER_ROOM)


def room_slot_of_person(i: int) -> int:
    """Which of its house's rooms person i lives in (0..ROOMS_PER_HOUSE-1)."""
    return (i // PERSONS_PER_ROOM) % ROOMS_PER_HOUSE


def person_division(layout: Layout, county: County, i: int) -> str:
    if layout.in_pool(i):
        return county.village(i * 31)
    return county.village(house_of_person(layout, i))


def registration_plan(layout: Layout, i: int, today: date) -> tuple[str, date, date | None,
                                                                     str | None, str] | None:
    """(status, start, end, rejection reason, reason) of person i's loaded registration."""
    rnd = random.Random(i)
    start = today - timedelta(days=30 + rnd.randrange(3 * 365))
    reason = ("work", "work", "work", "business", "study", "family", "other")[i % 7]
    if layout.in_pool(i):
        if i % 2:
            return None
        return "ended", start, min(today, start + timedelta(days=30 + rnd.randrange(300))), None, reason
    r = i % 50
    if r < 44:
        return "approved", start, None, None, reason
    if r < 49:
        return "submitted", today - timedelta(days=rnd.randrange(20)), None, None, reason
    return "rejected", start, None, "材料不全", reason


def batches(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))
