"""The demo county's department data: what 人社 (insured persons), 医保 (medical insurance),
民政 (assistance recipients) and 教育 (migrant children's school records) hold about some of its
residents, written as each department's own extract (the formats of
anju/exchange/connectors/*.toml) and imported into the hub by the data steward, as a county
would. A public-service case then pulls its evidence from there instead of asking the applicant.

`extracts` writes the files for given people; `load` imports them (tests use both, the demo
builder calls `ensure` once).
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

EMPLOYERS = ("长兴新华纺织有限公司", "浙江天能电池股份有限公司", "长兴县城建工程有限公司",
             "长兴太湖物流有限公司", "湖州吉利汽车部件有限公司", "长兴县金陵酒店")


@dataclass(frozen=True)
class Insured:
    """A person a department holds (the fields its extract carries)."""

    name: str
    id_number: str
    sex: str  # M | F
    birth_date: date
    phone: str | None = None
    employer: str | None = None


@dataclass(frozen=True)
class Pupil:
    """A migrant child at school, whose guardian's phone the education bureau keeps."""

    name: str
    id_number: str
    sex: str
    birth_date: date
    guardian_phone: str


def _renshe(path: Path, people: list[Insured], as_of: date) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "参保人员"
    sheet.append([f"人力资源和社会保障局（参保人员）名单（导出日期 {as_of.isoformat()}）"])
    sheet.append(["个人编号", "姓名", "身份证号", "性别", "出生年月", "参保单位", "手机号码", "常住地址"])
    for n, p in enumerate(people):
        sheet.append([f"RENSHE-DEMO{n:06d}", p.name, p.id_number, "男" if p.sex == "M" else "女",
                      p.birth_date, p.employer, p.phone, None])
    book.save(path)
    return path


def _yibao(path: Path, people: list[Insured]) -> Path:
    records = [{"psn_no": f"YIBAO-DEMO{n:06d}", "psn_name": p.name, "certno": p.id_number,
                "gend": "1" if p.sex == "M" else "2", "brdy": p.birth_date.isoformat(),
                "tel": p.phone, "addr": None, "emp_name": p.employer}
               for n, p in enumerate(people)]
    path.write_text(json.dumps({"output": {"baseinfo": records}}, ensure_ascii=False), "utf-8")
    return path


def _minzheng(path: Path, people: list[Insured]) -> Path:
    lines = ["救助编号|申请人姓名|证件号码|性别|出生日期|联系方式|户籍地|居住地址"]
    lines += [f"MINZHENG-DEMO{n:06d}|{p.name}|{p.id_number}|{'男性' if p.sex == 'M' else '女性'}|"
              f"{p.birth_date:%Y.%m.%d}|{p.phone or ''}||" for n, p in enumerate(people)]
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    return path


def _jiaoyu(path: Path, pupils: list[Pupil]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["全国学籍号", "学生姓名", "身份证件号", "性别", "出生日期", "监护人联系电话", "户口所在地", "现住址"])
    for n, p in enumerate(pupils):
        d = p.birth_date
        sheet.append([f"JIAOYU-DEMO{n:06d}", p.name, p.id_number, "男" if p.sex == "M" else "女",
                      f"{d.year}年{d.month}月{d.day}日", p.guardian_phone, None, None])
    book.save(path)
    return path


def extracts(folder: Path, *, renshe: list[Insured] = (), yibao: list[Insured] = (),
             minzheng: list[Insured] = (), jiaoyu: list[Pupil] = (),
             as_of: date | None = None) -> dict[str, Path]:
    """Write each department's extract (those with anyone in it) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    as_of = as_of or date.today()
    out = {}
    if renshe:
        out["renshe"] = _renshe(folder / "renshe_cbry.xlsx", list(renshe), as_of)
    if yibao:
        out["yibao"] = _yibao(folder / "yibao_psn.json", list(yibao))
    if minzheng:
        out["minzheng"] = _minzheng(folder / "minzheng_jzdx.csv", list(minzheng))
    if jiaoyu:
        out["jiaoyu"] = _jiaoyu(folder / "jiaoyu_xj.xlsx", list(jiaoyu))
    return out


def load(session, steward, files: dict[str, Path], as_of: date | None = None) -> dict[str, int]:
    """Import the extracts as the data steward (the exchange hub's own import use case):
    department → records imported."""
    from anju.exchange import service

    return {department: service.import_extract(session, steward, path, department,
                                               as_of=as_of).rows
            for department, path in files.items()}


def child_of(rng: random.Random, parent: Insured, today: date, id_number) -> Pupil:
    """A school-age child of `parent` (id_number: a function (region, birth, sex) → number)."""
    sex = rng.choice("MF")
    birth = date(today.year - rng.randint(7, 14), rng.randint(1, 12), rng.randint(1, 28))
    given = rng.choice("子涵梓轩欣怡浩然雨桐宇航")
    return Pupil(parent.name[0] + given + rng.choice("明华乐安"), id_number(
        parent.id_number[:6], birth, sex), sex, birth, parent.phone or "")


def plan(rng: random.Random, people: Iterable[Insured], today: date, id_number,
         share: float = 0.6) -> dict[str, list]:
    """Who each department holds, from the county's residents: most workers are insured with
    人社 and 医保 (`share`), a few receive assistance from 民政, and some have a child at
    school. The first person (the demo resident) is in every list."""
    people = list(people)
    renshe, yibao, minzheng, jiaoyu = [], [], [], []
    for n, p in enumerate(people):
        first = n == 0
        if first or rng.random() < share:
            p = Insured(p.name, p.id_number, p.sex, p.birth_date, p.phone, rng.choice(EMPLOYERS))
            renshe.append(p)
            if first or rng.random() < 0.9:
                yibao.append(p)
        if first or rng.random() < 0.06:
            minzheng.append(p)
        if (first or rng.random() < 0.1) and p.phone:
            jiaoyu.append(child_of(rng, p, today, id_number))
    return {"renshe": renshe, "yibao": yibao, "minzheng": minzheng, "jiaoyu": jiaoyu}


DEMO_PEOPLE = 600  # residents the departments' demo extracts draw from (the first: the persona)


def ensure(session, county, steward, today: date, folder: Path, seed: int) -> dict[str, int]:
    """The demo builder's step: the departments' extracts about the demo county's residents,
    imported by the demo steward. Answers department → records."""
    from anju.demo import synth

    rng, maker = random.Random(seed), synth.People(seed + 7)
    people = [Insured(p.name, p.id_number, p.sex, p.birth, p.phone)
              for p in county.migrants[:DEMO_PEOPLE]]
    lists = plan(rng, people, today, maker.id_number)
    files = extracts(folder, as_of=today, **lists)
    return load(session, steward, files, as_of=today)
