"""Rules written in CEL (Common Expression Language, via `cel-python`): parsed once, checked
against a declared vocabulary of facts, evaluated in its sandbox (never Python `eval`), and —
for the nightly eligibility run — compiled to one SQL condition over the facts snapshot.

Only a small, total subset is accepted, so the Python evaluation and the SQL compilation agree
on every row: identifiers from the vocabulary, int/bool/string literals, `! && || ?:`,
comparisons, `+ - *`, unary minus and `x in [literal, …]`. No member access, no functions, no
division (CEL's integer division and SQL's differ)."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import celpy
from celpy import celtypes
from lark import Token, Tree
from sqlalchemy import and_, case, false, literal, not_, or_, true

TYPES = {"int": int, "bool": bool, "string": str}
_CEL = {"int": celtypes.IntType, "bool": celtypes.BoolType, "string": celtypes.StringType}
_ENV = celpy.Environment()


@functools.lru_cache(maxsize=65536)
def _evaluate(rule: Rule, key: tuple, kinds: tuple) -> Any:
    return rule._run(key, kinds)


class RuleError(ValueError):
    """A rule that does not parse, or reads what the vocabulary does not declare."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


@dataclass(frozen=True, eq=False)  # hashed by identity: the evaluation cache's key
class Rule:
    source: str
    tree: Tree
    reads: frozenset[str]
    program: Any = field(repr=False, compare=False)

    def evaluate(self, facts: dict[str, Any], types: dict[str, str]) -> Any:
        """The rule's value for one person's facts (each fact typed as the vocabulary says).
        The interpreter walks the tree (about a millisecond a rule), and people share values,
        so answers are kept per rule and values read."""
        key = tuple((name, type(facts[name]).__name__, facts[name]) for name in self._order)
        return _evaluate(self, key, tuple(types[name] for name in self._order))

    @property
    def _order(self) -> tuple[str, ...]:
        return tuple(sorted(self.reads))

    def _run(self, key: tuple, kinds: tuple) -> Any:
        activation = {name: _CEL[kind](value) for (name, _, value), kind in zip(key, kinds,
                                                                               strict=True)}
        value = self.program.evaluate(activation)
        if isinstance(value, celpy.CELEvalError):
            raise RuleError("规则无法计算", f"the rule could not be evaluated: {value}")
        if isinstance(value, celtypes.BoolType):
            return bool(value)
        if isinstance(value, celtypes.IntType):
            return int(value)
        return str(value)


_ALLOWED = {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
            "unary", "member", "primary", "ident", "literal", "list_lit", "exprlist", "paren_expr",
            "unary_not", "unary_neg", "relation_eq", "relation_ne", "relation_lt", "relation_le",
            "relation_gt", "relation_ge", "relation_in", "addition_add", "addition_sub",
            "multiplication_mul"}


def compile_rule(source: str, types: dict[str, str]) -> Rule:
    """Parse and check a rule against the vocabulary `types` (fact name → int|bool|string)."""
    try:
        tree = _ENV.compile(source)
    except Exception as error:  # celpy's parse errors carry the column
        raise RuleError(f"规则无法解析：{error}", f"the rule does not parse: {error}") from None
    reads = set()
    for node in tree.iter_subtrees():
        if node.data not in _ALLOWED:
            raise RuleError(f"规则使用了不允许的写法（{node.data}）",
                            f"the rule uses a construct that is not allowed ({node.data})")
        if node.data == "ident":
            name = str(node.children[0])
            if name not in types:
                raise RuleError(f"规则读取了未声明的字段 {name}",
                                f"the rule reads an unknown field {name}")
            reads.add(name)
        if node.data == "literal":
            token = str(node.children[0])
            if not (token in ("true", "false") or token.lstrip("-").isdigit()
                    or token[:1] in "\"'"):
                raise RuleError(f"规则使用了不允许的常量 {token}",
                                f"the rule uses a literal that is not allowed: {token}")
    return Rule(source, tree, frozenset(reads), _ENV.program(tree))


# --- the same rule as SQL ---------------------------------------------------------------------
_COMPARE = {"relation_eq": "__eq__", "relation_ne": "__ne__", "relation_lt": "__lt__",
            "relation_le": "__le__", "relation_gt": "__gt__", "relation_ge": "__ge__"}


def to_sql(rule: Rule, columns: dict[str, Any]):
    """The rule as a SQLAlchemy expression over `columns` (fact name → column)."""
    return _sql(rule.tree, columns)


def _sql(node, columns):  # noqa: C901 — one case per grammar rule, read top to bottom
    if isinstance(node, Token):
        raise RuleError("规则无法编译", f"unexpected token {node}")
    kids = node.children
    kind = node.data
    if kind == "expr":
        if len(kids) == 1:
            return _sql(kids[0], columns)
        return case((_sql(kids[0], columns), _sql(kids[1], columns)),
                    else_=_sql(kids[2], columns))
    if kind in ("conditionalor", "conditionaland"):
        if len(kids) == 1:
            return _sql(kids[0], columns)
        join = or_ if kind == "conditionalor" else and_
        return join(_sql(kids[0], columns), _sql(kids[1], columns))
    if kind in ("relation", "addition", "multiplication"):
        if len(kids) == 1:
            return _sql(kids[0], columns)
        operator = kids[0]
        left_node, op = operator.children[0], operator.data
        if op == "relation_in":
            return _sql(left_node, columns).in_(_list_values(kids[1]))
        left, right = _sql(left_node, columns), _sql(kids[1], columns)
        if op in _COMPARE:
            return getattr(left, _COMPARE[op])(right)
        return {"addition_add": lambda: left + right, "addition_sub": lambda: left - right,
                "multiplication_mul": lambda: left * right}[op]()
    if kind == "unary":
        if len(kids) == 1:
            return _sql(kids[0], columns)
        inner = _sql(kids[1], columns)
        return not_(inner) if kids[0].data == "unary_not" else -inner
    if kind in ("member", "primary", "paren_expr"):
        return _sql(kids[0], columns)
    if kind == "ident":
        return columns[str(kids[0])]
    if kind == "literal":
        token = str(kids[0])
        if token in ("true", "false"):
            return true() if token == "true" else false()
        if token[:1] in "\"'":
            return literal(token[1:-1])
        return literal(int(token))
    raise RuleError("规则无法编译", f"cannot compile {kind}")


def _list_values(node) -> list:
    values = []
    for sub in node.iter_subtrees_topdown():
        if sub.data == "literal":
            token = str(sub.children[0])
            values.append(token[1:-1] if token[:1] in "\"'" else int(token))
    return values
