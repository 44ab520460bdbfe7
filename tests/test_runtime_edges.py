"""The runtime's operators at their edges, each written out by hand: Kleene truth tables, every comparison
operator on scalars and columns (with the scalar on either side, missing values on either side, and values
within the rounding tolerance), arithmetic, membership, presence and lookups.

These are the cases mutation testing (mutmut, see the README's development section) found untested.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine import builtins as B
from engine.compile import runtime as rt

T, F, U = True, False, None  # U: unknown

# Kleene's strong three-valued logic, by hand: (a, b) -> a and b, a or b
KLEENE = {
    (T, T): (T, T), (T, F): (F, T), (T, U): (U, T),
    (F, T): (F, T), (F, F): (F, F), (F, U): (F, U),
    (U, T): (U, T), (U, F): (F, U), (U, U): (U, U),
}


def s(*values, dtype=None):
    return pd.Series(list(values), dtype=dtype)


def cells(series: pd.Series) -> list:
    """A column as plain Python values, missing as None."""
    return [None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in series.tolist()]


# ---- three-valued logic -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", list(KLEENE))
def test_and_or_on_plain_values(a, b):
    want_and, want_or = KLEENE[(a, b)]
    assert rt.and_(a, b) is want_and
    assert rt.or_(a, b) is want_or


@pytest.mark.parametrize("b", [T, F, U])
def test_and_or_of_a_column_and_a_plain_value_on_either_side(b):
    a = s(T, F, U, dtype="boolean")
    want_and = [KLEENE[(x, b)][0] for x in (T, F, U)]
    want_or = [KLEENE[(x, b)][1] for x in (T, F, U)]
    assert cells(rt.and_(a, b)) == want_and and cells(rt.and_(b, a)) == want_and
    assert cells(rt.or_(a, b)) == want_or and cells(rt.or_(b, a)) == want_or


def test_and_or_of_two_columns():
    pairs = list(KLEENE)
    a = s(*[p[0] for p in pairs], dtype="boolean")
    b = s(*[p[1] for p in pairs], dtype="boolean")
    assert cells(rt.and_(a, b)) == [KLEENE[p][0] for p in pairs]
    assert cells(rt.or_(a, b)) == [KLEENE[p][1] for p in pairs]


def test_and_or_of_a_plain_boolean_column_with_unknown():
    a = s(True, False)  # numpy bool: nothing unknown in it
    assert cells(rt.and_(a, None)) == [None, False]
    assert cells(rt.or_(None, a)) == [True, None]
    assert rt.and_(a, None).dtype == "boolean" and rt.or_(a, None).dtype == "boolean"


def test_not():
    assert rt.not_(True) is False and rt.not_(False) is True and rt.not_(None) is None
    assert cells(rt.not_(s(T, F, U, dtype="boolean"))) == [F, T, U]


def test_to_bool():
    assert rt.to_bool(1) is True and rt.to_bool(0) is False and rt.to_bool(None) is None
    assert rt.to_bool(float("nan")) is None
    plain = s(True, False)
    assert rt.to_bool(plain) is plain  # already boolean: no copy
    nullable = rt.to_bool(s(1.0, 0.0, None))
    assert nullable.dtype == "boolean" and cells(nullable) == [True, False, None]


# ---- comparisons --------------------------------------------------------------------------------------------------
# (a, b) -> {op: a op b}, by hand
ORDERS = {
    (3, 5): {"==": F, "!=": T, "<": T, "<=": T, ">": F, ">=": F},
    (5, 5): {"==": T, "!=": F, "<": F, "<=": T, ">": F, ">=": T},
    (7, 5): {"==": F, "!=": T, "<": F, "<=": F, ">": T, ">=": T},
}
ORDERS[(5, 7)], ORDERS[(5, 3)] = ORDERS[(3, 5)], ORDERS[(7, 5)]
OPS = ["==", "!=", "<", "<=", ">", ">="]


@pytest.mark.parametrize("op", OPS)
def test_every_operator_on_plain_numbers(op):
    for (a, b), want in ORDERS.items():
        assert rt.compare(op, a, b) is want[op], (a, op, b)
        assert rt.compare(op, float(a), float(b)) is want[op], (a, op, b)
    assert rt.compare(op, None, 5) is None and rt.compare(op, 5, None) is None
    assert rt.compare(op, float("nan"), 5.0) is None


@pytest.mark.parametrize("op", OPS)
def test_every_operator_within_the_rounding_tolerance(op):
    # 1.0 and 1.0 + 1e-12 differ in the last bits only: they compare as equal
    a, b = 1.0, 1.0 + 1e-12
    assert rt.compare(op, a, b) is ORDERS[(5, 5)][op]
    assert rt.compare(op, b, a) is ORDERS[(5, 5)][op]
    # the tolerance is relative to the larger value: 1e12 and 1e12 + 1 are equal, 1e12 and 1.001e12 are not
    assert rt.compare(op, 1e12, 1e12 + 1) is ORDERS[(5, 5)][op]
    assert rt.compare(op, 1e12, 1.001e12) is ORDERS[(3, 5)][op]
    # and at least absolute 1e-9 near zero
    assert rt.compare(op, 0.0, 5e-10) is ORDERS[(5, 5)][op]
    assert rt.compare(op, 0.0, 1e-8) is ORDERS[(3, 5)][op]


@pytest.mark.parametrize("op", OPS)
def test_every_operator_on_a_column_against_a_value_on_either_side(op):
    col = s(3.0, 5.0, 7.0, None)
    want = [ORDERS[(a, 5)][op] for a in (3, 5, 7)] + [None]
    assert cells(rt.compare(op, col, 5.0)) == want
    # the value on the left: 5 op col, i.e. the flipped comparison of each row
    want_left = [ORDERS[(5, a)][op] for a in (3, 5, 7)] + [None]
    assert cells(rt.compare(op, 5.0, col)) == want_left
    # integers take the exact path
    ints = s(3, 5, 7)
    assert cells(rt.compare(op, ints, 5)) == want[:3]
    assert cells(rt.compare(op, 5, ints)) == want_left[:3]
    # rounding in the last bit on a column
    near = s(5.0 - 1e-12, 5.0 + 1e-12)
    assert cells(rt.compare(op, near, 5.0)) == [ORDERS[(5, 5)][op]] * 2
    assert cells(rt.compare(op, 5.0, near)) == [ORDERS[(5, 5)][op]] * 2


@pytest.mark.parametrize("op", OPS)
def test_every_operator_between_two_columns(op):
    a = s(3.0, 5.0, 7.0, None, 5.0)
    b = s(5.0, 5.0, 5.0, 5.0, None)
    assert cells(rt.compare(op, a, b)) == [ORDERS[(3, 5)][op], ORDERS[(5, 5)][op], ORDERS[(7, 5)][op], None, None]


def test_a_missing_value_against_a_column_is_unknown_for_every_row():
    col = s(1.0, 2.0)
    for out in (rt.compare("<", None, col), rt.compare("<", col, None)):
        assert out.dtype == "boolean" and cells(out) == [None, None]


def test_a_column_without_missing_values_stays_plain_boolean():
    out = rt.compare("<", s(1, 2, 3), 2)
    assert out.dtype == bool and out.tolist() == [True, False, False]


def test_text_and_enum_comparisons():
    assert rt.compare("<", "a", "b") is True and rt.compare("==", "a", "a") is True
    levels = ["poor", "moderate", "good"]
    cond = pd.Series(pd.Categorical(["poor", "good", None], categories=levels, ordered=True))
    assert cells(rt.compare("<=", cond, "moderate")) == [True, False, None]
    # the same enum declared in another order compares by the column's order
    other = pd.Series(pd.Categorical(["good", "poor", "poor"], categories=levels[::-1], ordered=True))
    assert cells(rt.compare("==", cond, other)) == [False, False, None]
    same = pd.Series(pd.Categorical(["poor", "good", "good"], categories=levels[::-1], ordered=True))
    assert cells(rt.compare("==", cond, same)) == [True, True, None]


def test_booleans_are_not_compared_with_tolerance():
    assert rt.compare("==", True, 1.0 + 1e-12) is False
    assert rt.compare("==", True, True) is True


# ---- arithmetic ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op,want", [("+", 8.0), ("-", 4.0), ("*", 12.0), ("/", 3.0)])
def test_arithmetic_on_plain_values_and_columns(op, want):
    assert rt.arith(op, 6.0, 2.0) == want
    assert rt.arith(op, None, 2.0) is None and rt.arith(op, 6.0, None) is None
    assert cells(rt.arith(op, s(6.0, None), 2.0)) == [want, None]
    assert cells(rt.arith(op, s(6.0), s(2.0))) == [want]


def test_division_by_zero_is_missing_never_infinite():
    assert rt.arith("/", 6.0, 0) is None and rt.arith("/", 0.0, 0.0) is None
    out = rt.arith("/", s(6.0, -6.0, 6.0), s(0.0, 0.0, 3.0))
    assert cells(out) == [None, None, 2.0]
    assert rt.arith("*", s(1.0), 0.0).tolist() == [0.0]  # only division turns infinities into missing


def test_a_missing_value_in_column_arithmetic_gives_a_missing_column():
    col = s(1.0, 2.0)
    for out in (rt.arith("+", None, col), rt.arith("+", col, None)):
        assert out.dtype == "float64" and out.index.equals(col.index) and out.isna().all()


def test_scale_and_negation():
    col = s(1.0, None)
    assert rt.scale(col, 1.0) is col  # no conversion: no copy
    assert cells(rt.scale(col, 100.0)) == [100.0, None]
    assert rt.scale(2.0, 0.5) == 1.0 and rt.scale(None, 0.5) is None
    assert cells(rt.neg(s(1.0, -2.0))) == [-1.0, 2.0]
    assert rt.neg(3) == -3 and rt.neg(None) is None


def test_null_like_keeps_the_index_and_the_kind():
    other = pd.Series([1, 2], index=[10, 20])
    num, flag = rt.null_like(other), rt.null_like(other, "boolean")
    assert num.dtype == "float64" and list(num.index) == [10, 20] and num.isna().all()
    assert flag.dtype == "boolean" and list(flag.index) == [10, 20] and flag.isna().all()


# ---- membership, presence, lookups --------------------------------------------------------------------------------
def test_membership():
    assert rt.isin("a", ["a", "b"], False) is True and rt.isin("c", ["a", "b"], False) is False
    assert rt.isin("a", ["a", "b"], True) is False and rt.isin("c", ["a", "b"], True) is True
    assert rt.isin(None, ["a"], False) is None
    col = s("a", "c", None)
    assert cells(rt.isin(col, ["a"], False)) == [True, False, None]
    assert cells(rt.isin(col, ["a"], True)) == [False, True, None]
    assert rt.isin(s("a", "c"), ["a"], True).tolist() == [False, True]


def test_presence():
    col = s(1.0, None)
    assert rt.present(col, True).tolist() == [True, False]
    assert rt.present(col, False).tolist() == [False, True]
    assert rt.present(None, True) is False and rt.present(None, False) is True
    assert rt.present(float("nan"), True) is False and rt.present(0, True) is True and rt.present(0, False) is False


def test_lookup_of_plain_values():
    table = {"w": 1.0, "2": 0.5}
    assert rt.lookup("w", table, 0.1) == 1.0
    assert rt.lookup("x", table, 0.1) == 0.1  # not in the table: the default
    assert rt.lookup(2.0, table, 0.1) == 0.5  # a whole float key reads as its integer text
    assert rt.lookup(2, table, 0.1) == 0.5
    assert rt.lookup(None, table, 0.1) is None and rt.lookup(float("nan"), table, 0.1) is None


def test_lookup_of_columns():
    cats = pd.Series(pd.Categorical(["w", "p", None, "x"], categories=["w", "p", "x"]))
    numbers = rt.lookup(cats, {"w": 1.0, "p": 0.4}, None)
    assert cells(numbers) == [1.0, 0.4, None, None] and numbers.dtype == "float64"  # numbers stay a float column
    assert cells(rt.lookup(cats, {"w": "wet", "p": "park"}, "other")) == ["wet", "park", None, "other"]
    floats = s(2.0, 3.0, None)
    assert cells(rt.lookup(floats, {"2": 0.5}, 0.1)) == [0.5, 0.1, None]
    text = s("w", "x", None)
    assert cells(rt.lookup(text, {"w": 1.0}, 0.1)) == [1.0, 0.1, None]


# ---- aggregates ---------------------------------------------------------------------------------------------------
def agg(name, values, where, keys=None, **kw):
    return rt.aggregate(B.resolve(name, 1).vector, values, where, keys, **kw)


def test_a_plan_level_filter_keeps_every_row_none_or_makes_the_result_unknown():
    v = s(1.0, 2.0, 4.0)
    assert agg("sum", v, None) == 7.0 and agg("sum", v, True) == 7.0  # no filter, or one that holds: 1 + 2 + 4
    assert agg("sum", v, False) == 0.0 and agg("count", v, False) == 0
    assert agg("sum", v, pd.NA) is None and agg("count", v, pd.NA) is None  # unknown: so is the aggregate


def test_grouped_results_mask_only_the_undecided_groups():
    v = s(1.0, 2.0, 4.0, 8.0)
    keys = s("a", "a", "b", "b")
    where = s(True, True, None, True, dtype="boolean")  # b's third row may or may not count
    out = agg("sum", v, where, keys)
    assert out["a"] == 3.0 and pd.isna(out["b"])
    out = agg("count", v, None, keys)
    assert out.to_dict() == {"a": 2, "b": 2}


def test_aggregates_over_integer_columns_with_a_filter():
    v = s(1, 2, 4, dtype="Int64")
    assert agg("sum", v, s(True, False, True, dtype="boolean")) == 5  # 1 + 4
    assert agg("max", v, s(True, True, False, dtype="boolean")) == 2


def test_an_empty_selection_of_a_float_column_is_nan_free_where_excluded():
    v = s(1.0, np.nan, 3.0)
    assert agg("sum", v, s(True, False, True, dtype="boolean")) == 4.0  # the missing row is filtered out


def test_an_integer_against_a_float_is_compared_with_tolerance():
    assert rt.compare("==", 1, 1.0 + 1e-12) is True and rt.compare(">", 1.0 + 1e-12, 1) is False
    assert cells(rt.compare("==", s(5.0 - 1e-12), 5)) == [True]  # a float column, an integer value
    assert cells(rt.compare("<", 5, s(5.0 + 1e-12))) == [False]


def test_column_results_keep_the_rows_index():
    col = pd.Series([1.0, 3.0], index=[10, 20])
    for out in (rt.compare("<", col, 2.0), rt.compare("<", 2.0, col), rt.compare("<", col, col)):
        assert list(out.index) == [10, 20]
    assert rt.compare("<", col, 2.0).tolist() == [True, False] and rt.compare("<", 2.0, col).tolist() == [False, True]


def test_arithmetic_with_the_value_on_the_left():
    assert cells(rt.arith("-", 10.0, s(4.0, None))) == [6.0, None]  # 10 - 4
    assert cells(rt.arith("/", 6.0, s(0.0, 3.0))) == [None, 2.0]  # 6 / 0 is missing, 6 / 3
