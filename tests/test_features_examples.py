"""Steps for the reviewer auditing the example plans (features/reviewer_audits_example_plans.feature)."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import given, parsers, scenarios, then, when

from engine import evaluate, load_plan, load_standard
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

scenarios("reviewer_audits_example_plans.feature")


def _result(ctx, rule_id):
    return next(r for r in ctx["report"].results if r.rule_id == rule_id)


def _keys(ctx, rule_id, outcome):
    return {str(f.key) for f in _result(ctx, rule_id).findings if f.outcome == outcome}


def _ids(text):
    return [s.strip() for s in text.split(",")]


@given(parsers.parse('the standard is the profile "{path}"'))
def profile(ctx, path):
    ctx["standard"] = str(ROOT / path)


@when(parsers.parse('I check the example plan "{name}"'))
def check_example(ctx, name):
    ctx["plan"] = EXAMPLES / name
    ctx.setdefault("standard", "nbs_urban_restoration")
    std = load_standard(ctx["standard"])
    ctx["report"] = evaluate(std, load_plan(ctx["plan"], std))


@then(parsers.parse('the verdict is "{verdict}"'))
def verdict_is(ctx, verdict):
    assert ctx["report"].verdict == verdict


@then(parsers.parse("the check exits with code {code:d}"))
def exits_with(ctx, code):
    assert main(["check", str(ctx["plan"]), "--standard", ctx["standard"]]) == code


@then(parsers.parse('no "{strength}" rule fails'))
def no_strength_fails(ctx, strength):
    assert [r.rule_id for r in ctx["report"].results if r.strength == strength and r.outcome == "fail"] == []


@then("no rule fails")
def nothing_fails(ctx):
    assert [r.rule_id for r in ctx["report"].results if r.outcome == "fail"] == []


@then(parsers.parse('the failing rules are "{ids}"'))
def failing_rules(ctx, ids):
    assert sorted(r.rule_id for r in ctx["report"].results if r.outcome == "fail") == sorted(_ids(ids))


@then(parsers.parse('the failing "{strength}" rules include "{ids}"'))
def failing_include(ctx, strength, ids):
    failing = {r.rule_id for r in ctx["report"].results if r.strength == strength and r.outcome == "fail"}
    assert set(_ids(ids)) <= failing


@then(parsers.parse('the rule "{rule_id}" fails for the {what} "{keys}"'))
def fails_for(ctx, rule_id, what, keys):
    assert set(_ids(keys)) <= _keys(ctx, rule_id, "fail")


@then(parsers.parse('the rule "{rule_id}" lacks data for the object "{key}"'))
def lacks_data_for(ctx, rule_id, key):
    assert key in _keys(ctx, rule_id, "insufficient_data")


@then(parsers.parse('the rule "{rule_id}" has insufficient data'))
def insufficient(ctx, rule_id):
    assert _result(ctx, rule_id).outcome == "insufficient_data"


@then(parsers.parse('the message of "{rule_id}" names "{text}"'))
def message_names(ctx, rule_id, text):
    assert text in _result(ctx, rule_id).message


@then(parsers.parse('the rule "{rule_id}" is a "{strength}" rule that fails'))
def strength_fails(ctx, rule_id, strength):
    assert (_result(ctx, rule_id).strength, _result(ctx, rule_id).outcome) == (strength, "fail")


@then(parsers.parse('the rule "{rule_id}" is not evaluated'))
def not_evaluated(ctx, rule_id):
    assert rule_id not in {r.rule_id for r in ctx["report"].results}
