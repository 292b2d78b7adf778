"""Department connectors: one declarative TOML mapping per department (see docs/exchange.md).

Adding a department means adding `<code>.toml` here (and, only if its format needs it, a small
function in `hooks.py`); no other code changes.
"""

from __future__ import annotations

import functools
import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FILE_TYPES = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class Connector:
    code: str
    name_zh: str
    name_en: str
    file_type: str
    columns: dict[str, str]  # native column → standard field
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 1  # xlsx: 1-based row holding the column names (title rows above it)
    sheet: str | None = None
    records_path: str | None = None  # json: dotted path to the record array
    date_style: str = "iso"  # how the department writes dates (documentation + samples)
    date_format: str | None = None  # strftime format forced when parsing, if any
    sex_style: str = "zh"
    sex_codes: dict[str, str | None] | None = None  # overrides the default code table
    read_hook: str | None = None  # "module:function" applied to the raw native frame
    sample_hook: str | None = None  # inverse of read_hook, used to write the sample extract
    sample: str | None = None  # file name of the shipped sample in samples/
    county: str | None = None  # the county the department serves: context for local addresses
    extra: dict = field(default_factory=dict)

    def hook(self, which: str) -> Callable | None:
        spec = self.read_hook if which == "read" else self.sample_hook
        if not spec:
            return None
        module, _, func = spec.partition(":")
        return getattr(importlib.import_module(module), func)

    def sample_path(self) -> Path | None:
        return _DIR / "samples" / self.sample if self.sample else None


_DIR = Path(str(resources.files(__name__)))


def parse(text: str) -> Connector:
    data = tomllib.loads(text)
    dept, f = data["department"], data["file"]
    if f["type"] not in FILE_TYPES:
        raise ValueError(f"unknown file type {f['type']!r}; expected one of {FILE_TYPES}")
    codes = data.get("codes", {}).get("sex")
    sex_codes = {k: (None if v == "" else v) for k, v in codes.items()} if codes else None
    return Connector(
        code=dept["code"], name_zh=dept["name_zh"], name_en=dept["name_en"],
        file_type=f["type"], encoding=f.get("encoding", "utf-8"),
        delimiter=f.get("delimiter", ","), header_row=f.get("header_row", 1),
        sheet=f.get("sheet"), records_path=f.get("records_path"),
        columns=dict(data["columns"]), date_style=data.get("dates", {}).get("style", "iso"),
        date_format=data.get("dates", {}).get("format"), sex_style=dept.get("sex_style", "zh"),
        sex_codes=sex_codes, read_hook=data.get("hook", {}).get("read"),
        sample_hook=data.get("hook", {}).get("sample"), sample=f.get("sample"), county=dept.get("county"),
        extra=data.get("extra", {}),
    )


@functools.cache
def available() -> dict[str, Connector]:
    """Every shipped connector by department code."""
    return {c.code: c for c in (parse(p.read_text("utf-8")) for p in sorted(_DIR.glob("*.toml")))}


def get(code_or_path: str | Path) -> Connector:
    if isinstance(code_or_path, Path) or str(code_or_path).endswith(".toml"):
        return parse(Path(code_or_path).read_text("utf-8"))
    try:
        return available()[code_or_path]
    except KeyError:
        raise KeyError(f"no connector {code_or_path!r}; have {sorted(available())}") from None
