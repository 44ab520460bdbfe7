"""Comparing two versions of a plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import api
from engine.diff import diff_reports, render_text

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def std():
    return api.load_standard(FIX / "mini_pack")


def _report(std, plan_dir):
    return api.evaluate(std, api.load_plan(plan_dir, std)).data


def test_resubmission_that_fixes_and_breaks(std, tmp_path):
    old = Path(shutil.copytree(FIX / "mini_plan", tmp_path / "old"))
    new = Path(shutil.copytree(FIX / "mini_plan", tmp_path / "new"))
    csv = new / "tables/objects.csv"
    text = csv.read_text().replace("O-3,south,wetland,0.7", "O-3,south,wetland,1.7")  # fixes M-2
    text = text.replace("O-2,north,park,2.0,2024-05-10,", "O-2,north,brownfield,2.0,2024-05-10,false")  # breaks M-3
    csv.write_text(text)
    d = diff_reports(_report(std, old), _report(std, new))
    assert d.verdict == ("non_compliant", "compliant_with_observations")
    assert [(c["id"], c["old"], c["new"]) for c in d.changed] == [("M-2", "fail", "pass")]
    assert [(f["rule"], f["key"]) for f in d.new_findings] == [("M-3", "O-2")]
    assert d.regressed
    text = render_text(d)
    assert "M-2 [shall] Wetlands cover 2 ha: fail → pass" in text and "M-3 O-2: O-2 in north is untreated" in text


def test_identical_versions(std):
    r = _report(std, FIX / "mini_plan")
    d = diff_reports(r, r)
    assert not d.regressed and "No differences" in render_text(d)
