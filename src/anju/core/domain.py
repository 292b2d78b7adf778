"""The one list of domains, and the descriptor each domain declares about itself.

Every consumer — the web app, the pages, the `anju` command, Alembic, the event dispatcher, the
job runner, the policy and the words table — reads `domains()`; nothing is wired by importing a
package for its side effects. A descriptor names its parts as "module:attribute" strings, so
reading it is cheap and the heavy parts (Spark, Splink, Polars) load only when used.

Adding a domain: write `anju/<name>/__init__.py` with `DOMAIN = Domain(...)` and add the package
to `DOMAINS` (docs/development.md has the whole checklist).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import import_module
from typing import Any

# In dependency order (core first); the import-linter layers in .importlinter say the same.
DOMAINS: tuple[str, ...] = ("anju.core", "anju.registry", "anju.housing", "anju.exchange",
                             "anju.cases", "anju.monitoring", "anju.federation")


@dataclass(frozen=True)
class Job:
    """A scheduled job: `anju jobs run NAME` runs it under its own system actor."""

    name: str  # "housing.daily"
    target: str  # "module:function" taking (database, actor, today) and returning a summary dict
    schedule: str  # when an operator's scheduler should run it ("daily 02:00"), shown by `anju jobs list`
    help_zh: str
    help_en: str


@dataclass(frozen=True)
class Domain:
    """What one domain brings. Every part is optional; every reference is "module:attribute"
    (or a module for `models`, `pages` and `policy`)."""

    name: str
    models: str | None = None  # module defining the domain's tables (Alembic reads them)
    api: str | None = None  # "module:router" — JSON routes under /api/v1
    pages: str | None = None  # module exporting router, TEMPLATES, MENU
    cli: tuple[tuple[str, str], ...] = ()  # (("locks", "module:app"),) — `anju` command groups
    policy: str | None = None  # module exporting ACTIONS, PURPOSES, RULES
    words: str | None = None  # "module:WORDS" — {"zh": {...}, "en": {...}}, keys without prefix
    emits: tuple[str, ...] = ()  # events this domain announces (anju.core.events.emit)
    listeners: tuple[tuple[str, str], ...] = ()  # (event, "module:function(session, actor, subject)")
    jobs: tuple[Job, ...] = ()
    # API paths that authenticate a device or a peer by signature instead of an account; the route
    # contract test checks that they refuse unsigned requests.
    signed_paths: tuple[str, ...] = ()
    # Logs of its own that `anju audit verify` checks after the audit chain: "module:function"
    # taking a session and returning something with `.ok` and `.message()` (a domain's own
    # hash chain, such as the federation message log).
    verifies: tuple[str, ...] = ()
    # Lines or panels this domain adds to a page of a lower domain: ((slot, "module:function"),),
    # slots and signatures in anju.core.notes.
    notes: tuple[tuple[str, str], ...] = ()


def resolve(reference: str) -> Any:
    """Import "module:attribute" (or a bare module) and return it."""
    module, _, attribute = reference.partition(":")
    loaded = import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@functools.cache
def domains() -> tuple[Domain, ...]:
    """Every domain's descriptor, in dependency order."""
    found = []
    for package in DOMAINS:
        descriptor = getattr(import_module(package), "DOMAIN", None)
        if not isinstance(descriptor, Domain):
            raise RuntimeError(f"{package} declares no DOMAIN descriptor (anju.core.domain.Domain)")
        found.append(descriptor)
    names = [d.name for d in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two domains share a name: {names}")
    return tuple(found)


def parts(attribute: str) -> list[tuple[Domain, Any]]:
    """(domain, loaded part) for every domain that declares `attribute` (e.g. "api")."""
    out = []
    for domain in domains():
        reference = getattr(domain, attribute)
        if reference:
            out.append((domain, resolve(reference)))
    return out


def jobs() -> dict[str, Job]:
    return {job.name: job for domain in domains() for job in domain.jobs}
