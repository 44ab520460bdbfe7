"""Findings written to disk part by part (engine.spill) read back as the findings they were: every report
format renders the same bytes from the parts as from the findings in memory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.scale_plan import RULES, generate
from engine import api, fixes, spill
from engine.findings import Findings
from engine.render import FORMATS
from engine.report import build_report
from engine.results import FAIL, WAIVED

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["industrial-belt", "trafford"]  # the most findings (1,148), and findings on a layer with their shapes


def _spilled(findings: Findings, folder: spill.SpillFolder, cuts: int) -> spill.SpilledFindings:
    """``findings`` written as ``cuts`` parts (as partitions would write them), read back."""
    bounds = np.linspace(0, len(findings), cuts + 1).astype(int)
    paths, codes = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi > lo:
            piece = findings.take(np.arange(lo, hi))
            path = folder.new_part()
            spill.write_part(piece, path)
            paths.append(path)
            codes.append(spill.outcome_codes(piece.outcome))
    return spill.SpilledFindings(findings.table, paths, outcomes=codes, folder=folder)


def _rendered(std, plan, results) -> dict[str, str]:
    data = build_report(std, plan, results)
    fixes.annotate(std, data)
    return {name: fmt(data) for name, fmt in FORMATS.items()}


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_format_renders_the_same_bytes_from_the_parts(name, tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "BATCH", 40)  # slices cross batches and parts
    plan_path = str(ROOT / "examples" / name)
    std = api.standard_for(plan_path, None)
    std = std.in_language(std.languages[0])
    plan = api.load_plan(plan_path, std)
    results = api.evaluate(std, plan).results
    assert any(isinstance(r.findings, Findings) and len(r.findings) for r in results)
    folder = spill.SpillFolder(tmp_path)
    moved = [replace(r, findings=_spilled(r.findings, folder, 3))
             if isinstance(r.findings, Findings) and len(r.findings) else r for r in results]
    assert _rendered(std, plan, moved) == _rendered(std, plan, results)
    folder.close()
    assert not folder.path.exists()


def test_columns_read_back_with_their_types(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "BATCH", 50)
    std = api.standard_for(str(RULES), str(RULES))
    plan = api.load_plan(generate(tmp_path / "plan", 2_000, seed=5), std)
    results = api.evaluate(std, plan).results
    obj2 = next(r for r in results if r.rule_id == "OBJ-002").findings
    assert len(obj2) > 100
    back = _spilled(obj2, spill.SpillFolder(tmp_path), 4)
    assert len(back) == len(obj2)
    # what the plain pandas engine holds, compared column by column
    assert back.outcome.tolist() == obj2.outcome.tolist()
    assert back.key[:].tolist() == obj2.key.tolist()
    assert back.row[:].tolist() == obj2.row.tolist()
    assert back.messages() == obj2.messages()
    pd.testing.assert_frame_equal(back.values.iloc[0:len(back)], obj2.values)
    assert back.values.iloc[0:len(back)]["baseline_condition"].dtype == "category"
    assert (back.outcome == FAIL).sum() == int((obj2.outcome == FAIL).sum())
    assert back.first(WAIVED) is None and back.first(FAIL) == obj2.first(FAIL)
    # a selection: every third finding, read through the parts
    pos = np.arange(0, len(obj2), 3)
    assert [f.key for f in back.take(pos)] == obj2.key[pos].tolist()
    pd.testing.assert_frame_equal(back.values.iloc[pos], obj2.values.iloc[pos].reset_index(drop=True))
    assert back.key[pos].tolist() == obj2.key[pos].tolist()
    assert back.row[pos[::2]].tolist() == obj2.row[pos[::2]].tolist()
    assert back[7] == obj2[7] and back[-1] == obj2[-1]


def test_mixed_python_values_are_kept_exactly(tmp_path):
    values = pd.DataFrame({"n": pd.Series([1, 2.5, None, "x"], dtype=object),
                           "f": [1.0, np.nan, 3.0, 4.0],
                           "i": pd.Series([1, 2, 3, None], dtype=object),
                           "big": pd.Series([2**65, 1, None, 2], dtype=object)})
    f = Findings("t", np.array(["fail", "insufficient_data", "waived", "fail"], dtype=object), [1, 2**70, 3, None],
                 np.array([1, 2, 3, 4]), values, ["m1", "m2", "m3", "m4"], missing=[None, ["t.f"], None, None],
                 waiver=[None, None, {"reason": "agreed", "expires": pd.Timestamp("2030-01-01").date()}, None])
    back = _spilled(f, spill.SpillFolder(tmp_path), 2)
    assert [v.key for v in back] == [1, 2**70, 3, None]
    assert back.values.iloc[0:4]["n"].tolist() == [1, 2.5, None, "x"]
    assert back.values.iloc[0:4]["i"].tolist() == [1, 2, 3, None]
    assert back.values.iloc[0:4]["big"].tolist() == [2**65, 1, None, 2]
    assert back.values.iloc[0:4]["i"].dtype == object and back.values.iloc[0:4]["f"].dtype == "float64"
    assert back.missing[:].tolist() == [None, ["t.f"], None, None]
    assert back.waiver[2] == {"reason": "agreed", "expires": pd.Timestamp("2030-01-01").date()}
    assert list(back) == list(f)
