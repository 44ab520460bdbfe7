"""`keep evidence`: a rule's passing rows and groups are findings too, with the values they passed on."""

from __future__ import annotations

from pathlib import Path

import yaml
from casekit import write_plan

from engine import api
from engine.check import check_pack
from engine.cli import main

CASE = Path(__file__).resolve().parent / "cases" / "keep_evidence"


def _report(tmp_path: Path):
    std = api.load_standard(CASE)
    plan = write_plan(tmp_path / "plan", yaml.safe_load((CASE / "case.yaml").read_text("utf-8"))["plan"])
    return {r.rule_id: r for r in api.evaluate(std, api.load_plan(plan, std)).results}, plan


def test_passing_rows_keep_their_values_and_the_exemption_shows(tmp_path):
    results, _ = _report(tmp_path)
    kept = [(f.outcome, f.key, f.values) for f in results["KEEP-ROWS"].findings]
    assert kept == [("pass", "a", {"area_ha": 2.0, "exempt": False}), ("pass", "b", {"area_ha": 0.5, "exempt": True}),
                    ("fail", "c", {"area_ha": 0.5, "exempt": False})]
    # the counts are those of the rule without `keep evidence`
    assert results["KEEP-ROWS"].counts == results["PLAIN"].counts == {"pass": 2, "fail": 1}
    assert [f.key for f in results["PLAIN"].findings] == ["c"]


def test_passing_groups_keep_their_lets(tmp_path):
    results, _ = _report(tmp_path)
    groups = {f.key: (f.outcome, f.values) for f in results["KEEP-GROUPS"].findings}
    assert groups == {"N": ("pass", {"total": 2.5}), "S": ("fail", {"total": 0.5})}  # 2 + 0.5; 0.5


def test_the_text_report_lists_the_kept_evidence(tmp_path, capsys):
    _, plan = _report(tmp_path)
    main(["check", str(plan), "--standard", str(CASE)])
    out = capsys.readouterr().out
    assert "Evidence kept for passing rows (2)" in out
    assert "  ✓ KEEP-ROWS A site is 1 ha, unless it is exempt: 2 passing rows kept" in out
    assert "      ✓ b: area_ha 0.5, exempt yes" in out
    assert "  ✓ KEEP-GROUPS Each district has 2 ha of sites: 1 passing group kept" in out


def test_keep_evidence_needs_rows(tmp_path):
    f = tmp_path / "p.nbs"
    f.write_text('standard t "T" { version "1" }\ngoal G "G"\nstage S "S"\n'
                 'rule R "r" { goal G stage S shall 1 > 0 keep evidence }\n', encoding="utf-8")
    _, diags = check_pack(f)
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("scope-mismatch", 4, 41)]


def test_the_html_card_lists_the_kept_rows(tmp_path):
    _, plan = _report(tmp_path)
    assert main(["check", str(plan), "--standard", str(CASE), "-f", "html", "-o", str(tmp_path / "out"), "-q"]) == 1
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<caption>2 passing objects with the values they passed on (the rule keeps evidence)</caption>" in page
    assert "<caption>1 passing object with the values it passed on (the rule keeps evidence)</caption>" in page
    assert page.count('class="row-pass"') == 3  # a and b of KEEP-ROWS, N of KEEP-GROUPS
