"""CI use: SARIF that code hosts place, JUnit that agrees with the exit code, reports on invalid
input, annotations, GitLab Code Quality, lint output, the request for information."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import xmlschema

from engine.cli import main

ROOT = Path(__file__).parent.parent
SCHEMAS = Path(__file__).parent / "schemas"
EXAMPLES = ROOT / "examples"


def sarif_validator():
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


@pytest.fixture
def repo(tmp_path):
    """A git repository holding two plans under plans/."""
    root = tmp_path / "repo"
    for name in ("riverside", "incomplete-survey"):
        shutil.copytree(EXAMPLES / name, root / "plans" / name)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def run_sarif(plan: Path, out: Path, *extra: str) -> dict:
    main(["check", str(plan), "-f", "sarif", "-o", str(out), "--quiet", *extra])
    doc = json.loads((out / "report.sarif").read_text(encoding="utf-8"))
    sarif_validator().validate(doc)
    return doc["runs"][0]


def test_sarif_uris_are_relative_to_the_repository_root(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository: the root comes from git
    run = run_sarif(repo / "plans/riverside", tmp_path / "out")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    # README: the three should findings are RS-007 (objects), D04 and D06 (districts)
    assert uris == {"plans/riverside/tables/objects.csv", "plans/riverside/tables/districts.csv"}
    assert all((repo / u).is_file() for u in uris)
    lines = {r["locations"][0]["logicalLocations"][0]["name"]: r["locations"][0]["physicalLocation"]["region"]
             ["startLine"] for r in run["results"]}
    objects = (repo / "plans/riverside/tables/objects.csv").read_text(encoding="utf-8").splitlines()
    assert objects[lines["RS-007"] - 1].startswith("RS-007,")
    other = run_sarif(repo / "plans/riverside", tmp_path / "out2", "--source-root", str(repo / "plans"))
    assert other["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "riverside/tables/")


def test_sarif_fingerprints_are_stable_across_runs_and_unrelated_changes(repo, tmp_path):
    plan = repo / "plans/riverside"
    first = run_sarif(plan, tmp_path / "a")
    again = run_sarif(plan, tmp_path / "b")
    fps = lambda run: {r["partialFingerprints"]["nbscheckObject/v1"] for r in run["results"]}  # noqa: E731
    assert fps(first) == fps(again) and len(fps(first)) == len(first["results"]) == 3
    # an unrelated change: another object's name and the plan title; the last row moves to the top,
    # so RS-007 moves down one line
    header, *rows = (plan / "tables/objects.csv").read_text(encoding="utf-8").splitlines()
    rows = [rows[-1], *rows[:-1]]
    rows[1] = rows[1].replace("Creek 江滨 1,", "Creek 江滨 one,")
    (plan / "tables/objects.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    text = (plan / "plan.yaml").read_text(encoding="utf-8").replace("Riverside district ecological", "Riverside eco")
    (plan / "plan.yaml").write_text(text, encoding="utf-8")
    changed = run_sarif(plan, tmp_path / "c")
    assert fps(changed) == fps(first)
    line = lambda run: next(r["locations"][0]["physicalLocation"]["region"]["startLine"]  # noqa: E731
                            for r in run["results"] if r["ruleId"] == "BIO-001")
    assert line(changed) == line(first) + 1


def test_sarif_levels_follow_fail_on(repo, tmp_path):
    riverside = repo / "plans/riverside"
    levels = lambda run: sorted(r["level"] for r in run["results"])  # noqa: E731
    assert levels(run_sarif(riverside, tmp_path / "a")) == ["warning"] * 3  # should findings do not gate
    assert levels(run_sarif(riverside, tmp_path / "b", "--fail-on", "should")) == ["error"] * 3
    assert levels(run_sarif(riverside, tmp_path / "c", "--fail-on", "never")) == ["warning"] * 3
    incomplete = run_sarif(repo / "plans/incomplete-survey", tmp_path / "d")
    shall_missing = [r for r in incomplete["results"] if r["properties"]["strength"] == "shall"]
    assert shall_missing and all(r["level"] == "error" and r["kind"] == "fail" for r in shall_missing)
    # every SARIF error is a finding of a shall rule lacking data: the check fails, so does the gate
    assert {r["properties"]["outcome"] for r in shall_missing} == {"insufficient_data"}
    # SUR-001 lacks survey.baseline_completed, which is empty at plan.yaml line 17
    sur = next(r for r in incomplete["results"] if r["ruleId"] == "SUR-001")
    text = (repo / "plans/incomplete-survey/plan.yaml").read_text(encoding="utf-8").splitlines()
    assert "baseline_completed" in text[sur["locations"][0]["physicalLocation"]["region"]["startLine"] - 1]
    assert all("region" in r["locations"][0]["physicalLocation"] for r in incomplete["results"])


def test_sarif_group_findings_point_at_the_groups_first_row(repo, tmp_path):
    run = run_sarif(repo / "plans/incomplete-survey", tmp_path / "a")
    bio7 = [r for r in run["results"] if r["ruleId"] == "BIO-007"]
    df = pd.read_csv(repo / "plans/incomplete-survey/tables/objects.csv", dtype=str)
    for r in bio7:
        district = r["locations"][0]["logicalLocations"][0]["name"]
        first = int(df.index[df["district"] == district][0]) + 2  # header is line 1
        assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == first
    assert len({r["partialFingerprints"]["nbscheckObject/v1"] for r in bio7}) == len(bio7) > 1


def test_sarif_rules_link_into_the_rendered_standard(repo, tmp_path):
    run = run_sarif(repo / "plans/riverside", tmp_path / "a", "--doc-url", "https://example.org/std.html")
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "BIO-001")
    assert rule["helpUri"] == "https://example.org/std.html#rule-BIO-001"
    assert "#rule-BIO-001" in rule["help"]["markdown"]
    assert 'id="rule-{{ r.id }}"' in (ROOT / "reports/standard/standard.html.j2").read_text(encoding="utf-8")


def waivers_file(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "waivers.yaml"
    f.write_text(body, encoding="utf-8")
    return f


def test_sarif_waived_findings_are_suppressed_or_omitted(repo, tmp_path):
    w = waivers_file(tmp_path, "waivers:\n  - {rule: BIO-001, keys: [RS-007], reason: species list approved}\n")
    plan = repo / "plans/riverside"
    kept = run_sarif(plan, tmp_path / "a", "--waivers", str(w))
    waived = [r for r in kept["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in waived] == ["BIO-001"]
    assert waived[0]["suppressions"][0]["justification"] == "species list approved"
    omitted = run_sarif(plan, tmp_path / "b", "--waivers", str(w), "--sarif-waived", "omit")
    assert sorted(r["ruleId"] for r in omitted["results"]) == ["ACC-002", "CAN-001"]


def junit_of(out: Path) -> ET.Element:
    xml = (out / "report.junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(xml)
    return ET.fromstring(xml)


@pytest.mark.parametrize(("fail_on", "failures", "code"), [("shall", 0, 0), ("should", 3, 1), ("never", 0, 0)])
def test_junit_follows_fail_on(tmp_path, fail_on, failures, code):
    out = tmp_path / "out"
    assert main(["check", str(EXAMPLES / "riverside"), "-f", "junit", "-o", str(out), "-q", "--fail-on", fail_on]) \
        == code
    root = junit_of(out)
    assert len(root.findall(".//failure")) == failures  # BIO-001, ACC-002, CAN-001 are should rules
    assert sum(int(s.get("failures")) for s in root.iter("testsuite")) == failures
    rules = {r.split(" ", 1)[0] for r in (case.get("name") for case in root.iter("testcase")
                                          if case.find("skipped") is not None)}
    assert rules and "BIO-001" not in rules  # only not-applicable rules are skipped (no waivers here)
    if failures == 0:
        assert "BIO-001" in "".join(s.findtext("system-out") or "" for s in root.iter("testsuite"))


def test_junit_marks_missing_shall_data_as_errors(tmp_path):
    out = tmp_path / "out"
    assert main(["check", str(EXAMPLES / "incomplete-survey"), "-f", "junit,json", "-o", str(out), "-q"]) == 1
    root = junit_of(out)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    shall_missing = {r["id"] for r in report["rules"] if r["strength"] == "shall"
                     and r["outcome"] == "insufficient_data"}
    errors = {c.get("name").split()[0] for c in root.iter("testcase") if c.find("error") is not None}
    assert errors == shall_missing and "SUR-001" in errors
    assert {c.find("error").get("type") for c in root.iter("testcase") if c.find("error") is not None} == \
        {"insufficient_data"}


@pytest.fixture
def bad_plan(tmp_path):
    plan = Path(shutil.copytree(EXAMPLES / "riverside", tmp_path / "bad"))
    df = pd.read_csv(plan / "tables/objects.csv", dtype=str, keep_default_na=False)
    df.loc[2, "area_ha"] = "lots"  # row 3 of the table, line 4 of the file
    df.to_csv(plan / "tables/objects.csv", index=False)
    return plan


def test_invalid_input_still_writes_every_requested_format(bad_plan, tmp_path, capsys):
    out = tmp_path / "out"
    from engine.render import FORMATS

    formats = ",".join(FORMATS)  # every format a check can write
    assert main(["check", str(bad_plan), "-f", formats, "-o", str(out), "--source-root", str(tmp_path)]) == 2
    assert {p.name for p in out.iterdir()} == {r.filename for r in FORMATS.values()} | {"report.manifest.json"}
    assert "bad-value" in capsys.readouterr().err
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    d = next(d for d in doc["diagnostics"] if d["code"] == "bad-value")
    assert (d["file"].endswith("tables/objects.csv"), d["line"]) == (True, 4) and "row 3" in d["message"]
    run = json.loads((out / "report.sarif").read_text(encoding="utf-8"))
    sarif_validator().validate(run)
    res = run["runs"][0]["results"][0]
    assert res["level"] == "error" and res["ruleId"] == "bad-value"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad/tables/objects.csv"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert junit_of(out).find(".//error").get("type") == "bad-value"
    assert (out / "report.github.txt").read_text(encoding="utf-8").startswith(
        "::error file=bad/tables/objects.csv,line=4,title=nbscheck bad-value::")
    assert json.loads((out / "gl-code-quality-report.json").read_text(encoding="utf-8"))[0]["location"] == {
        "path": "bad/tables/objects.csv", "lines": {"begin": 4}}
    assert "bad-value" in (out / "report.html").read_text(encoding="utf-8")
    geo = json.loads((out / "report.geojson").read_text(encoding="utf-8"))
    assert geo["type"] == "FeatureCollection" and geo["features"] == []
    assert "bad-value" in {d["code"] for d in geo["nbscheck"]["diagnostics"]} and geo["nbscheck"]["valid"] is False


def test_github_annotations_follow_fail_on(capsys):
    assert main(["check", str(EXAMPLES / "riverside"), "-f", "github", "--fail-on", "should",
                 "--source-root", str(ROOT)]) == 1
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("::")]
    assert len(lines) == 3 and all(x.startswith("::error file=examples/riverside/tables/") for x in lines)
    bio = next(x for x in lines if "BIO-001" in x)
    assert bio.startswith("::error file=examples/riverside/tables/objects.csv,line=8,title=BIO-001 [should] failed")
    assert "58 %25 of planting" in bio  # `%` escaped as GitHub's workflow commands require


def test_gitlab_code_quality(tmp_path):
    out = tmp_path / "out"
    main(["check", str(EXAMPLES / "riverside"), "-f", "gitlab", "-o", str(out), "-q", "--source-root", str(ROOT)])
    issues = json.loads((out / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert sorted(i["check_name"] for i in issues) == ["ACC-002", "BIO-001", "CAN-001"]
    assert {i["severity"] for i in issues} == {"minor"}  # should findings at --fail-on shall
    assert len({i["fingerprint"] for i in issues}) == 3
    assert all(i["location"]["path"].startswith("examples/riverside/tables/") for i in issues)


def test_lint_formats_and_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.nbs"
    bad.write_text("rule X {\n", encoding="utf-8")  # a syntax error at line 1
    capsys.readouterr()
    assert main(["lint", str(bad), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["diagnostics"] and all(d["file"] and d["line"] for d in doc["diagnostics"])
    assert main(["lint", str(bad), "-f", "sarif"]) == 1
    sarif_validator().validate(json.loads(capsys.readouterr().out))
    assert main(["lint", str(bad), "-f", "github"]) == 1
    assert capsys.readouterr().out.startswith("::error file=")
    assert main(["lint", str(tmp_path / "missing"), "-f", "json"]) == 2
    assert main(["lint", str(tmp_path / "missing")]) == 2
    assert main(["lint", "nbs_urban_restoration", "-f", "json"]) == 0


def test_rfi_lists_what_blocks_the_verdict(tmp_path):
    out = tmp_path / "out"
    main(["check", str(EXAMPLES / "incomplete-survey"), "-f", "rfi,rfi-csv", "-o", str(out), "-q"])
    rows = list(csv.DictReader(io.StringIO((out / "rfi.csv").read_text(encoding="utf-8"))))
    md = (out / "rfi.md").read_text(encoding="utf-8")
    # survey.baseline_completed is empty in plan.yaml at line 17; SUR-001 (shall) waits on it
    sur = next(r for r in rows if r["missing"] == "survey.baseline_completed")
    assert (sur["file"], sur["line"], sur["blocks_verdict"]) == ("plan.yaml", "17", "yes")
    assert "SUR-001 (shall)" in sur["rules"]
    assert "| survey.baseline\\_completed | plan.yaml:17 | SUR-001 (shall)" in md
    # every object with an empty baseline_condition is asked for, with the rules waiting on it
    df = pd.read_csv(EXAMPLES / "incomplete-survey/tables/objects.csv", dtype=str)
    empty = set(df.loc[df["baseline_condition"].isna(), "id"])
    asked = {r["key"] for r in rows if r["table"] == "objects" and "objects.baseline_condition" in r["missing"]}
    assert asked == empty and len(empty) == 104  # the report says "(and 103 more)" after the first
    gl2 = next(r for r in rows if r["key"] == "GL-002" and r["missing"] == "objects.baseline_condition")
    assert gl2["line"] == "3" and "OBJ-001 (shall)" in gl2["rules"] and gl2["blocks_verdict"] == "yes"
