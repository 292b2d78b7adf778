"""Small per-department functions for what a mapping file cannot say."""

from __future__ import annotations

import polars as pl

_OPERATOR = r"^\s*(.*?)\s*[（(]\s*([0-9０-９A-Za-zＸｘ\s]*)\s*[)）]\s*$"


def split_operator(df: pl.DataFrame) -> pl.DataFrame:
    """市场监管: "张伟（330522199001011231）" in `jyzxx` → `jyz_xm` and `jyz_zjhm`."""
    if "jyzxx" not in df.columns:
        return df
    text = pl.col("jyzxx").cast(pl.String)
    return df.with_columns(
        jyz_xm=pl.coalesce(text.str.extract(_OPERATOR, 1), text),
        jyz_zjhm=text.str.extract(_OPERATOR, 2),
    )


def join_operator(rows: list[dict]) -> list[dict]:
    """Inverse of `split_operator`, used to write the sample extract."""
    for row in rows:
        name, idn = row.pop("jyz_xm", None), row.pop("jyz_zjhm", None)
        row["jyzxx"] = f"{name or ''}（{idn}）" if idn else (name or "")
    return rows
