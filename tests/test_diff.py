"""Comparing two versions of a plan."""

from __future__ import annotations

import json

import pytest
from casekit import FIXTURES, copy_plan

from engine import api
from engine.diff import diff_reports, render_text
from engine.render import FORMATS


@pytest.fixture
def std(mini_std):
    return mini_std


def _report(std, plan_dir):
    return api.evaluate(std, api.load_plan(plan_dir, std)).data


def test_resubmission_that_fixes_and_breaks(std, tmp_path):
    old, new = copy_plan(tmp_path / "old"), copy_plan(tmp_path / "new")
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
    r = _report(std, FIXTURES / "mini_plan")
    d = diff_reports(r, r)
    assert not d.regressed and "No differences" in render_text(d)


def test_cli_diff_of_two_plans_and_of_saved_reports(std, tmp_path, capsys):
    from engine.cli import main

    old, new = copy_plan(tmp_path / "old"), copy_plan(tmp_path / "new")
    csv = new / "tables/objects.csv"
    csv.write_text(csv.read_text().replace("O-3,south,wetland,0.7", "O-3,south,wetland,1.7"))
    assert main(["diff", str(old), str(new)]) == 0
    assert "M-2 [shall] Wetlands cover 2 ha: fail → pass" in capsys.readouterr().out
    main(["check", str(old), "-o", str(tmp_path / "r-old"), "-f", "json"])
    main(["check", str(new), "-o", str(tmp_path / "r-new"), "-f", "json"])
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "r-new/report.json"), str(tmp_path / "r-old/report.json")]) == 1
    assert "M-2 [shall] Wetlands cover 2 ha: pass → fail" in capsys.readouterr().out


def test_cli_diff_rejects_other_json(tmp_path, capsys):
    from engine.cli import main

    (tmp_path / "x.json").write_text("[1, 2]")
    assert main(["diff", str(tmp_path / "x.json"), str(tmp_path / "x.json")]) == 2
    assert "not an nbscheck JSON report" in capsys.readouterr().err
    # a SARIF log (JSON, but not a report) and a CSV are not plans either: a report-format error, not plan-format
    (tmp_path / "report.sarif").write_text('{"version": "2.1.0", "runs": []}')
    (tmp_path / "rules.csv").write_text("id,outcome\n")
    for other in ("report.sarif", "rules.csv"):
        assert main(["diff", str(tmp_path / other), str(tmp_path / other)]) == 2
        err = capsys.readouterr().err
        assert f"{other}: report-format" in err and "plan-format" not in err


def test_a_worse_verdict_through_an_added_rule_is_a_regression(std):
    old = _report(std, FIXTURES / "mini_plan")
    new = json.loads(FORMATS["json"](old))  # a plain copy: the report's findings become lists
    added = dict(new["rules"][0], id="M-9", outcome="fail", message="new rule fails")
    new["rules"].append(added)
    new["verdict"] = "non_compliant"
    old["verdict"] = "compliant_with_observations"
    d = diff_reports(old, new)
    assert d.regressed and "M-9 (fail)" in render_text(d)


def test_a_report_that_breaks_its_schema_is_refused(tmp_path, capsys):
    from engine.cli import main

    main(["check", str(FIXTURES / "mini_plan"), "--standard", str(FIXTURES / "mini_pack"), "-o", str(tmp_path),
          "-f", "json"])
    report = json.loads((tmp_path / "report.json").read_text())
    del report["rules"][0]["findings"]
    (tmp_path / "broken.json").write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "broken.json"), str(tmp_path / "report.json")]) == 2
    assert "report-format" in capsys.readouterr().err


def test_cli_diff_as_json(capsys):
    from engine.cli import main

    assert main(["diff", "riverside", "industrial-belt", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["regressed"] and out["old"]["verdict"] == "compliant_with_observations"
    assert {c["id"] for c in out["changed_rules"]} >= {"WET-001", "IMP-001"}


def test_one_plan_moved_to_the_next_edition(tmp_path, capsys):
    """`diff PLAN --as-of A --to-as-of B`: the same plan on two dates, against the editions in force on each."""
    from casekit import write_plan

    from engine.cli import main

    pack = FIXTURES.parent / "cases" / "edition_on_its_start_date" / "rules.nbs"
    plan = write_plan(tmp_path / "plan", {"plan": {"id": "p", "title": "P", "date": "2029-06-01"}, "tables": {
        "districts": [{"id": "D1", "canopy_pct": 32}, {"id": "D2", "canopy_pct": 36}]}})
    # 2029-12-31: min_canopy 30 % (from 2026-01-01), both pass; 2031-01-01: 35 % (from 2030-01-01), so D1 (32 %)
    # fails, and min_districts moves from 1 to 2 on that very day (2 districts: still passes)
    code = main(["diff", str(plan), "--standard", str(pack), "--as-of", "2029-12-31", "--to-as-of", "2031-01-01",
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["regressed"]
    assert out["editions"]["old"] == {"as_of": "2029-12-31", "source": "--as-of", "edition": "2026-01-01"}
    assert out["editions"]["new"] == {"as_of": "2031-01-01", "source": "--as-of", "edition": "2031-01-01"}
    assert [(p["param"], p["old"], p["new"]) for p in out["editions"]["changed_params"]] == [
        ("min_canopy", 30, 35), ("min_districts", 1, 2)]
    assert [(c["id"], c["old"], c["new"]) for c in out["changed_rules"]] == [("CAN", "pass", "fail")]
    # without --as-of the old side is the plan's date; a saved report cannot be moved to another date
    assert main(["diff", str(plan), "--standard", str(pack), "--to-as-of", "2031-01-01"]) == 1
    text = capsys.readouterr().out
    assert "Edition: edition of 2026-01-01, as of 2029-06-01 (plan date) → edition of 2031-01-01" in text
    assert "min_canopy: 30 % → 35 % (from 2030-01-01)" in text
    report = tmp_path / "report.json"
    report.write_text(json.dumps(api.evaluate(api.load_standard(pack), api.load_plan(
        plan, api.load_standard(pack))).data), encoding="utf-8")
    assert main(["diff", str(report), str(plan), "--as-of", "2031-01-01", "--standard", str(pack)]) == 2
    assert "saved report" in capsys.readouterr().err


def test_a_profile_sets_dated_values(tmp_path):
    """`set` takes dated values too; the profile's changes list them, and the check picks by date."""
    from casekit import write_plan

    base = FIXTURES.parent / "cases" / "edition_on_its_start_date" / "rules.nbs"
    profile = tmp_path / "city.nbs"
    profile.write_text(f'profile city "City" extends "{base.as_posix()}" {{ version "1" }}\n'
                       'set min_canopy = 31 %, 40 % from 2032-01-01\n', encoding="utf-8")
    std = api.load_standard(profile)
    assert std.profile["changes"][0]["change"] == "30 → 31 %, 40 % from 2032-01-01"
    plan = api.load_plan(write_plan(tmp_path / "plan", {"tables": {"districts": [{"id": "D1", "canopy_pct": 32}]}}),
                         std)
    # 2031-12-31: 31 %, 32 % passes; 2032-01-01, the first day of 40 %: fails
    assert api.evaluate(std, plan, as_of="2031-12-31").outcome("CAN") == "pass"
    report = api.evaluate(std, plan, as_of="2032-01-01")
    assert report.outcome("CAN") == "fail" and report.data["editions"]["edition"] == "2032-01-01"
