"""Profiles: lint checks what a profile names; reports and `doc` name the profile and what it changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import api
from engine.check import check_pack
from engine.cli import main

CASES = Path(__file__).resolve().parent / "cases"
PACK, PROFILE = CASES / "author-pack", CASES / "author-profile"


def _profile(tmp_path: Path, body: str) -> list:
    f = tmp_path / "p.nbs"
    f.write_text(f'profile city "City" extends "{PACK}" {{ version "1" }}\n{body}\n', encoding="utf-8")
    _, diags = check_pack(f)
    return diags


def test_the_profile_applies_its_changes():
    std = api.load_standard(PROFILE)
    changes = [(c["kind"], c["target"]) for c in std.profile["changes"]]
    assert changes == [("param", "min_maintenance"), ("disable", "OBJ-001"), ("override", "WET-001"),
                       ("override", "WET-001"), ("add", "CITY-001")]
    assert std.params["min_maintenance"].value == 5 and std.rule("WET-001").strength == "should"


@pytest.mark.parametrize("body, code, hint", [
    ("set min_maintenanse = 5 years", "unknown-param", "did you mean `min_maintenance`?"),
    ('disable OBJ-01 because "x"', "unknown-rule", "did you mean `OBJ-001`?"),
    ("override WET-01 should", "unknown-rule", "did you mean `WET-001`?"),
    ("set min_maintenance = 5", "unit-mismatch", None),
    ("set min_maintenance = 5 ha", "unit-mismatch", None),
    ("override WET-001 severity urgent", "bad-severity", None),
])
def test_lint_checks_what_a_profile_names(tmp_path, body, code, hint):
    diags = _profile(tmp_path, body)
    assert [d.code for d in diags] == [code]
    if hint:
        assert diags[0].hint == hint


def test_set_converts_a_compatible_unit(tmp_path):
    diags = _profile(tmp_path, "set min_maintenance = 48 months")
    assert diags == []
    std = api.load_standard(tmp_path / "p.nbs")
    assert std.params["min_maintenance"].value == pytest.approx(4)


def test_the_text_report_names_the_profile_and_lists_its_changes(capsys):
    main(["check", str(PACK / "plan"), "--standard", str(PROFILE)])
    out = capsys.readouterr().out
    assert "Profile:  mini_city — Mini city profile (5 changes)" in out
    assert "param min_maintenance: 3 → 5 years" in out
    assert "disable OBJ-001: the city records restoration modes in its permits" in out


def test_the_report_json_carries_the_profile():
    std = api.load_standard(PROFILE)
    report = api.evaluate(std, api.load_plan(PACK / "plan", std))
    assert report.data["standard"]["profile"]["id"] == "mini_city"
    assert "OBJ-001" not in [r["id"] for r in report.data["rules"]]


def test_rule_tests_run_against_a_profile(capsys):
    assert main(["test", str(PROFILE), "--coverage", "--min-coverage", "100"]) == 0


def test_a_profile_of_an_unknown_standard_gets_a_hint(tmp_path):
    f = tmp_path / "p.nbs"
    f.write_text('profile city "City" extends nbs_urban_restoratio { version "1" }\n', encoding="utf-8")
    _, diags = check_pack(f)
    assert [(d.code, d.hint) for d in diags] == [("unknown-standard", "did you mean `nbs_urban_restoration`?")]
