"""AST back to rule-language text: expressions with the fewest parentheses, literals, types.

>>> from engine.syntax.parser import parse_expression
>>> expr(parse_expression("(a + b) * c >= 2ha and not (x or y)"))
'(a + b) * c >= 2 ha and not (x or y)'
"""

from __future__ import annotations

import contextvars
import re

from ..syntax import ast

# binding strength, loosest first; a child printed below the level its position needs gets parentheses
IF, OR, AND, NOT, CMP, SUM, PRODUCT, NEG, POSTFIX, ATOM = range(1, 11)

KEYWORDS = frozenset("""standard profile extends import reference url goal stage category parent where doc table
key optional number integer text bool date enum param lookup default let set disable because override rule
severity cite when for each in by shall should may else rationale or and not between is present missing true
false as if then""".split())
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


def literal(node) -> str:
    if isinstance(node, ast.Num):
        return number(node)
    if isinstance(node, ast.Str):
        return quote(node.value)
    if isinstance(node, ast.Bool):
        return "true" if node.value else "false"
    raise TypeError(f"not a literal: {type(node).__name__}")


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


def _level(node) -> int:
    if isinstance(node, ast.If):
        return IF
    if isinstance(node, ast.Logic):
        return OR if node.op == "or" else AND
    if isinstance(node, ast.Not):
        return NOT
    if isinstance(node, (ast.Compare, ast.In, ast.Between, ast.Presence)):
        return CMP
    if isinstance(node, ast.BinOp):
        return SUM if node.op in "+-" else PRODUCT
    if isinstance(node, ast.Neg):
        return NEG
    if isinstance(node, ast.Convert):
        return POSTFIX
    return ATOM


def expr(node, need: int = IF) -> str:
    """The text of an expression; wrapped in parentheses when it binds looser than ``need``."""
    text = _expr(node)
    return f"({text})" if _level(node) < need else text


def _expr(node) -> str:
    if isinstance(node, (ast.Num, ast.Str, ast.Bool)):
        return literal(node)
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Attr):
        return f"{node.obj}.{node.attr}"
    if isinstance(node, ast.Link):
        return f"{_expr(node.operand)}->{node.attr}"
    if isinstance(node, ast.If):
        return f"if {expr(node.cond, OR)} then {expr(node.then, OR)} else {expr(node.other, IF)}"
    if isinstance(node, ast.Call):
        parts = [expr(a) for a in node.args]
        if node.where is not None:  # after the argument it was written after (the rows it filters), else last
            at = node.where_after if node.where_after is not None and node.where_after < len(parts) else -1
            parts[at] += f" where {expr(node.where)}"
        return f"{node.func}({', '.join(parts)})"
    if isinstance(node, ast.Logic):
        lvl = _level(node)
        return f"{expr(node.left, lvl)} {node.op} {expr(node.right, lvl + 1)}"
    if isinstance(node, ast.Not):
        return f"not {expr(node.operand, CMP + 1)}"  # `not (a == b)` reads better than `not a == b`
    if isinstance(node, ast.Compare):
        return f"{expr(node.left, SUM)} {node.op} {expr(node.right, SUM)}"
    if isinstance(node, ast.In):
        items = ", ".join(expr(i) for i in node.items)
        return f"{expr(node.operand, SUM)} {'not in' if node.negated else 'in'} [{items}]"
    if isinstance(node, ast.Between):
        return f"{expr(node.operand, SUM)} between {expr(node.low, SUM)} and {expr(node.high, SUM)}"
    if isinstance(node, ast.Presence):
        return f"{expr(node.operand, SUM)} is {'present' if node.present else 'missing'}"
    if isinstance(node, ast.BinOp):
        lvl = _level(node)
        return f"{expr(node.left, lvl)} {node.op} {expr(node.right, lvl + 1)}"
    if isinstance(node, ast.Neg):
        inner = expr(node.operand, NEG)
        return f"-({inner})" if inner.startswith("-") else f"-{inner}"
    if isinstance(node, ast.Convert):
        return f"{expr(node.operand, POSTFIX)} as {node.unit}"
    raise TypeError(f"not an expression: {type(node).__name__}")
