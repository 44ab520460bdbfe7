"""What a rule means, in words, generated from its checked expressions.

>>> from engine import load_standard
>>> std = load_standard("nbs_urban_restoration")
>>> rule_in_words(std, std.rule("OBJ-001"))
'For each object `o` in `poor_condition`, it shall hold that `o.mode` is given.'
"""

from __future__ import annotations

import functools

from .. import builtins as B
from .. import format as F
from .. import model as C
from ..model import Rule, Standard

_CMP = {">=": "is at least", "<=": "is at most", ">": "is more than", "<": "is less than", "==": "is",
        "!=": "is not"}
_STRENGTH = {"shall": "it shall hold that", "should": "it should hold that", "may": "it may hold that"}


def _code(text: str) -> str:
    return f"`{text}`"


@functools.singledispatch
def words(node: C.Expr, std: Standard) -> str:
    """An expression read aloud: comparisons and logic in words, names and arithmetic as code."""
    return _code(std.source_text(node.span))


@words.register
def _(node: C.Logic, std: Standard) -> str:
    return f"{_group(node.left, node.op, std)} {node.op} {_group(node.right, node.op, std)}"


@words.register
def _(node: C.Not, std: Standard) -> str:
    return f"it is not the case that {condition(node.operand, std)}"


@words.register
def _(node: C.Compare, std: Standard) -> str:
    return f"{words(node.left, std)} {_CMP[node.op]} {words(node.right, std)}"


@words.register
def _(node: C.In, std: Standard) -> str:
    items = ", ".join(words(i, std) for i in node.items)
    return f"{words(node.operand, std)} is {'none' if node.negated else 'one'} of {items}"


@words.register
def _(node: C.Between, std: Standard) -> str:
    return f"{words(node.operand, std)} is between {words(node.low, std)} and {words(node.high, std)}"


@words.register
def _(node: C.Presence, std: Standard) -> str:
    return f"{words(node.operand, std)} is {'given' if node.present else 'missing'}"


@words.register
def _(node: C.If, std: Standard) -> str:
    return f"{words(node.then, std)} if {condition(node.cond, std)}, otherwise {words(node.other, std)}"


@words.register
def _(node: C.LookupCall, std: Standard) -> str:
    if std.lookups[node.name].bands:
        return f"{_code(node.name)} of the band that holds {words(node.key, std)}"
    return _code(std.source_text(node.span))


@words.register
def _(node: C.RowsOf, std: Standard) -> str:
    if node.where is not None:  # another table's rows, filtered inline
        return f"{_code(std.source_text(node.span))} where {condition(node.where, std)}"
    return _code(std.source_text(node.span))


@words.register
def _(node: C.ParamRef, std: Standard) -> str:
    p = std.params[node.name]
    return f"{_code(node.name)} ({F.quantity(p.value, p.type.unit)})"


@words.register
def _(node: C.Scale, std: Standard) -> str:
    if node.span == node.operand.span:  # a conversion the checker inserted
        return words(node.operand, std)
    return _code(std.source_text(node.span))


def condition(node: C.Expr, std: Standard) -> str:
    """A condition read aloud; a bare yes/no value reads "`x` is true"."""
    if isinstance(node, (C.ColumnRef, C.FieldRef, C.LetRef)):
        return f"{_code(std.source_text(node.span))} is true"
    return words(node, std)


def _group(node, op: str, std) -> str:
    text = condition(node, std)
    if isinstance(node, C.Logic) and node.op != op:
        return f"({text})"
    return text


@words.register
def _call(node: C.Call, std: Standard) -> str:
    """A call read aloud with its built-in's words."""
    b = B.resolve(node.func, len(node.args))
    assert b is not None, node.func  # the checker resolved it
    where = ""
    if node.join is not None:
        parts = [C.Compare(node.join.elem_key.info, node.join.elem_key.span, "==", node.join.elem_key,
                           node.join.row_key), *node.join.rest]
        where = " where " + " and ".join(condition(p, std) for p in parts)
    elif node.where is not None:
        where = f" where {condition(node.where, std)}"
    args = []
    for i, a in enumerate(node.args):
        if "bool" in b.param(i).kinds and "any" not in b.param(i).kinds:
            args.append(condition(a, std))
        elif b.kind == B.AGGREGATE and isinstance(a, C.ColumnRef):
            args.append(f"{_code(a.column)} of {_code(a.obj)}")
        else:
            args.append(words(a, std))
    return b.words(args, where)


def rule_in_words(std: Standard, rule: Rule) -> str:
    """One paragraph: when it applies, over what, the lets, and what must hold."""
    parts = []
    if rule.when is not None:
        parts.append(f"Only when {condition(rule.when, std)}; otherwise the rule is not applicable.")
    fe = rule.for_each
    strength = _STRENGTH[rule.strength]
    if fe is None:
        head = f"For the plan as a whole, {strength}"
    elif fe.by is None:
        kind = "object" if fe.table == "objects" else "row"
        head = f"For each {kind} {_code(fe.var)} in {_code(fe.rowset)}"
        if fe.where is not None:
            head += f" where {condition(fe.where, std)}"
        head += f", {strength}"
    else:
        head = (f"For each {_code(fe.by)} of {_code(fe.rowset)} (the rows sharing it are {_code(fe.var)})"
                + (f", counting only rows where {condition(fe.where, std)}" if fe.where is not None else "")
                + f", {strength}")
    lets = ""
    if rule.lets:
        lets = ", where " + "; ".join(f"{_code(x.name)} is {words(x.expr, std)}" for x in rule.lets)
    parts.append(f"{head} {condition(rule.assertion, std)}{lets}.")
    if rule.partial is not None:
        measure = f"of their {_code(rule.partial.by)}" if rule.partial.by else "of their rows"
        least = f", and at least {rule.partial.least:g} % {measure} must have data" if rule.partial.least else ""
        parts.append("Its totals are computed on the rows that have every value they read (the same rows for "
                     f"each total of a table), and the result says what share {measure} that is{least}.")
    if rule.strength == "should":
        parts.append("A failure is an observation, not a non-compliance.")
    elif rule.strength == "may":
        parts.append("It is for information only.")
    return " ".join(parts)
