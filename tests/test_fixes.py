"""Quantified fixes in the reports of a real example (the algebra's cases are in tests/cases/quantified_fixes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fixes")
    assert main(["check", str(ROOT / "examples/industrial-belt"), "-f", "json,md,text", "-o", str(out), "-q"]) == 1
    return out


def _rule(reports: Path, rule_id: str) -> dict:
    data = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    return next(r for r in data["rules"] if r["id"] == rule_id)


def test_a_per_capita_figure_is_fixed_through_what_it_counts(reports):
    # Becontree (tables/districts.csv): 1.4 ha of public green space for 12,700 residents is 1.102 m2 each;
    # 9 m2 x 12,700 = 114,300 m2 = 11.43 ha, so 10.03 ha more
    becontree = next(f for f in _rule(reports, "ACC-001")["findings"] if f["values"]["population"] == 12700)
    assert becontree["fix"] == {"quantity": "d.public_green_ha", "from": 1.4, "to": 11.43, "change": 10.03,
                                "unit": "ha", "op": ">="}
    md = (reports / "report.md").read_text(encoding="utf-8")
    assert r"fix: raise d.public\_green\_ha from 1.4 ha to 11.43 ha (+10.03 ha)" in md


def test_a_plan_level_total_is_fixed_by_what_it_lacks(reports):
    # WET-001: planned wetland 84.4 ha against the baseline 140.71 ha (the rule's own message)
    wet = _rule(reports, "WET-001")
    assert wet["fix"]["quantity"] == "sum(wetland.area_ha)" and wet["fix"]["change"] == pytest.approx(140.71 - 84.4)
    text = (reports / "report.txt").read_text(encoding="utf-8")
    assert "fix: raise sum(wetland.area_ha) from 84.4 ha to 140.71 ha (+56.31 ha)" in text


def test_no_fix_where_the_threshold_moves_with_the_value(reports):
    # ACC-004 compares a district with the city's mean, which its own residents are part of
    assert not any(f.get("fix") for f in _rule(reports, "ACC-004")["findings"])


PACK = '''standard fxc "Fixes as columns" { version "1" }
table d "Districts" key id {
  id: text
  a: number
  b: number
  c: number
  k: enum(x, y)
}
rule P-1 "Product" { for each r in d  shall r.a * r.b >= 10 }
rule S-1 "Sum" { for each r in d  shall r.a + r.b >= 10 }
rule M-1 "Difference" { for each r in d  shall r.a - r.b * 2 <= 5 }
rule R-1 "Rounded quotient" { for each r in d  shall round(r.a / r.b, 1) >= 2 }
rule L-1 "Share" { for each r in d  let share = (r.c / r.a) as %  shall share >= 30 % }
rule N-1 "Negated" { for each r in d  shall -r.b < 3 }
'''


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from engine import load_standard

    path = tmp_path_factory.mktemp("fxc") / "pack.nbs"
    path.write_text(PACK, encoding="utf-8")
    return load_standard(path)


def test_fixes_of_many_rows_at_once_are_each_rows_fix(pack):
    import numpy as np
    import pandas as pd

    from engine import format as F
    from engine.fixes import fix_for, fixes_for

    rng = np.random.default_rng(5)
    n = 400
    near = rng.choice([10.0, 2.0, 0.0, 5.0], n) * (1 + rng.choice([0.0, 1e-12, -1e-7, 0.3, -0.5], n))
    frame = pd.DataFrame({
        "a": np.where(rng.random(n) < 0.1, np.nan, np.where(rng.random(n) < 0.5, near, rng.uniform(-30, 30, n))),
        "b": np.where(rng.random(n) < 0.15, 0.0, np.round(rng.uniform(-8, 8, n) * 1000) / 1000),
        "c": rng.uniform(0, 20, n),
        "k": pd.Categorical(rng.choice(["x", "y"], n)),
    })
    frame["share"] = frame["c"] / frame["a"] * 100
    rows = [{c: F.plain(v) for c, v in zip(frame.columns, values)} for values in frame.itertuples(index=False)]
    for rule in pack.rules:
        column = fixes_for(pack, rule, {}, frame, {})
        together = [None] * n if column is None else list(column)
        assert together == [fix_for(pack, rule, row) for row in rows], rule.id
        assert any(together), rule.id


def test_fixes_by_hand(pack):
    import pandas as pd

    from engine.fixes import fixes_for

    frame = pd.DataFrame({"a": [4.0, 3.0, 30.0], "b": [2.0, 0.0, -4.0], "c": [1.0, 1.0, 1.0]})
    product = list(fixes_for(pack, pack.rule("P-1"), {}, frame, {}))
    # 4 x 2 = 8 < 10: a to 10 / 2 = 5 (+1); 3 x 0 = 0: b (held a = 3) to 10 / 3 = 3.333333 (6 decimals);
    # 30 x -4 = -120: a to 10 / -4 = -2.5 (-32.5)
    assert [(f["quantity"], f["from"], f["to"], f["change"]) for f in product] == [
        ("r.a", 4.0, 5.0, 1.0), ("r.b", 0.0, 3.333333, 3.333333), ("r.a", 30.0, -2.5, -32.5)]
    negated = list(fixes_for(pack, pack.rule("N-1"), {}, frame, {}))
    # -b < 3 fails for b = -4 only: b to -3 (+1), op "<" kept
    assert negated[:2] == [None, None] and negated[2] == {"quantity": "r.b", "from": -4.0, "to": -3.0, "change": 1.0,
                                                           "unit": "", "op": "<"}


AT_BOUNDARY = '''standard fxz "Strict comparisons met at their boundary" { version "1" }
table d "Districts" key id {
  id: text
  a: number
  b: number
}
rule G-1 "More than" { for each r in d  shall r.a > 3 }
rule L-1 "Less than" { for each r in d  shall r.a < 3 }
rule N-1 "Negated" { for each r in d  shall -r.b > -3 }
rule P-1 "Product" { for each r in d  shall r.a * r.b > 6 }
'''


@pytest.mark.parametrize("rule_id, a, b, text", [
    # 3 > 3 fails: a must grow past 3; the change is zero, so no "(+0)"
    ("G-1", 3.0, 1.0, "raise r.a from 3 to more than 3"),
    # 3 < 3 fails: a must shrink below 3
    ("L-1", 3.0, 1.0, "lower r.a from 3 to less than 3"),
    # -3 > -3 fails: -b grows as b shrinks, so b must go below 3
    ("N-1", 1.0, 3.0, "lower r.b from 3 to less than 3"),
    # -2 x -3 = 6 > 6 fails: with b = -3 held, a x -3 grows as a shrinks, so a must go below -2
    ("P-1", -2.0, -3.0, "lower r.a from -2 to less than -2"),
])
def test_a_fix_at_zero_change_goes_the_way_the_comparison_needs(tmp_path, rule_id, a, b, text):
    import pandas as pd

    from engine import load_standard
    from engine.fixes import fixes_for
    from engine.render._common import fix_text

    path = tmp_path / "pack.nbs"
    path.write_text(AT_BOUNDARY, encoding="utf-8")
    std = load_standard(path)
    fixes = list(fixes_for(std, std.rule(rule_id), {}, pd.DataFrame({"a": [a], "b": [b]}), {}))
    assert fixes[0]["change"] == 0.0
    assert fix_text(fixes[0]) == text


@pytest.mark.parametrize("rows, lines", [
    # one failing row: the rule's line carries its finding's fix
    ([{"id": "x", "a": 4.0, "b": 3.0}], ["      fix: lower r.b from 3 to less than 3"]),
    # two failing rows: each listed finding carries its own
    ([{"id": "x", "a": 4.0, "b": 3.0}, {"id": "y", "a": 4.0, "b": 3.0}],
     ["        fix: lower r.b from 3 to less than 3"] * 2),
])
def test_the_text_report_says_the_way_the_inversion_found(tmp_path, rows, lines):
    # N-1: -3 > -3 fails at b = 3; -b grows as b shrinks, so b must go below 3 (no change shown at zero);
    # the change's sign alone (zero, with ">") would say "raise"
    from casekit import write_plan

    plan = write_plan(tmp_path / "plan", {"standard": "pack.nbs", "tables": {"d": rows}})
    (plan / "pack.nbs").write_text(AT_BOUNDARY, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["check", str(plan), "-f", "text", "-o", str(out), "-q"]) == 1
    text = (out / "report.txt").read_text(encoding="utf-8")
    block = re.search(r"N-1 \[shall, high\] Negated\n((?: {4}.*\n)*)", text).group(1)  # the rule's own lines
    assert [line for line in block.splitlines() if "fix:" in line] == lines


def test_text_made_inert_keeps_a_fix_direction():
    from engine.fixes import Fix
    from engine.textsafe import inert_data

    fix = Fix({"quantity": "d.\x1bb", "from": 3.0, "to": 3.0, "change": 0.0, "unit": "", "op": ">"}, up=False)
    made = inert_data({"fix": fix})["fix"]
    assert made == {"quantity": "d.\\x1bb", "from": 3.0, "to": 3.0, "change": 0.0, "unit": "", "op": ">"}
    assert made.up is False and fix["quantity"] == "d.\x1bb"


def test_findings_with_shapes_and_some_fixes_are_written_as_their_dicts():
    # a layer's findings as columns, two of three with a fix: the columnar JSON writer gives the text the dict
    # writer gives the same findings built one by one (geometry before fix, no fix member where there is none)
    import numpy as np
    import pandas as pd

    from engine.findings import Findings
    from engine.fixes import FixColumn
    from engine.render import json_
    from engine.render._common import text_of
    from engine.report import ReportFindings

    f = Findings("parks", np.array(["fail"] * 3, dtype=object), ["a", "b", "c"], np.arange(3),
                 pd.DataFrame({"area": [1.5, 2.0, 0.25]}), message=["too small"] * 3)
    rf = ReportFindings(f, "parks.geojson", 2, shapes=[{"type": "Point", "coordinates": [0.5, 1.0]}, None,
                                                       {"type": "Point", "coordinates": [2.0, 3.0]}])
    rf.fixes = FixColumn(np.array([0, -1, 0]), ["p.area"], ["ha"], ">=", np.array([1.5, np.nan, 0.25]),
                         np.array([3.0, np.nan, 3.0]), np.array([1.5, np.nan, 2.75]), np.array([True, False, True]))
    built = list(rf)
    assert [("geometry" in d, "fix" in d) for d in built] == [(True, True), (True, False), (True, True)]
    text = text_of(json_._pieces(rf, ""))
    assert text == text_of(json_._pieces(built, ""))
    assert json.loads(text)[2]["fix"] == {
        "quantity": "p.area", "from": 0.25, "to": 3.0, "change": 2.75, "unit": "ha", "op": ">="}


@pytest.mark.parametrize("up, op, text", [
    # the catalogue's (engine/render/i18n.py) four sentences without a change, filled in by hand
    (True, ">", "将 r.a 从 3 提高到 3 以上"),  # "raise {quantity} from {old} to more than {new}"
    (True, ">=", "将 r.a 从 3 提高到 3"),  # "raise {quantity} from {old} to {new}"
    (False, "<", "将 r.a 从 3 降低到 3 以下"),  # "lower {quantity} from {old} to less than {new}"
    (False, "<=", "将 r.a 从 3 降低到 3"),  # "lower {quantity} from {old} to {new}"
    (False, ">", "将 r.a 从 3 降低到 3 以下"),  # -r.a > -3 at a = 3: a must go below 3
])
def test_a_fix_at_zero_change_in_chinese(up, op, text):
    from engine.fixes import Fix
    from engine.render._common import fix_text

    fix = Fix({"quantity": "r.a", "from": 3.0, "to": 3.0, "change": 0.0, "unit": "", "op": op}, up=up)
    assert fix_text(fix, "zh") == text
