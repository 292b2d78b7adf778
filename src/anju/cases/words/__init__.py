"""The cases domain's words (declared in its descriptor), merged from its parts; a key used by
two parts must mean the same."""
from __future__ import annotations

from anju.cases.words import cases, evidence, notices

WORDS: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
for _part in (cases, evidence, notices):
    for _lang, _words in _part.WORDS.items():
        for _key, _text in _words.items():
            if WORDS[_lang].setdefault(_key, _text) != _text:
                raise ValueError(f"cases word {_key!r} means two things")
