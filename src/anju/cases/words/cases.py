"""Words of the cases pages (cases), Chinese first."""
from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
