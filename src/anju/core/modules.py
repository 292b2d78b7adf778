"""Domains built later plug in simply by existing; see `present`."""
from __future__ import annotations

from importlib.util import find_spec


def present(module: str) -> bool:
    """True if `module` exists. Unlike try/except ImportError around the import, an error
    *inside* an existing module still fails loudly when it is imported."""
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False
