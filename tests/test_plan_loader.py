"""Plan packages: every bad input is a diagnostic with file, line or row, and field."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from casekit import edit

from engine import api
from engine.plan import load_plan


@pytest.fixture
def std(mini_std):
    return mini_std


def _codes(plan_dir, std):
    plan, diags = load_plan(plan_dir, std)
    assert plan is None
    return diags


def test_loads_and_types_columns(plan_dir, std):
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    df = plan.tables["objects"]
    assert list(df.index) == [1, 2, 3, 4]
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype) and df["kind"].cat.ordered
    assert df["area_ha"].dtype == "float64" and str(df["treated"].dtype) == "boolean"
    assert str(df["planted"].dtype).startswith("datetime64")
    assert plan.fields == {"site_area": 12.5, "monitored": True, "visits": 2.0}


def test_malformed_yaml_names_the_line(plan_dir, std):
    edit(plan_dir / "plan.yaml", "  area_ha: 12.5", "  area_ha: [12.5")
    (d,) = _codes(plan_dir, std)
    assert d.code == "plan-syntax" and d.span.file.endswith("plan.yaml") and d.span.line >= 6


def test_schema_problems_name_line_and_field(plan_dir, std):
    edit(plan_dir / "plan.yaml", "  area_ha: 12.5", "  area_ha: lots")
    edit(plan_dir / "plan.yaml", "  plan: true\n", "")
    diags = _codes(plan_dir, std)
    by_code = {d.message: d for d in diags}
    wrong = next(d for d in diags if "site.area_ha" in d.message)
    assert wrong.span.line == 6 and "expected number" in wrong.message and "site area" in wrong.hint
    assert any(m == "`monitoring.plan` is required" for m in by_code)


def test_duplicate_yaml_key(plan_dir, std):
    edit(plan_dir / "plan.yaml", "  visits: 2", "  visits: 2\n  visits: 3")
    (d,) = _codes(plan_dir, std)
    assert d.code == "plan-duplicate-key" and d.span.line == 10


@pytest.mark.parametrize("csv_edit,code,row_line,fragment", [
    ("O-2,north,park,2.0", "bad-value", 3, "`two`"),
    ("O-3,south,wetland", "unknown-enum-value", 4, "not one of"),
    ("O-4,south,brownfield,1.5", "out-of-range", 5, "breaks `>= 0 ha`"),
    ("O-4,", "duplicate-key", 5, "repeats a key"),
])
def test_table_problems_name_file_row_and_column(plan_dir, std, csv_edit, code, row_line, fragment):
    replacement = {"bad-value": "O-2,north,park,two", "unknown-enum-value": "O-3,south,wetlnd",
                   "out-of-range": "O-4,south,brownfield,-1.5", "duplicate-key": "O-1,"}[code]
    edit(plan_dir / "tables/objects.csv", csv_edit, replacement)
    diags = _codes(plan_dir, std)
    d = next(x for x in diags if x.code == code)
    assert d.span.file.endswith("tables/objects.csv") and d.span.line == row_line
    assert fragment in d.message
    if code == "unknown-enum-value":
        assert d.hint == "did you mean `wetland`?"


def test_missing_column_suggests_the_close_one(plan_dir, std):
    edit(plan_dir / "tables/objects.csv", "id,district,kind,area_ha", "id,distrct,kind,area_ha")
    (d,) = _codes(plan_dir, std)
    assert d.code == "missing-column" and d.hint == "did you mean `distrct`?"


def test_missing_table_file_and_path_outside(plan_dir, std):
    edit(plan_dir / "plan.yaml", "tables/objects.csv", "tables/objets.csv")
    (d,) = _codes(plan_dir, std)
    assert d.code == "table-not-found" and d.span.line == 11 and "objects.csv" in d.hint
    edit(plan_dir / "plan.yaml", "tables/objets.csv", "../../etc/passwd.csv")
    (d,) = _codes(plan_dir, std)
    assert d.code == "path-outside-package"


def test_empty_table(plan_dir, std):
    (plan_dir / "tables/objects.csv").write_text("id,district,kind,area_ha\n", encoding="utf-8")
    (d,) = _codes(plan_dir, std)
    assert d.code == "table-empty"


def test_no_plan_file(tmp_path, std):
    (d,) = _codes(tmp_path, std)
    assert d.code == "plan-not-found"


@pytest.mark.parametrize("fmt", ["json", "parquet", "xlsx"])
def test_other_table_formats_load_the_same(plan_dir, std, fmt):
    ref, _ = load_plan(plan_dir, std)
    df = pd.read_csv(plan_dir / "tables/objects.csv", dtype=str)
    target = plan_dir / f"tables/objects.{fmt}"
    if fmt == "json":
        target.write_text(json.dumps(json.loads(df.to_json(orient="records"))), encoding="utf-8")
    elif fmt == "parquet":
        df.to_parquet(target)
    else:
        df.to_excel(target, index=False)
    edit(plan_dir / "plan.yaml", "tables/objects.csv", f"tables/objects.{fmt}")
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    pd.testing.assert_frame_equal(plan.tables["objects"], ref.tables["objects"])


def test_zip_package(plan_dir, std, tmp_path):
    z = tmp_path / "plan.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in plan_dir.rglob("*"):
            zf.write(p, p.relative_to(plan_dir.parent))
    plan, diags = load_plan(z, std)
    assert not diags and plan.id == "mini-1"


def test_zip_slip_is_refused(tmp_path, std):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../outside.txt", "x")
    (d,) = _codes(z, std)
    assert d.code == "path-outside-package"


def test_inputs_are_never_modified(plan_dir, std):
    def digest():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(plan_dir.rglob("*")) if p.is_file()}

    before = digest()
    api.evaluate(std, api.load_plan(plan_dir, std))
    assert digest() == before


def _write_objects(plan_dir: Path, body: str) -> None:
    (plan_dir / "tables/objects.csv").write_text("id,district,kind,area_ha,planted,treated\n" + body, encoding="utf-8")


def test_only_empty_cells_are_missing(plan_dir, std):
    _write_objects(plan_dir, "NA,None,wetland,3,,\nO-2,null,park,1,,\n")
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    assert plan.tables["objects"]["id"].tolist() == ["NA", "O-2"]
    assert plan.tables["objects"]["district"].tolist() == ["None", "null"]


@pytest.mark.parametrize("body,code,line,fragment", [
    ("O-1,n,wetland,inf,,\n", "bad-value", 2, "is not a finite number"),
    ("O-1,n,wetland,1e400,,\n", "bad-value", 2, "is not a finite number"),
    ("O-1,n,wetland,1,,,extra\n", "table-format", 2, "line 2 has 7 fields, the header has 6"),
])
def test_rejected_cells(plan_dir, std, body, code, line, fragment):
    _write_objects(plan_dir, body)
    d = next(x for x in _codes(plan_dir, std) if x.code == code)
    assert d.span.line == line and fragment in d.message


@pytest.mark.parametrize("body", [
    # clean cells: each column is checked as read (number, text) or decided per distinct word (bool)
    "O-1,north,wetland,0,,TRUE\nO-2,south,park,2.5,,no\nO-3,south,park,1,,\n",
    # cells to strip, a blank one, a word in another case: the same values through the general path
    "O-1, north ,wetland,0,,TRUE\nO-2,south,park,2.5,, No\nO-3,south,park,1,,   \n",
])
def test_clean_and_untidy_cells_type_the_same(plan_dir, std, body):
    _write_objects(plan_dir, body)
    plan, diags = load_plan(plan_dir, std)
    assert not diags
    df = plan.tables["objects"]
    index = pd.RangeIndex(1, 4)
    pd.testing.assert_series_equal(df["area_ha"], pd.Series([0.0, 2.5, 1.0], index=index), check_names=False)
    pd.testing.assert_series_equal(df["treated"], pd.Series([True, False, None], index=index, dtype="boolean"),
                                   check_names=False)
    pd.testing.assert_series_equal(df["district"], pd.Series(["north", "south", "south"], index=index, dtype="str"),
                                   check_names=False)


def test_duplicate_header(plan_dir, std):
    (plan_dir / "tables/objects.csv").write_text("id,district,kind,area_ha,area_ha\nO-1,n,park,1,2\n")
    (d,) = _codes(plan_dir, std)
    assert d.code == "duplicate-column" and "`area_ha`" in d.message


def test_dates_with_times_and_offsets(plan_dir, std):
    _write_objects(plan_dir, "O-1,n,wetland,1,2024-01-01 23:59:59,\nO-2,n,park,1,2024-01-02T10:00:00+08:00,\n")
    plan, diags = load_plan(plan_dir, std)
    assert not diags and plan.tables["objects"]["planted"].dt.day.tolist() == [1, 2]


def test_booleans_written_as_numbers(plan_dir, std):
    df = pd.DataFrame({"id": ["O-1", "O-2", "O-3"], "district": ["n"] * 3, "kind": ["park"] * 3,
                       "area_ha": [1.0] * 3, "treated": [1.0, 0.0, None]})
    df.to_parquet(plan_dir / "tables/objects.parquet")
    edit(plan_dir / "plan.yaml", "tables/objects.csv", "tables/objects.parquet")
    plan, diags = load_plan(plan_dir, std)
    assert not diags and plan.tables["objects"]["treated"].tolist() == [True, False, pd.NA]


def test_xlsx_sheet_named_after_the_table(plan_dir, std):
    target = plan_dir / "tables/book.xlsx"
    with pd.ExcelWriter(target) as xl:
        pd.DataFrame({"note": ["read me"]}).to_excel(xl, sheet_name="Notes", index=False)
        pd.read_csv(plan_dir / "tables/objects.csv", dtype=str).to_excel(xl, sheet_name="objects", index=False)
    edit(plan_dir / "plan.yaml", "tables/objects.csv", "tables/book.xlsx")
    plan, diags = load_plan(plan_dir, std)
    assert not diags and len(plan.tables["objects"]) == 4


def test_recursive_yaml_alias(plan_dir, std):
    (plan_dir / "plan.yaml").write_text("x: &a [*a]\n")
    (d,) = _codes(plan_dir, std)
    assert d.code == "plan-syntax"


def test_references_between_tables(tmp_path):
    from casekit import write_plan

    (tmp_path / "pack").mkdir()
    (tmp_path / "pack/p.nbs").write_text(
        'standard t "T" { version "1" }\n'
        'table districts "D" key id { id: text }\n'
        'table objects "O" key id { id: text  district: text -> districts optional }\n')
    std = api.load_standard(tmp_path / "pack")
    plan = write_plan(tmp_path / "plan", {"tables": {"districts": [{"id": "N"}], "objects": [
        {"id": "a", "district": "N"}, {"id": "b", "district": None}, {"id": "c", "district": "X"}]}})
    (d,) = _codes(plan, std)
    assert d.code == "unknown-reference" and "row 3, column `district`: `X` is not a key of table `districts`" \
        in d.message


def test_a_reference_to_an_unknown_table_is_a_lint_error(tmp_path):
    (tmp_path / "p.nbs").write_text('standard t "T" { version "1" }\n'
                                    'table objects "O" key id { id: text  district: text -> distrcts }\n')
    (d,) = api.lint(tmp_path)
    assert d.code == "unknown-table" and "`district` refers to unknown table `distrcts`" in d.message


def test_a_misspelt_key_is_pointed_at(plan_dir, std):
    edit(plan_dir / "plan.yaml", "site:\n", "stie:\n")
    (d,) = _codes(plan_dir, std)
    assert d.span.line == 5 and "`stie` looks like a misspelling of `site`" in d.message


def test_a_folder_instead_of_a_table_file(plan_dir, std):
    (plan_dir / "tables/objects.csv").unlink()
    (plan_dir / "tables/objects.csv").mkdir()
    (d,) = _codes(plan_dir, std)
    assert "is a folder, not a file" in d.message
