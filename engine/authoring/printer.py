"""AST back to rule-language text: expressions with the fewest parentheses, literals, types.

>>> from engine.syntax.parser import parse_expression
>>> expr(parse_expression("(a + b) * c >= 2ha and not (x or y)"))
'(a + b) * c >= 2 ha and not (x or y)'
"""

from __future__ import annotations

import contextvars
import functools
import re

from ..syntax import ast

# binding strength, loosest first; a child printed below the level its position needs gets parentheses
IF, OR, AND, NOT, CMP, SUM, PRODUCT, NEG, POSTFIX, ATOM = range(1, 11)

KEYWORDS = frozenset("""standard profile extends import reference url goal stage category parent where doc table
key optional number integer text bool date enum param lookup default let set disable because override rule
severity cite when for each in by shall should may else rationale or and not between is present missing true
false as if then keep evidence""".split())
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# value -> the literal as the author wrote it (set by the formatter while it prints one file)
SPELLINGS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("spellings", default=None)


def quote(value: str) -> str:
    """A string literal whose value is ``value``: as the author spelled it when known, else double
    quotes (triple quotes for several lines)."""
    spelled = SPELLINGS.get()
    if spelled and value in spelled:
        return spelled[value]
    if "\n" in value and '"""' not in value and value == value.strip() and not value.endswith('"'):
        return f'"""{value}"""'
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def name_or_string(value: str) -> str:
    """A bare name where the grammar reads one the same, else a quoted string (enum values, lookup keys)."""
    return value if _NAME.fullmatch(value) and value not in KEYWORDS else quote(value)


def number(node: ast.Num) -> str:
    return node.text + (f" {node.unit}" if node.unit else "")


@functools.singledispatch
def literal(node) -> str:
    """A literal as rule-language text."""
    raise TypeError(f"not a literal: {type(node).__name__}")


@literal.register
def _(node: ast.Num) -> str:
    return number(node)


@literal.register
def _(node: ast.Str) -> str:
    return quote(node.value)


@literal.register
def _(node: ast.Bool) -> str:
    return "true" if node.value else "false"


def constraint_value(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def type_ref(t: ast.TypeRef, unit: str | None = None) -> str:
    if t.kind == "geometry":
        s = f"geometry {t.values[0]}"
    else:
        s = t.kind if t.kind != "enum" else f"enum({', '.join(name_or_string(v) for v in t.values)})"
    return s + (f" [{unit}]" if unit else "")


# how tightly each kind of node binds (a node type absent here is an atom)
_LEVELS: dict[type, int] = {ast.If: IF, ast.Not: NOT, ast.Compare: CMP, ast.In: CMP, ast.Between: CMP,
                            ast.Presence: CMP, ast.Neg: NEG, ast.Convert: POSTFIX}


def _level(node) -> int:
    if isinstance(node, ast.Logic):
        return OR if node.op == "or" else AND
    if isinstance(node, ast.BinOp):
        return SUM if node.op in "+-" else PRODUCT
    return _LEVELS.get(type(node), ATOM)


def expr(node, need: int = IF) -> str:
    """The text of an expression; wrapped in parentheses when it binds looser than ``need``."""
    text = _expr(node)
    return f"({text})" if _level(node) < need else text


@functools.singledispatch
def _expr(node) -> str:
    """The text of one kind of node; every expression node type of :mod:`engine.syntax.ast` has one."""
    raise TypeError(f"not an expression: {type(node).__name__}")


@_expr.register(ast.Num)
@_expr.register(ast.Str)
@_expr.register(ast.Bool)
def _(node) -> str:
    return literal(node)


@_expr.register
def _(node: ast.Name) -> str:
    return node.name


@_expr.register
def _(node: ast.Attr) -> str:
    return f"{node.obj}.{node.attr}"


@_expr.register
def _(node: ast.Link) -> str:
    return f"{_expr(node.operand)}->{node.attr}"


@_expr.register
def _(node: ast.If) -> str:
    return f"if {expr(node.cond, OR)} then {expr(node.then, OR)} else {expr(node.other, IF)}"


@_expr.register
def _(node: ast.Call) -> str:
    parts = [expr(a) for a in node.args]
    if node.where is not None:  # after the argument it was written after (the rows it filters), else last
        at = node.where_after if node.where_after is not None and node.where_after < len(parts) else -1
        parts[at] += f" where {expr(node.where)}"
    return f"{node.func}({', '.join(parts)})"


@_expr.register(ast.Logic)
@_expr.register(ast.BinOp)
def _(node) -> str:
    lvl = _level(node)
    return f"{expr(node.left, lvl)} {node.op} {expr(node.right, lvl + 1)}"


@_expr.register
def _(node: ast.Not) -> str:
    return f"not {expr(node.operand, CMP + 1)}"  # `not (a == b)` reads better than `not a == b`


@_expr.register
def _(node: ast.Compare) -> str:
    return f"{expr(node.left, SUM)} {node.op} {expr(node.right, SUM)}"


@_expr.register
def _(node: ast.In) -> str:
    items = ", ".join(expr(i) for i in node.items)
    return f"{expr(node.operand, SUM)} {'not in' if node.negated else 'in'} [{items}]"


@_expr.register
def _(node: ast.Between) -> str:
    return f"{expr(node.operand, SUM)} between {expr(node.low, SUM)} and {expr(node.high, SUM)}"


@_expr.register
def _(node: ast.Presence) -> str:
    return f"{expr(node.operand, SUM)} is {'present' if node.present else 'missing'}"


@_expr.register
def _(node: ast.Neg) -> str:
    inner = expr(node.operand, NEG)
    return f"-({inner})" if inner.startswith("-") else f"-{inner}"


@_expr.register
def _(node: ast.Convert) -> str:
    return f"{expr(node.operand, POSTFIX)} as {node.unit}"
