"""Every audit action and purpose the code can record has a label in Chinese and in English, so
the resident's "who accessed my data" page and the auditor's page never show a code such as
`key.issue` or `e_key`.

The collector reads the sources: every `AuditEvent(action, purpose, …)` call, with its two
arguments resolved — string literals, constants of the module or of `anju.core.policy`, f-strings
whose parts resolve, and a function's parameter through the calls of that function. A purpose
taken from a purpose object (`access.purpose(…).name`) can be any purpose the policy defines.
An argument the collector cannot resolve fails the test: keep actions and purposes resolvable.
"""
from __future__ import annotations

import ast
import importlib
import itertools
from pathlib import Path

from anju.core import policy
from anju.web import i18n

SRC = Path(__file__).parents[2] / "src" / "anju"
# A refused attempt records the action that was refused: any action of the policy.
ANY_ACTION = {v for k, v in vars(policy).items() if k.isupper() and isinstance(v, str) and "." in v}
ANY_PURPOSE = {p.name for p in policy.ROLE_PURPOSES.values()} | {
    p.name for p in policy.DEPARTMENT_PURPOSES.values()}


class Unresolved(Exception):
    pass


class Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(), str(path))
        name = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        self.module = importlib.import_module(name)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def values(self, node: ast.AST, purpose: bool) -> set[str]:
        """Every string `node` can evaluate to."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.JoinedStr):
            parts = [self.values(v.value if isinstance(v, ast.FormattedValue) else v, purpose)
                     for v in node.values]
            return {"".join(p) for p in itertools.product(*parts)}
        if isinstance(node, ast.IfExp):
            return self.values(node.body, purpose) | self.values(node.orelse, purpose)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and isinstance(
                    getattr(self.module, node.value.id, None), type(policy)):
                value = getattr(getattr(self.module, node.value.id), node.attr, None)
                if isinstance(value, str):
                    return {value}
            if purpose and node.attr in ("name", "purpose"):
                return ANY_PURPOSE  # a purpose object's name, or a view's purpose
        if isinstance(node, ast.Name):
            # a module constant, or one of the policy's imported inside the function
            value = getattr(self.module, node.id, None) or getattr(policy, node.id, None)
            if isinstance(value, str):
                return {value}
            function = self.function_of(node)
            if function is not None:
                names = [a.arg for a in function.args.args]
                if node.id in names:
                    return self.through_calls(function, names.index(node.id), node.id, purpose)
                if purpose and node.id == "purpose":
                    return ANY_PURPOSE
        raise Unresolved(f"{self.path.name}:{node.lineno}: {ast.unparse(node)}")

    def through_calls(self, function: ast.FunctionDef, index: int, name: str,
                      purpose: bool) -> set[str]:
        if function.name == "attempt_event" and name == "action":
            return ANY_ACTION
        found: set[str] = set()
        for call in ast.walk(self.tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == function.name:
                args = {k.arg: k.value for k in call.keywords}
                arg = call.args[index] if index < len(call.args) else args.get(name)
                if arg is not None:
                    found |= self.values(arg, purpose)
        if not found:
            raise Unresolved(f"{self.path.name}: no call of {function.name} gives {name}")
        return found


def recordable() -> tuple[set[str], set[str], list[str]]:
    actions, purposes, unresolved = set(), set(), []
    for path in sorted(SRC.rglob("*.py")):
        if "AuditEvent(" not in path.read_text() or "migrations" in path.parts:
            continue
        module = Module(path)
        for call in ast.walk(module.tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "AuditEvent":
                for index, into in ((0, actions), (1, purposes)):
                    try:
                        into |= module.values(call.args[index], purpose=index == 1)
                    except Unresolved as why:
                        unresolved.append(str(why))
    return actions, purposes, unresolved


def test_every_recordable_action_and_purpose_has_both_labels():
    actions, purposes, unresolved = recordable()
    assert not unresolved, "cannot tell what these record:\n" + "\n".join(unresolved)
    # the collector sees the ones that were shown raw before
    assert {"key.issue", "registration.import", "housing_assist.house.create",
            "housing_task.read", "house.update", "room.remove"} <= actions
    assert {"e_key", "housing_management", "assisted_tenancy_management"} <= purposes
    for language, words in (("zh", i18n.ZH), ("en", i18n.EN)):
        missing = sorted(f"action.{a}" for a in actions if f"action.{a}" not in words)
        missing += sorted(f"purpose.{p}" for p in purposes if f"purpose.{p}" not in words)
        assert not missing, f"no {language} label for: {', '.join(missing)}"


def test_words_the_pages_pass_by_key_exist(sqlite_db):
    """Keys handed to templates from Python (confirmation pages, notices) exist in both
    languages once the domains' words are registered."""
    import re

    from anju.web.app import create_app

    create_app(db=sqlite_db)  # registers the domains' TEXT as "<domain>.<key>"
    keys = set()
    for path in SRC.rglob("*pages.py"):
        keys |= set(re.findall(r'"((?:housing|exchange|confirm|field|notice|reason|status)'
                               r'\.[a-z_]+)"', path.read_text()))
    keys -= {"confirm.html"}  # the template's name, not a word
    assert {"confirm.approve_title", "housing.confirm_revoke_title", "exchange.left"} <= keys
    for language in ("zh", "en"):
        missing = sorted(k for k in keys if k not in i18n.MESSAGES[language])
        assert not missing, f"{language}: {missing}"
