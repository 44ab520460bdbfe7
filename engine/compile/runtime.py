"""Vectorised operations the compiled rules call: three-valued logic over
pandas Series and scalars, and aggregates (whole-table or grouped).

Nulls propagate: a comparison with a missing value is unknown (``pd.NA``),
``and``/``or`` follow Kleene logic, and an aggregate over missing values is
missing. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import pandas as pd

OPS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}


def is_series(x) -> bool:
    return isinstance(x, pd.Series)


def is_null(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def null_like(other: pd.Series, dtype="float64") -> pd.Series:
    return pd.Series(np.nan if dtype == "float64" else pd.NA, index=other.index, dtype=dtype)


def to_bool(x):
    """A boolean Series (numpy bool when nothing is unknown, else nullable) or True / False / None."""
    if is_series(x):
        return x if x.dtype == bool or x.dtype == "boolean" else x.astype("boolean")
    return None if is_null(x) else bool(x)


def arith(op: str, a, b):
    if not is_series(a) and not is_series(b):
        if is_null(a) or is_null(b) or (op == "/" and b == 0):
            return None
        return OPS[op](a, b)
    if not is_series(a) and is_null(a):
        return null_like(b)
    if not is_series(b) and is_null(b):
        return null_like(a)
    out = OPS[op](a, b)
    if op == "/":
        out = out.replace([np.inf, -np.inf], np.nan)
    return out


def scale(x, factor: float, offset: float = 0.0):
    """``x * factor + offset``: a unit conversion (an offset only between temperature scales)."""
    if factor == 1.0 and offset == 0.0:
        return x
    if is_series(x):
        return x * factor + offset if offset else x * factor
    return None if is_null(x) else x * factor + offset


def neg(x):
    if is_series(x):
        return -x
    return None if is_null(x) else -x


TOLERANCE = 1e-9  # relative: sums of the same areas in another order may differ in the last bit


def _is_float(x) -> bool:
    if is_series(x):
        return x.dtype.kind == "f"
    return isinstance(x, float | np.floating)


def close_to(x, y):
    """Whether values are within TOLERANCE of each other (relative, at least absolute), for arrays or Series."""
    return np.abs(x - y) <= TOLERANCE * np.maximum(np.maximum(np.abs(x), np.abs(y)), 1.0)


def _tolerant(op: str, a, b):
    """``a op b`` where values within TOLERANCE of each other count as equal."""
    if is_series(a) or is_series(b):
        av = a.to_numpy(dtype="float64") if is_series(a) else a
        bv = b.to_numpy(dtype="float64") if is_series(b) else b
        index = a.index if is_series(a) else b.index
        if op in ("==", "!="):
            close = close_to(av, bv)
            return pd.Series(close if op == "==" else ~close, index=index)
        # the tolerance decides only a false `<=` or `>=` (true where close) and a true `<` or `>` (false where close)
        out = OPS[op](av, bv)
        at = np.flatnonzero(~out if op in ("<=", ">=") else out)
        x, y = (v[at] if np.ndim(v) else v for v in (av, bv))
        close = close_to(x, y)
        out[at] = close if op in ("<=", ">=") else ~close
        return pd.Series(out, index=index)
    close = abs(a - b) <= TOLERANCE * max(abs(a), abs(b), 1.0)
    return {"==": close, "!=": not close, "<=": a <= b or close, ">=": a >= b or close,
            "<": a < b and not close, ">": a > b and not close}[op]


def compare(op: str, a, b):
    if not is_series(a) and not is_series(b):
        if is_null(a) or is_null(b):
            return None
        if (_is_float(a) or _is_float(b)) and not isinstance(a, bool) and not isinstance(b, bool) \
                and isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
            return bool(_tolerant(op, a, b))
        return bool(OPS[op](a, b))
    if not is_series(a):
        if is_null(a):
            return null_like(b, "boolean")
        a, b, op = b, a, _FLIP[op]
    if not is_series(b) and is_null(b):
        return null_like(a, "boolean")
    if is_series(b) and isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype) \
            and list(a.cat.categories) != list(b.cat.categories):  # same values declared in another order
        b = b.cat.reorder_categories(a.cat.categories)
    coded = _by_codes(op, a, b)
    if coded is not None:
        return coded
    if (_is_float(a) or _is_float(b)) and all(is_series(x) and x.dtype.kind in "fiu" or
                                                (not is_series(x) and isinstance(x, int | float | np.number)
                                                 and not isinstance(x, bool)) for x in (a, b)):
        out = _tolerant(op, a, b)
    else:
        out = OPS[op](a, b)
    nulls = _empty(a) if not is_series(b) else _empty(a) | _empty(b)
    if nulls.any():
        out = _known(out.to_numpy(), nulls, out, out.name) if out.dtype == bool else out.astype("boolean").mask(nulls)
    return out


_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _empty(x: pd.Series) -> np.ndarray:
    """Where a column's values are missing, as NumPy booleans (``isna`` on the Series would build another)."""
    return np.asarray(x.array.isna())


def _known(values: np.ndarray, nulls: np.ndarray, like: pd.Series, name=None) -> pd.Series:
    """A boolean column along ``like``'s rows: plain NumPy booleans, or nullable and missing at ``nulls`` when
    some value is."""
    if nulls.any():
        return pd.Series(pd.arrays.BooleanArray(values & ~nulls, nulls), index=like.index, name=name, copy=False)
    return pd.Series(values, index=like.index, name=name, copy=False)


def _by_codes(op: str, a: pd.Series, b):
    """``a op b`` for an enum column against one value or against an enum column of the same categories, compared
    as the categories' codes in NumPy, as pandas compares them (a value that is no category equals no row; a
    missing value, code -1, is unknown); None where pandas decides otherwise (or raises)."""
    if not isinstance(a.dtype, pd.CategoricalDtype) or (op not in ("==", "!=") and not a.dtype.ordered):
        return None
    codes = a.array.codes  # the Categorical's own codes (``.cat.codes`` wraps them in a Series)
    if is_series(b):
        if not (isinstance(b.dtype, pd.CategoricalDtype) and b.dtype.ordered == a.dtype.ordered
                and b.dtype.categories.equals(a.dtype.categories) and (b.index is a.index or b.index.equals(a.index))):
            return None
        other = b.array.codes
        return _known(OPS[op](codes, other), (codes < 0) | (other < 0), a, a.name if a.name == b.name else None)
    categories = a.dtype.categories
    if b in categories:
        at = categories.get_loc(b)
    elif op in ("==", "!="):
        at = -2  # no code: equal to no row
    else:
        return None
    return _known(OPS[op](codes, at), codes < 0, a, a.name)


def and_(a, b):
    a, b = to_bool(a), to_bool(b)
    if not is_series(a) and not is_series(b):
        if a is False or b is False:
            return False
        return None if a is None or b is None else True
    if not is_series(a):
        a, b = b, a
    return a.astype("boolean") & pd.NA if b is None else a & b


def or_(a, b):
    a, b = to_bool(a), to_bool(b)
    if not is_series(a) and not is_series(b):
        if a is True or b is True:
            return True
        return None if a is None or b is None else False
    if not is_series(a):
        a, b = b, a
    return a.astype("boolean") | pd.NA if b is None else a | b


def not_(a):
    a = to_bool(a)
    if is_series(a):
        return ~a
    return None if a is None else not a


def isin(a, values: list, negated: bool):
    if not is_series(a):
        if is_null(a):
            return None
        return (a in values) != negated
    if isinstance(a.dtype, pd.CategoricalDtype):  # whether each category is listed, read at each row's code
        categories = a.dtype.categories.tolist()
        if all(isinstance(x, str) for x in [*categories, *values]):  # texts are equal as Python compares them
            wanted = set(values)  # (an Index of the values would cost more than the rest of the rule on 10^3 rows)
            listed = np.array([c in wanted for c in categories] + [False])  # the last for code -1, a missing value
        else:
            listed = np.zeros(len(categories) + 1, dtype=bool)
            at = a.dtype.categories.get_indexer_for(pd.Index(values))
            listed[at[at >= 0]] = True
        hit = listed[a.array.codes]
    else:
        hit = a.isin(values).to_numpy(dtype=bool)
    return _known(hit != negated, _empty(a), a, a.name)


def present(a, want: bool):
    if is_series(a):
        out = a.notna()
        return out if want else ~out
    return (not is_null(a)) == want


def lookup(x, table: dict, default):
    if not is_series(x):
        if is_null(x):
            return None
        return table.get(str(x) if not isinstance(x, float) else str(int(x)), default)
    if isinstance(x.dtype, pd.CategoricalDtype):
        cats = x.cat.categories
        values = [table.get(str(c), default) for c in cats]
        codes = x.cat.codes.to_numpy()
        if all(isinstance(v, (int, float)) or v is None for v in values):
            arr = np.array([np.nan if v is None else v for v in values], dtype="float64")
            out = np.where(codes >= 0, arr[np.maximum(codes, 0)] if len(arr) else np.nan, np.nan)
            return pd.Series(out, index=x.index)
        obj = np.array(values + [None], dtype=object)
        return pd.Series(obj[np.where(codes >= 0, codes, len(values))], index=x.index)
    keys = x if x.dtype != "float64" else x.map(lambda v: str(int(v)) if v == v else v)
    out = keys.map(table)
    if default is not None:
        out = out.where(x.isna() | out.notna(), default)
    return out


def band_lookup(x, bands, default):
    """The value of the band that holds ``x`` (ends compared as ``compare`` does, with its tolerance);
    ``default`` outside every band."""
    if not is_series(x):
        if is_null(x):
            return None
        for b in bands:
            if _in_band(x, b) is True:
                return b.value
        return default
    values = [b.value for b in bands]
    numeric = all(isinstance(v, int | float) for v in [*values, *([] if default is None else [default])])
    out = pd.Series(np.nan if numeric else None, index=x.index, dtype="float64" if numeric else object)
    if default is not None:
        out[x.notna().to_numpy()] = default
    taken = np.zeros(len(x), dtype=bool)
    for b in bands:
        hit = to_bool(_in_band(x, b)).fillna(False).to_numpy(dtype=bool) & ~taken
        out[hit] = b.value
        taken |= hit
    return out


def _in_band(x, band):
    inside = True
    if band.low is not None:
        inside = compare(">=" if band.low_closed else ">", x, band.low)
    if band.high is not None:
        inside = and_(inside, compare("<=" if band.high_closed else "<", x, band.high))
    return inside


def if_(cond, a, b):
    """``a`` where ``cond`` holds, ``b`` where it does not, nothing where it is unknown."""
    if not is_series(cond):
        cond = to_bool(cond)
        return None if cond is None else (a if cond else b)
    known = cond.notna().to_numpy(dtype=bool)
    pick = cond.fillna(False).to_numpy(dtype=bool)
    index = cond.index
    sa, sb = (_branch(x, index) for x in (a, b))
    out = sa.where(pd.Series(pick, index=index), sb)
    return out.where(pd.Series(known, index=index)) if not known.all() else out


def _branch(x, index: pd.Index) -> pd.Series:
    """One branch of ``if_`` as a Series on ``index``; enum values as plain values (two enums' categories differ)."""
    if not is_series(x):
        return pd.Series([x] * len(index), index=index, dtype=None if x is not None else object)
    return x.astype(object) if isinstance(x.dtype, pd.CategoricalDtype) else x


def follow(keys, index: pd.Index, values: pd.Series):
    """The value of the row whose key each of ``keys`` is (a vectorised index lookup, not a loop);
    nothing for a missing key or one the table does not hold."""
    if not is_series(keys):
        if is_null(keys):
            return None
        pos = index.get_indexer(pd.Index([keys], dtype=object))[0]
        if pos < 0:
            return None
        v = values.iloc[pos]
        return None if is_null(v) else (v.item() if hasattr(v, "item") else v)
    pos = index.get_indexer(keys.astype(object))
    taken = values.take(np.maximum(pos, 0)) if len(values) else pd.Series([None] * len(pos), dtype=object)
    out = pd.Series(taken.to_numpy(), index=keys.index, dtype=values.dtype)
    return out.where(pd.Series(pos >= 0, index=keys.index))


# ---- aggregates ------------------------------------------------------------


class RowsetValue:
    """A table or category passed to a built-in as an argument: the table's rows and which belong (``member``:
    None for all, else a boolean Series, missing where membership is unknown), and, for a spatial function,
    the rows' shapes and the values it totals (Series along the table's rows, or None)."""

    __slots__ = ("frame", "member", "name", "shapes", "values")

    def __init__(self, name: str, frame: pd.DataFrame, member, shapes=None, values=None):
        self.name, self.frame, self.member, self.shapes, self.values = name, frame, member, shapes, values


class Rows:
    """The element rows one aggregate reads, what it includes, and their groups.

    ``values`` is aligned with the element rows (None for ``count``/``share`` of rows); ``inc``
    says which rows the aggregate includes (None: all); ``unknown`` which rows' inclusion is
    unknown; ``member`` which rows belong to the category aggregated; ``keys`` the group of each row
    (None for one plan-level value).
    """

    __slots__ = ("values", "inc", "unknown", "member", "keys", "index", "times", "args")

    def __init__(self, values, inc, unknown, member, keys, index, times=None, args=()):
        self.values, self.inc, self.unknown, self.member, self.keys, self.index = (
            values, inc, unknown, member, keys, index)
        self.times = times  # a series function: each row's time, in years (see time_coordinate)
        self.args = args  # the aggregate's further arguments (plan-level values)

    def reduce(self, series: pd.Series, how: str):
        if self.keys is None:
            return getattr(series, how)()
        return getattr(series.groupby(self.keys, observed=True, sort=True), how)()

    def count(self, mask):
        """Rows where ``mask`` holds (all rows when None), per group or in total."""
        if mask is None:
            return len(self.index) if self.keys is None else self.reduce(pd.Series(1, index=self.index), "sum")
        return self.reduce(mask, "sum")

    def masked(self) -> pd.Series:
        """The values of included rows; others missing."""
        values, inc = self.values, self.inc
        if inc is None:
            return values
        if values.dtype == "float64":
            return pd.Series(np.where(inc.to_numpy(), values.to_numpy(), np.nan), index=values.index)
        return values.where(inc)

    def missing(self) -> pd.Series:
        """Included rows whose value is missing."""
        return self.values.isna() if self.inc is None else (self.values.isna() & self.inc)

    def nulls(self, extra=None):
        """Whether the result is unknown: some row's inclusion is unknown, or ``extra`` holds somewhere."""
        parts = [p for p in (self.unknown, extra) if p is not None]
        if not parts:
            return False if self.keys is None else self.reduce(pd.Series(False, index=self.index), "any")
        flag = parts[0] if len(parts) == 1 else parts[0] | parts[1]
        return bool(flag.any()) if self.keys is None else self.reduce(flag, "any")

    def finish(self, value, null):
        """Scalar: None when null; grouped: the Series with nulls masked."""
        if self.keys is None:
            if null or is_null(value):
                return None
            return value.item() if hasattr(value, "item") else value
        return value.mask(null) if null.any() else value


def time_coordinate(x):
    """Times as years on one calendar axis: a year is itself; a date is its year, plus a twelfth for each
    month gone and a 372nd (a 31st of a month) for each day of its month gone. The same day of the month a
    month or a year later is exactly a month or a year later (2024-03-01 to 2025-03-01: 1 year, leap day or
    not; 2024-01-15 to 2024-02-15: 1/12 year).

    >>> time_coordinate(2030), time_coordinate(pd.Timestamp("2024-03-01")), time_coordinate(pd.Timestamp("2025-07-16"))
    (2030.0, 2024.1666666666667, 2025.5403225806451)
    """
    if is_series(x):
        if x.dtype.kind == "M":
            d = x.dt
            return (d.year + (d.month - 1) / 12 + (d.day - 1) / 372).astype("float64")
        return x.astype("float64")
    if isinstance(x, pd.Timestamp | np.datetime64):
        t = pd.Timestamp(x)
        return t.year + (t.month - 1) / 12 + (t.day - 1) / 372
    return float(x)


def aggregate(reducer, values, where, keys, member=None, index=None, times=None, args=()):
    """One aggregate over element rows: ``reducer`` (a built-in's vectorised implementation) applied
    to the rows included.

    ``where`` is the filter (nullable bool Series, a plan-level True, False or ``pd.NA`` for unknown, or
    None for no filter); ``member`` says which rows belong
    to the category aggregated (None: all). A row whose membership or filter is unknown makes the
    aggregate unknown (unless the reducer is decided without it, as ``any`` by a true row).
    """
    index = values.index if is_series(values) else index
    if where is not None and not is_series(where):  # a plan-level filter: every row or none, or unknown (pd.NA)
        where = None if where is True else pd.Series(pd.NA if is_null(where) else False, index=index,
                                                     dtype="boolean")
    include = where if member is None else (member if where is None else and_(member, where))
    inc = None if include is None else include.fillna(False).astype(bool)
    unknown = None if include is None else include.isna()
    return reducer(Rows(values, inc, unknown, member, keys, index, times, args))
