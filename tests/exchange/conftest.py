"""Small department extracts written on the fly, for the database-backed exchange tests."""
from __future__ import annotations

from pathlib import Path

import pytest

GONGAN = ["登记编号", "姓名", "公民身份号码", "性别", "出生日期", "户籍地址", "现住址", "联系电话",
          "服务处所"]
ZHUJIAN = ["备案号", "承租人", "承租人证件号", "承租人性别", "承租人出生日期", "承租人电话", "房屋坐落"]


class Extracts:
    """Writes gongan (GBK CSV) and zhujian (UTF-8 TSV) extracts in their native formats."""

    def __init__(self, root: Path):
        self.root = root
        self.n = 0

    def _write(self, name: str, header: list[str], rows: list[list[str]], sep: str,
               encoding: str) -> Path:
        self.n += 1
        path = self.root / f"{self.n:02d}-{name}"
        lines = [sep.join(header)] + [sep.join(r) for r in rows]
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        return path

    def gongan(self, rows: list[list[str]], name: str = "gongan.csv") -> Path:
        return self._write(name, GONGAN, rows, ",", "gbk")

    def zhujian(self, rows: list[list[str]], name: str = "zhujian.tsv") -> Path:
        return self._write(name, ZHUJIAN, rows, "\t", "utf-8")


@pytest.fixture
def extracts(tmp_path) -> Extracts:
    (tmp_path / "extracts").mkdir()
    return Extracts(tmp_path / "extracts")
