"""Editions (`standard X "T" extends Y`: a pack's rules, with the declarations written again replaced) and
`import "pack"` (another pack's params and lookups)."""

from __future__ import annotations

from pathlib import Path

from casekit import write_plan

from engine import api
from engine.check import check_pack
from engine.cli import main

PACK = Path(__file__).resolve().parent / "cases" / "author-pack"


def _edition(tmp_path: Path, body: str):
    f = tmp_path / "edition.nbs"
    f.write_text(f'standard mini_2030 "Mini, 2030 edition" extends "{PACK}" {{ version "2030" }}\n{body}\n',
                 encoding="utf-8")
    return check_pack(f)


def test_an_edition_keeps_its_own_id_and_replaces_what_it_declares_again(tmp_path):
    std, diags = _edition(tmp_path, 'param min_maintenance = 10 years "committed maintenance, 2030 edition"\n'
                                    'set min_maintenance = 12 years')
    assert diags == [] and std is not None
    assert (std.id, std.version, std.profile) == ("mini_2030", "2030", None)
    assert std.params["min_maintenance"].default == 10 and std.params["min_maintenance"].value == 12
    assert [r.id for r in std.rules] == ["WET-001", "OBJ-001", "IMP-001"]  # the base's rules, in its order
    assert std.edition["extends"] == "mini_wetlands"
    assert [(c["kind"], c["target"]) for c in std.edition["changes"]] == [("param", "min_maintenance"),
                                                                          ("param", "min_maintenance")]


def test_a_replacement_of_another_kind_is_a_duplicate(tmp_path):
    _, diags = _edition(tmp_path, 'lookup min_maintenance: text -> number { a: 1 } default 0 "x"')
    assert [d.code for d in diags] == ["duplicate-id"]


def test_the_berlin_edition_scores_with_its_own_factors(tmp_path):
    # old set: 100 m2 green roof x 0.7 = 70 m2 on 200 m2 = 0.35, compared at one decimal (half up) as
    # 0.4 >= 0.30 (commercial);
    # the 2019/2021 set has no green roof, so the same plan is refused by the base pack
    plan = write_plan(tmp_path / "plan", {"plot": {"use": "commercial", "area_m2": 200, "site_coverage": 0.5},
                                          "tables": {"surfaces": [{"id": "r", "surface": "green_roof",
                                                                   "area_m2": 100}]}})
    std = api.load_standard("berlin_baf_before_2019")
    result = api.evaluate(std, api.load_plan(plan, std)).results[0]
    assert (result.rule_id, result.outcome) == ("BAF-001", "pass")
    assert result.evidence["checks"][0]["actual"] == 0.4 and result.evidence["let"]["target"] == 0.3
    assert main(["check", str(plan), "--standard", "berlin_baf", "-q"]) == 2


def test_doc_lists_what_the_edition_replaces(tmp_path, capsys):
    out = tmp_path / "baf.md"
    assert main(["doc", "berlin_baf_before_2019", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## An edition of `berlin_baf`" in text
    for target in ("`surfaces`", "`factor`", "`BAF_CALC`"):
        assert f"| {target} | " in text.split("## Contents")[0]
    # the edition compares the BAF at one decimal: its param table names who set it
    assert "| `baf_decimals` | 1 (set by the edition) | 2 |" in text


def test_an_imported_pack_lends_its_params_and_lookups(tmp_path):
    # berlin_baf's factor lookup: 100 m2 greened permeable x 0.4 + 50 m2 connected to soil x 1.0 = 90 m2;
    # its target_new_residential (0.6) is read as it is, its target_commercial replaced by 0.5
    f = tmp_path / "pack.nbs"
    f.write_text('standard imp "Imports" { version "1" }\nimport "berlin_baf"\ngoal G "G"\nstage S "S"\n'
                 'table s "S" key id { id: text\n surface: enum(greened_permeable, connected_to_soil, sealed, '
                 'partially_sealed, semi_open, unconnected_20_40cm, unconnected_41_80cm, unconnected_81_150cm, '
                 'unconnected_over_150cm, rainwater_infiltration)\n area_m2: number [m2] }\n'
                 'param target_commercial = 0.5 "replaced"\n'
                 'rule R "r" { goal G stage S let eff = sum(factor(s.surface) * s.area_m2)\n'
                 '  shall eff >= 100 m2 and target_commercial == 0.5 and target_new_residential == 0.6\n'
                 '  else "{eff} m2" }\n', encoding="utf-8")
    std, diags = check_pack(f)
    assert std is not None, diags
    assert "factor" in std.lookups and "baf_rounding" in std.params and not std.rules[1:]
    assert std.params["target_commercial"].value == 0.5
    rows = [{"id": "a", "surface": "greened_permeable", "area_m2": 100},
            {"id": "b", "surface": "connected_to_soil", "area_m2": 50}]
    plan = write_plan(tmp_path / "plan", {"tables": {"s": rows}})
    result = api.evaluate(std, api.load_plan(plan, std)).results[0]
    assert (result.outcome, result.message) == ("fail", "90 m2")


def test_an_import_that_names_no_pack(tmp_path):
    f = tmp_path / "pack.nbs"
    f.write_text('standard imp "Imports" { version "1" }\nimport "berlin_bf"\n', encoding="utf-8")
    _, diags = check_pack(f)
    assert [(d.code, d.hint) for d in diags] == [("import-not-found", "did you mean `berlin_baf`?")]
