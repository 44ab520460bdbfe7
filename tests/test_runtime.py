import pandas as pd
import pytest

from engine import builtins as B
from engine.compile import runtime as rt


def agg(name, values, where, keys, **kw):
    """The registry's vectorised aggregate ``name`` over the rows."""
    return rt.aggregate(B.resolve(name, 1).vector, values, where, keys, **kw)


def s(*values, dtype=None):
    return pd.Series(list(values), dtype=dtype)


def test_comparison_with_null_is_unknown():
    out = rt.compare(">", s(1.0, None, 3.0), 2.0)
    assert out.tolist() == [False, pd.NA, True]
    assert rt.compare(">", None, 2.0) is None


def test_kleene_and_or():
    a = s(True, False, None, None, dtype="boolean")
    b = s(None, None, True, False, dtype="boolean")
    assert rt.and_(a, b).tolist() == [pd.NA, False, pd.NA, False]
    assert rt.or_(a, b).tolist() == [True, pd.NA, True, pd.NA]
    assert rt.and_(None, False) is False and rt.or_(None, True) is True and rt.and_(None, True) is None


def test_scalar_arithmetic_and_division_by_zero():
    assert rt.arith("/", 1.0, 0) is None
    assert rt.arith("+", None, 2) is None
    assert rt.arith("/", s(1.0, 2.0), s(0.0, 2.0)).isna().tolist() == [True, False]


@pytest.mark.parametrize("func,want", [("sum", 6.0), ("mean", 2.0), ("min", 1.0), ("max", 3.0), ("count", 3)])
def test_aggregates_without_nulls(func, want):
    assert agg(func, s(1.0, 2.0, 3.0), None, None) == want


def test_aggregate_over_a_null_is_null_unless_filtered_out():
    v = s(1.0, None, 3.0)
    assert agg("sum", v, None, None) is None
    keep = s(True, False, True, dtype="boolean")
    assert agg("sum", v, keep, None) == 4.0


def test_unknown_filter_makes_the_aggregate_unknown():
    v = s(1.0, 2.0)
    assert agg("count", v, s(True, None, dtype="boolean"), None) is None


def test_membership_mask_limits_the_rows():
    v = s(1.0, None, 3.0)
    member = s(True, False, True, dtype="boolean")
    assert agg("sum", v, None, None, member=member) == 4.0
    where = s(True, True, False, dtype="boolean")
    assert agg("share", None, where, None, member=member, index=v.index) == 50.0
    assert agg("count", None, None, None, member=s(True, None, False, dtype="boolean"), index=v.index) is None


def test_share_and_any_all():
    cond = s(True, False, True, True, dtype="boolean")
    assert agg("share", cond, None, None) == 75.0
    assert agg("any", s(False, None, dtype="boolean"), None, None) is None
    assert agg("any", s(True, None, dtype="boolean"), None, None) is True
    assert agg("all", s(False, None, dtype="boolean"), None, None) is False


def test_grouped_aggregates_mask_groups_with_nulls():
    v = s(1.0, 2.0, None, 4.0)
    keys = s("a", "a", "b", "b")
    out = agg("sum", v, None, keys)
    assert out["a"] == 3.0 and pd.isna(out["b"])
    counts = agg("count", v, None, keys)
    assert counts.tolist() == [2, 2]


def test_lookup_on_categories_and_text():
    cat = pd.Series(pd.Categorical(["w", "p", None, "x"], categories=["w", "p", "x"]))
    out = rt.lookup(cat, {"w": 1.0, "p": 0.4}, 0.1)
    assert out.tolist()[:2] == [1.0, 0.4] and pd.isna(out[2]) and out[3] == 0.1
    text = s("w", "zz", None)
    out = rt.lookup(text, {"w": 1.0}, None)
    assert out[0] == 1.0 and pd.isna(out[1]) and pd.isna(out[2])


def test_comparisons_tolerate_rounding_in_the_last_bit():
    total = sum([0.1] * 10)  # 0.9999999999999999
    assert total != 1.0 and rt.compare("==", total, 1.0) is True and rt.compare(">=", total, 1.0) is True
    assert rt.compare("<", total, 1.0) is False
    col = s(24.459999999999997, 24.46, 24.0)
    assert rt.compare(">=", col, 24.46).tolist() == [True, True, False]
    assert rt.compare(">", col, 24.46).tolist() == [False, False, False]
    assert rt.compare("==", s(1.0, None), 1.0).tolist() == [True, pd.NA]


@pytest.mark.parametrize("value,text", [
    (5.4987, "5.499"), (35.714285, "35.71"), (0.0150553, "0.01506"), (140.714, "140.71"), (410000.0, "410000"),
    (-1e-7, "-1e-07"), (24.6, "24.6"), (None, "(missing)"), (True, "yes"),
])
def test_numbers_in_messages(value, text):
    from engine.format import value as show

    assert show(value) == text


def test_missing_evidence_reads_as_missing_in_the_summary():
    from engine.render.text import _evidence

    rule = {"evidence": {"checks": [{"expression": "x >= 3 ha", "actual": None, "operator": ">=",
                                     "required": 3, "unit": "ha"}]}, "missing": []}
    assert _evidence(rule) == ["      evidence: x >= 3 ha: actual (missing), required >= 3 ha"]


def test_scale_applies_a_factor_and_an_offset():
    # degC to K: x * 1 + 273.15; degF to degC: (x - 32) * 5/9 = x * 5/9 - 160/9
    s = pd.Series([30.0, None, -273.15])
    assert rt.scale(s, 1.0, 273.15).tolist()[0] == pytest.approx(303.15)
    assert pd.isna(rt.scale(s, 1.0, 273.15)[1]) and rt.scale(s, 1.0, 273.15)[2] == pytest.approx(0.0)
    assert rt.scale(86.0, 5 / 9, -160 / 9) == pytest.approx(30.0)
    assert rt.scale(None, 5 / 9, -160 / 9) is None
    assert rt.scale(2.0, 1000.0) == 2000.0 and rt.scale(s, 1.0) is s  # no conversion: the same object
    assert rt.scale(0.0, 1.0, 273.15) == 273.15  # an offset alone still applies


def test_if_picks_per_row_and_gives_nothing_where_the_condition_is_unknown():
    from engine.compile.runtime import band_lookup, if_
    from engine.model import Band

    cond = pd.Series([True, False, None], dtype="boolean")
    kinds = pd.Series(["park", "wetland", "park"], dtype="category")
    assert if_(cond, kinds, "none").tolist()[:2] == ["park", "none"] and pd.isna(if_(cond, kinds, "none")[2])
    assert if_(cond, 1.0, pd.Series([2.0, 3.0, 4.0])).tolist()[:2] == [1.0, 3.0]
    assert (if_(True, 1, 2), if_(False, 1, 2), if_(None, 1, 2)) == (1, 2, None)
    bands = (Band(None, 0.37, False, True, 0.6), Band(0.37, 0.5, False, False, 0.45), Band(0.5, None, True, False, 0.3))
    got = band_lookup(pd.Series([0.37, 0.3700001, 0.5, None]), bands, None).tolist()
    assert got[:3] == [0.6, 0.45, 0.3] and pd.isna(got[3])
    assert [band_lookup(x, bands, None) for x in (0.37, 0.49, 0.5, None)] == [0.6, 0.45, 0.3, None]
