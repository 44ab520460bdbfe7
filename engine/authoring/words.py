"""What a rule means, in words, generated from its AST.

>>> from engine import load_standard
>>> std = load_standard("nbs_urban_restoration")
>>> rule_in_words(std, std.rule("OBJ-001"))
'For each object `o` in `poor_condition`, it shall hold that `o.mode` is given.'
"""

from __future__ import annotations

from .. import builtins as B
from ..model import Rule, Standard
from ..syntax import ast
from . import printer as P

_CMP = {">=": "is at least", "<=": "is at most", ">": "is more than", "<": "is less than", "==": "is",
        "!=": "is not"}
_STRENGTH = {"shall": "it shall hold that", "should": "it should hold that", "may": "it may hold that"}


def _code(text: str) -> str:
    return f"`{text}`"


def words(node, std: Standard | None = None) -> str:
    """An expression read aloud: comparisons and logic in words, names and arithmetic as code."""
    if isinstance(node, ast.Logic):
        return f"{_group(node.left, node.op, std)} {node.op} {_group(node.right, node.op, std)}"
    if isinstance(node, ast.Not):
        return f"it is not the case that {condition(node.operand, std)}"
    if isinstance(node, ast.Compare):
        return f"{words(node.left, std)} {_CMP[node.op]} {words(node.right, std)}"
    if isinstance(node, ast.In):
        items = ", ".join(words(i, std) for i in node.items)
        return f"{words(node.operand, std)} is {'none' if node.negated else 'one'} of {items}"
    if isinstance(node, ast.Between):
        return f"{words(node.operand, std)} is between {words(node.low, std)} and {words(node.high, std)}"
    if isinstance(node, ast.Presence):
        return f"{words(node.operand, std)} is {'given' if node.present else 'missing'}"
    if isinstance(node, ast.Call):
        return _call(node, std)
    if isinstance(node, ast.Name) and std is not None and node.name in std.params:
        p = std.params[node.name]
        unit = f" {p.type.unit.name}" if p.type.numeric and p.type.unit is not None and p.type.unit.name else ""
        value = f"{p.value:g}" if isinstance(p.value, float) else str(p.value)
        return f"{_code(node.name)} ({value}{unit})"
    return _code(P.expr(node))


def condition(node, std: Standard | None = None) -> str:
    """A condition read aloud; a bare yes/no value reads "`x` is true"."""
    if isinstance(node, (ast.Name, ast.Attr)):
        return f"{_code(P.expr(node))} is true"
    return words(node, std)


def _group(node, op: str, std) -> str:
    text = condition(node, std)
    if isinstance(node, ast.Logic) and node.op != op:
        return f"({text})"
    return text


def _call(node: ast.Call, std) -> str:
    """A call read aloud with its built-in's words; a lookup stays code."""
    b = B.resolve(node.func, len(node.args)) if std is None or node.func not in std.lookups else None
    if b is None:
        return _code(P.expr(node))
    where = f" where {condition(node.where, std)}" if node.where is not None else ""
    args = []
    for a, i in zip(node.args, range(len(node.args))):
        if "bool" in b.param(i).kinds and "any" not in b.param(i).kinds:
            args.append(condition(a, std))
        elif b.kind == B.AGGREGATE and isinstance(a, ast.Attr):
            args.append(f"{_code(a.attr)} of {_code(a.obj)}")
        else:
            args.append(_code(P.expr(a)))
    return b.words(args, where)


def rule_in_words(std: Standard, rule: Rule) -> str:
    """One paragraph: when it applies, over what, the lets, and what must hold."""
    node = rule.node
    parts = []
    if node.when is not None:
        parts.append(f"Only when {condition(node.when, std)}; otherwise the rule is not applicable.")
    fe = node.for_each
    strength = _STRENGTH[rule.strength]
    if fe is None:
        head = f"For the plan as a whole, {strength}"
    elif fe.by is None:
        table = std.categories[fe.rowset].table if fe.rowset in std.categories else fe.rowset
        kind = "object" if table == "objects" else "row"
        head = f"For each {kind} {_code(fe.var)} in {_code(fe.rowset)}"
        if fe.where is not None:
            head += f" where {condition(fe.where, std)}"
        head += f", {strength}"
    else:
        head = (f"For each {_code(fe.by)} of {_code(fe.rowset)} (the rows sharing it are {_code(fe.var)})"
                + (f", counting only rows where {condition(fe.where, std)}" if fe.where is not None else "")
                + f", {strength}")
    lets = ""
    if node.lets:
        lets = ", where " + "; ".join(f"{_code(x.name)} is {words(x.expr, std)}" for x in node.lets)
    parts.append(f"{head} {condition(node.assertion, std)}{lets}.")
    if rule.strength == "should":
        parts.append("A failure is an observation, not a non-compliance.")
    elif rule.strength == "may":
        parts.append("It is for information only.")
    return " ".join(parts)
