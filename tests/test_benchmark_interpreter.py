"""The interpreted baseline evaluates the same rules as the engine and agrees with it."""

from benchmarks import interpreted, outcomes, run
from benchmarks.generate import generate
from engine import load_plan, load_standard
from engine.evaluate import evaluate_standard


def test_interpreter_agrees_with_the_engine(tmp_path):
    std = load_standard(run.RULES)
    plan = load_plan(generate(tmp_path, 2_000, 40, seed=11), std)
    rows = {name: interpreted.as_rows(df) for name, df in plan.tables.items()}
    got = interpreted.evaluate(std, rows, plan.fields)
    engine = outcomes.from_engine(evaluate_standard(std, plan))
    assert outcomes.differences(engine, got) == []
    assert {o.outcome for o in got.values()} >= {"pass", "fail"}
    assert any(o.insufficient for o in got.values())
