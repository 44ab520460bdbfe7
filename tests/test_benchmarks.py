"""The benchmark harness runs, and its implementations of the frozen pack agree.

Correctness only: speed is printed by ``python -m benchmarks.run``, never asserted.
"""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks import outcomes, pandas_rules, python_rules, run
from benchmarks.generate import generate
from engine import load_plan, load_standard
from engine.evaluate import evaluate_standard


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    return run.bench(10_000, districts=200, repeat=1, data=tmp_path_factory.mktemp("bench"))


def test_quick_mode_prints_the_table(tmp_path, capsys):
    assert run.main(["--quick", "--repeat", "1", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("engine", "pandas", "row-by-row", "interpreted", "engine / pandas", "interpreted / engine", "MiB",
                 "agreement"):
        assert name in out


def test_all_implementations_agree_on_every_rule(quick):
    assert quick["rules"] == 17
    assert quick["differences"] == {"pandas": [], "row-by-row": [], "interpreted": []}


def test_the_plan_exercises_every_row_outcome(quick):
    seen = {k for _, counts in quick["outcomes"].values() for k in counts}
    assert seen == {"pass", "fail", "insufficient_data"}
    assert {o for o, _ in quick["outcomes"].values()} >= {"pass", "fail", "not_applicable"}


def test_generator_is_deterministic(tmp_path):
    a, b = generate(tmp_path / "a", 2_000, 50, seed=7), generate(tmp_path / "b", 2_000, 50, seed=7)
    for name in ("tables/objects.parquet", "tables/districts.csv"):
        read = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        pd.testing.assert_frame_equal(read(a / name), read(b / name))


def _no_maintenance(tables, fields):
    fields["maintenance_years"] = None


def _commercial(tables, fields):
    fields["site_use"] = "commercial"


def _no_monitoring(tables, fields):
    fields["monitoring_plan"] = False


def _wetland_area_unknown(tables, fields):
    obj = tables["objects"]
    row = obj.index[(obj["category"] == "wetland") & obj["mode"].isna()][0]  # no mode: ACC-003 does not read it
    obj.loc[row, "area_ha"] = float("nan")


def _nobody_lives_anywhere(tables, fields):
    tables["districts"]["population"] = 0.0


@pytest.mark.parametrize("mutate, rule, expected", [
    (_no_maintenance, "IMP-002", "insufficient_data"),  # plan-level null: neither pass nor fail
    (_commercial, "UGF-001", "not_applicable"),
    (_no_monitoring, "IMP-003", "not_applicable"),
    (_wetland_area_unknown, "WET-001", "insufficient_data"),  # one empty cell makes the total unknown
    (_wetland_area_unknown, "UGF-001", "insufficient_data"),
    (_nobody_lives_anywhere, "ACC-001", "insufficient_data"),  # green space per resident of 0 residents
])
def test_baselines_follow_the_engine_on_edge_cases(tmp_path, mutate, rule, expected):
    std = load_standard(run.RULES)
    plan = load_plan(generate(tmp_path, 1_000, 20, seed=3), std)
    mutate(plan.tables, plan.fields)
    engine = outcomes.from_engine(evaluate_standard(std, plan))
    by_hand = pandas_rules.evaluate(plan.tables, plan.fields)
    rows = python_rules.evaluate(python_rules.records(plan.tables["objects"]),
                                 python_rules.records(plan.tables["districts"]), plan.fields)
    assert engine[rule].outcome == expected
    assert outcomes.differences(engine, by_hand) == []
    assert outcomes.differences(engine, rows) == []


def test_group_rule_with_an_empty_cell_is_insufficient(tmp_path):
    std = load_standard(run.RULES)
    plan = load_plan(generate(tmp_path, 1_000, 20, seed=3), std)
    obj = plan.tables["objects"]
    row = obj.index[obj["mode"].notna()][0]
    obj.loc[row, "area_ha"] = float("nan")  # ACC-003 sums it for its district
    engine = outcomes.from_engine(evaluate_standard(std, plan))
    assert obj.loc[row, "district"] in engine["ACC-003"].insufficient
    assert outcomes.differences(engine, pandas_rules.evaluate(plan.tables, plan.fields)) == []


def test_startup_figures_are_printed_as_ratios_to_importing_pandas(capsys):
    from benchmarks import startup

    times = startup.measure(repeat=1)
    assert list(times) == ["import pandas", "--help", "--version", "check, cold cache", "check, warm cache"]
    assert all(len(t["wall"]) == len(t["cpu"]) == 1 and t["wall"][0] > 0 for t in times.values())
    out = startup.table(times)
    assert "import pandas" in out and "(baseline)" in out
    for name in ("--help", "check, cold cache", "check, warm cache"):
        line = next(x for x in out.splitlines() if x.startswith(name))
        wall = times[name]["wall"][0] / times["import pandas"]["wall"][0]  # the ratio, recomputed here
        assert f"{wall:6.2f}x" in line and ("met" in line or "MISSED" in line)


def test_the_fuzz_entry_point_runs_rounds_until_its_time_is_up(capsys):
    from benchmarks.fuzz import main

    assert main(["--minutes", "0.001", "--examples", "2"]) == 0  # one round starts before the time is up
    out = capsys.readouterr().out
    assert "round 1 (seed 1): 2 examples per target" in out and "1 rounds, 2 examples per target, no failure" in out
