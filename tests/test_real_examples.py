"""The two examples built on published data: their README figures, recomputed with plain pandas.

The engine reads the files through the plan's mappings; here pandas reads the same files with
the options a person would pass by hand, so a mistake in the mapping layer cannot hide.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main

ROOT = Path(__file__).parent.parent
ACRE_HA = 4046.8564224 / 10_000  # the international acre, in hectares


def _report(plan: Path, tmp_path: Path) -> dict:
    assert main(["check", str(plan), "-f", "json", "-o", str(tmp_path), "--fail-on", "should"]) == 1
    return json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))


def _rule(report: dict, rule_id: str) -> dict:
    return next(r for r in report["rules"] if r["id"] == rule_id)


def _readme_figure(readme: str, label: str) -> str:
    row = next(line for line in readme.splitlines() if line.startswith(f"| {label}"))
    return row.split("|")[2].strip()


def _number(text: str) -> float:
    return float(re.match(r"[\d,.]+", text).group().replace(",", ""))


@pytest.fixture(scope="module")
def wards():
    d = pd.read_csv(ROOT / "examples/london-wards/data/ward-profiles-excel-version.csv", encoding="cp1252")
    return d[d["New code"].str.startswith("E05")]


def test_london_wards(wards, tmp_path):
    report = _report(ROOT / "examples/london-wards", tmp_path)
    readme = (ROOT / "examples/london-wards/README.md").read_text(encoding="utf-8")
    pop, km2 = wards["Population - 2015"], wards["Area - Square Kilometres"]
    share = wards["% area that is open space - 2014"]
    per_resident = km2 * 1e6 * share / 100 / pop  # m2 of open space per resident
    below = per_resident < 9
    overall = (km2 * 1e6 * share / 100).sum() / pop.sum()

    assert len(wards) == 624 == _number(_readme_figure(readme, "wards"))
    assert pop.sum() == 8_625_450 == _number(_readme_figure(readme, "residents"))
    assert round(overall, 2) == 72.15 == _number(_readme_figure(readme, "open space per resident over"))
    assert below.sum() == 115 == _number(_readme_figure(readme, "wards below"))
    assert round(100 * (~below).mean(), 2) == 81.57 == _number(_readme_figure(readme, "share of wards"))
    assert per_resident.min() == 0

    assert report["verdict"] == "compliant_with_observations"
    lw1 = _rule(report, "LW-001")
    failing = {f["key"] for f in lw1["findings"] if f["outcome"] == "fail"}
    assert len(failing) == 115
    assert failing == {int(i) + 1 for i in wards.index[below]}  # the key is the file's data row
    assert _rule(report, "LW-002")["evidence"]["let"]["meeting"] == pytest.approx(100 * (~below).mean(), abs=1e-6)
    assert _rule(report, "LW-003")["evidence"]["let"]["per_resident"] == pytest.approx(overall, abs=1e-6)
    assert report["sources"][0]["encoding"] == "Windows-1252"


@pytest.fixture(scope="module")
def inventory():
    return pd.read_csv(ROOT / "examples/tampa-bay/data/restoration.csv", encoding="cp1252")


def test_tampa_bay(inventory, tmp_path):
    report = _report(ROOT / "examples/tampa-bay", tmp_path)
    readme = (ROOT / "examples/tampa-bay/README.md").read_text(encoding="utf-8")
    d = inventory
    new = d[d["GeneralActivity"] == "Restoration"]
    upkeep = d[d["GeneralActivity"] == "Maintenance"]
    wet = new[new["PrimaryHabitat"].isin(["Non-forested Freshwater Wetlands", "Forested Freshwater Wetlands",
                                          "Low-Salinity Salt Marsh", "Intertidal Estuarine (Other)",
                                          "Mangrove Forests", "Salt Barrens"])]
    cost = pd.to_numeric(new["Total_Project_Cost"].str.replace(r"[$,]", "", regex=True), errors="coerce")
    no_extent = new[["Acres", "Miles", "Feet"]].isna().all(axis=1)

    assert (len(d), d["Federal_Fiscal_Year"].min(), d["Federal_Fiscal_Year"].max()) == (974, 1971, 2025)
    assert len(new) == 405 == _number(_readme_figure(readme, "new restoration records ("))
    assert round(new["Acres"].sum(), 2) == 25709.21
    assert round(new["Acres"].sum() * ACRE_HA, 2) == 10404.15
    assert "25,709.21 acres = 10,404.15 ha" in _readme_figure(readme, "area newly restored")
    assert round(wet["Acres"].sum() * ACRE_HA, 2) == 860.79 == _number(_readme_figure(readme, "of which wetland"))
    assert round(100 * new["Acres"].notna().mean(), 2) == 70.12
    assert round(upkeep["Acres"].sum(), 2) == 156842.54
    assert "156,842.54 acres = 63,471.92 ha" in _readme_figure(readme, "maintenance area")
    assert round(d["Acres"].sum(), 2) == 185945.05
    assert no_extent.sum() == 16 == _number(_readme_figure(readme, "new restoration records with no"))
    assert round(100 * cost.notna().mean(), 2) == 65.19 and round(cost.sum(), 2) == 63311470.46

    assert report["verdict"] == "compliant_with_observations"
    tb1 = _rule(report, "TB-001")["evidence"]["let"]
    coverage = {c["rows"]: c for c in _rule(report, "TB-001")["evidence"]["coverage"]}  # `partial`: rows with an area
    assert coverage["restoration"]["share"] == pytest.approx(100 * new["Acres"].notna().mean(), abs=1e-5)
    assert (coverage["restoration"]["with_data"], coverage["restoration"]["of"]) == (new["Acres"].notna().sum(), 405)
    assert "computed on 70.12 % of the rows of `restoration`" in _rule(report, "TB-001")["message"].lower()
    assert tb1["restored"] == pytest.approx(new["Acres"].sum() * ACRE_HA, abs=1e-5)
    assert tb1["maintained_not_counted"] == pytest.approx(upkeep["Acres"].sum() * ACRE_HA, abs=1e-5)
    assert tb1["wetland_restored"] == pytest.approx(wet["Acres"].sum() * ACRE_HA, abs=1e-5)
    tb2 = {f["key"] for f in _rule(report, "TB-002")["findings"] if f["outcome"] == "fail"}
    assert tb2 == {int(i) + 1 for i in new.index[no_extent]}
    tb4 = _rule(report, "TB-004")["evidence"]["let"]
    assert tb4["total_cost"] == pytest.approx(cost.sum(), abs=0.01)
    assert tb4["reported"] == pytest.approx(100 * cost.notna().mean(), abs=1e-5)
