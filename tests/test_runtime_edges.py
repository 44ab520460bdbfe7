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


# ---- found by the mutation run of 2026-12-01 (876 mutants): each test kills the mutants named in its comment -------
def test_the_rounding_tolerance_is_inclusive_and_relative_to_the_larger_value_on_columns():
    # |0 - 1e-9| = 1e-9 = TOLERANCE x max(0, 1e-9, 1): exactly at the tolerance still counts as equal (`<=`, not `<`)
    assert rt.compare("==", 0.0, 1e-9) is True and rt.compare("<", 0.0, 1e-9) is False
    assert cells(rt.compare("==", s(0.0), 1e-9)) == [True] and cells(rt.compare("<", s(0.0), 1e-9)) == [False]
    # 1.5e-9 apart near zero: beyond 1e-9 x max(|a|, |b|, 1) = 1e-9, so different (a floor of 1, not 2)
    assert rt.compare("==", 0.0, 1.5e-9) is False and cells(rt.compare("==", s(0.0), 1.5e-9)) == [False]
    # 1e12 and 1e12 + 1 on a column: 1 <= 1e-9 x 1e12 = 1000 (the tolerance grows with the value, it is not divided)
    assert cells(rt.compare("==", s(1e12), 1e12 + 1)) == [True]
    assert cells(rt.compare("<=", s(1e12 + 1), s(1e12))) == [True]


def test_a_float_and_a_boolean_column_compare_exactly():
    # 1 + 1e-12 is not True: booleans never take the tolerant path, on columns as on plain values
    assert cells(rt.compare("==", s(1.0 + 1e-12, 1.0), True)) == [False, True]
    assert cells(rt.compare("==", s(1.0 + 1e-12, 1.0), s(True, True))) == [False, True]


def test_an_integer_column_against_a_float_value_is_compared_with_tolerance():
    # the float on the right: 5 == 5 + 1e-12 within the tolerance
    assert cells(rt.compare("==", s(5, 6), 5.0 + 1e-12)) == [True, False]


def test_membership_keeps_a_plain_boolean_column_and_a_nullable_one_where_values_are_missing():
    assert rt.isin(s("a", "c"), ["a"], False).dtype == bool
    out = rt.isin(s("a", "c", None), ["a"], False)
    assert out.dtype == "boolean" and cells(out) == [True, False, None]


LEVELS = ["poor", "moderate", "good"]


def enum(*values, ordered=True, categories=LEVELS):
    return pd.Series(pd.Categorical(list(values), categories=categories, ordered=ordered), index=[7, 8, 9, 10][
        :len(values)])


@pytest.mark.parametrize("ordered", [True, False])
def test_membership_of_an_enum_column_by_its_categories(ordered):
    col = enum("poor", None, "good", "moderate", ordered=ordered)
    # poor in [poor, good]: yes; missing: unknown; good: yes; moderate: no. "bad" is no category: it matches no row
    out = rt.isin(col, ["poor", "good", "bad"], False)
    assert out.dtype == "boolean" and cells(out) == [True, None, True, False] and list(out.index) == [7, 8, 9, 10]
    assert cells(rt.isin(col, ["poor", "good", "bad"], True)) == [False, None, False, True]
    assert cells(rt.isin(col, ["bad"], False)) == [False, None, False, False]
    assert cells(rt.isin(col, [], True)) == [True, None, True, True]
    full = rt.isin(enum("poor", "good", ordered=ordered), ["good"], False)  # nothing missing: plain booleans
    assert full.dtype == bool and full.tolist() == [False, True]
    # categories that are numbers: matched by value (2.0 is 2), a text matches none
    numbers = enum(1, None, 2, 3, ordered=ordered, categories=[1, 2, 3])
    assert cells(rt.isin(numbers, [2.0, 5, "1"], False)) == [False, None, True, False]
    assert cells(rt.isin(numbers, [2.0, 5, "1"], True)) == [True, None, False, True]


def test_enum_comparisons_with_missing_values_and_a_value_that_is_no_category():
    col = enum("poor", None, "good", "moderate")
    # ranks poor 0, moderate 1, good 2: against moderate (1): 0, -, 2, 1
    assert cells(rt.compare("==", col, "moderate")) == [False, None, False, True]
    assert cells(rt.compare("!=", col, "moderate")) == [True, None, True, False]
    assert cells(rt.compare("<", col, "moderate")) == [True, None, False, False]
    assert cells(rt.compare(">=", col, "moderate")) == [False, None, True, True]
    assert cells(rt.compare(">", "moderate", col)) == [True, None, False, False]  # the value on the left
    assert cells(rt.compare("==", col, "bad")) == [False, None, False, False]  # no category: equal to no row
    assert cells(rt.compare("!=", col, "bad")) == [True, None, True, True]
    assert rt.compare("==", enum("poor", "good"), "good").dtype == bool
    # two enum columns of the same categories: by rank, unknown where either is missing
    other = enum("good", "good", None, "poor")
    assert cells(rt.compare("<", col, other)) == [True, None, None, False]
    assert cells(rt.compare("==", col, other)) == [False, None, None, False]
    assert cells(rt.compare(">=", col, other)) == [False, None, None, True]
    # unordered: equality by value even where the categories are listed in another order
    a = enum("poor", "good", None, ordered=False)
    b = enum("poor", "moderate", "good", ordered=False, categories=LEVELS[::-1])
    assert cells(rt.compare("==", a, b)) == [True, False, None]
    assert cells(rt.compare("!=", a, b)) == [False, True, None]


def test_to_bool_leaves_a_nullable_boolean_column_as_it_is():
    nullable = s(True, None, dtype="boolean")
    assert rt.to_bool(nullable) is nullable


def test_column_arithmetic_keeps_floats_and_scale_divides_nothing():
    out = rt.arith("/", s(6.0, 6.0), s(0.0, 3.0))
    assert out.dtype == "float64" and cells(out) == [None, 2.0]  # 6 / 0 is missing, 6 / 3 = 2
    # degC to degF on a column: 10 x 1.8 + 32 = 50, 20 x 1.8 + 32 = 68
    assert rt.scale(s(10.0, 20.0), 1.8, 32.0).tolist() == pytest.approx([50.0, 68.0])


def test_lookup_of_columns_keeps_the_rows_index_and_an_enum_with_no_categories():
    index = [10, 20, 30]
    cats = pd.Series(pd.Categorical(["w", None, "p"], categories=["w", "p"]), index=index)
    numbers = rt.lookup(cats, {"w": 1.0, "p": 0.4}, None)
    assert list(numbers.index) == index and cells(numbers) == [1.0, None, 0.4]
    texts = rt.lookup(cats, {"w": "wet"}, "other")
    assert list(texts.index) == index and cells(texts) == ["wet", None, "other"]
    empty = pd.Series(pd.Categorical([None, None], categories=[]))
    assert cells(rt.lookup(empty, {"w": 1.0}, None)) == [None, None]


def _bands():
    from engine.model import Band

    # [0, 10) -> 1.0, [10, 20] -> 2.0, (15, 30) -> 3.0: 15 < x <= 20 lies in the second and the third; the first wins
    return (Band(0.0, 10.0, True, False, 1.0), Band(10.0, 20.0, True, True, 2.0), Band(15.0, 30.0, False, False, 3.0))


def test_band_lookup_of_a_column():
    x = pd.Series([5.0, 10.0, 18.0, 25.0, 40.0, None], index=[1, 2, 3, 4, 5, 6])
    out = rt.band_lookup(x, _bands(), None)
    # 5 in [0, 10); 10 in [10, 20]; 18 in [10, 20] (first of two); 25 in (15, 30); 40 in none; None missing
    assert out.dtype == "float64" and cells(out) == [1.0, 2.0, 2.0, 3.0, None, None]
    with_default = rt.band_lookup(x, _bands(), 0.0)
    assert with_default.dtype == "float64" and cells(with_default) == [1.0, 2.0, 2.0, 3.0, 0.0, None]
    # 15 is the open low end of the third band: it belongs to the second only
    assert cells(rt.band_lookup(s(15.0), _bands()[1:][::-1], None)) == [2.0]


def test_band_lookup_of_text_values():
    from engine.model import Band

    bands = (Band(None, 10.0, False, False, "low"), Band(10.0, None, True, False, "high"))
    out = rt.band_lookup(s(5.0, 12.0, None), bands, None)
    assert out.dtype == object and cells(out) == ["low", "high", None]


def test_if_keeps_the_rows_index_and_the_branches_type():
    index = [7, 8, 9]
    cond = pd.Series([True, False, None], index=index, dtype="boolean")
    out = rt.if_(cond, 1.0, 2.0)
    assert list(out.index) == index and out.dtype == "float64" and cells(out) == [1.0, 2.0, None]
    col = pd.Series([10.0, 20.0, 30.0], index=index)
    out = rt.if_(pd.Series([True, False, True], index=index), col, 0.0)
    assert out.dtype == "float64" and cells(out) == [10.0, 0.0, 30.0]
    out = rt.if_(cond, col, None)
    assert cells(out) == [10.0, None, None]


def test_grouped_aggregates_on_rows_with_their_own_index():
    index = [11, 12, 13, 14]
    values = pd.Series([1.0, 2.0, 4.0, 8.0], index=index)
    keys = pd.Series(["b", "a", "b", "a"], index=index)
    where = pd.Series([True, True, False, True], index=index, dtype="boolean")
    out = agg("sum", values, where, keys)
    # a: 2 + 8 = 10; b: 1 (its second row is filtered out); groups in key order
    assert list(out.index) == ["a", "b"] and out.tolist() == [10.0, 1.0]
    assert agg("count", values, None, keys).tolist() == [2, 2]


def test_grouped_aggregates_leave_out_categories_no_row_has():
    keys = pd.Series(pd.Categorical(["a", "a"], categories=["a", "z"]))
    assert agg("sum", s(1.0, 2.0), None, keys).to_dict() == {"a": 3.0}


def test_an_included_missing_value_makes_the_aggregate_unknown_beside_a_known_filter():
    # the filter is known for every row, the included second row has no value: the sum is unknown
    assert agg("sum", s(1.0, None, 3.0), s(True, True, False, dtype="boolean")) is None
    assert agg("sum", s(1.0, None, 3.0), s(True, False, True, dtype="boolean")) == 4.0  # 1 + 3


def test_plan_level_aggregates_are_plain_python_numbers():
    total = agg("sum", s(1.5, 2.0), None)
    count = agg("count", s(1, 2, 3), None)
    assert type(total) is float and total == 3.5 and type(count) is int and count == 3


def test_time_coordinate():
    # a year is itself; a date is its year + (month - 1) / 12 + (day - 1) / 372
    assert rt.time_coordinate(2030) == 2030.0 and type(rt.time_coordinate(2030)) is float
    assert rt.time_coordinate(pd.Timestamp("2024-03-01")) == 2024 + 2 / 12  # 2024.1666...
    assert rt.time_coordinate(np.datetime64("2025-07-16")) == pytest.approx(2025 + 6 / 12 + 15 / 372, abs=1e-12)
    dates = pd.Series(pd.to_datetime(["2024-01-15", "2024-12-31"]))
    out = rt.time_coordinate(dates)
    # 2024 + 0 + 14/372 = 2024.037634; 2024 + 11/12 + 30/372 = 2024.997312
    assert out.dtype == "float64"
    assert out.tolist() == pytest.approx([2024 + 14 / 372, 2024 + 11 / 12 + 30 / 372], abs=1e-12)
    years = rt.time_coordinate(s(2020, 2030))
    assert years.dtype == "float64" and years.tolist() == [2020.0, 2030.0]


def test_follow_a_reference_to_another_table():
    index = pd.Index(["D1", "D2", "D3"], dtype=object)  # the other table's keys
    values = pd.Series([10.0, None, 30.0], index=[1, 2, 3])  # its column, row for row
    assert rt.follow("D3", index, values) == 30.0 and type(rt.follow("D3", index, values)) is float
    assert rt.follow("D1", index, values) == 10.0  # the first row (position 0) is found like any other
    assert rt.follow("D2", index, values) is None  # the row is there, its value is missing
    assert rt.follow("D9", index, values) is None and rt.follow(None, index, values) is None
    keys = pd.Series(["D3", "D9", None, "D1"], index=[5, 6, 7, 8])
    out = rt.follow(keys, index, values)
    assert list(out.index) == [5, 6, 7, 8] and out.dtype == "float64" and cells(out) == [30.0, None, None, 10.0]
    texts = rt.follow(keys, index, pd.Series(["x", "y", "z"], dtype=object))
    assert cells(texts) == ["z", None, None, "x"]
    nothing = rt.follow(s("D1"), pd.Index([], dtype=object), pd.Series([], dtype="float64"))
    assert cells(nothing) == [None]


def test_a_rowset_value_holds_what_it_is_given():
    frame = pd.DataFrame({"x": [1, 2]})
    member = s(True, None, dtype="boolean")
    rows = rt.RowsetValue("parks", frame, member, shapes=s("a", "b"), values=s(1.0, 2.0))
    assert rows.name == "parks" and rows.frame is frame and rows.member is member
    assert rows.shapes.tolist() == ["a", "b"] and rows.values.tolist() == [1.0, 2.0]
    bare = rt.RowsetValue("trees", frame, None)
    assert bare.member is None and bare.shapes is None and bare.values is None


# ---- found by the same run, left then: a filter at plan level, an unknown inclusion, three overlapping bands ------
def test_a_plan_level_filter_on_rows_with_their_own_index_and_a_category():
    # rows indexed 11-13, the second and third in the category; the filter is one plan-level value
    index = [11, 12, 13]
    values = pd.Series([1.0, 2.0, 4.0], index=index)
    member = pd.Series([False, True, True], index=index, dtype="boolean")
    keys = pd.Series(["a", "b", "b"], index=index)
    assert agg("sum", values, True, member=member) == 6.0  # 2 + 4
    assert agg("sum", values, False, member=member) == 0.0  # nothing included
    assert agg("sum", values, pd.NA, member=member) is None  # unknown whether any row counts
    # per group: every group is 0 when the filter is false; when it is unknown, group b (two rows in the
    # category) is unknown, and group a (no row in the category: not in it and unknown is false) is 0
    assert agg("count", values, False, keys, member=member).to_dict() == {"a": 0, "b": 0}
    out = agg("sum", values, pd.NA, keys, member=member)
    assert out["a"] == 0.0 and pd.isna(out["b"])


def test_an_unknown_inclusion_never_decides_any_or_all():
    flags = s(False, True, dtype="boolean")
    unknown_second = s(True, None, dtype="boolean")  # the second row, the only true one, may not count
    assert agg("any", flags, unknown_second) is None  # false for the first; the second might decide it
    assert agg("any", flags, s(True, True, dtype="boolean")) is True
    assert agg("all", s(True, False, dtype="boolean"), unknown_second) is None  # the false row may not count
    assert agg("all", s(True, False, dtype="boolean"), s(True, False, dtype="boolean")) is True


def test_a_value_in_three_overlapping_bands_takes_the_first():
    from engine.model import Band

    bands = (Band(0.0, 30.0, True, True, 1.0), Band(10.0, 30.0, True, True, 2.0), Band(20.0, 30.0, True, True, 3.0))
    # 5 only in the first; 15 in the first two; 25 in all three: the first band listed wins every time
    assert cells(rt.band_lookup(s(5.0, 15.0, 25.0), bands, None)) == [1.0, 1.0, 1.0]
    assert cells(rt.band_lookup(s(25.0, 15.0), bands[::-1], None)) == [3.0, 2.0]  # reversed: (20, 30] first
