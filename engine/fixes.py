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

The algebra runs on columns: a rule's failing rows are inverted together (NumPy arrays of each part's
values, with a mask of where a part has one), each row taking the way through the expression its own
values give; :class:`FixColumn` holds the result and builds a fix's dict when it is read.

>>> from engine.api import load_standard
>>> std = load_standard("nbs_urban_restoration")
>>> rule = std.rule("CAN-001")
>>> fix_for(std, rule, {"canopy_share": 24.6})
{'quantity': 'd.canopy_share', 'from': 24.6, 'to': 30.0, 'change': 5.4, 'unit': '%', 'op': '>='}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import format as F
from . import model as M
from .findings import RangeSequence

if TYPE_CHECKING:
    import pandas as pd

_OPS = (">=", ">", "<=", "<")
_TOTALS = ("sum",)  # aggregates a plan can change by adding to them
_DIGITS = 6

# the values of one part of a comparison for each row, and where it has one (elsewhere the value is undefined)
Values = tuple[np.ndarray, np.ndarray]


class FixColumn(RangeSequence):
    """The quantified fixes of a rule's findings as columns: per finding, the quantity it changes (an index
    into ``quantities`` and ``units``; -1: no fix), the ``from``, ``to`` and ``change`` figures, and whether the
    quantity is to be raised (``up``: the direction the inversion found, which the change's sign cannot tell
    when the change rounds to zero). An item is the fix's dict (``quantity``, ``from``, ``to``, ``change``,
    ``unit``, ``op``; a :class:`Fix`) or None, built when read."""

    KEYS = ("quantity", "from", "to", "change", "unit", "op")  # a fix's members, in the report's order

    def __init__(self, which: np.ndarray, quantities: list[str], units: list[str], op: str,
                 start: np.ndarray, end: np.ndarray, change: np.ndarray, up: np.ndarray):
        self.which, self.quantities, self.units, self.op = which, quantities, units, op
        self.start, self.end, self.change, self.up = start, end, change, up

    def __len__(self) -> int:
        return len(self.which)

    def dicts(self, start: int = 0, stop: int | None = None) -> list[dict | None]:
        sl = slice(start, stop)
        q, u, op = self.quantities, self.units, self.op
        return [None if w < 0 else Fix(dict(zip(self.KEYS, (q[w], a, b, c, u[w], op))), up=up)
                for w, a, b, c, up in zip(self.which[sl].tolist(), self.start[sl].tolist(), self.end[sl].tolist(),
                                          self.change[sl].tolist(), self.up[sl].tolist())]

    def _range(self, start: int, stop: int) -> list:
        return self.dicts(start, stop)

    def take(self, positions: Sequence[int] | np.ndarray) -> FixColumn:
        """The fixes of the findings at ``positions``, in that order."""
        pos = np.asarray(positions, dtype=np.int64)
        return FixColumn(self.which[pos], self.quantities, self.units, self.op, self.start[pos], self.end[pos],
                         self.change[pos], self.up[pos])

    def placed(self, positions: np.ndarray, n: int) -> FixColumn:
        """These fixes at ``positions`` of ``n`` findings (the others have none)."""
        which = np.full(n, -1, dtype=np.int64)
        which[positions] = self.which
        start, end, change = (np.full(n, np.nan) for _ in range(3))
        up = np.zeros(n, dtype=bool)
        for column, part in ((start, self.start), (end, self.end), (change, self.change), (up, self.up)):
            column[positions] = part
        return FixColumn(which, self.quantities, self.units, self.op, start, end, change, up)

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


class Fix(dict):
    """A fix's dict (what the report holds) that also knows its direction: ``up`` is True when the quantity is to
    be raised, False when lowered (not a key: the report's fix is the dict's items)."""

    def __init__(self, items: dict, up: bool):
        super().__init__(items)
        self.up = up


def fix_for(std: M.Standard, rule: M.Rule, values: dict, sides: tuple | None = None) -> dict | None:
    """The fix for one failing object (``values``: the columns of its row by name, the rule's lets,
    plan fields) or for a plan-level rule (``sides``: the evaluated left and right of the check)."""
    import pandas as pd

    row = pd.DataFrame({k: [v] for k, v in values.items()}, index=pd.RangeIndex(1), dtype=object)
    column = fixes_for(std, rule, {}, row, {}, sides)
    return None if column is None else column[0]


def fixes_for(std: M.Standard, rule: M.Rule, lets: dict, frame: pd.DataFrame, absent: dict[str, np.ndarray],
              sides: tuple | None = None) -> FixColumn | None:
    """The fixes of failing rows at once: ``frame`` holds their values (the columns the rule reads and its
    lets, one row each; ``absent``: where a row lacks a column), ``lets`` the plan-level values every row
    shares; ``sides``: a plan-level check's evaluated left and right (one row). None when no row has a fix."""
    a = rule.assertion
    if not isinstance(a, M.Compare) or a.op not in _OPS:
        return None
    n = len(frame)
    env = _Env(std, rule, _columns(lets, frame, absent), n)
    if sides is not None:  # a plan-level check: the sides' values as evaluated
        env.known[env.key(a.left)] = _constant(sides[0], n)
        env.known[env.key(a.right)] = _constant(sides[1], n)
    target, has_target = env.value(a.right)
    actual, has_actual = env.value(a.left)
    with np.errstate(all="ignore"):
        rows = has_target & has_actual & ~_holds(actual, a.op, target)
    which = np.full(n, -1, dtype=np.int64)
    start, end = np.full(n, np.nan), np.full(n, np.nan)
    up = np.zeros(n, dtype=bool)
    quantities: list[str] = []
    units: list[str] = []
    with np.errstate(all="ignore"):
        ways = env.invert(a.left, target, rows)
    for sel, leaf, to, held, sign in ways:
        if _read_elsewhere(a, leaf, held):
            continue
        now, has_now = env.value(leaf)
        ok = sel & has_now & np.isfinite(to)
        if not ok.any():
            continue
        # the check: the new value put back into the left side makes the comparison hold (at its boundary)
        known = {k: v for k, v in env.known.items() if k != env.key(a.left)}  # the side: recomputed from its parts
        known[env.key(leaf)] = (to, np.ones(n, dtype=bool))
        after, has_after = env.value_with(a.left, known)
        with np.errstate(all="ignore"):
            ok &= has_after & _holds(after, a.op.rstrip("=") + "=", target)
        if not ok.any():
            continue
        unit = leaf.info.type.unit
        named = (std.source_text(leaf.span), getattr(unit, "name", "") or "")
        if named not in zip(quantities, units):
            quantities.append(named[0])
            units.append(named[1])
        which[ok] = list(zip(quantities, units)).index(named)
        start[ok], end[ok] = now[ok], to[ok]
        up[ok] = (sign[ok] > 0) == (a.op in (">=", ">"))  # the left side grows with the quantity, or shrinks
    if not (which >= 0).any():
        return None
    with np.errstate(all="ignore"):
        change = _round(end - start)
    return FixColumn(which, quantities, units, a.op, _round(start), _round(end), change, up)


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
        if hasattr(findings, "fixes"):  # findings held as columns: the failing rows' values are read as columns,
            cols = findings.findings  # never their messages, and the fixes are one more column
            failing = np.flatnonzero(cols.outcome == "fail")
            if not len(failing):
                continue
            found = fixes_for(std, rule, lets, cols.values.iloc[failing].reset_index(drop=True),
                              {c: m[failing] for c, m in cols.absent.items()})
            if found is not None:
                findings.fixes = found.placed(failing, len(cols))
        else:
            for f in findings:
                fix = fix_for(std, rule, {**lets, **f["values"]}) if f["outcome"] == "fail" else None
                if fix is not None:
                    f["fix"] = fix


def _read_elsewhere(a: M.Compare, leaf: M.Expr, held: list[M.Expr]) -> bool:
    """The quantity is read by a part held fixed (a district's share against the city's mean, ``x /
    sum(x)``): changing it moves that part too, so the inversion gives no fix."""
    names = {r.name for r in leaf.refs}
    return any(r.name in names for part in (a.right, *held) for r in part.refs)


def _round(x: np.ndarray) -> np.ndarray:
    """``round(v, 6) + 0.0`` of each value, bit for bit: scaled by 10^6 and rounded to the nearest integer
    where the scaled value is not within its rounding error of a tie (exact, as the division back is
    correctly rounded); elsewhere as Python rounds."""
    scale = 10.0 ** _DIGITS
    with np.errstate(all="ignore"):
        y = x * scale
        ay = np.abs(y)
        fast = (ay < 2.0**52) & (np.abs(ay - np.floor(ay) - 0.5) > ay * 2.0**-51)
        out = np.where(fast, np.rint(y) / scale, x) + 0.0
    slow = np.flatnonzero(~fast & ~np.isnan(x))
    if len(slow):
        out[slow] = [round(v, _DIGITS) + 0.0 for v in x[slow].tolist()]
    return out


def _holds(x: np.ndarray, op: str, y: np.ndarray) -> np.ndarray:
    ax, ay = np.abs(x), np.abs(y)
    big = np.where(ay > ax, ay, ax)  # as Python's max(abs(x), abs(y), 1.0), which keeps the first of equals
    tol = 1e-9 * np.where(1.0 > big, 1.0, big)
    return {">=": lambda: x >= y - tol, ">": lambda: x > y + tol, "<=": lambda: x <= y + tol,
            "<": lambda: x < y - tol}[op]()


def _number(v: Any) -> float | None:
    """A value as the algebra reads it: a finite number (not a boolean), else None."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _constant(v: Any, n: int) -> Values:
    x = _number(v)
    return np.full(n, np.nan if x is None else x), np.full(n, x is not None)


def _column(s: pd.Series) -> Values:
    """A column's values as the algebra reads a finding's values (:func:`F.plain`): numbers to 12 significant
    digits; categories, text, dates, booleans and shapes are no numbers."""
    import pandas as pd

    dtype = s.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, pd.CategoricalDtype) or kind in ("b", "M", "m", "U") or (
            pd.api.types.is_string_dtype(dtype) and str(dtype) != "object"):
        return np.full(len(s), np.nan), np.zeros(len(s), dtype=bool)
    if kind == "f":
        x = F.rounded(s.to_numpy(dtype="float64", na_value=np.nan))
        return x, np.isfinite(x)
    if kind in ("i", "u"):
        x = s.to_numpy(dtype="float64", na_value=np.nan)
        return x, ~np.isnan(x)
    got = [_number(v) for v in F.plain_list(s)]
    return np.array([np.nan if v is None else v for v in got], dtype="float64"), np.array([v is not None for v in got])


def _columns(lets: dict, frame: pd.DataFrame, absent: dict[str, np.ndarray]) -> dict[str, Values]:
    """Each name's values, as a finding's values merged over the plan-level lets read them: a row that lacks a
    column reads the let of that name, if any."""
    n = len(frame)
    out = {str(k): _constant(v, n) for k, v in lets.items()}
    for c in frame.columns:
        x, has = _column(frame[c])
        lacks = absent.get(str(c))
        if lacks is not None and lacks.any():
            other, has_other = out.get(str(c), (np.full(n, np.nan), np.zeros(n, dtype=bool)))
            x, has = np.where(lacks, other, x), np.where(lacks, has_other, has)
        out[str(c)] = (x, has)
    return out


class _Env:
    """The values of the parts of a comparison for every row: params, the given values, and sides already
    evaluated (``known``, by their source text)."""

    def __init__(self, std: M.Standard, rule: M.Rule, values: dict[str, Values], n: int):
        self.std = std
        self.values = values
        self.n = n
        self.lets = {let.name: let.expr for let in rule.lets}  # a let is worked out from its parts where known
        self.known: dict[str, Values] = {}
        self._cache: dict[int, Values] = {}
        self._keys: dict[int, str] = {}

    def key(self, node: M.Expr) -> str:
        k = self._keys.get(id(node))
        if k is None:
            k = self._keys[id(node)] = self.std.source_text(node.span)
        return k

    def none(self) -> Values:
        return np.full(self.n, np.nan), np.zeros(self.n, dtype=bool)

    def value_with(self, node: M.Expr, known: dict[str, Values]) -> Values:
        """The value of ``node`` with other sides known."""
        saved = self.known, self._cache
        self.known, self._cache = known, {}
        try:
            return self.value(node)
        finally:
            self.known, self._cache = saved

    def learn(self, node: M.Expr, rows: np.ndarray, value: np.ndarray) -> None:
        """``node`` evaluates to ``value`` in ``rows`` from now on."""
        old, has = self.known.get(self.key(node), self.none())
        self.known[self.key(node)] = (np.where(rows, value, old), has | rows)
        self._cache = {}

    def value(self, node: M.Expr) -> Values:
        hit = self.known.get(self.key(node))
        if hit is not None and hit[1].all():
            return hit
        got = self._cache.get(id(node))
        if got is None:
            with np.errstate(all="ignore"):
                got = self._cache[id(node)] = self._compute(node)
        if hit is None:
            return got
        return np.where(hit[1], hit[0], got[0]), hit[1] | got[1]

    def _named(self, name: str) -> Values:
        return self.values.get(name) or self.none()

    def _compute(self, node: M.Expr) -> Values:
        if isinstance(node, M.Const):
            return _constant(node.value, self.n)
        if isinstance(node, M.ParamRef):
            return _constant(self.std.params[node.name].value, self.n)
        if isinstance(node, M.ColumnRef):
            return self._named(node.column)
        if isinstance(node, M.LetRef) and not node.top and node.name in self.lets:
            v, has = self.value(self.lets[node.name])
            given, has_given = self._named(node.name)
            return _finite(np.where(has, v, given), has | has_given)
        if isinstance(node, M.FieldRef | M.LetRef):
            return self._named(node.name)
        if isinstance(node, M.Scale):
            v, has = self.value(node.operand)
            return _finite(v * node.factor, has)
        if isinstance(node, M.Neg):
            v, has = self.value(node.operand)
            return _finite(-v, has)
        if isinstance(node, M.Call) and node.func == "round" and node.args:
            return _finite(*self.value(node.args[0]))  # the exact value: a fix is judged before rounding
        if isinstance(node, M.Arith):
            (left, has_left), (right, has_right) = self.value(node.left), self.value(node.right)
            has = has_left & has_right
            if node.op == "/":  # as evaluated: a quotient of finite parts, by anything but zero
                return left / right, has & (right != 0)
            return _finite({"+": left + right, "-": left - right, "*": left * right}[node.op], has)
        return self.none()

    def invert(self, node: M.Expr, target: np.ndarray, rows: np.ndarray) -> list:
        """For the ``rows`` of each way through ``node``: the quantity under it, the value it must take for
        ``node`` to equal ``target``, the parts held at their values on the way, and per row whether ``node``
        grows (+1) or shrinks (-1) as the quantity grows, as (rows, quantity, value, held, sign). Rows on no way
        have no fix."""
        found: list = []
        if not rows.any():
            return found
        rest = rows
        if isinstance(node, M.LetRef) and not node.top and node.name in self.lets:
            found = self.invert(self.lets[node.name], target, rows)  # a per-capita let: fixed by what it counts
            for sel, *_ in found:
                rest = rest & ~sel
        if _is_quantity(node):
            has = self.value(node)[1]
            found.append((rest & has, node, target, [], np.ones(self.n)))
            rest = rest & ~has
        if isinstance(node, M.Scale):
            return found if node.factor == 0 else found + _turned(
                self.invert(node.operand, target / node.factor, rest), np.sign(node.factor))
        if isinstance(node, M.Neg):
            return found + _turned(self.invert(node.operand, -target, rest), -1.0)
        if isinstance(node, M.Call) and node.func == "round" and node.args:
            inner = node.args[0]
            rounded, has_rounded = self.value(node)
            unknown = rest & ~self.value(inner)[1] & has_rounded
            if unknown.any():
                self.learn(inner, unknown, rounded)  # the side was evaluated rounded: its total is that
            return found + self.invert(inner, target, rest)
        if not isinstance(node, M.Arith) or not rest.any():
            return found
        (left, has_left), (right, has_right) = self.value(node.left), self.value(node.right)
        # each step: its rows, the part inverted, the part held, the value the free part must take, and the
        # sign of the node's change as the free part grows (a number, or one per row)
        steps: list[tuple[np.ndarray, M.Expr, M.Expr, np.ndarray, Any]]
        if node.op == "+":
            steps = [(has_right, node.left, node.right, target - right, 1.0),
                     (~has_right & has_left, node.right, node.left, target - left, 1.0)]
        elif node.op == "-":
            steps = [(has_right, node.left, node.right, target + right, 1.0),
                     (~has_right & has_left, node.right, node.left, left - target, -1.0)]
        elif node.op == "*":
            by_right = has_right & (right != 0)
            steps = [(by_right, node.left, node.right, target / right, np.sign(right)),
                     (~by_right & has_left & (left != 0), node.right, node.left, target / left, np.sign(left))]
        else:  # a quotient, through its numerator
            steps = [(has_right & (right != 0), node.left, node.right, target * right, np.sign(right))]
        for way, free, held, value, turn in steps:
            for sel, leaf, to, deeper, sign in self.invert(free, value, rest & way):
                found.append((sel, leaf, to, [*deeper, held], sign * turn))
        return found


def _turned(found: list, turn) -> list:
    """The ways ``invert`` found under a part whose sign ``turn`` (a number, or one per row) multiplies them."""
    return [(sel, leaf, to, held, sign * turn) for sel, leaf, to, held, sign in found]


def _finite(v: np.ndarray, has: np.ndarray) -> Values:
    return v, has & np.isfinite(v)


def _is_quantity(node: M.Expr) -> bool:
    return (isinstance(node, M.ColumnRef | M.FieldRef | M.LetRef)
            or (isinstance(node, M.Call) and node.func in _TOTALS and node.join is None))
