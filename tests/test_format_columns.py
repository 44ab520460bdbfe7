"""Values formatted a column at a time read exactly as the one-value functions give them: numbers to 12
significant digits, number texts, a value told apart from its threshold, for floats near their thresholds
and near rounding ties, missing values, integers, categories, text and booleans."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import format as F

FLOATS = st.floats(allow_nan=True, allow_infinity=True)


def _near_tie(digits: int):
    """Floats whose ``digits``-digit rounding is a near tie: (m + 1/2) x 10^e, nudged by a few ulps."""
    return st.builds(lambda m, e, ulps: float(np.nextafter((m + 0.5) * 10.0 ** e, math.inf) if ulps > 0 else
                                              np.nextafter((m + 0.5) * 10.0 ** e, -math.inf) if ulps < 0 else
                                              (m + 0.5) * 10.0 ** e),
                     st.integers(10 ** (digits - 1), 10 ** digits - 1), st.integers(-30, 10), st.integers(-1, 1))


def _same_bits(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(FLOATS, _near_tie(12), _near_tie(6)), min_size=1, max_size=60))
def test_rounded_is_the_twelve_digit_text_read_back(xs):
    got = F.rounded(np.array(xs, dtype="float64")).tolist()
    for x, g in zip(xs, got):
        want = float(f"{x:.12g}") if math.isfinite(x) else x
        assert _same_bits(g, want), (x, g, want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(FLOATS, _near_tie(12), st.integers(-2**60, 2**60).map(float)), min_size=1, max_size=60))
def test_plain_floats_is_plain_of_each(xs):
    got = F.plain_floats(np.array(xs, dtype="float64"))
    want = [F.plain(x) for x in xs]
    assert got == want and [type(g) for g in got] == [type(w) for w in want]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(FLOATS, _near_tie(4), st.floats(-200, 200), st.integers(-10**16, 10**16).map(float)),
                min_size=1, max_size=60))
def test_number_texts_is_number_of_each(xs):
    assert F.number_texts(np.array(xs, dtype="float64")) == [F.number(x) for x in xs]


def _column(draw, kind: str, n: int) -> pd.Series:
    if kind == "float":
        base = draw(st.sampled_from([30.0, 0.7, 1234.5, 1e-7]))
        xs = draw(st.lists(st.one_of(st.just(math.nan), st.floats(-1e6, 1e6), st.sampled_from(
            [base, base * (1 + 1e-5), base * (1 - 4e-5), base + 1e-9, base * (1 + 3e-13), np.nextafter(base, 0)])),
            min_size=n, max_size=n))
        return pd.Series(xs, dtype="float64")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)), dtype="int64")
    if kind == "Int64":
        return pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=n, max_size=n)),
                         dtype="Int64")
    if kind == "category":
        xs = draw(st.lists(st.one_of(st.none(), st.sampled_from(["poor", "good", "1 years"])), min_size=n, max_size=n))
        return pd.Series(xs, dtype=pd.CategoricalDtype(["poor", "good", "1 years", "unused"]))
    if kind == "text":
        return pd.Series(draw(st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=n, max_size=n)),
                         dtype="str")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(0, 10**9)), min_size=n, max_size=n)),
                     dtype="datetime64[s]")


KINDS = ["float", "int", "Int64", "category", "text", "bool", "datetime"]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_value_texts_is_value_of_each(data):
    n = data.draw(st.integers(0, 30))
    s = _column(data.draw, data.draw(st.sampled_from(KINDS)), n)
    assert F.value_texts(s) == [F.value(x) for x in s.tolist()]


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_apart_list_tells_each_value_from_its_threshold_as_apart_does(data):
    n = data.draw(st.integers(1, 30))
    kinds = st.sampled_from(["float", "float", "int", "Int64", "category"])
    values = _column(data.draw, data.draw(kinds), n)
    thresholds: pd.Series | object = (_column(data.draw, data.draw(kinds), n) if data.draw(st.booleans()) else
                                      data.draw(st.sampled_from([30.0, 30, 0.7, 1234.5, None, "good", math.nan])))
    if isinstance(thresholds, pd.Series):
        want = [F.apart(x, t)[0] for x, t in zip(values.tolist(), thresholds.tolist())]
        # one value against a column of thresholds
        one = data.draw(st.sampled_from([30.0, 29.99996, 7, "good", None]))
        assert F.apart_list(one, thresholds) == [F.apart(one, t)[0] for t in thresholds.tolist()]
    else:
        want = [F.apart(x, thresholds)[0] for x in values.tolist()]
    assert F.apart_list(values, thresholds) == want


def test_near_misses_get_the_digits_that_tell_them_apart():
    # by hand: 29.996 reads "30" at four significant digits, so it takes one more; 45 against 30 needs none
    values = pd.Series([29.996, 45.0, math.nan, 30.0000004])
    assert F.apart_list(values, 30.0) == ["29.996", "45", "(missing)", "30.0000004"]
    assert F.apart_list(values, pd.Series([30.0, 45.0000001, 1.0, 30.0])) == ["29.996", "45", "(missing)", "30.0000004"]
