"""Semantics that must not mislead: numbers at thresholds, units, vacuous passes, missing data, counts and
locations. Every expected figure is worked out by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from casekit import write_plan

from engine import api
from engine.render import FORMATS

HEAD = 'standard t "T" { version "1" }\ngoal G "G"\nstage S "S"\n'


def run(tmp_path: Path, rules: str, plan: dict):
    tmp_path.mkdir(parents=True, exist_ok=True)
    pack = tmp_path / "pack.nbs"
    pack.write_text(HEAD + rules, encoding="utf-8")
    std = api.load_standard(pack)
    return api.evaluate(std, api.load_plan(write_plan(tmp_path / "plan", plan), std))


def rule(report, rule_id: str) -> dict:
    return next(r for r in report.data["rules"] if r["id"] == rule_id)


# ---- numbers at thresholds -------------------------------------------------------------------

THRESHOLDS = '''table districts "D" key id { id: text
  canopy_pct: number [%] }
table paths "P" key id { id: text
  len_m: number [m] }
field ratio: number at "site.ratio"
param min_canopy = 30 %
param max_len = 300 m
rule CAN "Canopy" { goal G stage S for each d in districts shall d.canopy_pct >= min_canopy
  else "{d.id}: canopy {d.canopy_pct} %, below {min_canopy}" }
rule LEN "Length" { goal G stage S shall sum(paths.len_m) <= max_len
  else "paths total {sum(paths.len_m)} m, above {max_len}" }
rule RAT "Ratio" { goal G stage S shall ratio >= 0.45 }
'''
THRESHOLD_PLAN = {"site": {"ratio": 0.4499996},
                  "tables": {"districts": [{"id": "A", "canopy_pct": 29.996}, {"id": "B", "canopy_pct": 45}],
                             "paths": [{"id": "p1", "len_m": 200.004}, {"id": "p2", "len_m": 100}]}}


def test_a_failing_value_never_reads_equal_to_its_threshold(tmp_path):
    report = run(tmp_path, THRESHOLDS, THRESHOLD_PLAN)
    # 29.996 < 30: four significant digits would print "30"; five tell it apart. The param shows its unit.
    can = rule(report, "CAN")
    assert can["outcome"] == "fail" and can["findings"][0]["message"] == "A: canopy 29.996 %, below 30 %"
    # 200.004 + 100 = 300.004 m > 300 m: two decimals would print "300"
    assert rule(report, "LEN")["message"] == "paths total 300.004 m, above 300 m"
    # 0.4499996 < 0.45 (by 4e-7, far beyond the 1e-9 relative tolerance): JSON keeps the difference
    rat = rule(report, "RAT")
    check = rat["evidence"]["checks"][0]
    assert rat["outcome"] == "fail" and check["actual"] == 0.4499996 and check["required"] == 0.45
    outputs = {name: FORMATS[name](report.data) for name in ("text", "md", "html", "sarif")}
    for name, out in outputs.items():
        assert "0.4499996" in out, name
        assert "actual 0.45," not in out, name


def test_explain_tells_the_value_from_the_threshold(tmp_path):
    from engine.authoring.explain import explain_result

    report = run(tmp_path, THRESHOLDS, THRESHOLD_PLAN)
    lines = explain_result(report.standard, report.standard.rule("RAT"), rule(report, "RAT"), "p")
    assert any("actual 0.4499996, required >= 0.45" in line for line in lines), lines


# ---- text report locations ---------------------------------------------------------------------


def test_the_text_report_locates_plan_level_findings_and_single_rows(tmp_path):
    report = run(tmp_path, THRESHOLDS, THRESHOLD_PLAN)
    text = FORMATS["text"](report.data)
    # plan.yaml is written as `site:` (line 1) then `  ratio: 0.4499996` (line 2)
    assert rule(report, "RAT")["location"] == {"file": "plan.yaml", "line": 2}
    assert "      plan.yaml:2  Ratio — `ratio >= 0.45` does not hold" in text
    # CAN fails on one row only: its line names the row's file (a JSON table has rows, not lines)
    assert "      districts.json  A: canopy 29.996 %, below 30 %" in text


# ---- vacuous passes ----------------------------------------------------------------------------

ABSENT = '''table objects "O" key id { id: text
  kind: enum(park, mountain, wetland)
  area_ha: number [ha]
  baseline_ha: number [ha] optional }
category mountain "Mountains" = objects where kind == "mountain"
category wetland "Wetlands" = objects where kind == "wetland"
rule MTN "No loss of mountain area" { goal G category mountain stage S
  shall sum(mountain.area_ha) >= sum(mountain.baseline_ha) }
rule CNT "The plan restores a wetland" { goal G category wetland stage S shall count(wetland) >= 1 }
rule MAXW "No huge wetland" { goal G category wetland stage S shall max(wetland.area_ha) <= 10 ha }
rule MIXED "Largest wetland" { goal G stage S shall max(objects.area_ha where objects.kind == "wetland") <= 10 ha }
'''


def test_rules_about_absent_objects_are_not_applicable(tmp_path):
    report = run(tmp_path, ABSENT, {"tables": {"objects": [{"id": "a", "kind": "park", "area_ha": 2.0}]}})
    # no mountain: 0 >= 0 would pass; the rule is about nothing in this plan
    mtn = rule(report, "MTN")
    assert mtn["outcome"] == "not_applicable" and mtn["message"] == "not applicable: the plan has no rows of `mountain`"
    # a count of none is what CNT asks about: 0 >= 1 fails
    assert rule(report, "CNT")["outcome"] == "fail"
    # max over no wetland row: the rule totals only over wetlands, so it is not applicable either
    assert rule(report, "MAXW")["outcome"] == "not_applicable"
    # over a table that has rows, a filter that keeps none leaves max without a value: insufficient data
    assert rule(report, "MIXED")["outcome"] == "insufficient_data"
    cats = {c["id"]: c for c in report.data["scores"]["categories"]}
    # mountain: MTN is not applicable, so no rule applies and there is no score (not 100 %)
    assert cats["mountain"] == {"id": "mountain", "title": "Mountains", "passed": 0, "applicable": 0, "score": None}
    # wetland: CNT failed (0 of 1); MAXW does not count
    assert (cats["wetland"]["passed"], cats["wetland"]["applicable"]) == (0, 1)
    assert "  no rule applies: mountain Mountains\n" in FORMATS["text"](report.data)


# ---- counts that agree -------------------------------------------------------------------------

SCOPED = '''table objects "O" key id { id: text
  kind: enum(park, wetland) optional
  area_ha: number [ha] }
rule WET "Wetlands are large" { goal G stage S for each o in objects where o.kind == "wetland"
  shall o.area_ha >= 1 ha }
'''


def test_rows_left_out_by_where_are_not_counted_and_counts_agree(tmp_path):
    rows = [{"id": "w1", "kind": "wetland", "area_ha": 2.0}, {"id": "w2", "kind": "wetland", "area_ha": 0.5},
            {"id": "p1", "kind": "park", "area_ha": 0.1}, {"id": "p2", "kind": "park", "area_ha": 0.2},
            {"id": "u1", "kind": None, "area_ha": 0.3}]
    wet = rule(run(tmp_path, SCOPED, {"tables": {"objects": rows}}), "WET")
    # w1 passes (2 >= 1), w2 fails (0.5 < 1), u1 may or may not be a wetland: lacks data; p1, p2 are left out
    assert wet["counts"] == {"pass": 1, "fail": 1, "insufficient_data": 1}
    assert wet["evidence"]["rows"] == 3 == sum(wet["counts"].values())
    assert sorted(f["key"] for f in wet["findings"]) == ["u1", "w2"]
    from engine.render.html import _scope_text

    assert _scope_text(wet) == "3 rows checked: 1 fail, 1 insufficient data, 1 pass"


# ---- units -------------------------------------------------------------------------------------


def lint(tmp_path: Path, rules: str) -> list:
    pack = tmp_path / "lint.nbs"
    pack.write_text(HEAD + rules, encoding="utf-8")
    return [d for d in api.lint(pack) if d.severity == "error"]


TEMPERATURES = '''table sites "S" key id { id: text
  summer_c: number [degC] }
param max_k = 300 K
rule HOT "Cool enough" { goal G stage S for each s in sites shall s.summer_c <= max_k
  else "{s.id}: {s.summer_c} degC, above {max_k}" }
rule LIT "Literal" { goal G stage S shall 30 degC < 300 K }
'''


def test_degrees_celsius_compare_with_kelvin_through_their_offset(tmp_path):
    # before: degC and K were kept apart, so `30 degC < 300 K` was a lint error and no degC column could meet a
    # threshold in K. As pint compares them: 26 degC = 299.15 K <= 300 K passes; 30 degC = 303.15 K fails,
    # and so does `30 degC < 300 K` (303.15 K < 300 K is false); a factor alone would have said 30 < 300
    assert lint(tmp_path, TEMPERATURES) == []
    report = run(tmp_path / "run", TEMPERATURES,
                 {"tables": {"sites": [{"id": "cool", "summer_c": 26}, {"id": "hot", "summer_c": 30}]}})
    hot = rule(report, "HOT")
    assert [f["key"] for f in hot["findings"]] == ["hot"] and hot["outcome"] == "fail"
    # the threshold is shown as declared (300 K), the value as measured
    assert hot["findings"][0]["message"] == "hot: 30 degC, above 300 K"
    assert rule(report, "LIT")["outcome"] == "fail"


def test_sums_and_products_of_offset_temperatures_are_lint_errors(tmp_path):
    # is 30 degC + 5 degC 35 degC or 308.15 degC? pint refuses; so does lint
    diags = lint(tmp_path, 'rule T "T" { goal G stage S shall 30 degC + 5 degC > 300 K }\n')
    assert [d.code for d in diags] == ["unit-mismatch"] and "ambiguous" in diags[0].message
    diags = lint(tmp_path, 'rule T "T" { goal G stage S shall 2 * 30 degC > 300 K }\n')
    assert [d.code for d in diags] == ["unit-mismatch"] and "does not multiply" in diags[0].message
    # a difference of two readings is a difference: 31 degC - 30 degC = 1 delta_degC <= 2.5 delta_degC
    assert lint(tmp_path, 'rule T "T" { goal G stage S shall 31 degC - 30 degC <= 2.5 delta_degC }\n') == []
    diags = lint(tmp_path, 'rule T "T" { goal G stage S shall 31 degC - 30 degC <= 2.5 degC }\n')
    assert [d.code for d in diags] == ["unit-mismatch"] and "temperature difference" in diags[0].message


PACK_UNITS = '''unit habitat_unit "Biodiversity units of the statutory metric"
unit dunam = 1000 m2
table parcels "P" key id { id: text
  value: number [habitat_unit]
  size: number [dunam] }
param min_value = 2 habitat_unit
rule VAL "Value" { goal G stage S for each p in parcels shall p.value >= min_value and p.size >= 1 ha
  else "{p.id}: {p.value} habitat units, below {min_value}" }
'''


def test_a_pack_declares_its_own_units(tmp_path):
    assert lint(tmp_path, PACK_UNITS) == []
    # 1 dunam = 1000 m2: 12 dunam = 1.2 ha >= 1 ha; 8 dunam = 0.8 ha < 1 ha
    plan = {"tables": {"parcels": [{"id": "a", "value": 3, "size": 12}, {"id": "b", "value": 1.5, "size": 12},
                                   {"id": "c", "value": 3, "size": 8}]}}
    val = rule(run(tmp_path / "run", PACK_UNITS, plan), "VAL")
    assert sorted(f["key"] for f in val["findings"]) == ["b", "c"]
    assert next(f for f in val["findings"] if f["key"] == "b")["message"] == \
        "b: 1.5 habitat units, below 2 habitat_unit"
    # a unit of its own kind is not a percentage, nor a unit pint already has
    bad = PACK_UNITS.replace("p.value >= min_value", "p.value >= 10 %")
    diags = lint(tmp_path, bad)
    assert [d.code for d in diags] == ["unit-mismatch"] and "habitat_unit" in diags[0].message
    diags = lint(tmp_path, 'unit hour = 60 min\n')
    assert [(d.code, d.message) for d in diags] == [("duplicate-id", "`hour` is already a unit (hour)")]
    diags = lint(tmp_path, 'unit plot = 2 hectre\n')
    assert [d.code for d in diags] == ["unknown-unit"] and diags[0].hint == "did you mean `hectare`?"


def test_a_param_without_unit_against_a_percentage_is_an_error_with_a_hint(tmp_path):
    rules = '''table districts "D" key id { id: text
  canopy_pct: number [%] }
param min_canopy = 30
rule CAN "Canopy" { goal G stage S for each d in districts shall d.canopy_pct >= min_canopy }
'''
    diags = lint(tmp_path, rules)
    # before: 30 was read as the ratio 30 = 3000 %, so a district at 45 % failed "45 %, below 30"
    assert [d.code for d in diags] == ["unit-mismatch"]
    assert diags[0].message == "param `min_canopy` has no unit but is compared with a percentage"
    assert "`param min_canopy = 30 %`" in diags[0].hint and "lint.nbs:6" in diags[0].hint


# ---- missing data is not zero ------------------------------------------------------------------

SHARES = '''table objects "O" key id { id: text
  area_ha: number [ha]
  native_pct: number [%] optional }
rule NAT "Native planting" { goal G stage S
  let native = sum(objects.area_ha * objects.native_pct where objects.native_pct is present) / sum(objects.area_ha)
  shall native >= 10 % else "native planting is {native}, below 10 %" }
'''


def test_an_empty_column_filtered_by_presence_lacks_data_instead_of_counting_as_zero(tmp_path):
    empty = [{"id": "a", "area_ha": 1.0, "native_pct": None}, {"id": "b", "area_ha": 3.0, "native_pct": None}]
    nat = rule(run(tmp_path / "empty", SHARES, {"tables": {"objects": empty}}), "NAT")
    # before: the filter kept no row, 0 / 4 ha = 0 % < 10 % failed silently
    assert nat["outcome"] == "insufficient_data"
    assert nat["missing"] == ["objects.native_pct (2 of 2 rows empty)"]
    # with one share given, the numerator would cover a (1 ha) and the denominator a and b (4 ha): (1 ha × 40 %)
    # / 4 ha = 10 % is a ratio over different rows, so the rule lacks data and names b's empty cell
    some = [{"id": "a", "area_ha": 1.0, "native_pct": 40.0}, {"id": "b", "area_ha": 3.0, "native_pct": None}]
    nat = rule(run(tmp_path / "some", SHARES, {"tables": {"objects": some}}), "NAT")
    assert nat["outcome"] == "insufficient_data" and nat["missing"] == ["objects.native_pct (1 of 2 rows empty)"]
    # declared `partial`, both totals cover a alone: 1 ha × 40 % / 1 ha = 40 %, on 1 of 4 ha = 25 % of the area
    partial = SHARES.replace('{ goal G stage S\n', '{ goal G stage S\n  partial by area_ha\n')
    nat = rule(run(tmp_path / "partial", partial, {"tables": {"objects": some}}), "NAT")
    assert nat["outcome"] == "pass" and nat["evidence"]["let"]["native"] == pytest.approx(40.0)
    assert nat["evidence"]["coverage"][0]["share"] == pytest.approx(25.0)
    assert nat["message"].startswith("Computed on 25 % of the area_ha of `objects`")


def test_counts_of_things_are_not_percentages(tmp_path):
    rules = '''table districts "D" key id { id: text
  street_trees: number [trees]
  residents: number [persons]
  area_m2: number [m2] }
rule T "T" { goal G stage S for each d in districts shall d.street_trees >= 30 % }
'''
    diags = lint(tmp_path, rules)
    assert [d.code for d in diags] == ["unit-mismatch"] and "a count of trees" in diags[0].message
    ok = rules.replace("d.street_trees >= 30 %", "d.residents >= 100 persons and d.street_trees >= 3 trees")
    assert lint(tmp_path, ok) == []


def test_source_units_go_through_the_same_unit_system(tmp_path):
    # a table published in degF and dunam, declared in degC and a pack's unit: 86 degF = (86 - 32) * 5/9 = 30 degC
    # = 303.15 K > 300 K fails; 77 degF = 25 degC = 298.15 K passes; 5 dunam = 5000 m2 = 0.5 ha
    rules = TEMPERATURES.replace("summer_c: number [degC] }", "summer_c: number [degC]\n  plot: number [ha] }") \
        .replace('table sites', 'unit dunam = 1000 m2\ntable sites')
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "sites.csv").write_text("id,summer_c,plot\ncool,77,5\nhot,86,5\n", encoding="utf-8")
    report = run(tmp_path, rules, {"tables": {"sites": {"file": "sites.csv", "units": {"summer_c": "degF",
                                                                                   "plot": "dunam"}}}})
    hot = rule(report, "HOT")
    assert [f["key"] for f in hot["findings"]] == ["hot"]
    assert hot["findings"][0]["message"] == "hot: 30 degC, above 300 K"
    units = [m for m in report.data["sources"][0]["mappings"] if m["kind"] == "unit"]
    assert [(m["from"], m["to"], m.get("offset") is not None) for m in units] == [("degF", "degC", True),
                                                                                 ("dunam", "ha", False)]
    assert units[0]["factor"] == pytest.approx(5 / 9) and units[0]["offset"] == pytest.approx(-160 / 9)
    assert units[1]["factor"] == pytest.approx(0.1)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "sites.csv").write_text("id,summer_c,plot\ncool,77,5\n", encoding="utf-8")
    (bad / "pack.nbs").write_text(HEAD + rules, encoding="utf-8")
    std = api.load_standard(bad / "pack.nbs")
    write_plan(bad, {"tables": {"sites": {"file": "sites.csv", "units": {"summer_c": "delta_degF"}}}})
    with pytest.raises(api.NbsError) as err:
        api.load_plan(bad, std)
    diags = err.value.diagnostics
    assert [d.code for d in diags] == ["unit-mismatch"]
    assert "a temperature and a temperature difference do not convert" in diags[0].message
