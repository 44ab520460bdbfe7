"""Quantified fixes in the reports of a real example (the algebra's cases are in tests/cases/quantified_fixes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fixes")
    assert main(["check", str(ROOT / "examples/industrial-belt"), "-f", "json,md,text", "-o", str(out), "-q"]) == 1
    return out


def _rule(reports: Path, rule_id: str) -> dict:
    data = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    return next(r for r in data["rules"] if r["id"] == rule_id)


def test_a_per_capita_figure_is_fixed_through_what_it_counts(reports):
    # Becontree (tables/districts.csv): 1.4 ha of public green space for 12,700 residents is 1.102 m2 each;
    # 9 m2 x 12,700 = 114,300 m2 = 11.43 ha, so 10.03 ha more
    becontree = next(f for f in _rule(reports, "ACC-001")["findings"] if f["values"]["population"] == 12700)
    assert becontree["fix"] == {"quantity": "d.public_green_ha", "from": 1.4, "to": 11.43, "change": 10.03,
                                "unit": "ha", "op": ">="}
    md = (reports / "report.md").read_text(encoding="utf-8")
    assert r"fix: raise d.public\_green\_ha from 1.4 ha to 11.43 ha (+10.03 ha)" in md


def test_a_plan_level_total_is_fixed_by_what_it_lacks(reports):
    # WET-001: planned wetland 84.4 ha against the baseline 140.71 ha (the rule's own message)
    wet = _rule(reports, "WET-001")
    assert wet["fix"]["quantity"] == "sum(wetland.area_ha)" and wet["fix"]["change"] == pytest.approx(140.71 - 84.4)
    text = (reports / "report.txt").read_text(encoding="utf-8")
    assert "fix: raise sum(wetland.area_ha) from 84.4 ha to 140.71 ha (+56.31 ha)" in text


def test_no_fix_where_the_threshold_moves_with_the_value(reports):
    # ACC-004 compares a district with the city's mean, which its own residents are part of
    assert not any(f.get("fix") for f in _rule(reports, "ACC-004")["findings"])
