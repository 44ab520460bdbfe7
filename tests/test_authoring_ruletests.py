"""`nbscheck test`: rule tests in *.test.yaml files, their results, errors and coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.authoring.materialise import deep_merge
from engine.authoring.ruletests import discover, run_paths
from engine.cli import main

CASES = Path(__file__).resolve().parent / "cases"
PACK = CASES / "author-pack"


def _write(tmp_path: Path, text: str, name: str = "t.test.yaml") -> Path:
    f = tmp_path / name
    f.write_text(text.replace("PACK", str(PACK)), encoding="utf-8")
    return f


def test_pack_tests_pass(capsys):
    assert main(["test", str(PACK)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("3 passed, 0 failed")


def test_discovers_a_pack_a_tests_folder_and_one_file():
    assert discover(PACK) == discover(PACK / "tests") == [PACK / "tests" / "wetlands.test.yaml"]
    assert discover(PACK / "tests" / "wetlands.test.yaml") == [PACK / "tests" / "wetlands.test.yaml"]


def test_the_default_standard_is_the_pack_above_the_test_file():
    run = run_paths([PACK])
    assert {o.standard.id for o in run.outcomes} == {"mini_wetlands"}


def test_a_wrong_expectation_fails_and_says_what_differed(tmp_path, capsys):
    f = _write(tmp_path, """tests:
  - name: short maintenance
    standard: PACK
    base: PACK/plan
    data:
      implementation: {maintenance_years: 1}
    expect:
      IMP-001: pass
""")
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "IMP-001: expected pass, got fail — maintenance is committed for 1 year" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_row_outcomes_and_message_are_compared(tmp_path, capsys):
    f = _write(tmp_path, """tests:
  - name: rows
    standard: PACK
    base: PACK/plan
    data:
      tables:
        objects:
          - {id: W-1, district: D01, category: wetland, area_ha: 1.0, baseline_area_ha: 1.0}
          - {id: W-2, district: D01, category: wetland, area_ha: 1.0, baseline_area_ha: 1.0, mode: protection}
    expect:
      OBJ-001: {rows: {W-1: pass, W-2: fail}, message: "W-9"}
""")
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "OBJ-001 row W-1: expected pass, got fail — W-1 has no restoration mode" in out
    assert "OBJ-001 row W-2: expected fail, got pass" in out
    assert "expected a message containing 'W-9'" in out


def test_plan_errors_point_at_the_test_file_line(tmp_path, capsys):
    f = _write(tmp_path, """tests:
  - name: bad data
    standard: PACK
    base: PACK/plan
    data:
      implementation: {maintenance_years: many}
    expect: {IMP-001: fail}
  - name: bad row
    standard: PACK
    base: PACK/plan
    data:
      tables:
        objects:
          - {id: W-1, district: D01, category: wetland, area_ha: 1.0, baseline_area_ha: 1.0}
          - {id: W-2, district: D01, category: swamp, area_ha: 1.0, baseline_area_ha: 1.0}
    expect: {IMP-001: fail}
""")
    assert main(["test", str(f)]) == 2
    out = capsys.readouterr().out
    assert f"{f}:6: plan-schema: `implementation.maintenance_years`: expected number" in out
    assert f"{f}:15: unknown-enum-value: row 2, column `category`: `swamp`" in out
    assert out.rstrip().endswith("0 passed, 0 failed, 2 errors")


def test_unknown_rule_is_an_error_with_a_hint(tmp_path, capsys):
    f = _write(tmp_path, "tests:\n  - name: typo\n    standard: PACK\n    plan: PACK/plan\n"
                         "    expect: {WET-01: fail}\n")
    assert main(["test", str(f)]) == 2
    assert "did you mean `WET-001`?" in capsys.readouterr().out


@pytest.mark.parametrize("body, message", [
    ("tests:\n  - name: x\n    plan: p\n    expect: {A: failed}\n", "`failed` is not an outcome"),
    ("tests:\n  - name: x\n    plan: p\n    verdic: compliant\n", "unknown key ('verdic' was unexpected)"),
    ("tests:\n  - name: x\n    plan: p\n", "expects nothing"),
    ("tests:\n  - name: x\n    plan: p\n    base: q\n    expect: {A: fail}\n", "not both"),
    ("tests:\n  - name: x\n    expect: {A: fail}\n", "has no plan"),
    ("tests: [\n", "invalid YAML"),
])
def test_malformed_test_files_are_reported_with_their_line(tmp_path, capsys, body, message):
    f = _write(tmp_path, body)
    assert main(["test", str(f)]) == 2
    assert message in capsys.readouterr().out


def test_no_test_files_is_invalid_input(tmp_path, capsys):
    assert main(["test", str(tmp_path)]) == 2
    assert "no *.test.yaml files" in capsys.readouterr().err


def test_coverage_table_and_share(capsys):
    assert main(["test", str(PACK), "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "  WET-001  yes   yes   No net loss of wetland area" in out
    assert "coverage: 3 of 3 rules seen passing and failing (100.0%)" in out


def test_min_coverage_fails_below_the_share(tmp_path, capsys):
    f = _write(tmp_path, "tests:\n  - name: all pass\n    standard: PACK\n    plan: PACK/plan\n"
                         "    verdict: compliant\n")
    assert main(["test", str(f), "--min-coverage", "50"]) == 1
    out = capsys.readouterr().out
    assert "coverage: 0 of 3 rules seen passing and failing (0.0%)" in out
    assert "below --min-coverage 50%" in out


def test_whole_plan_inline_gets_default_metadata(tmp_path, capsys):
    # the one object is a forest: WET-001 (no net loss of wetland) has no wetland to judge
    f = _write(tmp_path, """tests:
  - name: inline plan
    standard: PACK
    data:
      implementation: {maintenance_years: 4}
      tables:
        objects: [{id: F-1, district: D01, category: forest, area_ha: 1.0, baseline_area_ha: 1.0}]
    expect: {IMP-001: pass, WET-001: not_applicable, OBJ-001: fail}
""")
    assert main(["test", str(f)]) == 0


def test_deep_merge_replaces_lists_and_merges_mappings():
    assert deep_merge({"a": {"b": [1], "c": 1}}, {"a": {"b": [2]}}) == {"a": {"b": [2], "c": 1}}


def test_an_unknown_table_in_the_data_is_an_error_with_a_hint(tmp_path, capsys):
    f = _write(tmp_path, "tests:\n  - name: typo\n    standard: PACK\n    data:\n      tables:\n"
                         "        objectz: [{id: W-1}]\n    expect: {IMP-001: fail}\n")
    assert main(["test", str(f)]) == 2
    out = capsys.readouterr().out
    assert f"{f}:6: unknown-table: mini_wetlands declares no table `objectz`" in out
    assert "did you mean `objects`?" in out


def test_a_test_may_give_waivers(tmp_path, capsys):
    f = _write(tmp_path, """tests:
  - name: a waived row
    standard: PACK
    base: PACK/plan
    data:
      tables:
        objects: [{id: W-1, district: D01, category: wetland, area_ha: 1.0, baseline_area_ha: 1.0}]
    waivers:
      - {rule: OBJ-001, keys: [W-1], reason: "mode set in the permit"}
    expect:
      OBJ-001: {outcome: waived, rows: {W-1: waived}}
""")
    assert main(["test", str(f)]) == 0


def test_a_waiver_for_an_unknown_rule_is_an_error(tmp_path, capsys):
    f = _write(tmp_path, "tests:\n  - name: w\n    standard: PACK\n    plan: PACK/plan\n"
                         "    waivers: [{rule: OBJ-01, reason: because}]\n    verdict: compliant\n")
    assert main(["test", str(f)]) == 2
    assert f"{f}:5: unknown-rule: waiver names unknown rule `OBJ-01`" in capsys.readouterr().out
