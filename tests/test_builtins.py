"""The built-in registry: every entry is complete, its two implementations agree, and a new entry
is usable from a rule without touching any other file."""

from __future__ import annotations

import dataclasses
import decimal
import math
from pathlib import Path

import pandas as pd
import pytest
from casekit import write_plan
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import api
from engine import builtins as B
from engine.compile import runtime as rt
from engine.model import NUMBER, Type
from engine.syntax.parser import parse_expression

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = B.entries()


@pytest.mark.parametrize("b", ENTRIES, ids=[f"{b.name}/{b.kind}" for b in ENTRIES])
def test_every_entry_has_every_part(b: B.Builtin):
    assert b.name.isidentifier() and b.kind in (B.AGGREGATE, B.SCALAR)
    assert b.params and all(p.name and p.kinds for p in b.params)
    for part in (b.result, b.vector, b.scalar, b.words):
        assert callable(part)
    assert b.doc.strip()
    assert b.examples, "an example call for the docs"
    for text in b.examples:
        call = parse_expression(text)
        assert call.func == b.name and B.resolve(call.func, len(call.args)) is b
    said = b.words(["`x`"] * b.min_args, "")
    assert "`x`" in said and said != "`x`"
    assert b.signature.startswith(f"{b.name}(")


def test_the_readme_names_every_function():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("| function | meaning |"):readme.index("### Lint diagnostics")]
    for name in B.BUILTINS:
        assert f"`{name}(" in section, name


def test_overloads_are_chosen_by_the_number_of_arguments():
    assert B.resolve("max", 1).kind == B.AGGREGATE and B.resolve("max", 3).kind == B.SCALAR
    assert B.resolve("nosuch", 1) is None
    assert B.arity("round") == "1 to 3" and B.arity("min") == "1 or 2 to 8"


# ---- the vectorised and the scalar implementation agree ----------------------------------

values = st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), max_size=8)


def _same(a, b) -> bool:
    if rt.is_null(a) or rt.is_null(b):
        return rt.is_null(a) and rt.is_null(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=60, deadline=None)
@given(values)
def test_numeric_aggregates_agree(xs):
    series = pd.Series([math.nan if x is None else x for x in xs], dtype="float64")
    for name in ("sum", "mean", "min", "max", "count"):
        b = B.resolve(name, 1)
        vec = rt.aggregate(b.vector, series, None, None, index=series.index)
        assert _same(vec, b.scalar(list(xs))), (name, xs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.booleans()), max_size=8))
def test_condition_aggregates_agree(xs):
    series = pd.Series(xs, dtype="boolean")
    for name in ("share", "any", "all"):
        b = B.resolve(name, 1)
        vec = rt.aggregate(b.vector, series, None, None, index=series.index)
        assert _same(vec, b.scalar(list(xs))), (name, xs)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=0, max_size=8))
def test_share_of_rows_agrees(mask):
    where = pd.Series(mask, dtype="boolean")
    b = B.resolve("share", 1)
    vec = rt.aggregate(b.vector, None, where, None, index=where.index)
    assert _same(vec, b.scalar([True] * sum(mask), len(mask)))


@settings(max_examples=60, deadline=None)
@given(values, values)
def test_scalar_functions_agree(xs, ys):
    n = min(len(xs), len(ys))
    xs, ys = xs[:n], ys[:n]
    a = pd.Series([math.nan if x is None else x for x in xs], dtype="float64")
    c = pd.Series([math.nan if y is None else y for y in ys], dtype="float64")
    cases = [("abs", (a,), lambda i: (xs[i],)), ("round", (a, 1), lambda i: (xs[i], 1)),
             ("min", (a, c), lambda i: (xs[i], ys[i])), ("max", (a, 2.5), lambda i: (xs[i], 2.5)),
             ("coalesce", (a, c, 0.0), lambda i: (xs[i], ys[i], 0.0))]
    for name, args, scalar_args in cases:
        b = B.resolve(name, len(args))
        vec = B.apply(b, args).tolist()
        for i in range(n):
            assert _same(vec[i], B.apply(b, scalar_args(i))), (name, i, xs[i], ys[i])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False),
                          st.floats(min_value=-1e9, max_value=1e9)), min_size=1, max_size=20),
       st.integers(0, 4), st.sampled_from(sorted(B.ROUNDING)))
def test_rounding_follows_the_written_decimals_in_both_scopes(xs, digits, mode):
    """Each value is rounded as the shortest decimal that reads back as it (0.445 is a tie); the reference is
    Python's decimal module on repr(), not the engine's code."""
    xs = [float(x) for x in xs]
    want = [float(decimal.Decimal(repr(x)).quantize(decimal.Decimal(1).scaleb(-digits),
                                                    rounding=B.ROUNDING[mode])) for x in xs]
    b = B.resolve("round", 3)
    assert B.apply(b, (pd.Series(xs), digits, mode)).tolist() == want
    assert [B.apply(b, (x, digits, mode)) for x in xs] == want


def test_rounding_of_the_published_ties():
    b = B.resolve("round", 3)
    xs = pd.Series([0.445, 2.675, 1.005, 0.125, -0.445])
    assert B.apply(b, (xs, 2, "half-up")).tolist() == [0.45, 2.68, 1.01, 0.13, -0.45]
    assert B.apply(b, (xs, 2, "half-even")).tolist() == [0.44, 2.68, 1.0, 0.12, -0.44]
    assert B.apply(b, (xs, 2, "up")).tolist() == [0.45, 2.68, 1.01, 0.13, -0.45]
    assert B.apply(b, (xs, 2, "down")).tolist() == [0.44, 2.67, 1.0, 0.12, -0.44]
    assert B.apply(b, (0.445, 2, "half-up")) == 0.45 and B.apply(b, (0.445, 2)) == 0.44


series = st.lists(st.tuples(st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)),
                             st.sampled_from([2018.0, 2020.0, 2024.0, 2024.5, 2030.0])), max_size=8)


@settings(max_examples=80, deadline=None)
@given(series, st.sampled_from([2.0, 6.0, None]))
def test_series_functions_agree(rows, every):
    """The time functions on one series: the vectorised and the scalar implementation agree."""
    values = pd.Series([math.nan if v is None else v for v, _ in rows], dtype="float64")
    times = pd.Series([t for _, t in rows], dtype="float64")
    vs, ts = [v for v, _ in rows], [t for _, t in rows]
    cases = [("value_at", (2024.0,)), ("change", (2018.0, 2030.0)), ("increasing", (every,) if every else ()),
             ("non_decreasing", (every,) if every else ()), ("longest_gap", ()), ("fewest_per", (every or 1.0,))]
    for name, args in cases:
        b = B.resolve(name, 1 + len(args))
        vec = rt.aggregate(b.vector, values, None, None, index=values.index, times=times, args=args)
        assert _same(vec, b.scalar(vs, None, ts, *args)), (name, args, rows)


def test_series_by_group_in_one_pass():
    """Grouped: each group's series is its own (one groupby, no loop per group); a group with no row of a
    time has no value at that time."""
    values = pd.Series([1.0, 2.0, 5.0, 5.0, 3.0])
    times = pd.Series([2024.0, 2030.0, 2024.0, 2030.0, 2024.0])
    keys = pd.Series([0, 0, 1, 1, 2])
    up = rt.aggregate(B.resolve("increasing", 1).vector, values, None, keys, index=values.index, times=times)
    at = rt.aggregate(B.resolve("value_at", 2).vector, values, None, keys, index=values.index, times=times,
                      args=(2030.0,))
    # group 0: 1 -> 2 rises; group 1: 5 -> 5 does not; group 2: one measurement, no trend
    assert up.tolist()[:2] == [True, False] and pd.isna(up.tolist()[2])
    assert at.tolist()[:2] == [2.0, 5.0] and pd.isna(at.tolist()[2])


def test_dates_agree():
    b = B.resolve("date", 1)
    y = B.resolve("year", 1)
    s = pd.Series(["2030-12-31", None])
    vec = B.apply(y, (B.apply(b, (s,)),)).tolist()
    assert vec[0] == 2030.0 and pd.isna(vec[1])
    assert B.apply(y, (B.apply(b, ("2030-12-31",)),)) == 2030.0 and B.apply(b, (None,)) is None


# ---- a new function is one entry ---------------------------------------------------------------


def test_a_new_entry_is_checked_compiled_and_explained(monkeypatch, tmp_path):
    """A function added to the registry alone is typed (with its unit), evaluated and read aloud."""

    def double_type(call: B.Call) -> Type:
        return Type(NUMBER, call.args[0].unit)

    twice = B.Builtin("twice", B.SCALAR, (B.Arg("x", B.NUMERIC),), double_type, lambda x: x * 2,
                      lambda x: None if x is None else x * 2, lambda a, w: f"twice {a[0]}", "doubles a number",
                      examples=("twice(o.area_ha)",))
    monkeypatch.setitem(B.BUILTINS, "twice", (twice,))
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "rules.nbs").write_text(
        'standard t "T" { version "1" }\nreference R "R"\ngoal G "G"\nstage S "S"\n'
        'table objects "O" key id { id: text\n area_ha: number [ha] }\n'
        'rule BIG "Big" { goal G stage S cite R "1" for each o in objects shall twice(o.area_ha) >= 3 ha }\n'
        'rule UNIT "Unit" { goal G stage S cite R "1" shall sum(twice(objects.area_ha)) >= 20000 m2 }\n',
        encoding="utf-8")
    std = api.load_standard(pack)
    plan = api.load_plan(write_plan(tmp_path / "plan", {"tables": {"objects": [
        {"id": "a", "area_ha": 1.0}, {"id": "b", "area_ha": 2.0}]}}), std)
    report = api.evaluate(std, plan)
    # 2 × 1.0 = 2 ha < 3 ha fails; 2 × 2.0 = 4 ha passes; the total 2 × 3 ha = 6 ha = 60000 m2 >= 20000 m2
    big = next(r for r in report.results if r.rule_id == "BIG")
    assert big.counts == {"pass": 1, "fail": 1} and [f.key for f in big.findings] == ["a"]
    assert report.outcome("UNIT") == "pass"
    from engine.authoring.words import rule_in_words

    assert "twice `o.area_ha`" in rule_in_words(std, std.rule("BIG"))


def test_a_typing_rule_refusal_is_a_diagnostic(monkeypatch, tmp_path):
    def only_ha(call: B.Call) -> Type:
        if call.args[0].unit is None or call.args[0].unit.name != "ha":
            raise call.fail("needs hectares", arg=0, hint="convert it: x as ha")
        return call.args[0]

    entry = dataclasses.replace(B.resolve("abs", 1), name="ha_only", result=only_ha)
    monkeypatch.setitem(B.BUILTINS, "ha_only", (entry,))
    pack = tmp_path / "p.nbs"
    pack.write_text('standard t "T" { version "1" }\ngoal G "G"\nstage S "S"\n'
                    'table objects "O" key id { id: text\n len_m: number [m] }\n'
                    'rule X "X" { goal G stage S for each o in objects shall ha_only(o.len_m) > 0 m }\n',
                    encoding="utf-8")
    diags = [d for d in api.lint(pack) if d.severity == "error"]
    assert [(d.code, d.message, d.hint, d.span.line) for d in diags] == [
        ("type-mismatch", "needs hectares", "convert it: x as ha", 6)]
