"""The built-in functions of the rule language: one registry, one entry per function.

Each :class:`Builtin` holds everything the engine knows of a function, and
every stage reads it from here:

- the checker (:mod:`engine.check.types`) reads ``params`` (what each argument
  may be) and ``result`` (the typing and unit rule);
- the compiler (:mod:`engine.compile.compiler`) calls ``vector`` on whole
  columns (pandas Series) and ``scalar`` on single plan-level values;
- ``nbscheck explain`` and ``nbscheck doc`` read ``words`` and ``doc``; the
  README's list of functions is tested against the registry.

Kinds:

``aggregate``
    Reads many rows of a table, a category or a group and gives one value (or one per group, or
    one per row of the rule when its ``where`` matches the current row: a correlated aggregate).
    ``vector(rows)`` reduces a :class:`engine.compile.runtime.Rows`; ``scalar(values, total)``
    reduces a Python list of the values of the rows included (``total``: the rows in scope before
    ``where``, used by ``share`` of a rowset).
    An aggregate's further arguments (``value_at(x, 2030)``) are plan-level values, given to the
    implementations as ``Rows.args`` and ``scalar(values, total, times, *args)``.
``reads_time`` (aggregates over a series)
    The aggregated table declares a time column (``table t "T" key id time year``); the compiler
    passes each row's time with the values (``Rows.times``, in years: a date is a fractional year)
    and ``scalar`` gets them as its ``times`` list. The rows of one time are added up (the area of
    several patches in one year); the series of a group is its totals in time order.
``scalar``
    One value from one value per argument, row by row. ``vector(*args)`` gets at least one Series
    (the other arguments may be plain values); ``scalar(*args)`` gets plain values, ``None`` when
    missing.

An argument of kind ``rowset`` receives a table or category name; the compiled call passes the
implementation a :class:`engine.compile.runtime.RowsetValue` (that table's frame and which rows
belong to the category), so a function can read another table than the rule's (as a spatial join
does).

Adding a function touches this file only:

1. write its implementations (``vector`` works on Series without a Python loop per row; ``scalar``
   on plain values; both return ``None``/NA for a missing input);
2. write its typing rule: ``result(call) -> Type`` reads ``call.args`` (the argument types, already
   checked against ``params``), may refuse with ``call.fail(message, arg=i, hint=...)``, and
   returns the result type with its unit;
3. add ``Builtin(...)`` to ``_ENTRIES`` with its params, words (how ``explain`` reads a call aloud)
   and a one-line doc; name it in the README's list of functions.

A value type that does not exist yet (a geometry, with subtype point/line/polygon) is a new
``Type.kind``; an :class:`Arg` accepts it by listing its kind, and ``Arg.test`` refines the check
(a subtype) with its own message.

``tests/test_builtins.py`` fails when an entry lacks a part, or when the vectorised and scalar
implementations disagree.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import units as U
from .compile import runtime as rt
from .model import BOOL, DATE, INTEGER, NUMBER, ROWSET, Type

AGGREGATE: str = "aggregate"
SCALAR: str = "scalar"

ORDERABLE: tuple[str, ...] = ("number", "integer", "date")
NUMERIC: tuple[str, ...] = ("number", "integer")


class Refusal(Exception):
    """A typing rule refused a call; the checker turns it into a diagnostic."""

    def __init__(self, message: str, arg: int | None = None, hint: str | None = None, code: str = "type-mismatch"):
        super().__init__(message)
        self.message, self.arg, self.hint, self.code = message, arg, hint, code


@dataclass(frozen=True)
class Arg:
    """One parameter: its name (for messages and docs) and the type kinds it accepts.

    ``kinds`` lists ``Type.kind`` values; ``"any"`` accepts every value type, ``"rowset"`` a table
    or category name. ``literal``: the argument must be written as a literal. ``test`` refines the
    check: it returns a message when the type is not acceptable (a geometry of the wrong subtype).
    """

    name: str
    kinds: tuple[str, ...]
    literal: bool = False
    test: Callable[[Type], str | None] | None = None
    unit: str | None = None  # the compiler converts the argument into this unit (a distance into m)
    rows: str | None = None  # the rows of another table: "shapes" (a table, category or geometry column of one)
    # or "values" (a column of another table, its rows placed by their table's geometry); the call's `where`
    # filters them

    def accepts(self, t: Type) -> str | None:
        """None when ``t`` fits, else what was expected."""
        if t.kind == ROWSET and "rowset" not in self.kinds:
            return f"a value ({', '.join(self.kinds)}), not a table"
        if "any" not in self.kinds and t.kind not in self.kinds and not (t.kind == ROWSET and "rowset" in self.kinds):
            return " or ".join(self.kinds)
        return self.test(t) if self.test is not None else None


@dataclass
class Call:
    """What a typing rule sees of one call."""

    name: str
    args: list[Type]
    literals: list[Any]  # each argument's literal value, or None when it is not a literal
    has_where: bool = False
    same: Callable[[int, int], bool] = field(default=lambda i, j: True)  # do arguments i and j compare?
    columns: list[dict[str, Type] | None] = field(default_factory=list)  # a rowset argument's column types
    time: Type | None = None  # a series function: the type of the aggregated table's time column

    def fail(self, message: str, arg: int | None = None, hint: str | None = None) -> Refusal:
        raise Refusal(message, arg, hint)


@dataclass(frozen=True)
class Builtin:
    """One built-in function: its signature, typing rule, implementations, words and doc."""

    name: str
    kind: str  # AGGREGATE or SCALAR
    params: tuple[Arg, ...]
    result: Callable[[Call], Type]
    vector: Callable[..., Any]
    scalar: Callable[..., Any]
    words: Callable[[list[str], str], str]  # (each argument read aloud, " where …" or "") -> text
    doc: str
    variadic: int = 0  # extra arguments beyond params, each like the last param
    optional: int = 0  # trailing params that may be left out
    same_unit: bool = False  # the compiler converts every argument into the result's unit
    counts_rows: bool = False  # over no rows its value still means something (a count of 0), see evaluate
    examples: tuple[str, ...] = field(default_factory=tuple)
    # an aggregate decomposed over partitions (the Dask engine): ``partial(rows)`` is one partition's part of a
    # plan-level value (plain data), ``combine(parts)`` the value over every row, as ``vector`` gives it at once
    partial: Callable[[rt.Rows], Any] | None = None
    combine: Callable[[list], Any] | None = None
    reads_time: bool = False  # an aggregate over a series: it also receives the table's time column (Rows.times)

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional

    @property
    def max_args(self) -> int:
        return len(self.params) + self.variadic

    def param(self, i: int) -> Arg:
        return self.params[min(i, len(self.params) - 1)]

    @property
    def signature(self) -> str:
        parts = [p.name if i < self.min_args else f"[{p.name}]" for i, p in enumerate(self.params)]
        if self.variadic:
            parts.append("…")
        where = " [where condition]" if self.kind == AGGREGATE else ""
        return f"{self.name}({', '.join(parts)}{where})"


# ---- typing rules --------------------------------------------------------------------


def _same_type(call: Call) -> Type:
    return call.args[0]


def _sum_type(call: Call) -> Type:
    return Type(call.args[0].kind, call.args[0].unit)


def _mean_type(call: Call) -> Type:
    return Type(NUMBER, call.args[0].unit)


def _count_type(call: Call) -> Type:
    return Type(INTEGER, U.DIMENSIONLESS)


def _share_type(call: Call) -> Type:
    if call.args[0].kind == ROWSET and not call.has_where:
        raise call.fail("share of what? write share(table where ...)")
    return Type(NUMBER, U.PERCENT)


def _bool_type(call: Call) -> Type:
    return Type(BOOL)


ROUNDING = {"half-even": decimal.ROUND_HALF_EVEN, "half-up": decimal.ROUND_HALF_UP, "up": decimal.ROUND_UP,
            "down": decimal.ROUND_DOWN}
MAX_DECIMALS = 15


def _round_type(call: Call) -> Type:
    if len(call.args) > 1:
        digits = call.literals[1]
        if call.args[1].kind != INTEGER or not isinstance(digits, float | int) or digits != int(digits) \
                or not 0 <= digits <= MAX_DECIMALS:
            raise call.fail(f"round(x, N) takes a whole number of decimals from 0 to {MAX_DECIMALS}", arg=1)
    if len(call.args) > 2 and call.literals[2] not in ROUNDING:
        raise call.fail(f"`{call.literals[2]}` is not a rounding mode", arg=2,
                        hint=f"the modes are {', '.join(ROUNDING)}")
    return call.args[0]


def _year_type(call: Call) -> Type:
    return Type(INTEGER, U.DIMENSIONLESS)


def _date_type(call: Call) -> Type:
    text = call.literals[0]
    try:
        dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise call.fail(f"`{text}` is not a date (YYYY-MM-DD)", arg=0) from None
    return Type(DATE)


def _unify_type(call: Call) -> Type:
    """Every argument compares with the first; the result has the first one's kind and a known unit."""
    for j in range(1, len(call.args)):
        if not call.same(0, j):
            raise Refusal("", arg=j, code="")  # the diagnostic is already reported
    first = call.args[0]
    unit = next((a.unit for a in call.args if a.unit is not None), None)
    return Type(first.kind, unit, first.values)


# ---- aggregate implementations ---------------------------------------------------------


def _vec_reduce(how: str):
    def run(r: rt.Rows):
        return r.finish(r.reduce(r.masked(), how), r.nulls(r.missing()))

    return run


def _scalar_sum(values: list, total: int | None = None):
    return None if any(rt.is_null(v) for v in values) else math.fsum(values)


def _scalar_mean(values: list, total: int | None = None):
    if not values or any(rt.is_null(v) for v in values):
        return None
    return math.fsum(values) / len(values)


def _scalar_extreme(which: Callable):
    def run(values: list, total: int | None = None):
        if not values or any(rt.is_null(v) for v in values):
            return None
        return which(values)

    return run


def _vec_count(r: rt.Rows):
    return r.finish(r.count(r.inc), r.nulls())


def _scalar_count(values: list, total: int | None = None):
    return len(values)


# ---- aggregates over partitions: each partition's part, then the parts combined ------------------------
# A part is (value, unknown): the partition's own total (count, extreme, ...) and whether a row there leaves
# the result unknown; combined, the result is what the vectorised implementation gives over all rows.


def _item(v):
    return v.item() if hasattr(v, "item") else v


def _part_reduce(how: str):
    def part(r: rt.Rows):
        values = r.masked()
        unknown = bool(r.nulls(r.missing()))
        if how == "mean":  # a mean is a total and a count
            return (_item(values.sum()), int(values.count())), unknown
        v = getattr(values, how)()
        if how == "sum" or rt.is_null(v):
            return (None if rt.is_null(v) else _item(v)), unknown
        # an extreme keeps its rank too: an enum's values are ordered as declared, not as text
        rank = values.cat.categories.get_loc(v) if isinstance(values.dtype, pd.CategoricalDtype) else v
        return (rank, _item(v)), unknown

    return part


def _combine_sum(parts: list):
    if any(unknown for _, unknown in parts):
        return None
    return sum(v for v, _ in parts) if parts else 0


def _combine_mean(parts: list):
    if any(unknown for _, unknown in parts):
        return None
    n = sum(v[1] for v, _ in parts)
    return sum(v[0] for v, _ in parts) / n if n else None


def _combine_extreme(which: Callable):
    def combine(parts: list):
        if any(unknown for _, unknown in parts):
            return None
        values = [v for v, _ in parts if v is not None]
        return which(values, key=lambda rv: rv[0])[1] if values else None

    return combine


def _part_count(r: rt.Rows):
    return _item(r.count(r.inc)), bool(r.nulls())


def _combine_count(parts: list):
    return None if any(unknown for _, unknown in parts) else sum(v for v, _ in parts)


def _part_share(r: rt.Rows):
    if r.values is None:
        num = r.count(r.inc)
        den = r.count(None if r.member is None else r.member.fillna(False).astype(bool))
        null = r.nulls(None if r.member is None else r.member.isna())
    else:
        b = rt.to_bool(r.values)
        cond = b.fillna(False).astype(bool)
        num = r.reduce(cond if r.inc is None else cond & r.inc, "sum")
        den = r.count(r.inc)
        null = r.nulls(b.isna() if r.inc is None else (b.isna() & r.inc))
    return (int(num), int(den)), bool(null)


def _combine_share(parts: list):
    if any(unknown for _, unknown in parts):
        return None
    num, den = sum(v[0] for v, _ in parts), sum(v[1] for v, _ in parts)
    return 100.0 * float(num) / float(den) if den else None


def _hits(r: rt.Rows, which: str) -> pd.Series:
    """The included rows that decide ``any`` (true ones) or ``all`` (false ones)."""
    b = rt.to_bool(r.values)
    hit = (b.fillna(False) if which == "any" else ~b.fillna(True)).astype(bool)
    return hit & r.inc if r.inc is not None else hit


def _part_quantifier(which: str):
    def part(r: rt.Rows):
        hit = _hits(r, which)
        return bool(hit.any()), bool(r.nulls(r.missing()))

    return part


def _combine_quantifier(which: str):
    def combine(parts: list):
        if any(found for found, _ in parts):
            return which == "any"
        return None if any(unknown for _, unknown in parts) else which == "all"

    return combine


def _vec_share(r: rt.Rows):
    if r.values is None:  # share(rowset where ...): members meeting the filter
        num = r.count(r.inc)
        den = r.count(None if r.member is None else r.member.fillna(False).astype(bool))
        null = r.nulls(None if r.member is None else r.member.isna())  # unknown members change the denominator
    else:  # share(condition [where ...])
        b = rt.to_bool(r.values)
        cond = b.fillna(False).astype(bool)
        num = r.reduce(cond if r.inc is None else cond & r.inc, "sum")
        den = r.count(r.inc)
        null = r.nulls(b.isna() if r.inc is None else (b.isna() & r.inc))
    if r.keys is None:
        return None if null or den == 0 else 100.0 * float(num) / float(den)
    out = 100.0 * num.astype("float64") / den.astype("float64").where(den > 0)
    return r.finish(out, null)


def _scalar_share(values: list, total: int | None = None):
    if total is not None:  # share of a rowset: the rows included among those in scope
        return 100.0 * len(values) / total if total else None
    if not values or any(rt.is_null(v) for v in values):
        return None
    return 100.0 * sum(1 for v in values if v) / len(values)


def _vec_quantifier(which: str):
    def run(r: rt.Rows):
        hit = _hits(r, which)
        found = r.reduce(hit, "any")
        null = r.nulls(r.missing())
        if r.keys is None:
            if found:
                return which == "any"
            return None if null else which == "all"
        out = (found if which == "any" else ~found).astype("boolean")
        return out.mask(null & ~found)

    return run


def _scalar_quantifier(which: str):
    def run(values: list, total: int | None = None):
        decisive = which == "any"  # `any` is decided by a true value, `all` by a false one
        if any(v is not None and bool(v) == decisive for v in values if not rt.is_null(v)):
            return decisive
        return None if any(rt.is_null(v) for v in values) else not decisive

    return run


# ---- scalar implementations -----------------------------------------------------------


def _abs_vec(x):
    return x.abs()


def _abs_scalar(x):
    return None if rt.is_null(x) else abs(x)


def _round_vec(x, digits=0, mode="half-even"):
    """Round as the decimal each float is written as (0.445 is a tie, though its binary value is below it),
    on whole columns.

    ``base`` is the number of steps of 10^-N at or below ``|x|``, found exactly: ``k / 10^N`` is the double
    nearest the decimal k·10^-N, so comparing ``|x|`` with it compares the decimals that round-trip."""
    p = 10.0 ** int(digits)
    v = x.to_numpy(dtype="float64")
    a = np.abs(v)
    with np.errstate(invalid="ignore", over="ignore"):
        base = np.floor(a * p)
        base = np.where(a < base / p, base - 1, base)
        base = np.where(a >= (base + 1) / p, base + 1, base)
        tie = (base + 0.5) / p
        if mode == "down":
            steps = base
        elif mode == "up":
            steps = base + (a > base / p)
        elif mode == "half-up":
            steps = base + (a >= tie)
        else:
            steps = base + ((a > tie) | ((a == tie) & (base % 2 == 1)))
        out = np.copysign(steps / p, v)
    exact = ~np.isfinite(v) | (a * p >= 2.0 ** 52)  # no digits left to round at this magnitude
    return pd.Series(np.where(exact, v, out), index=x.index)


def _round_scalar(x, digits=0, mode="half-even"):
    if rt.is_null(x):
        return None
    if not math.isfinite(x) or abs(x) * 10.0 ** int(digits) >= 2.0 ** 52:
        return float(x)
    step = decimal.Decimal(1).scaleb(-int(digits))
    return float(decimal.Decimal(repr(float(x))).quantize(step, rounding=ROUNDING[mode]))


def _year_vec(x):
    return x.dt.year.astype("float64")


def _year_scalar(x):
    return None if rt.is_null(x) else float(x.year)


def _starts_with_vec(x, prefix):
    return x.astype("string").str.startswith(prefix).astype("boolean")


def _starts_with_scalar(x, prefix):
    return None if rt.is_null(x) else str(x).startswith(prefix)


def _date_vec(x):
    return pd.to_datetime(x, format="%Y-%m-%d", errors="coerce")


def _date_scalar(x):
    return None if rt.is_null(x) else pd.Timestamp(dt.date.fromisoformat(x))


def _coalesce_vec(*values):
    out = next(v for v in values if rt.is_series(v))
    index = out.index
    out = values[0] if rt.is_series(values[0]) else pd.Series(values[0], index=index)
    for v in values[1:]:
        if rt.is_series(v):
            out = out.combine_first(v)
        elif not rt.is_null(v):
            out = out.fillna(v)
    return out


def _coalesce_scalar(*values):
    return next((v for v in values if not rt.is_null(v)), None)


def _extreme_vec(which: str):
    def run(*values):
        series = [v for v in values if rt.is_series(v)]
        frame = pd.concat([v if rt.is_series(v) else pd.Series(v, index=series[0].index, dtype="float64")
                           for v in values], axis=1)
        out = frame.min(axis=1) if which == "min" else frame.max(axis=1)
        return out.mask(frame.isna().any(axis=1))

    return run


def _extreme_scalar(which: Callable):
    def run(*values):
        return None if any(rt.is_null(v) for v in values) else which(values)

    return run


# ---- series over time (aggregates over a table with a time column) ---------------------------

def _years():
    """The unit of durations (parsed on first use: the unit system loads pint only when a pack is checked)."""
    return U.parse_unit("years")


def _series_check(call: Call, first: int) -> None:
    """The aggregated table has a time column; the times and durations from argument ``first`` on fit it."""
    if call.time is None:
        raise call.fail(f"`{call.name}` reads a series over time, and this table declares no time column",
                        arg=0, hint='declare it on the table: table NAME "Title" key id time year { ... }')
    b = resolve(call.name, len(call.args))
    assert b is not None
    for i in range(first, len(call.args)):
        t, p = call.args[i], b.param(i)
        if p.unit is not None:  # a duration: years, months or days
            if t.unit is None or not U.same_dimension(t.unit, _years()):
                raise call.fail(f"the {p.name} of `{call.name}` is a length of time, e.g. 6 years or 90 days",
                                arg=i, hint=f"e.g. {b.examples[-1]}")
        elif call.time.kind == DATE and t.kind != DATE:
            raise call.fail(f"the series is dated: the {p.name} of `{call.name}` is a date", arg=i,
                            hint='write date("2030-12-31")')
        elif call.time.kind == INTEGER and t.kind not in NUMERIC:
            raise call.fail(f"the series is by year: the {p.name} of `{call.name}` is a year", arg=i,
                            hint="write the year: 2030")


def _value_at_type(call: Call) -> Type:
    _series_check(call, 1)
    return Type(NUMBER, call.args[0].unit)


def _trend_type(call: Call) -> Type:
    _series_check(call, 1)
    return Type(BOOL)


def _gap_type(call: Call) -> Type:
    _series_check(call, 1)
    return Type(NUMBER, _years())


def _fewest_type(call: Call) -> Type:
    _series_check(call, 1)
    return Type(INTEGER, U.DIMENSIONLESS)


def _at(t) -> float | None:
    """A time argument in years (a date is a fractional year), as Rows.times holds them."""
    if rt.is_null(t):
        return None
    return rt.time_coordinate(t)


def _series(r: rt.Rows, at: tuple = (), presence: bool = False) -> tuple[pd.Series, Any]:
    """The totals of the included rows at each time, indexed by (group, time) in time order, and which
    results are unknown: a row with an empty value or time, or of unknown inclusion (only rows at the times
    ``at``, or of no time, when given: a value at 2030 does not depend on 2027). With ``presence`` a row is a
    measurement when its value is present (a count at each time): an empty cell is no measurement."""
    if r.values is None:
        values = pd.Series(1.0, index=r.index)
    elif presence:
        values = pd.Series(np.where(r.values.notna().to_numpy(), 1.0, np.nan), index=r.index)
    else:
        values = r.values
    inc = r.inc if r.inc is not None else pd.Series(True, index=r.index)
    keys = r.keys if r.keys is not None else pd.Series(0, index=r.index)
    keep = inc.to_numpy(dtype=bool) & r.times.notna().to_numpy() & values.notna().to_numpy()
    g, t = keys.to_numpy()[keep], r.times.to_numpy(dtype="float64")[keep]
    v = values.to_numpy(dtype="float64")[keep]
    order = np.lexsort((t, g))  # by group, then time: one sort, then each (group, time) run is added up
    g, t, v = g[order], t[order], v[order]
    starts = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (t[1:] != t[:-1])]) if len(g) else np.array([], int)
    totals = pd.Series(np.add.reduceat(v, starts) if len(g) else np.array([], "float64"),
                       index=pd.MultiIndex.from_arrays([g[starts], t[starts]], names=["g", "t"]))
    missing = r.times.isna() if presence else (values.isna() | r.times.isna())
    if at:
        near = np.zeros(len(r.index), dtype=bool)
        for a in at:
            near |= np.isclose(r.times.to_numpy(dtype="float64"), a, rtol=0, atol=1e-9)
        missing = (values.isna() & near) | r.times.isna()
    return totals, r.nulls(missing if r.inc is None else (missing & r.inc))


def _per_group(r: rt.Rows, out: pd.Series, null, dtype: Any = "float64"):
    """A per-group result (indexed by group) as Rows.finish wants it: scalar for one plan-level series."""
    if r.keys is None:
        v = out.get(0) if len(out) else None
        return r.finish(None if v is None or rt.is_null(v) else v, null)
    groups = r.reduce(pd.Series(False, index=r.index), "any").index
    return r.finish(out.reindex(groups).astype(dtype), null)


def _vec_value_at(r: rt.Rows):
    at = _at(r.args[0])
    totals, null = _series(r, () if at is None else (at,))
    if at is None:
        return None if r.keys is None else _per_group(r, pd.Series(dtype="float64"), null)
    hit = totals[np.isclose(totals.index.get_level_values("t"), at, rtol=0, atol=1e-9)]
    return _per_group(r, hit.droplevel("t"), null)


def _vec_change(r: rt.Rows):
    a, b = _at(r.args[0]), _at(r.args[1])
    totals, null = _series(r, tuple(x for x in (a, b) if x is not None))
    if a is None or b is None:
        return None if r.keys is None else _per_group(r, pd.Series(dtype="float64"), null)
    t = totals.index.get_level_values("t")
    start = totals[np.isclose(t, a, rtol=0, atol=1e-9)].droplevel("t")
    end = totals[np.isclose(t, b, rtol=0, atol=1e-9)].droplevel("t")
    return _per_group(r, end.sub(start), null)  # a group lacking either time has no change


def _steps(totals: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each measurement's value step and time step from the one before it in its group (NaN for the first)."""
    by = totals.groupby(level="g", sort=False)
    t = pd.Series(totals.index.get_level_values("t"), index=totals.index)
    return totals - by.shift(), t - t.groupby(level="g", sort=False).shift(), by.shift()


def _vec_trend(strict: bool):
    def run(r: rt.Rows):
        totals, null = _series(r)
        step, gap, before = _steps(totals)
        close = rt.close_to(totals, before)  # the step from the one before is within the tolerance
        ok = (step > 0) & ~close if strict else (step > 0) | close
        later = step.notna()
        g = totals.index.get_level_values("g")
        holds = (ok | ~later).groupby(g).all()
        points = later.groupby(g).sum()
        known = points >= 1  # a trend needs two measurements
        if r.args and r.args[0] is not None and not rt.is_null(r.args[0]):
            known &= ~(gap > r.args[0] * (1 + 1e-9)).groupby(g).any()  # a longer gap: a measurement is missing
        out = holds.astype("boolean").mask(~known)
        if r.keys is None:
            v = out.get(0) if len(out) else None
            return None if null or v is None or rt.is_null(v) else bool(v)
        return _per_group(r, out, null, "boolean")

    return run


def _vec_longest_gap(r: rt.Rows):
    totals, null = _series(r, presence=True)
    _, gap, _ = _steps(totals)
    g = totals.index.get_level_values("g")
    out = gap.groupby(g).max()  # NaN for one measurement: no gap to speak of
    return _per_group(r, out, null)


def _vec_fewest_per(r: rt.Rows):
    counts, null = _series(r, presence=True)  # the rows measured at each time
    period = r.args[0]
    g = counts.index.get_level_values("g")
    t = pd.Series(counts.index.get_level_values("t"), index=counts.index)
    first = t.groupby(g).transform("min")
    slot = np.floor((t - first) / period + 1e-9).to_numpy()
    per = counts.groupby([g, slot]).sum()
    filled = per.groupby(level=0).size()
    spanned = pd.Series(slot, index=g).groupby(level=0).max() + 1
    fewest = per.groupby(level=0).min().where(filled >= spanned, 0.0)  # an empty period in between: none
    if r.keys is None:
        return r.finish(float(fewest.get(0, 0.0)), null)
    groups = r.reduce(pd.Series(False, index=r.index), "any").index
    return r.finish(fewest.reindex(groups, fill_value=0.0), null)


def _scalar_totals(values: list, times: list, at: tuple = ()) -> list[tuple[float, float]] | None:
    """(time, total) in time order; None when a value or time is missing (at the times ``at``, when given)."""
    def matters(t) -> bool:
        return not at or any(abs(t - a) <= 1e-9 for a in at)

    if any(rt.is_null(t) or (rt.is_null(v) and matters(t)) for v, t in zip(values, times)):
        return None
    out: dict[float, float] = {}
    for v, t in zip(values, times):
        if not rt.is_null(v):
            out[t] = out.get(t, 0.0) + v
    return sorted(out.items())


def _scalar_value_at(values: list, total=None, times=None, at=None):
    when = None if times is None else _at(at)
    if when is None:
        return None
    series = _scalar_totals(values, times, (when,))
    if series is None:
        return None
    return next((v for t, v in series if abs(t - when) <= 1e-9), None)


def _scalar_change(values: list, total=None, times=None, start=None, end=None):
    a, b = (_scalar_value_at(values, total, times, x) for x in (start, end))  # each reads its own time
    return None if a is None or b is None else b - a


def _scalar_trend(strict: bool):
    def run(values: list, total=None, times=None, every=None):
        series = None if times is None else _scalar_totals(values, times)
        if series is None or len(series) < 2:
            return None
        if every is not None and any(t2 - t1 > every * (1 + 1e-9) for (t1, _), (t2, _) in zip(series, series[1:])):
            return None
        steps = [(b - a, max(abs(a), abs(b), 1.0)) for (_, a), (_, b) in zip(series, series[1:])]
        return all((d > 0 and abs(d) > rt.TOLERANCE * m) if strict else (d > 0 or abs(d) <= rt.TOLERANCE * m)
                   for d, m in steps)

    return run


def _measured(values: list, times: list) -> list | None:
    """The times of the rows whose value is present (an empty cell is no measurement); None for an empty time."""
    if any(rt.is_null(t) for t in times):
        return None
    return [t for v, t in zip(values, times) if not rt.is_null(v)]


def _scalar_longest_gap(values: list, total=None, times=None):
    measured = None if times is None else _measured(values, times)
    if measured is None or len(set(measured)) < 2:
        return None
    series = sorted(set(measured))
    return max(b - a for a, b in zip(series, series[1:]))


def _scalar_fewest_per(values: list, total=None, times=None, period=None):
    measured = [] if times is None else _measured(values, times)
    if measured == []:
        return 0
    if measured is None or period is None:
        return None
    first = min(measured)
    slots: dict[int, int] = {}
    for t in measured:
        k = math.floor((t - first) / period + 1e-9)
        slots[k] = slots.get(k, 0) + 1
    return 0 if len(slots) < max(slots) + 1 else min(slots.values())


# ---- words -------------------------------------------------------------------------------


def _of(head: str):
    return lambda args, where: f"{head} {args[0]}{where}"


def _quantifier_words(head: str):
    return lambda args, where: f"{head} {args[0]}{where}"


# ---- the registry ----------------------------------------------------------------------------

_COLUMN = Arg("column", NUMERIC)
_ORDERED_COLUMN = Arg("column", ORDERABLE)
_CONDITION = Arg("condition", ("bool",))

_ENTRIES: tuple[Builtin, ...] = (
    Builtin("sum", AGGREGATE, (_COLUMN,), _sum_type, _vec_reduce("sum"), _scalar_sum,
            _of("the total of"), "sum of a column over the rows (0 when no row is in scope)",
            examples=("sum(objects.area_ha where objects.mode is present)",),
            partial=_part_reduce("sum"), combine=_combine_sum),
    Builtin("mean", AGGREGATE, (_COLUMN,), _mean_type, _vec_reduce("mean"), _scalar_mean,
            _of("the mean of"), "mean of a column (no value when no row is in scope)",
            examples=("mean(districts.canopy_pct)",),
            partial=_part_reduce("mean"), combine=_combine_mean),
    Builtin("min", AGGREGATE, (_ORDERED_COLUMN,), _same_type, _vec_reduce("min"), _scalar_extreme(min),
            _of("the smallest of"), "smallest value of a column (no value when no row is in scope)",
            examples=("min(objects.survey_date)",),
            partial=_part_reduce("min"), combine=_combine_extreme(min)),
    Builtin("max", AGGREGATE, (_ORDERED_COLUMN,), _same_type, _vec_reduce("max"), _scalar_extreme(max),
            _of("the largest of"), "largest value of a column (no value when no row is in scope)",
            examples=("max(objects.slope_pct)",),
            partial=_part_reduce("max"), combine=_combine_extreme(max)),
    Builtin("count", AGGREGATE, (Arg("rows", ("any", "rowset")),), _count_type, _vec_count, _scalar_count,
            _of("the number of"), "number of rows of a table, category or group (0 when none)", counts_rows=True,
            examples=("count(wetland)", "count(objects where objects.condition == \"poor\")"),
            partial=_part_count, combine=_combine_count),
    Builtin("share", AGGREGATE, (Arg("rows or condition", ("bool", "rowset")),), _share_type, _vec_share,
            _scalar_share, _of("the share of"),
            "share of rows meeting `where` (or a condition), in % (no value when no row is in scope)",
            examples=("share(objects where objects.mode is present)", "share(o.native)"),
            partial=_part_share, combine=_combine_share),
    Builtin("any", AGGREGATE, (_CONDITION,), _bool_type, _vec_quantifier("any"), _scalar_quantifier("any"),
            _quantifier_words("for some row,"), "true if the condition holds for some row (false when none)",
            examples=("any(objects.condition == \"poor\")",),
            partial=_part_quantifier("any"), combine=_combine_quantifier("any")),
    Builtin("all", AGGREGATE, (_CONDITION,), _bool_type, _vec_quantifier("all"), _scalar_quantifier("all"),
            _quantifier_words("for every row,"), "true if the condition holds for every row (true when none)",
            examples=("all(objects.monitored)",),
            partial=_part_quantifier("all"), combine=_combine_quantifier("all")),
    Builtin("min", SCALAR, (Arg("a", ORDERABLE), Arg("b", ORDERABLE)), _unify_type, _extreme_vec("min"),
            _extreme_scalar(min), lambda a, w: f"the smaller of {' and '.join(a)}",
            "with two or more arguments: the smallest argument, row by row", variadic=6, same_unit=True,
            examples=("min(o.area_ha, 5 ha)",)),
    Builtin("max", SCALAR, (Arg("a", ORDERABLE), Arg("b", ORDERABLE)), _unify_type, _extreme_vec("max"),
            _extreme_scalar(max), lambda a, w: f"the larger of {' and '.join(a)}",
            "with two or more arguments: the largest argument, row by row", variadic=6, same_unit=True,
            examples=("max(o.area_ha, 0 ha)",)),
    Builtin("abs", SCALAR, (Arg("x", NUMERIC),), _same_type, _abs_vec, _abs_scalar,
            lambda a, w: f"the absolute value of {a[0]}", "absolute value", examples=("abs(o.change_pct)",)),
    Builtin("round", SCALAR, (Arg("x", NUMERIC), Arg("decimals", ("integer",), literal=True),
                              Arg("mode", ("text",), literal=True)), _round_type, _round_vec, _round_scalar,
            lambda a, w: f"{a[0]} rounded to {a[1] if len(a) > 1 else '0'} decimals"
                         + (f" ({a[2]})" if len(a) > 2 else ""),
            "round to N decimals (default 0) as the number is written in decimals; the mode is \"half-even\" "
            "(the default), \"half-up\", \"up\" (away from zero) or \"down\" (toward zero)", optional=2,
            examples=("round(o.area_ha, 1)", "round(baf, 2, \"half-up\")")),
    Builtin("coalesce", SCALAR, (Arg("value", ("any",)), Arg("fallback", ("any",))), _unify_type,
            _coalesce_vec, _coalesce_scalar, lambda a, w: f"the first present of {', '.join(a)}",
            "the first argument that is present", variadic=6, same_unit=True,
            examples=("coalesce(o.planned_area_ha, o.area_ha)",)),
    Builtin("year", SCALAR, (Arg("date", ("date",)),), _year_type, _year_vec, _year_scalar,
            lambda a, w: f"the year of {a[0]}", "the year of a date", examples=("year(o.completion)",)),
    Builtin("starts_with", SCALAR, (Arg("text", ("text",)), Arg("prefix", ("text",), literal=True)), _bool_type,
            _starts_with_vec, _starts_with_scalar, lambda a, w: f"{a[0]} starts with {a[1]}",
            "the text starts with the prefix (codes such as `E05` for a ward)",
            examples=("starts_with(w.code, \"E05\")",)),
    Builtin("date", SCALAR, (Arg("text", ("text",), literal=True),), _date_type, _date_vec, _date_scalar,
            lambda a, w: f"the date {a[0]}", "a date from an ISO text literal: date(\"2030-12-31\")",
            examples=("date(\"2030-12-31\")",)),
)

_SERIES = Arg("column", NUMERIC)
_TIME = Arg("time", ("integer", "number", "date"))
_EVERY = Arg("interval", NUMERIC, unit="years")


def _trend(name: str, strict: bool, words: str, doc: str) -> Builtin:
    """``increasing`` (strict) or ``non_decreasing``: the totals per time compared step by step."""
    def explain(a, w):
        every = f", measured at least every {a[1]}" if len(a) > 1 else ""
        return f"{a[0]} {words}{w}{every}"

    return Builtin(name, AGGREGATE, (_SERIES, _EVERY), _trend_type, _vec_trend(strict), _scalar_trend(strict),
                   explain, f"{doc} (no value with fewer than two, or a gap longer than the interval)",
                   optional=1, reads_time=True,
                   examples=(f"{name}(canopy.area_ha)", f"{name}(canopy.area_ha, 6 years)"))


_ENTRIES += (
    Builtin("value_at", AGGREGATE, (_SERIES, _TIME), _value_at_type, _vec_value_at, _scalar_value_at,
            lambda a, w: f"{a[0]} at {a[1]}{w}",
            "the column's total over the rows measured at a time (no value when none was)", reads_time=True,
            examples=("value_at(canopy.area_ha, 2024)",)),
    Builtin("change", AGGREGATE, (_SERIES, Arg("from", _TIME.kinds), Arg("to", _TIME.kinds)), _value_at_type,
            _vec_change, _scalar_change, lambda a, w: f"the change in {a[0]} from {a[1]} to {a[2]}{w}",
            "the total at the second time minus the total at the first (no value when either is not measured)",
            reads_time=True, examples=("change(canopy.area_ha, 2024, 2030)",)),
    _trend("increasing", True, "rises at every measurement", "each measurement is above the one before"),
    _trend("non_decreasing", False, "never falls between measurements", "no measurement is below the one before"),
    Builtin("longest_gap", AGGREGATE, (Arg("rows", ("any", "rowset")),), _gap_type, _vec_longest_gap,
            _scalar_longest_gap, lambda a, w: f"the longest time between measurements of {a[0]}{w}",
            "the longest time between two successive measurements, in years (no value with fewer than two)",
            reads_time=True, examples=("longest_gap(monitoring)",)),
    Builtin("fewest_per", AGGREGATE, (Arg("rows", ("any", "rowset")), Arg("period", NUMERIC, unit="years")),
            _fewest_type, _vec_fewest_per, _scalar_fewest_per,
            lambda a, w: f"the fewest measurements of {a[0]}{w} in any {a[1]}",
            "the fewest measurements in any period of that length, counted from the first measurement to the "
            "last (0 when none)", counts_rows=True, reads_time=True,
            examples=("fewest_per(monitoring, 1 years)",)),
)

from .spatial import ENTRIES as _SPATIAL  # noqa: E402  (its entries are built from the classes above)

_ENTRIES += _SPATIAL

BUILTINS: dict[str, tuple[Builtin, ...]] = {}
for _b in _ENTRIES:
    BUILTINS[_b.name] = (*BUILTINS.get(_b.name, ()), _b)

AGGREGATES = frozenset(b.name for b in _ENTRIES if b.kind == AGGREGATE)


def entries() -> tuple[Builtin, ...]:
    """Every entry, in declaration order."""
    return _ENTRIES


def resolve(name: str, nargs: int) -> Builtin | None:
    """The entry ``name(…)`` with ``nargs`` arguments calls, or None when the name is unknown.

    >>> resolve("min", 1).kind, resolve("min", 2).kind
    ('aggregate', 'scalar')
    """
    options = BUILTINS.get(name)
    if not options:
        return None
    for b in options:
        if b.min_args <= nargs <= b.max_args:
            return b
    return options[0]


def arity(name: str) -> str:
    """How many arguments ``name`` takes, for a message."""
    spans = []
    for b in BUILTINS[name]:
        spans.append(str(b.min_args) if b.min_args == b.max_args else f"{b.min_args} to {b.max_args}")
    return " or ".join(spans)


def apply(b: Builtin, values: Sequence[Any]) -> Any:
    """Call a scalar built-in on evaluated arguments: vectorised when any is a Series."""
    if any(rt.is_series(v) for v in values):
        return b.vector(*values)
    return b.scalar(*values)

