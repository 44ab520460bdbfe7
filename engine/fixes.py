"""Quantified fixes: for a failing numeric comparison, the smallest change to one quantity that makes
it pass, where the algebra gives one.

The checked assertion ``L op R`` (op one of ``>= > <= <``) is inverted for one quantity of ``L``:
a column of the row, a plan field, a rule's ``let`` or a total (``sum(...)``), with every other
part held at its value. Inversion goes through ``+ - * /`` (a quotient through its numerator: a
share, ratio or per-capita figure is fixed by what is counted, not by what it is shared among),
unit conversions, negation and ``round`` (monotone: the target is given at the rounding's
precision). Anything else on the way — ``min``/``max`` of several values, ``mean``, ``count``,
``share``, ``abs``, lookups, conditions — gives no fix, nor does a quotient by zero, a product by
zero, or a side whose parts are not all known. Every fix is checked by putting the new value back
into ``L`` and comparing again; one that does not pass is not offered.

>>> from engine.api import load_standard
>>> std = load_standard("nbs_urban_restoration")
>>> rule = std.rule("CAN-001")
>>> fix_for(std, rule, {"canopy_share": 24.6})
{'quantity': 'd.canopy_share', 'from': 24.6, 'to': 30.0, 'change': 5.4, 'unit': '%', 'op': '>='}
"""

from __future__ import annotations

import math

import numpy as np

from . import model as M

_OPS = (">=", ">", "<=", "<")
_TOTALS = ("sum",)  # aggregates a plan can change by adding to them
_DIGITS = 6


def fix_for(std: M.Standard, rule: M.Rule, values: dict, sides: tuple | None = None) -> dict | None:
    """The fix for one failing object (``values``: the columns of its row by name, the rule's lets,
    plan fields) or for a plan-level rule (``sides``: the evaluated left and right of the check)."""
    a = rule.assertion
    if not isinstance(a, M.Compare) or a.op not in _OPS:
        return None
    env = _Env(std, values, {let.name: let.expr for let in rule.lets})
    if sides is not None:  # a plan-level check: the sides' values as evaluated
        env.known[std.source_text(a.left.span)] = sides[0]
        env.known[std.source_text(a.right.span)] = sides[1]
    target = env.value(a.right)
    actual = env.value(a.left)
    if target is None or actual is None or _holds(actual, a.op, target):
        return None
    found = _invert(env, a.left, target)
    if found is None:
        return None
    leaf, to, held = found
    if _read_elsewhere(a, leaf, held):
        return None
    now = env.value(leaf)
    if now is None or not math.isfinite(to):
        return None
    # the check: the new value put back into the left side makes the comparison hold (at its boundary)
    env.known.pop(env.key(a.left), None)  # the side as evaluated: now recomputed from its parts
    env.known[env.key(leaf)] = to
    after = env.value(a.left)
    if after is None or not _holds(after, a.op.rstrip("=") + "=", target):
        return None
    unit = leaf.info.type.unit
    return {"quantity": std.source_text(leaf.span), "from": _round(now), "to": _round(to),
            "change": _round(to - now), "unit": getattr(unit, "name", "") or "", "op": a.op}


def annotate(std: M.Standard, report: dict) -> None:
    """Give every failing finding, and every failing plan-level rule, its ``fix`` where there is one."""
    for r in report["rules"]:
        if r["outcome"] != "fail":
            continue
        rule = std.rule(r["id"])
        if rule is None:
            continue
        lets = r["evidence"].get("let", {})
        if r["scope"] == "plan":
            checks = r["evidence"].get("checks", [])
            if len(checks) == 1 and not isinstance(checks[0]["required"], list):
                fix = fix_for(std, rule, lets, (checks[0]["actual"], checks[0]["required"]))
                if fix is not None:
                    r["fix"] = fix
            continue
        if not isinstance(rule.assertion, M.Compare) or rule.assertion.op not in _OPS:
            continue
        findings = r["findings"]
        if hasattr(findings, "fixes"):  # findings held as columns: the failing rows' values are read, never
            cols = findings.findings  # their messages, and the fixes are one more column
            failing = np.flatnonzero(cols.outcome == "fail")
            values = cols.take(failing).value_dicts(0, len(failing))
            column: list[dict | None] = [None] * len(cols)
            for p, v in zip(failing.tolist(), values):
                column[p] = fix_for(std, rule, {**lets, **v})
            findings.fixes = column if any(column) else None
        else:
            column = [fix_for(std, rule, {**lets, **f["values"]}) if f["outcome"] == "fail" else None
                      for f in findings]
            for f, fix in zip(findings, column):
                if fix is not None:
                    f["fix"] = fix


def _read_elsewhere(a: M.Compare, leaf: M.Expr, held: list[M.Expr]) -> bool:
    """The quantity is read by a part held fixed (a district's share against the city's mean, ``x /
    sum(x)``): changing it moves that part too, so the inversion gives no fix."""
    names = {r.name for r in leaf.refs}
    return any(r.name in names for part in (a.right, *held) for r in part.refs)


def _round(x: float) -> float:
    return round(float(x), _DIGITS) + 0.0


def _holds(x: float, op: str, y: float) -> bool:
    tol = 1e-9 * max(abs(x), abs(y), 1.0)
    return {">=": x >= y - tol, ">": x > y + tol, "<=": x <= y + tol, "<": x < y - tol}[op]


class _Env:
    """The values of the parts of a comparison: params, the given values, and sides already evaluated."""

    def __init__(self, std: M.Standard, values: dict, lets: dict[str, M.Expr]):
        self.std = std
        self.values = values
        self.lets = lets  # the rule's lets: a let is worked out from its parts where they are known
        self.known: dict[str, float] = {}

    def key(self, node: M.Expr) -> str:
        return self.std.source_text(node.span)

    def value(self, node: M.Expr) -> float | None:
        v = self.known.get(self.key(node))
        if v is not None:
            return v
        if isinstance(node, M.Const):
            v = node.value
        elif isinstance(node, M.ParamRef):
            v = self.std.params[node.name].value
        elif isinstance(node, M.ColumnRef):
            v = self.values.get(node.column)
        elif isinstance(node, M.LetRef) and not node.top and node.name in self.lets:
            v = self.value(self.lets[node.name])
            v = self.values.get(node.name) if v is None else v
        elif isinstance(node, M.FieldRef | M.LetRef):
            v = self.values.get(node.name)
        elif isinstance(node, M.Scale):
            inner = self.value(node.operand)
            v = None if inner is None else inner * node.factor
        elif isinstance(node, M.Neg):
            inner = self.value(node.operand)
            v = None if inner is None else -inner
        elif isinstance(node, M.Call) and node.func == "round" and node.args:
            v = self.value(node.args[0])  # the exact value: a fix is judged before rounding
        elif isinstance(node, M.Arith):
            left, right = self.value(node.left), self.value(node.right)
            if left is None or right is None:
                return None
            if node.op == "/":
                return None if right == 0 else left / right
            v = {"+": left + right, "-": left - right, "*": left * right}[node.op]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return None
        return float(v)


def _is_quantity(node: M.Expr) -> bool:
    return (isinstance(node, M.ColumnRef | M.FieldRef | M.LetRef)
            or (isinstance(node, M.Call) and node.func in _TOTALS and node.join is None))


def _invert(env: _Env, node: M.Expr, target: float) -> tuple[M.Expr, float, list[M.Expr]] | None:
    """The quantity under ``node``, the value it must take for ``node`` to equal ``target``, and the
    parts held at their values on the way."""
    if isinstance(node, M.LetRef) and not node.top and node.name in env.lets:
        deeper = _invert(env, env.lets[node.name], target)  # a per-capita let: fixed by what it counts
        if deeper is not None:
            return deeper
    if _is_quantity(node) and env.value(node) is not None:
        return node, target, []
    if isinstance(node, M.Scale):
        return None if node.factor == 0 else _invert(env, node.operand, target / node.factor)
    if isinstance(node, M.Neg):
        return _invert(env, node.operand, -target)
    if isinstance(node, M.Call) and node.func == "round" and node.args:
        inner = node.args[0]
        rounded = env.value(node)
        if env.value(inner) is None and rounded is not None:
            env.known[env.key(inner)] = rounded  # the side was evaluated rounded: its total is that
        return _invert(env, inner, target)
    if not isinstance(node, M.Arith):
        return None
    left, right = env.value(node.left), env.value(node.right)
    if node.op == "+":
        step = ((node.left, node.right, target - right) if right is not None
                else (node.right, node.left, target - left) if left is not None else None)
    elif node.op == "-":
        step = ((node.left, node.right, target + right) if right is not None
                else (node.right, node.left, left - target) if left is not None else None)
    elif node.op == "*":
        step = ((node.left, node.right, target / right) if right is not None and right != 0
                else (node.right, node.left, target / left) if left is not None and left != 0 else None)
    else:  # a quotient, through its numerator
        step = (node.left, node.right, target * right) if right is not None and right != 0 else None
    if step is None:
        return None
    free, held, value = step
    found = _invert(env, free, value)
    return None if found is None else (found[0], found[1], [*found[2], held])
