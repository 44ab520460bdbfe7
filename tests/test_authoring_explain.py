"""`nbscheck explain`: a rule's source, its meaning in words, and why it ended as it did on a plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from casekit import pack_inside

from engine.cli import main

PACK = Path(__file__).resolve().parent / "cases" / "author-pack"


@pytest.fixture
def failing_plan(tmp_path) -> Path:
    plan = Path(shutil.copytree(PACK / "plan", tmp_path / "plan"))
    text = (plan / "plan.yaml").read_text(encoding="utf-8")
    (plan / "plan.yaml").write_text(text.replace("maintenance_years: 5", "maintenance_years: 2"), encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    shutil.copy(PACK / "pack.nbs", pack)
    pack_inside(plan, pack)
    with (plan / "tables" / "objects.csv").open("a", encoding="utf-8") as fh:
        fh.write("W-2,D02,wetland,1.0,3.0,\n")
    return plan


def _explain(capsys, *args) -> tuple[int, str]:
    code = main(["explain", *args])
    return code, capsys.readouterr().out


def test_source_and_meaning(capsys):
    code, out = _explain(capsys, "IMP-001", "--standard", str(PACK))
    assert code == 0
    assert '  rule IMP-001 "Maintenance is committed long enough" {' in out
    assert "it shall hold that `maintenance_years` is at least `min_maintenance` (3 years)" in out
    assert "Cites MW 4: Mini wetland guidance, 2026" in out


def test_a_plan_level_failure_shows_the_values(capsys, failing_plan):
    code, out = _explain(capsys, "IMP-001", "--plan", str(failing_plan))
    assert "Outcome: fail — its condition does not hold: maintenance is committed for 2 years" in out
    assert "maintenance_years >= min_maintenance  → actual 2 years, required >= 3 years" in out


def test_a_per_row_failure_lists_the_rows(capsys, failing_plan):
    code, out = _explain(capsys, "OBJ-001", "--plan", str(failing_plan))
    assert "Outcome: fail — 1 of 3 rows in scope fail the condition" in out
    assert "objects W-2 (tables/objects.csv line 4): W-2 has no restoration mode" in out
    assert "values: mode=(missing)" in out


def test_a_pass_says_so(capsys):
    code, out = _explain(capsys, "OBJ-001", "--standard", str(PACK), "--plan", str(PACK / "plan"))
    assert "Outcome: pass — its condition holds for all 2 rows in scope" in out


def test_an_unknown_rule_gets_a_hint(capsys):
    assert main(["explain", "WET-01", "--standard", str(PACK)]) == 2
    assert "did you mean `WET-001`?" in capsys.readouterr().err


def test_a_rule_no_bundled_standard_has_is_named_without_a_far_fetched_hint(capsys):
    assert main(["explain", "NOPE-001"]) == 2
    err = capsys.readouterr().err
    assert "unknown-rule: no bundled standard has a rule `NOPE-001`" in err
    # ZON-001 shares only "O" and "-001" with NOPE-001: no did-you-mean, and no installed path as the location
    assert "did you mean" not in err and "rules/" not in err and "site-packages" not in err
    assert main(["explain", "WET-01"]) == 2
    assert "did you mean `WET-001`?" in capsys.readouterr().err


def test_a_bundled_rule_is_found_without_naming_the_standard(capsys):
    code, out = _explain(capsys, "WET-001")
    assert code == 0 and out.startswith("WET-001 ")
