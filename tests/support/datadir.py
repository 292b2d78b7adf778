"""The data directory a fixture shared by several tests builds in (each test then gets its own,
set by tests/conftest.py's autouse fixture)."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anju.core.config import reset_settings_cache
from anju.core.db import Database


@contextmanager
def data_dir(path: Path) -> Iterator[Path]:
    """Settings read `path` as ANJU_DATA_DIR inside the block; the previous value after it."""
    before = os.environ.get("ANJU_DATA_DIR")
    os.environ["ANJU_DATA_DIR"] = str(path)
    reset_settings_cache()
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop("ANJU_DATA_DIR", None)
        else:
            os.environ["ANJU_DATA_DIR"] = before
        reset_settings_cache()


@contextmanager
def county_copy(template: Path, folder: Path) -> Iterator[Database]:
    """A copy of the migrated SQLite `template` in `folder`, built in inside the block with
    folder/data as the data directory (a county shared by a module's or a run's tests); the
    caller disposes of it."""
    path = folder / "county.sqlite3"
    shutil.copyfile(template, path)
    db = Database(f"sqlite:///{path}")
    with data_dir(folder / "data"):
        yield db
