"""Steps for the reviewer, author and CI features of the core engine."""

from __future__ import annotations

from casekit import MINI_PACK, edit, run_cli
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("reviewer_audits_a_plan.feature", "author_lints_rules.feature", "ci_exit_codes.feature")


# ctx, 'the submitted plan "{name}"' and 'the object "{key}" is a brownfield that is not treated' are shared
# (tests/conftest.py)


# ---- given -------------------------------------------------------------------------------
@given("the plan does not say whether a monitoring plan exists")
@given("the monitoring answer is removed")
def no_monitoring_answer(ctx):
    edit(ctx["plan"] / "plan.yaml", "  plan: true", "  plan: null")


@given(parsers.parse('a waiver for "{rule}" because "{reason}"'))
def waiver(ctx, tmp_path, rule, reason):
    ctx["waivers"] = tmp_path / "waivers.yaml"
    ctx["waivers"].write_text(f"waivers:\n  - rule: {rule}\n    reason: {reason}\n    by: reviewer\n", encoding="utf-8")


@given("the plan is left as submitted")
def unchanged():
    pass


@given("the wetlands are enlarged to 2 ha")
def bigger_wetlands(ctx):
    edit(ctx["plan"] / "tables/objects.csv", "O-3,south,wetland,0.7", "O-3,south,wetland,1.2")


@given(parsers.parse('a table row with "{value}" in the area column'))
def bad_area(ctx, value):
    edit(ctx["plan"] / "tables/objects.csv", "O-2,north,park,2.0", f"O-2,north,park,{value}")


@given("a rule file where a goal, a column and a unit are wrong")
def broken_rules(ctx, tmp_path):
    src = (MINI_PACK / "mini.nbs").read_text(encoding="utf-8")
    src = src.replace('rule M-1 "A monitoring plan exists" { goal G1', 'rule M-1 "A monitoring plan exists" { goal G7')
    src = src.replace("sum(wetland.area_ha) >= 2 ha else", "sum(wetland.area_hx) >= 2 ha else")
    src = src.replace("should o.treated else", "should sum(objects.area_ha) > 3 m else")
    (tmp_path / "pack.nbs").write_text(src, encoding="utf-8")
    ctx["rules"] = tmp_path


@given('a rule file that compares with a single "="')
def single_equals(ctx, tmp_path):
    src = (MINI_PACK / "mini.nbs").read_text(encoding="utf-8").replace("shall monitored", "shall monitored = true")
    (tmp_path / "pack.nbs").write_text(src, encoding="utf-8")
    ctx["rules"] = tmp_path


@given(parsers.parse('the bundled standard "{sid}"'))
def bundled(ctx, sid):
    ctx["rules"] = sid


# ---- when --------------------------------------------------------------------------------
@when("I check the plan")
def check(ctx, capsys):
    run_cli(ctx, capsys, ["check", str(ctx["plan"])])


@when("I check the plan with the waivers")
def check_waivers(ctx, capsys):
    run_cli(ctx, capsys, ["check", str(ctx["plan"]), "--waivers", str(ctx["waivers"])])


@when(parsers.parse('CI checks the plan failing on "{fail_on}"'))
def ci_check(ctx, capsys, fail_on):
    run_cli(ctx, capsys, ["check", str(ctx["plan"]), "--fail-on", fail_on, "-f", "json"])


@when("CI writes the JSON report twice")
def twice(ctx, capsys, tmp_path):
    for name in ("one", "two"):
        run_cli(ctx, capsys, ["check", str(ctx["plan"]), "-o", str(tmp_path / name), "-f", "json"])
    ctx["reports"] = [(tmp_path / n / "report.json").read_bytes() for n in ("one", "two")]


@when("I lint it")
def lint(ctx, capsys):
    run_cli(ctx, capsys, ["lint", str(ctx["rules"])])


# ---- then --------------------------------------------------------------------------------
@then(parsers.parse('the verdict is "{label}"'))
def verdict(ctx, label):
    assert f"Verdict:  {label}\n" in ctx["out"]


@then(parsers.parse('the summary names the failing rule "{text}"'))
@then(parsers.parse('the summary shows the evidence "{text}"'))
@then(parsers.parse('the summary cites "{text}"'))
@then(parsers.parse('the summary names the object "{text}"'))
@then(parsers.parse('the summary says "{text}"'))
def summary_says(ctx, text):
    assert text in ctx["out"]


@then(parsers.parse("the exit code is {code:d}"))
@then(parsers.parse("lint exits with code {code:d}"))
def exit_code(ctx, code):
    assert ctx["code"] == code


@then(parsers.parse('the error names "{a}" and "{b}"'))
def error_names(ctx, a, b):
    assert a in ctx["err"] and b in ctx["err"]


@then("the two reports are byte-identical")
def identical(ctx):
    assert ctx["reports"][0] == ctx["reports"][1]


@then(parsers.parse('the report lists the codes "{codes}" in that order'))
def codes_in_order(ctx, codes):
    heads = [line for line in ctx["out"].splitlines() if line and not line.startswith(" ") and ": " in line]
    found = [line.split(": ")[1] for line in heads]
    assert found == [c.strip() for c in codes.split(",")]


@then("each problem shows the file, line and column, the source line and a caret")
def carets(ctx):
    heads = [line for line in ctx["out"].splitlines() if line.startswith(str(ctx["rules"]))]
    carets = [line for line in ctx["out"].splitlines() if line.strip() and set(line.strip()) == {"^"}]
    assert len(heads) == len(carets) == 3
    assert all(h.split(":")[1].isdigit() and h.split(":")[2].isdigit() for h in heads)


@then(parsers.parse('the unknown column comes with the hint "{hint}"'))
def column_hint(ctx, hint):
    assert f"hint: {hint}" in ctx["out"]


@then(parsers.parse('the report says "{text}"'))
def report_says(ctx, text):
    assert text in ctx["out"]
