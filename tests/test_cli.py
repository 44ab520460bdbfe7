"""The CLI contract: exit codes, formats, diagnostics, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from casekit import FIXTURES, edit

from engine.cli import main
from engine.render import FORMATS, csv_, geojson


def test_text_summary(plan_dir, capsys):
    code = main(["check", str(plan_dir), "--standard", str(FIXTURES / "mini_pack")])
    out = capsys.readouterr().out
    assert code == 1
    assert "Verdict:  NON-COMPLIANT" in out
    assert "M-2 [shall, high] Wetlands cover 2 ha" in out and "wetlands cover 1.5 ha" in out
    assert "cite: REF 3 — Reference document, 2024" in out
    assert "G1 Restore" in out


def test_the_plan_names_its_standard(plan_dir, capsys):
    assert main(["check", str(plan_dir)]) == 1


@pytest.mark.parametrize("fail_on,code", [("shall", 1), ("should", 1), ("never", 0)])
def test_fail_on(plan_dir, fail_on, code):
    assert main(["check", str(plan_dir), "--fail-on", fail_on]) == code


def test_should_failures_pass_at_shall_but_not_at_should(plan_dir, tmp_path):
    csv = plan_dir / "tables/objects.csv"
    csv.write_text(csv.read_text().replace("O-3,south,wetland,0.7", "O-3,south,wetland,1.7"))
    assert "O-4,south,brownfield,1.5,,false" in csv.read_text()
    assert main(["check", str(plan_dir), "--fail-on", "shall"]) == 0
    assert main(["check", str(plan_dir), "--fail-on", "should"]) == 1


def test_incomplete_fails_at_shall(plan_dir, capsys):
    edit(plan_dir / "plan.yaml", "  plan: true", "  plan: null")
    assert main(["check", str(plan_dir), "--fail-on", "shall", "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["rules"][0]["outcome"] == "insufficient_data"
    assert report["rules"][0]["missing"] == ["monitoring.plan"]


def test_json_to_output_folder(plan_dir, tmp_path, capsys):
    out = tmp_path / "out"
    main(["check", str(plan_dir), "-o", str(out), "--format", "json"])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "non_compliant"
    assert f"wrote {out / 'report.json'}" in capsys.readouterr().out


def test_unknown_format_is_a_usage_error(plan_dir, capsys):
    assert main(["check", str(plan_dir), "--format", "pdf"]) == 2
    assert "unknown format pdf" in capsys.readouterr().err


@pytest.mark.parametrize("args,code_word", [
    (["check", "no/such/plan"], "plan-not-found"),
    (["check", "PLAN", "--standard", "no_such_standard"], "pack-not-found"),
    (["check", "PLAN", "--waivers", "nowhere.yaml"], "waivers-not-found"),
    (["lint", "no/such/rules"], "pack-not-found"),
])
def test_bad_inputs_exit_2_with_a_message(plan_dir, capsys, args, code_word):
    args = [str(plan_dir) if a == "PLAN" else a for a in args]
    assert main(args) == 2
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert code_word in said and "Traceback" not in said


def test_waivers_file(plan_dir, tmp_path, capsys):
    w = tmp_path / "waivers.yaml"
    w.write_text("waivers:\n  - rule: M-2\n    reason: wetland counted in the neighbouring plan\n    by: reviewer\n")
    assert main(["check", str(plan_dir), "--waivers", str(w), "-f", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    m2 = next(r for r in report["rules"] if r["id"] == "M-2")
    assert m2["outcome"] == "waived" and m2["waiver"]["reason"].startswith("wetland")


def test_waiver_naming_unknown_rule(plan_dir, tmp_path, capsys):
    w = tmp_path / "waivers.yaml"
    w.write_text("waivers:\n  - rule: M-9\n    reason: typo\n")
    assert main(["check", str(plan_dir), "--waivers", str(w)]) == 2
    err = capsys.readouterr().err
    assert "waivers.yaml:2" in err and "unknown rule `M-9`" in err


def test_lint_clean_pack(capsys):
    assert main(["lint", str(FIXTURES / "mini_pack")]) == 0
    assert "mini 0.1: 3 rules, no errors" in capsys.readouterr().out


def test_lint_broken_pack_prints_every_problem_with_caret(tmp_path, capsys):
    src = (FIXTURES / "mini_pack/mini.nbs").read_text()
    broken = src.replace("sum(wetland.area_ha) >= 2 ha", "sum(wetland.area) >= 1 m")
    broken = broken.replace('goal G1 stage design cite REF "2.1"', 'goal G2 stage desing cite REF "2.1"')
    (tmp_path / "mini.nbs").write_text(broken)
    assert main(["lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'mini.nbs'}:") and ": unknown-goal: unknown goal `G2`" in lines[0]
    assert "hint: did you mean `design`?" in out
    assert "unknown-column: table `objects` has no column `area`" in out
    assert any(set(line.strip()) == {"^"} for line in lines)


def test_lint_caps_the_list(tmp_path, capsys):
    rules = "\n".join(f'rule R{i} "r" {{ goal NOPE shall true }}' for i in range(60))
    (tmp_path / "p.nbs").write_text('standard s "S" { version "1" }\n' + rules)
    assert main(["lint", str(tmp_path)]) == 1
    assert "... and 10 more" in capsys.readouterr().out


def test_standards_lists_bundled_packs(capsys):
    assert main(["standards"]) == 0
    assert "nbs_urban_restoration" in capsys.readouterr().out


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert main(["check", "--help"]) == 0
    assert "--fail-on" in capsys.readouterr().out


def test_unwritable_output_is_an_input_error(plan_dir, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out, what in ((blocker, "is a file"), (blocker / "out", f"lies under {blocker}, which is a file")):
        assert main(["check", str(plan_dir), "-o", str(out), "-f", "json"]) == 2
        err = capsys.readouterr().err
        assert f"bad-argument: -o {out}: {what}" in err and "hint: -o names a folder" in err
    assert blocker.read_text() == "x"  # nothing the user gave is modified


def test_a_bug_is_reported_without_a_traceback(plan_dir, capsys, monkeypatch):
    from engine import api

    monkeypatch.setattr(api, "evaluate", lambda *a, **k: 1 / 0)
    assert main(["check", str(plan_dir)]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "Traceback" not in err


def test_waivers_that_cover_nothing_are_warned_about(plan_dir, tmp_path, capsys):
    w = tmp_path / "waivers.yaml"
    w.write_text("waivers:\n  - rule: M-1\n    reason: not needed, it passes\n"
                 "  - rule: M-3\n    keys: [O-4, O-9]\n    reason: O-9 does not exist\n"
                 "  - rule: M-2\n    keys: [O-1]\n    reason: plan-level rules take no keys\n")
    main(["check", str(plan_dir), "--waivers", str(w)])
    err = capsys.readouterr().err
    assert f"{w}:2: waiver-unused: warning: M-1 has nothing to waive here" in err
    assert f"{w}:4: waiver-unused: warning: no failing or incomplete row of M-3 has key O-9" in err
    assert f"{w}:7: waiver-unused: warning: M-2 is a plan-level rule" in err


def test_empty_waiver_keys_are_refused(plan_dir, tmp_path, capsys):
    w = tmp_path / "waivers.yaml"
    w.write_text("waivers:\n  - rule: M-3\n    keys: []\n    reason: everything?\n")
    assert main(["check", str(plan_dir), "--waivers", str(w)]) == 2
    assert "waivers-schema" in capsys.readouterr().err


@pytest.mark.parametrize("text,fragment", [
    ("plan: {id: a, title: b}\nplan: {id: c}\n", "plan-duplicate-key"),
    ("- a\n- b\n", "must be a mapping"),
    ("plan: {id: a, title: b}\nstandard: 42\n", "`standard` must be a bundled id or a path"),
])
def test_the_real_plan_problem_is_named_before_the_standard_is_known(plan_dir, capsys, text, fragment):
    (plan_dir / "plan.yaml").write_text(text)
    assert main(["check", str(plan_dir)]) == 2
    assert fragment in capsys.readouterr().err


def test_standards_and_lint_name_a_profile(capsys):
    assert main(["standards"]) == 0
    out = capsys.readouterr().out
    assert "shenzhen_2026" in out and "(a profile of nbs_urban_restoration)" in out
    assert main(["lint", "rules/nbs-urban-restoration-shenzhen"]) == 0
    assert "shenzhen_2026 1.0.0 (a profile of nbs_urban_restoration)" in capsys.readouterr().out


def test_a_bundled_example_by_name(capsys):
    assert main(["check", "industrial-belt"]) == 1
    assert "Verdict:  NON-COMPLIANT" in capsys.readouterr().out


def test_a_reader_that_stops_early_is_not_an_input_error():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "check", "industrial-belt", "-f", "json,csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait(timeout=120) in (0, 1)
    assert b"Traceback" not in proc.stderr.read()


def test_waiver_reasons_reach_csv_and_markdown(plan_dir, tmp_path):
    w = tmp_path / "waivers.yaml"
    w.write_text("waivers:\n  - rule: M-3\n    keys: [O-4]\n    reason: treated under the dye-works contract\n"
                 "    by: J. Chen\n")
    main(["check", str(plan_dir), "--waivers", str(w), "-f", "csv,md", "-o", str(tmp_path / "out")])
    assert "treated under the dye-works contract (by J. Chen)" in (tmp_path / "out/report.csv").read_text()
    assert "waiver: treated under the dye-works contract" in (tmp_path / "out/report.md").read_text()


def test_a_keyed_waiver_inside_a_whole_rule_waiver_is_named(plan_dir, tmp_path, capsys):
    w = tmp_path / "waivers.yaml"
    w.write_text("waivers:\n  - rule: M-3\n    reason: the whole rule is deferred\n"
                 "  - rule: M-3\n    keys: [O-4]\n    reason: and this row too\n")
    main(["check", str(plan_dir), "--waivers", str(w)])
    assert "O-4: already covered by the waiver of all of M-3 (line 2)" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_load_neither_pandas_nor_the_parser(flag):
    # a fresh interpreter: this test process has imported everything already
    heavy = ["pandas", "numpy", "pyarrow", "lark", "jinja2", "jsonschema", "yaml"]
    probe = (f"import sys\nfrom engine.cli import main\ncode = main([{flag!r}])\n"
             f"print('loaded:', sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})), 'exit:', code)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).parent.parent).stdout
    assert "loaded: [] exit: 0" in out



def test_the_version_is_the_installed_package_version(capsys):
    # --version prints engine.__version__, which the build writes into the package metadata
    from importlib.metadata import version as installed

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"nbscheck {installed('nbscheck')}\n"


def test_help_loads_no_report_format_and_no_package_metadata():
    # each format's module is imported when a report is written; the version only when --version asks
    probe = ("import sys\nfrom engine.cli import main\nmain(['--help'])\n"
             "print('loaded:', sorted(m for m in sys.modules if m.startswith('engine.render.') "
             "and m.split('.')[2] not in ('options', 'i18n') or m == 'importlib.metadata'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).parent.parent).stdout
    assert "loaded: []" in out, out[-300:]
    assert FORMATS["csv"].filename == csv_.FILENAME and FORMATS["geojson"].filename == geojson.FILENAME

def test_a_pandas_check_loads_neither_the_dask_engine_nor_the_input_problem_writers(tmp_path):
    probe = ("import sys\nfrom engine.cli import main\n"
             f"main(['check', 'examples/riverside', '-f', 'json', '-o', {str(tmp_path)!r}, '-q'])\n"
             "print('loaded:', sorted(m for m in sys.modules if m in ('engine.distributed', 'engine.render.problems', "
             "'dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parent.parent).stdout
    assert "loaded: []" in out, out[-300:]
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["plan"]["id"] == "riverside-2026"


def test_the_public_evaluate_is_the_function_after_the_submodule_was_loaded():
    # `engine/evaluate.py` is a submodule; loading it must not hide the public `engine.evaluate` function
    probe = "import engine.evaluate\nfrom engine import evaluate\nprint(evaluate.__module__, callable(evaluate))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).parent.parent).stdout
    assert out.split() == ["engine.api", "True"]
