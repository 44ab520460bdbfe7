"""How a per-row rule reads its rows (engine.evaluate.Rows): each column taken by position when first read, and a
small table's columns shared by the rules over the same rows. Either way the results are those of the rows
selected in pandas."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import api
from engine.resources import data_dir

E = importlib.import_module("engine.evaluate")  # the module: `engine.evaluate` is also the public function

LEVELS = ["poor", "moderate", "good"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32)),
                          st.one_of(st.none(), st.sampled_from(LEVELS)), st.one_of(st.none(), st.text(max_size=3)),
                          st.booleans()), max_size=30),
       st.booleans())
def test_a_column_read_is_the_column_of_the_rows_selected(rows, all_rows):
    df = pd.DataFrame({"x": pd.Series([r[0] for r in rows], dtype="float64"),
                       "level": pd.Categorical([r[1] for r in rows], categories=LEVELS, ordered=True),
                       "note": pd.Series([r[2] for r in rows], dtype="str"),
                       "flag": pd.Series([r[3] for r in rows], dtype="boolean")})
    keep = np.ones(len(df), dtype=bool) if all_rows else np.array([r[3] for r in rows], dtype=bool)
    view = E.Rows(df, None if all_rows else np.flatnonzero(keep))
    expected = df[keep]  # plain pandas: a boolean selection of the rows
    assert len(view) == len(expected) and view.index.equals(expected.index)
    for c in df.columns:
        pd.testing.assert_series_equal(view[c], expected[c])  # values, missing cells, dtype (categories), name
        assert view[c] is view[c]  # taken once


def _report(monkeypatch, small: int) -> str:
    monkeypatch.setattr(E, "SMALL_TABLE", small)
    plan_dir = data_dir("examples") / "riverside"
    std = api.standard_for(plan_dir, None)
    report = api.evaluate(std, api.load_plan(plan_dir, std))
    return json.dumps(report.data, sort_keys=True, default=str)


def test_columns_shared_between_rules_give_the_results_of_columns_taken_per_rule(monkeypatch):
    # riverside's 383 objects: with the default every rule over `objects` (or one category) reads the columns the
    # rules before it took; with a threshold of 0 every rule takes its own
    shared, own = _report(monkeypatch, E.SMALL_TABLE), _report(monkeypatch, 0)
    assert shared == own and '"fail"' in shared


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 70), st.lists(st.integers(0, 3), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_the_patterns_of_empty_cells_are_the_distinct_rows(width, picks, seed):
    # a few distinct rows of `width` flags (past 62 columns the rows no longer fit one 64-bit number), repeated
    distinct = np.random.default_rng(seed).random((4, width)) < 0.5
    flags = distinct[picks]
    patterns, which = E._patterns(flags)
    assert np.array_equal(patterns[which], flags)  # each row is the pattern it names
    assert len({tuple(p) for p in patterns.tolist()}) == len(patterns)  # no pattern twice
    assert len(patterns) == len({tuple(r) for r in flags.tolist()})  # and every distinct row has one
