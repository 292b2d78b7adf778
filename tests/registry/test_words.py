"""The registry pages' words (anju.registry.words): declared by the domain, each in both
languages, every one a registry page names there, and none left unused."""
from __future__ import annotations

import re
from pathlib import Path

from anju.core.domain import domains, resolve
from anju.registry.words import WORDS

REGISTRY = Path(__file__).resolve().parents[2] / "src" / "anju" / "registry"
# keys the pages build from values at run time
BUILT = {f"permit.status.{s}" for s in ("valid", "expired", "revoked")} | {
    f"notice.{n}" for n in ("submitted", "approved", "rejected", "ended", "house_created",
                            "tenant_registered", "permit_issued", "room_over_capacity",
                            "house_updated", "room_added", "room_updated", "room_removed")} | {
    f"field.{f}" for f in ("name", "id_number", "sex", "birth_date", "phone", "hukou_address")}


def _named() -> set[str]:
    """Every "registry.<key>" the registry's templates and page modules name."""
    named = set()
    for path in [*(REGISTRY / "templates").glob("*.html"), *REGISTRY.glob("*pages.py")]:
        named |= set(re.findall(r"""["']registry\.([a-z_]+(?:\.[a-z_]+)+)["']""",
                                path.read_text()))
    return named


def test_the_registry_declares_its_words():
    [registry] = [d for d in domains() if d.name == "registry"]
    assert resolve(registry.words) is WORDS


def test_every_word_is_in_both_languages_and_used():
    assert set(WORDS["zh"]) == set(WORDS["en"])
    assert all(WORDS["zh"].values()) and all(WORDS["en"].values())
    named = _named()
    assert named, "no registry words found in the templates"
    assert not named - set(WORDS["zh"]), "named but missing"
    assert not set(WORDS["zh"]) - named - BUILT, "declared but never used"


def test_registry_templates_use_no_bare_registry_keys():
    """A registry page's own words are said "registry.<key>"; a bare "queue.title" would show
    the key itself now that the words left the web's table."""
    from anju.web import i18n

    for path in (REGISTRY / "templates").glob("*.html"):
        for key in re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""", path.read_text()):
            assert key.startswith("registry.") or key in i18n.ZH, f"{path.name}: {key}"
