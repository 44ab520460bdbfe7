"""Scoped checks: --select / --ignore and a plan's `scope:` run a part of a standard, and only
the data that part reads is required."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main

ROOT = Path(__file__).parent.parent


@pytest.fixture
def partial(tmp_path) -> Path:
    """The riverside plan without its projects and interactions tables, the implementation
    section, or the objects' required `cover` column: what a survey-stage plan may hold."""
    plan = Path(shutil.copytree(ROOT / "examples/riverside", tmp_path / "plan"))
    text = (plan / "plan.yaml").read_text(encoding="utf-8")
    text = re.sub(r"\n  (projects|interactions): .*", "", text)
    text = text.replace("\nimplementation:\n", "\nimplementation_later:\n")
    (plan / "plan.yaml").write_text(text, encoding="utf-8")
    objects = pd.read_csv(plan / "tables/objects.csv", dtype=str, keep_default_na=False)
    objects.drop(columns=["cover"]).to_csv(plan / "tables/objects.csv", index=False)
    return plan


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_unscoped_the_partial_plan_is_invalid(partial, capsys):
    assert main(["check", str(partial)]) == 2
    err = capsys.readouterr().err
    assert "`tables.projects` is required" in err and "`implementation` is required" in err


def test_select_requires_only_what_the_selected_rules_read(partial, capsys):
    # WET-001 reads objects (category, area_ha, baseline_area_ha); BIO-001 objects' native share and,
    # in its message, `o.district`: a link (-> districts) that makes the districts table needed too
    assert main(["check", str(partial), "--select", "WET-001,BIO-001", "-f", "json", "--fail-on", "never"]) == 0
    report = _json(capsys)
    assert {r["id"]: r["outcome"] for r in report["rules"]} == {"WET-001": "pass", "BIO-001": "fail"}
    scope = report["scope"]
    assert scope["tables_required"] == ["districts", "objects"] and scope["fields_required"] == []
    assert scope["rules_in_scope"] == 2 and scope["selection"] == "--select WET-001,BIO-001"
    out = {r["rule"]: r["reason"] for r in scope["rules_out_of_scope"]}
    assert out["ACC-001"] == "not selected by --select WET-001,BIO-001" and len(out) + 2 == _nbs_rules()
    assert report["verdict"] == "compliant_with_observations"


def test_the_verdict_says_it_covers_only_the_scope(partial, capsys):
    main(["check", str(partial), "--select", "WET-001", "--fail-on", "never"])
    assert f"Verdict:  COMPLIANT  (covers only 1 rule in scope: --select WET-001; {_nbs_rules() - 1} out of scope)" \
        in capsys.readouterr().out


def _nbs_rules() -> int:
    """The rules of the bundled NbS standard (the pack grows; the scope counts follow it)."""
    from engine import api

    return len(api.load_standard("nbs_urban_restoration").rules)


def test_ignore_and_selectors_by_kind(capsys):
    riverside = str(ROOT / "examples/riverside")
    main(["check", riverside, "--select", "goal:L1", "--ignore", "strength:should,BIO-*", "-f", "json",
          "--fail-on", "never"])
    report = _json(capsys)
    ids = {r["id"] for r in report["rules"]}
    assert ids and all("L1" in r["goals"] and r["strength"] != "should" for r in report["rules"])
    assert not any(i.startswith("BIO-") for i in ids)
    reasons = {r["reason"] for r in report["scope"]["rules_out_of_scope"]}
    assert {"ignored by --ignore strength:should", "ignored by --ignore BIO-*", "not selected by --select goal:L1"} \
        <= reasons


def test_the_plan_declares_its_scope(partial, capsys):
    text = (partial / "plan.yaml").read_text(encoding="utf-8")
    (partial / "plan.yaml").write_text(text + "\nscope:\n  rules: [WET-001]\n", encoding="utf-8")
    assert main(["check", str(partial), "-f", "json"]) == 0
    report = _json(capsys)
    assert [r["id"] for r in report["rules"]] == ["WET-001"]
    assert report["scope"]["rules_out_of_scope"][0]["reason"] == "outside the plan's declared scope"
    assert report["scope"]["selection"] == "plan scope (rules: WET-001)"


@pytest.mark.parametrize("args, words", [
    (["--select", "WETT-001"], "--select: unknown-selector: `WETT-001` names no rule"),
    (["--ignore", "goal:L9"], "`goal:L9` names no rule, goal level"),
    (["--select", "colour:red"], "`colour` is not a kind of selector"),
])
def test_unknown_selectors_exit_2(args, words, capsys):
    assert main(["check", str(ROOT / "examples/riverside"), *args]) == 2
    assert words in capsys.readouterr().err


def test_a_bad_plan_scope_is_located(partial, capsys):
    text = (partial / "plan.yaml").read_text(encoding="utf-8")
    lines = text.count("\n") + 1
    (partial / "plan.yaml").write_text(text + "\nscope:\n  goal: [L1]\n", encoding="utf-8")
    assert main(["check", str(partial)]) == 2
    err = capsys.readouterr().err
    assert f"plan.yaml:{lines + 1}: plan-schema: `scope`" in err and "goal" in err


def test_a_waiver_for_a_rule_out_of_scope_is_a_warning_not_an_error(tmp_path, capsys):
    waivers = tmp_path / "w.yaml"
    waivers.write_text('waivers:\n  - rule: BIO-001\n    keys: [RS-007]\n    reason: "approved"\n', encoding="utf-8")
    assert main(["check", str(ROOT / "examples/riverside"), "--select", "WET-001", "--waivers", str(waivers)]) == 0
    assert "waiver-unused: warning: BIO-001 is out of scope in this run" in capsys.readouterr().err
