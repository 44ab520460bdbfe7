"""A standard whose goal levels (or stages) are a progression: a level scores no higher than an earlier one."""

from __future__ import annotations

from pathlib import Path

from casekit import write_plan

from engine import api
from engine.check import check_pack
from engine.cli import main

PACK = '''standard prog "Progression" {
  version "1"
  progression "goals, stages"
}
goal L1 "First"
goal L2 "Second"
goal L3 "Third"
goal L4 "Fourth"
stage survey "Survey"
stage design "Design"
field a: number at "a"
rule A1 "a" { goal L1 stage survey shall a >= 1 }
rule A2 "b" { goal L1 stage survey shall a >= 2 }
rule B1 "c" { goal L2 stage design shall a >= 0 }
rule C1 "d" { goal L3 stage design shall a >= 0 }
rule C2 "e" { goal L3 stage design shall a >= 5 }
rule D1 "f" { goal L4 stage design may a >= 0 }
'''


def _report(tmp_path: Path, header_extra: str = ""):
    (tmp_path / "pack.nbs").write_text(PACK.replace('  progression "goals, stages"\n', header_extra), "utf-8")
    std = api.load_standard(tmp_path / "pack.nbs")
    plan = write_plan(tmp_path / "plan", {"a": 1})
    return api.evaluate(std, api.load_plan(plan, std)).data["scores"]


def test_a_level_scores_no_higher_than_an_earlier_one(tmp_path):
    # a = 1: A1 passes, A2 fails -> L1 1/2 = 0.5; L2 1/1 = 1.0 capped at 0.5 by L1;
    # L3: C1 passes, C2 fails -> 0.5, not above L1's 0.5 (not capped); L4 has only a `may` rule: no score
    goals = _report(tmp_path, '  progression "goals, stages"\n')["goals"]
    got = [(g["id"], g["score"], g["own_score"], g["capped_by"]) for g in goals]
    assert got == [("L1", 0.5, 0.5, None), ("L2", 0.5, 1.0, "L1"), ("L3", 0.5, 0.5, None),
                   ("L4", None, None, None)]


def test_stages_in_a_progression(tmp_path):
    # survey: A1, A2 -> 0.5; design: B1, C1 pass, C2 fails -> 2/3 = 0.6667, capped at 0.5 by survey
    stages = _report(tmp_path, '  progression "stages"\n')
    assert [(s["id"], s["score"], s["capped_by"]) for s in stages["stages"]] == [("survey", 0.5, None),
                                                                                 ("design", 0.5, "survey")]
    assert "capped_by" not in stages["goals"][1] and stages["goals"][1]["score"] == 1.0


def test_without_a_progression_each_level_keeps_its_own_score(tmp_path):
    goals = _report(tmp_path)["goals"]
    assert [g["score"] for g in goals] == [0.5, 1.0, 0.5, None] and "capped_by" not in goals[0]


def test_the_text_report_says_what_capped_a_level(tmp_path, capsys):
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "pack.nbs").write_text(PACK, "utf-8")
    plan = write_plan(tmp_path / "plan", {"a": 1})
    main(["check", str(plan), "--standard", str(tmp_path / "pack")])
    out = capsys.readouterr().out
    assert "L2 Second  █████░░░░░   50%  (1/1, capped by L1: own 100%)" in out


def test_an_unknown_progression_is_a_header_error(tmp_path):
    f = tmp_path / "pack.nbs"
    f.write_text(PACK.replace('progression "goals, stages"', 'progression "levels"'), "utf-8")
    _, diags = check_pack(f)
    assert [d.code for d in diags] == ["bad-header"]


def test_the_html_report_says_what_capped_a_level(tmp_path):
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "pack.nbs").write_text(PACK, "utf-8")
    plan = write_plan(tmp_path / "plan", {"a": 1})
    main(["check", str(plan), "--standard", str(tmp_path / "pack"), "-f", "html", "-o", str(tmp_path / "out"), "-q"])
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "(capped by L1; own 100%)" in page and "(capped by survey; own 67%)" in page
