"""The notices, ratings and participation pages' words: each in both languages, every one a page
of this part names there (whole keys and the families built from values), none left unused."""
from __future__ import annotations

import re
from pathlib import Path

from anju.cases.service import digest, participation
from anju.cases.words import WORDS as MERGED
from anju.cases.words.notices import WORDS

CASES = Path(__file__).resolve().parents[2] / "src" / "anju" / "cases"
MINE = ("inbox", "rate", "suggest", "provider")
# families the templates build from a value: t("cases.kind_" ~ s.kind)
FAMILIES = {
    "delivery_": {"pending", "sent", "delivered", "failed", "digest", "digested", "off", "inbox"},
    "kind_": set(participation.KINDS),
    "provider_kind_": set(participation.PROVIDER_KINDS),
    "rectify_": {"open", "answered", "done"},
    "satisfaction_by_": {"service", "window", "department"},
}


def _named() -> set[str]:
    texts = [p.read_text() for p in (CASES / "templates").glob("*.html")
             if p.name.startswith(MINE)] + [(CASES / "pages" / "notices.py").read_text()]
    return {key for text in texts for key in re.findall(r"""["']cases\.([a-z_]+)["']""", text)}


def test_every_word_is_in_both_languages_used_and_merged():
    assert set(WORDS["zh"]) == set(WORDS["en"])
    assert all(WORDS["zh"].values()) and all(WORDS["en"].values())
    built = {prefix + value for prefix, values in FAMILIES.items() for value in values}
    named = _named() - set(FAMILIES)
    assert not (named | built) - set(WORDS["zh"]), "named but missing"
    assert not set(WORDS["zh"]) - named - built, "declared but never used"
    for lang in ("zh", "en"):
        assert all(MERGED[lang][k] == v for k, v in WORDS[lang].items())


def test_the_english_words_say_no_chinese():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not [k for k, v in WORDS["en"].items() if cjk.search(v)]
    assert digest.OFFICER_ROLES  # the digest reaches officers, supervisors and providers
