"""Tables as published: encodings, column renames, source units, value maps, missing marks.

Every figure is checked by hand arithmetic in a comment; every refusal is a located
diagnostic (file, line, column) and exit 2 from the CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from casekit import copy_plan

from engine import api
from engine.cli import main
from engine.plan import load_plan

FIX = Path(__file__).parent / "fixtures"
HEADER = "id,district,kind,area_ha,planted,treated\n"
ROWS = "O-1,Nørrebro 北区,wetland,0.8,2024-04-01,\nO-2,Bjørnø,park,2.0,,\nO-3,Süd,brownfield,1.5,,false\n"


@pytest.fixture(scope="module")
def std():
    return api.load_standard(FIX / "mini_pack")


@pytest.fixture
def plan_dir(tmp_path):
    return copy_plan(tmp_path / "plan")


def _table(plan_dir: Path, entry: str, data: bytes, name: str = "objects.csv") -> None:
    (plan_dir / "tables" / name).write_bytes(data)
    text = (plan_dir / "plan.yaml").read_text(encoding="utf-8")
    (plan_dir / "plan.yaml").write_text(text.replace("  objects: tables/objects.csv", entry), encoding="utf-8")


def _entry(*lines: str, file: str = "tables/objects.csv") -> str:
    return "\n".join(["  objects:", f"    file: {file}", *(f"    {x}" for x in lines)])


@pytest.mark.parametrize("codec, declared, shown", [
    ("utf-8", None, None),                                   # the default: nothing to report
    ("utf-8-sig", None, None),
    ("utf-16", None, ("UTF-16", "detected")),                # its BOM decides
    ("gb18030", "gb18030", ("GB18030", "declared")),
    ("latin-1", "latin-1", ("Latin-1 (ISO-8859-1)", "declared")),
])
def test_encodings_read_the_same_text(plan_dir, std, codec, declared, shown):
    rows = ROWS if codec != "latin-1" else ROWS.replace(" 北区", "")
    entry = _entry(f"encoding: {declared}") if declared else _entry()
    _table(plan_dir, entry, (HEADER + rows).encode(codec))
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    assert plan.tables["objects"]["district"].tolist()[:2] == [rows.split(",")[1], "Bjørnø"]
    assert (plan.sources[0]["encoding"], plan.sources[0]["encoding_chosen_by"]) == shown if shown else not plan.sources


@pytest.mark.parametrize("codec, rows, shown", [
    ("cp1252", "O-1,Café “Nord”,wetland,0.8,,\nO-2,Bjørnø – Süd,park,2.0,,\n" * 20, "Windows-1252"),
    ("gb18030", "O-1,江滨片区北部新城,wetland,0.8,,\nO-2,老码头历史街区,park,2.0,,\n" * 20, "GB18030"),
])
def test_legacy_encodings_are_detected_and_stated(plan_dir, std, codec, rows, shown):
    rows = "".join(f"O-{i}" + line[3:] + "\n" for i, line in enumerate(rows.splitlines()))
    _table(plan_dir, _entry(), (HEADER + rows).encode(codec))
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    assert plan.tables["objects"]["district"].iloc[0] == rows.split(",")[1]
    assert plan.sources[0]["encoding"] == shown and plan.sources[0]["encoding_chosen_by"] == "detected"


def test_a_wrong_declared_encoding_is_located(plan_dir, std):
    # row 2 holds "Bjørnø": in UTF-8, ø is c3 b8, which is not valid GBK after the c3
    _table(plan_dir, _entry("encoding: utf-8"), (HEADER + ROWS.replace(" 北区", "")).encode("cp1252"))
    plan, diags = load_plan(plan_dir, std)
    assert plan is None and [d.code for d in diags] == ["table-encoding"]
    d = diags[0]
    assert d.span.file.endswith("objects.csv") and d.span.line == 2
    assert "row 1, column `district`: bytes `f8` are not UTF-8" in d.message and "encoding:" in d.hint


def test_latin1_read_of_windows_1252_is_refused_not_shown(plan_dir, std):
    # “ (0x93 in Windows-1252) is the C1 control U+0093 in Latin-1: a wrong guess, never mojibake
    _table(plan_dir, _entry("encoding: latin-1"), (HEADER + "O-1,“Nord”,wetland,0.8,,\n").encode("cp1252"))
    plan, diags = load_plan(plan_dir, std)
    assert plan is None and diags[0].code == "table-encoding" and diags[0].span.line == 2
    assert "U+0093" in diags[0].message and "column `district`" in diags[0].message


def test_replacement_characters_are_refused(plan_dir, std):
    _table(plan_dir, _entry(), (HEADER + "O-1,Nord,wetland,0.8,,\nO-2,B\ufffdrn,park,1.0,,\n").encode("utf-8"))
    plan, diags = load_plan(plan_dir, std)
    assert plan is None and diags[0].code == "table-encoding" and diags[0].span.line == 3
    assert "U+FFFD" in diags[0].message


def test_columns_units_values_and_missing_marks(plan_dir, std):
    csv = ("Ref,Borough,Type,Acres\n"
           "A,north,Salt Marsh,2\n"
           "B,south,Park,NA\n"
           "C,south,Brownfield,0.5\n")
    _table(plan_dir, _entry('columns: {id: Ref, district: Borough, kind: Type, area_ha: Acres}',
                            "units: {area_ha: acre}", 'missing: ["NA"]',
                            'values: {kind: {"Salt Marsh": wetland, Park: park, Brownfield: brownfield}}'),
           csv.encode())
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    df = plan.tables["objects"]
    assert df["kind"].tolist() == ["wetland", "park", "brownfield"]
    # 1 acre = 4046.8564224 m2 = 0.40468564224 ha: 2 acres = 0.80937128448 ha, 0.5 acre = 0.20234282112 ha
    assert df["area_ha"].iloc[0] == pytest.approx(0.80937128448)
    assert df["area_ha"].iloc[2] == pytest.approx(0.20234282112)
    assert df["area_ha"].isna().tolist() == [False, True, False]
    kinds = [m["kind"] for m in plan.sources[0]["mappings"]]
    assert kinds.count("column") == 4 and {"unit", "values", "missing"} <= set(kinds)
    unit = next(m for m in plan.sources[0]["mappings"] if m["kind"] == "unit")
    assert (unit["from"], unit["to"], unit["factor"]) == ("acre", "ha", 0.40468564224)
    values = next(m for m in plan.sources[0]["mappings"] if m["kind"] == "values")
    assert [v["rows"] for v in values["map"]] == [1, 1, 1]


@pytest.mark.parametrize("entry, code, line, words", [
    (_entry("columns: {area: Acres}"), "plan-schema", 13, "`columns: area` names no declared column"),
    (_entry("units: {area_ha: hectacres}"), "unknown-unit", 13, "`units: area_ha: hectacres` is not a unit"),
    (_entry("units: {area_ha: ft}"), "unit-mismatch", 13, "declared in ha (area); ft is length"),
    (_entry("units: {area_ha: USD}"), "unit-mismatch", 13, "USD is USD money"),
    (_entry("units: {district: km}"), "unit-mismatch", 13, "declared text without a unit"),
    (_entry("values: {kind: {Marsh: marsh}}"), "unknown-enum-value", 13, "`marsh` is not one of wetland, park"),
    (_entry("encoding: cp1252", file="tables/objects.json"), "plan-schema", 13, "applies to CSV files"),
])
def test_mapping_mistakes_are_located_in_plan_yaml(plan_dir, std, entry, code, line, words):
    _table(plan_dir, entry, (HEADER + ROWS).encode())
    plan, diags = load_plan(plan_dir, std)
    assert plan is None and diags[0].code == code and words in diags[0].message
    assert diags[0].span.file.endswith("plan.yaml") and diags[0].span.line == line


def test_a_renamed_column_missing_from_the_file(plan_dir, std):
    _table(plan_dir, _entry("columns: {area_ha: Acre}"), (HEADER.replace("area_ha", "Acres") + ROWS).encode())
    plan, diags = load_plan(plan_dir, std)
    assert diags[0].code == "missing-column" and "the file has no column `Acre`" in diags[0].message
    assert "Acres" in diags[0].hint and diags[0].span.line == 1


def test_money_written_for_people_is_read_in_the_declared_currency(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "p.nbs").write_text('standard s "S" { version "1" }\ngoal G "G"\nstage s "S"\nreference R "R"\n'
                                'table projects "P" key id { id: text\n cost: number [USD] >= 0 optional }\n'
                                'rule C "Costs" { goal G stage s cite R "1"\n'
                                '  shall sum(projects.cost where projects.cost is present) >= 1 USD }\n')
    plan = tmp_path / "plan"
    (plan / "t").mkdir(parents=True)
    (plan / "t/p.csv").write_text('id,Cost\nA,"$80,000.00"\nB,in-kind\nC,(1.50)\nD,12\n', encoding="utf-8")
    (plan / "plan.yaml").write_text("plan: {id: p, title: P}\ntables:\n  projects:\n    file: t/p.csv\n"
                                    "    columns: {cost: Cost}\n    units: {cost: USD}\n"
                                    '    values: {cost: {"in-kind": null}}\n', encoding="utf-8")
    loaded, diags = load_plan(plan, api.load_standard(pack))
    # "(1.50)" is an accountant's -1.50, and the column is declared >= 0
    assert [d.code for d in diags] == ["out-of-range"] and "row 3, column `cost`: `-1.5`" in diags[0].message
    (plan / "t/p.csv").write_text('id,Cost\nA,"$80,000.00"\nB,in-kind\nC,£1.50\nD,12\n', encoding="utf-8")
    loaded, diags = load_plan(plan, api.load_standard(pack))
    assert not diags
    cost = loaded.tables["projects"]["cost"]
    assert cost.iloc[[0, 2, 3]].tolist() == [80000.0, 1.5, 12.0] and cost.isna().tolist() == [False, True, False, False]


def test_cli_exit_2_and_csv_bom(plan_dir, tmp_path, capsys):
    _table(plan_dir, _entry("encoding: utf-8"), (HEADER + ROWS.replace(" 北区", "")).encode("cp1252"))
    assert main(["check", str(plan_dir)]) == 2
    err = capsys.readouterr().err
    assert "objects.csv:2: table-encoding: row 1, column `district`" in err and "Traceback" not in err
    shutil.copy(FIX / "mini_plan/tables/objects.csv", plan_dir / "tables/objects.csv")
    main(["check", str(plan_dir), "-f", "csv", "-o", str(tmp_path / "out"), "--csv-bom", "--fail-on", "never"])
    assert (tmp_path / "out/report.csv").read_bytes().startswith(b"\xef\xbb\xbfrule_id,")
    main(["check", str(plan_dir), "-f", "csv", "-o", str(tmp_path / "plain"), "--fail-on", "never"])
    assert (tmp_path / "plain/report.csv").read_bytes().startswith(b"rule_id,")


def test_the_report_lists_the_mappings(plan_dir, tmp_path):
    csv = "Ref,district,kind,Acres\nA,north,wetland,2\n"
    _table(plan_dir, _entry("columns: {id: Ref, area_ha: Acres}", "units: {area_ha: acre}"), csv.encode())
    main(["check", str(plan_dir), "-f", "json", "-o", str(tmp_path / "out"), "--fail-on", "never"])
    report = json.loads((tmp_path / "out/report.json").read_text(encoding="utf-8"))
    assert report["sources"] == [{
        "table": "objects", "file": "tables/objects.csv", "encoding": "UTF-8", "encoding_chosen_by": "default",
        "mappings": [{"kind": "column", "column": "id", "from": "Ref"},
                     {"kind": "column", "column": "area_ha", "from": "Acres"},
                     {"kind": "unit", "column": "area_ha", "from": "acre", "to": "ha", "factor": 0.40468564224}]}]
