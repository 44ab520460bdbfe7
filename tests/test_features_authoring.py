"""Steps for the standards author's tools: rule tests, coverage, the formatter and the document."""

from __future__ import annotations

import shutil
from pathlib import Path

from casekit import run_cli
from pytest_bdd import given, parsers, scenarios, then, when

from engine.cli import main

PACK = Path(__file__).resolve().parent / "cases" / "author-pack"

scenarios("author_tools.feature")


# ---- given -------------------------------------------------------------------------------
@given("a copy of the mini wetland pack with its tests")
def pack_copy(ctx, tmp_path):
    ctx["pack"] = Path(shutil.copytree(PACK, tmp_path / "pack"))


@given(parsers.parse('I add a rule "{rule_id}" that each wetland keeps at least 0.5 ha'))
def add_rule(ctx, rule_id):
    rule = (f'\nrule {rule_id} "Each wetland keeps at least 0.5 ha" {{\n  goal L1   category wetland   stage design'
            f'   cite MW "2.2"\n  for each w in wetland\n  shall w.area_ha >= 0.5 ha\n}}\n')
    with (ctx["pack"] / "pack.nbs").open("a", encoding="utf-8") as fh:
        fh.write(rule)


@given(parsers.parse('a test that a 0.2 ha wetland fails "{rule_id}"'))
def small_wetland_test(ctx, rule_id):
    (ctx["pack"] / "tests" / "small.test.yaml").write_text(
        f"tests:\n  - name: a small wetland\n    base: ../plan\n    data:\n      tables:\n        objects:\n"
        f"          - {{id: W-9, district: D01, category: wetland, area_ha: 0.2, baseline_area_ha: 0.2,"
        f" mode: protection}}\n    expect:\n      {rule_id}: {{outcome: fail, rows: {{W-9: fail}}}}\n",
        encoding="utf-8")


@given(parsers.parse('a test that expects "{rule_id}" to pass with 1 year of maintenance'))
def wrong_test(ctx, rule_id):
    (ctx["pack"] / "tests" / "wrong.test.yaml").write_text(
        "tests:\n  - name: one year\n    base: ../plan\n    data:\n      implementation: {maintenance_years: 1}\n"
        f"    expect:\n      {rule_id}: pass\n", encoding="utf-8")


@given("a rule file written on one line with a comment")
def one_line_file(ctx, tmp_path):
    ctx["file"] = tmp_path / "one.nbs"
    ctx["file"].write_text('standard s "S" { version "1" }  # the header\n'
                           'rule R-1 "r" { goal G shall 1 > 0 }\n', encoding="utf-8")


# ---- when --------------------------------------------------------------------------------
@when("I run the rule tests")
def run_tests(ctx, capsys):
    run_cli(ctx, capsys, ["test", str(ctx["pack"])])


@when("I run the rule tests asking for 100 % coverage")
def run_tests_coverage(ctx, capsys):
    run_cli(ctx, capsys, ["test", str(ctx["pack"]), "--coverage", "--min-coverage", "100"])


@when("I check its layout")
def check_layout(ctx, capsys):
    run_cli(ctx, capsys, ["fmt", "--check", str(ctx["file"])])


@when("I format it")
def format_file(ctx, capsys):
    run_cli(ctx, capsys, ["fmt", str(ctx["file"])])


@when(parsers.parse('I render the standard to "{name}"'))
def render_doc(ctx, capsys, tmp_path, name):
    ctx["doc"] = tmp_path / name
    run_cli(ctx, capsys, ["doc", str(ctx["pack"]), "-o", str(ctx["doc"])])


# ---- then --------------------------------------------------------------------------------
@then(parsers.parse("the tests exit with code {code:d}"))
@then(parsers.parse("fmt exits with code {code:d}"))
def exit_code(ctx, code):
    assert ctx["code"] == code, ctx["out"]


@then(parsers.parse('the summary says "{text}"'))
def summary(ctx, text):
    assert ctx["out"].rstrip().splitlines()[-1] == text


@then(parsers.parse('the output says "{text}"'))
def output_says(ctx, text):
    assert text in ctx["out"]


@then(parsers.parse('the coverage table shows "{rule_id}" seen passing but never failing'))
def coverage_row(ctx, rule_id):
    assert any(line.split()[:3] == [rule_id, "yes", "-"] for line in ctx["out"].splitlines() if line.strip())


@then("the file still has the comment")
def keeps_comment(ctx):
    assert "# the header" in ctx["file"].read_text(encoding="utf-8")


@then(parsers.parse("checking its layout again exits with code {code:d}"))
def check_again(ctx, capsys, code):
    assert main(["fmt", "--check", str(ctx["file"])]) == code


@then(parsers.parse('the document shows the rule "{rule_id}" with its text'))
def doc_rule(ctx, rule_id):
    assert f"rule {rule_id} &#34;" in ctx["doc"].read_text(encoding="utf-8")


@then(parsers.parse('the document cites "{citation}"'))
def doc_cites(ctx, citation):
    assert citation in ctx["doc"].read_text(encoding="utf-8")
