"""CI runs: a baseline that fails only on new findings, diff per object, the config file, several
plans in one run, the GitHub Action's script and the pre-commit hooks."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"


def edit_csv(path: Path, key: str, column: str, value: str) -> None:
    """Set one cell by plain text editing (the CSV stays as it was otherwise)."""
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    col = header.split(",").index(column)
    for i, row in enumerate(rows):
        cells = row.split(",")
        if cells[0] == key:
            cells[col] = value
            rows[i] = ",".join(cells)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


@pytest.fixture
def revised(tmp_path):
    """riverside with one new should finding (RS-001 native share 50 %) and one fixed (D04 canopy 31 %)."""
    plan = Path(shutil.copytree(EXAMPLES / "riverside", tmp_path / "revised"))
    edit_csv(plan / "tables/objects.csv", "RS-001", "native_species_share", "50.0")
    edit_csv(plan / "tables/districts.csv", "D04", "canopy_share", "31.0")
    return plan


def test_baseline_fails_only_on_new_findings(tmp_path, revised, capsys):
    base = tmp_path / "base"
    assert main(["check", "riverside", "-f", "json", "-o", str(base), "-q", "--fail-on", "should"]) == 1
    baseline = str(base / "report.json")
    # the same plan against its own baseline: nothing new
    assert main(["check", "riverside", "--baseline", baseline, "--fail-on", "should", "-q", "-f", "json",
                 "-o", str(tmp_path / "same")]) == 0
    capsys.readouterr()
    # the revision: BIO-001 RS-001 is new (50 < 70); CAN-001 D04 is fixed (31 >= 30); two persist
    out = tmp_path / "rev"
    assert main(["check", str(revised), "--baseline", baseline, "--fail-on", "should", "-f", "sarif",
                 "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "1 new finding(s) fail the check at --fail-on should" in err and "BIO-001 objects RS-001" in err
    results = json.loads((out / "report.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    states = {r["locations"][0]["logicalLocations"][0]["name"]: r["baselineState"] for r in results}
    assert states == {"RS-001": "new", "RS-007": "unchanged", "D06": "unchanged"}
    # at --fail-on shall the new should finding does not gate
    assert main(["check", str(revised), "--baseline", baseline, "-q"]) == 0


def test_diff_shows_new_fixed_and_persisting_findings_per_object(tmp_path, revised, capsys):
    assert main(["diff", "riverside", str(revised)]) == 1
    out = capsys.readouterr().out
    assert "Findings by object (4 objects: 1 new, 1 fixed, 2 persisting)" in out
    assert "  objects RS-001\n    new        BIO-001 RS-001:" in out
    assert "  districts D04\n    fixed      CAN-001 D04:" in out
    assert "    persisting BIO-001 RS-007:" in out
    assert main(["diff", "riverside", str(revised), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert sorted((f["rule"], f["key"]) for f in doc["persisting_findings"]) == [("ACC-002", "D06"),
                                                                                  ("BIO-001", "RS-007")]


def test_config_file_sets_defaults_and_the_command_line_wins(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "riverside", project / "plans/riverside")
    (project / "review").mkdir()
    (project / "review/waivers.yaml").write_text(
        "waivers:\n  - {rule: BIO-001, keys: [RS-007], reason: species list approved}\n", encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.nbscheck]\nformat = ["json", "junit"]\noutput = "out"\nfail-on = "should"\n'
        'waivers = "review/waivers.yaml"\n', encoding="utf-8")
    (project / "plans/riverside/sub").mkdir()
    monkeypatch.chdir(project / "plans/riverside/sub")  # found by walking up
    assert main(["check", "..", "-q"]) == 1  # should failures gate; two remain after the waiver
    report = json.loads((project / "out/report.json").read_text(encoding="utf-8"))
    assert report["counts"]["waived"] == 1 and (project / "out/report.junit.xml").is_file()
    assert main(["check", "..", "-q", "--fail-on", "shall"]) == 0
    # ignore from the config: BIO-001 (waived above) leaves the report; ACC-002 and CAN-001 still fail
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(text + 'ignore = ["BIO-001"]\n', encoding="utf-8")
    assert main(["check", "..", "-q"]) == 1
    assert ("waiver-unused: warning: BIO-001 is out of scope in this run (ignored by --ignore BIO-001); waiver W1 "
            "has no effect") in capsys.readouterr().err
    report = json.loads((project / "out/report.json").read_text(encoding="utf-8"))
    assert "BIO-001" not in {r["id"] for r in report["rules"]}
    assert [(w["id"], w["status"]) for w in report["waivers"]] == [("W1", "unused")]
    assert sorted(r["id"] for r in report["rules"] if r["outcome"] == "fail") == ["ACC-002", "CAN-001"]
    (project / "nbscheck.toml").write_text('fail_on = "should"\nformat = "yaml"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["check", "plans/riverside", "-q"]) == 2
    err = capsys.readouterr().err
    assert "nbscheck.toml: config-schema: unknown setting `fail_on`" in err and "did you mean `fail-on`?" in err


def test_several_plans_in_one_run(tmp_path, capsys):
    plans = tmp_path / "plans"
    for name in ("riverside", "industrial-belt"):
        shutil.copytree(EXAMPLES / name, plans / name)
    (plans / "broken").mkdir()
    (plans / "broken/plan.yaml").write_text("plan: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["check", *sorted(map(str, plans.iterdir())), "-f", "json,sarif", "-o", str(out)])
    assert code == 2  # the worst: one plan's input is invalid
    text = capsys.readouterr().out
    assert "3 plans checked at --fail-on shall" in text and "1 passed, 1 failed, 1 invalid" in text
    assert "ok   riverside" in text and "FAIL industrial-belt" in text and "ERR  broken" in text
    assert json.loads((out / "riverside/report.json").read_text(encoding="utf-8"))["verdict"] == \
        "compliant_with_observations"
    assert json.loads((out / "industrial-belt/report.json").read_text(encoding="utf-8"))["verdict"] == "non_compliant"
    assert json.loads((out / "broken/report.json").read_text(encoding="utf-8"))["valid"] is False
    assert main(["check", str(plans / "riverside"), str(plans / "industrial-belt"), "-f", "json"]) == 2


# ---- the GitHub Action and the pre-commit hooks ----------------------------------------------
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def action_env(tmp_path: Path, **inputs: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INPUT_")}
    defaults = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    for k, v in {**defaults, **inputs}.items():
        env[f"INPUT_{k.upper().replace('-', '_')}"] = v
    env["GITHUB_OUTPUT"] = str(tmp_path / "github_output")
    env["NBSCHECK"] = f"{sys.executable} -m engine.cli"
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_action(tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess:
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "check")
    return subprocess.run(["bash", "-c", step["run"]], env=action_env(tmp_path, **inputs), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


def test_the_action_script_checks_writes_reports_and_sets_outputs(tmp_path):
    shutil.copytree(EXAMPLES / "riverside", tmp_path / "plans/riverside")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = run_action(tmp_path, plan="plans/riverside", formats="sarif,junit", **{"fail-on": "should"})
    assert done.returncode == 1, done.stderr
    assert "::warning" not in done.stdout and "::error file=plans/riverside/tables/" in done.stdout
    outputs = dict(line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines())
    assert outputs["exit-code"] == "1" and outputs["sarif"] == "nbscheck-report/report.sarif"
    sarif = json.loads((tmp_path / "nbscheck-report/report.sarif").read_text(encoding="utf-8"))
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("plans/riverside/tables/")
    assert (tmp_path / "nbscheck-report/report.junit.xml").is_file()
    ok = run_action(tmp_path, plan="plans/riverside", formats="json")
    assert ok.returncode == 0 and "exit-code=0" in (tmp_path / "github_output").read_text()
    upload = next(s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif }}"


def test_pre_commit_hooks_run_their_commands(tmp_path):
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"nbscheck-lint", "nbscheck-fmt", "nbscheck-check"}
    pack = ROOT / "tests/fixtures/mini_pack"
    rule_file = tmp_path / "mini.nbs"
    shutil.copy(pack / "mini.nbs", rule_file)
    assert main(["fmt", str(rule_file)]) == 0  # now in the canonical layout

    def hook(hook_id: str, *files: str) -> int:
        h = hooks[hook_id]
        entry = h["entry"].split()
        assert entry[0] == "nbscheck"
        return main(entry[1:] + h.get("args", []) + list(files))

    assert hook("nbscheck-lint", str(pack)) == 0
    assert hook("nbscheck-fmt", str(rule_file)) == 0
    assert hook("nbscheck-check", str(EXAMPLES / "riverside/plan.yaml"), str(EXAMPLES / "riverside/plan.yaml")) == 0
    assert hook("nbscheck-check", str(EXAMPLES / "industrial-belt/plan.yaml")) == 1
    rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("\n  ", "\n      ", 1), encoding="utf-8")
    assert hook("nbscheck-fmt", str(rule_file)) == 1


# ---- progress and --quiet ------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal_and_only_after_the_delay(monkeypatch):
    import time

    from engine import progress

    quiet = io.StringIO()
    with progress.Progress(2, stream=quiet) as p:  # not a terminal: nothing, however long it runs
        p.step("checking riverside", 1)
    assert quiet.getvalue() == ""
    fast = _Terminal()
    with progress.Progress(2, stream=fast) as p:  # a terminal, but done before two seconds
        p.step("checking riverside", 1)
    assert fast.getvalue() == ""
    monkeypatch.setattr(progress, "DELAY", 0.05)
    slow = _Terminal()
    with progress.Progress(2, stream=slow) as p:
        deadline = time.monotonic() + 60  # shown once the delay has passed (later on a loaded machine)
        while p._bar is None and time.monotonic() < deadline:
            time.sleep(0.05)
        p.step("checking riverside", 1)
    assert "checking riverside" in slow.getvalue() and "1/2" in slow.getvalue()  # drawn when it stops
    late = _Terminal()
    with progress.Progress(2, stream=late) as p:  # the run ends just as the display comes due
        p._closed = True
        p._show()
    assert p._bar is None and late.getvalue() == ""  # never started, so never left running
    off = _Terminal()
    with progress.Progress(2, enabled=False, stream=off) as p:  # --quiet
        time.sleep(0.2)
    assert off.getvalue() == ""


def test_quiet_prints_nothing_but_what_was_asked(tmp_path, capsys):
    assert main(["check", "riverside", "-f", "json", "-o", str(tmp_path / "out"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and (tmp_path / "out/report.json").is_file()


def _stderr_on_a_terminal(args: list[str], cwd) -> str:
    """What a check run writes to standard error when that is a pseudo-terminal (the progress display's
    delay set to zero, so a short run shows it)."""
    import os
    import pty
    import subprocess
    import sys

    script = ("import sys; from engine import progress; progress.DELAY = 0.0; from engine.cli import main; "
              "sys.exit(main(sys.argv[1:]))")
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(master)
    return out.decode("utf-8", errors="replace")


def test_progress_on_a_terminal_names_the_plan_and_its_stages_and_quiet_silences_it(tmp_path):
    root = Path(__file__).resolve().parents[1]
    shown = _stderr_on_a_terminal(["check", "riverside", "-f", "json,html,csv", "-o", str(tmp_path / "a")], root)
    assert "riverside" in shown
    assert "evaluating" in shown or "writing report" in shown
    quiet = _stderr_on_a_terminal(["check", "riverside", "-f", "json", "-o", str(tmp_path / "b"), "--quiet"], root)
    assert "riverside" not in quiet and "evaluating" not in quiet


def test_the_progress_hook_does_nothing_without_a_display_and_reports_stages_with_one():
    from engine import progress

    progress.stage("objects: partitions", 4)  # no display open: a no-op, never an error
    progress.advance(2)
    with progress.Progress(1, enabled=False) as p:
        progress.stage("objects: partitions", 4)
        progress.advance(1)
        progress.advance(2, "objects: partition 3")
        assert p.detail == ("objects: partition 3", 3, 4)
        p.step("checked", advance=1)  # a plan done ends its stage
        assert p.detail is None
    assert progress._active is None
