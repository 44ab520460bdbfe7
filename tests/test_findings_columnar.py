"""Findings stay columns from evaluation to rendering: typed values, messages formatted only when shown,
JSON and CSV written from the columns with the same bytes as from the finding dicts."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.scale_plan import RULES, generate
from engine import evaluate, load_plan, load_standard
from engine.findings import Findings, concat
from engine.render import FORMATS
from engine.render.csv_ import COLUMNS, defuse


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    std = load_standard(RULES)
    return evaluate(std, load_plan(generate(tmp_path_factory.mktemp("cols") / "plan", 4_000, seed=3), std))


def _formatted(report) -> int:
    """Messages of failing rows formatted so far (those of rows lacking data name the cells, made at once)."""
    return sum(m is not None for r in report.results if isinstance(r.findings, Findings)
               for m, o in zip(r.findings._message, r.findings.outcome) if o == "fail")


def test_values_keep_their_dtypes(report):
    obj2 = next(r for r in report.results if r.rule_id == "OBJ-002").findings
    assert isinstance(obj2, Findings) and len(obj2) > 100
    assert obj2.values["baseline_condition"].dtype == "category"
    assert list(obj2.values["baseline_condition"].cat.categories) == ["very_poor", "poor", "moderate", "good",
                                                                      "excellent"]
    wet = next(r for r in report.results if r.rule_id == "WET-001").findings
    assert wet.values["area_ha"].dtype == "float64"


def test_the_text_summary_formats_only_the_messages_it_shows(report):
    before = _formatted(report)  # each rule's own message names its first finding
    assert before <= 6
    text = FORMATS["text"](report.data)
    assert "... and" in text
    # six rules, at most five findings listed each
    assert _formatted(report) <= before + 6 * 5


def test_json_from_the_columns_is_the_indented_json_of_the_finding_dicts(report):
    text = FORMATS["json"](report.data)
    # the independent route: every finding built as a dict, then the standard library's indented encoder
    plain = {k: v for k, v in report.data.items()}
    plain["rules"] = [{**r, "findings": list(r["findings"])} for r in report.data["rules"]]
    assert text == json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    assert sum(len(r["findings"]) for r in json.loads(text)["rules"]) == sum(
        len(r.findings) for r in report.results)


def test_csv_from_the_columns_matches_one_row_per_finding_dict(report):
    text = FORMATS["csv"](report.data)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    rank = {("fail", "shall"): 0, ("insufficient_data", "shall"): 1, ("fail", "should"): 2}
    for r in sorted(report.data["rules"], key=lambda r: rank.get((r["outcome"], r["strength"]), 9)):
        for f in r["findings"]:
            values = json.dumps(f["values"], ensure_ascii=False, separators=(",", ":"))
            writer.writerow([defuse(c) for c in (r["id"], f["outcome"], r["strength"], r["severity"], f["table"],
                                                 f["key"], f["location"]["file"], f["location"].get("line"),
                                                 f["message"], values, "")])
    assert text == buf.getvalue()
    rows = pd.read_csv(io.StringIO(text))
    assert len(rows) == sum(len(r.findings) for r in report.results)



@pytest.fixture(scope="module")
def plan_and_report(tmp_path_factory):
    std = load_standard(RULES)
    plan = load_plan(generate(tmp_path_factory.mktemp("keys") / "plan", 3_000, seed=5), std)
    return plan, evaluate(std, plan)


def test_keys_are_the_ids_of_the_rows_in_row_order(plan_and_report):
    # OBJ-001 (degraded objects have a mode): rows whose baseline is unknown lack data, degraded rows without a mode
    # fail; the two kinds are joined and sorted by row. Plain pandas picks the same rows' ids.
    plan, report = plan_and_report
    df = plan.tables["objects"]
    base = df["baseline_condition"].astype(object)
    shown = base.isna() | (base.isin(["very_poor", "poor"]) & df["mode"].isna())
    found = next(r for r in report.results if r.rule_id == "OBJ-001").findings
    assert isinstance(found, Findings) and isinstance(found._key, pd.Series)  # not read yet: the key column
    assert 0 < base.isna().sum() < shown.sum()
    assert found.key.tolist() == df.loc[shown, "id"].tolist()
    assert found.row.tolist() == df.index[shown].tolist()


def test_key_columns_read_as_python_values_after_take_and_concat():
    ids = pd.Series(["a", None, "c"], dtype="str")
    whole = Findings("t", np.array(["fail"] * 3, dtype=object), ids, np.array([1, 2, 3]))
    assert whole.take([2, 0]).key.tolist() == ["c", "a"]
    numbers = Findings("t", np.array(["fail"] * 2, dtype=object), pd.Series([7, 8], dtype="int64"), np.array([4, 5]))
    same = concat([whole, whole.take([0])])
    assert isinstance(same._key, pd.Series) and same.key.tolist() == ["a", None, "c", "a"]
    mixed = concat([whole, numbers])  # columns of two types: each read on its own
    assert mixed.key.tolist() == ["a", None, "c", 7, 8] and type(mixed.key[3]) is int
