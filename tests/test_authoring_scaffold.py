"""`nbscheck schema` and `nbscheck init`: the plan data a standard requires."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from engine import api
from engine.cli import main

PACK = Path(__file__).resolve().parent / "cases" / "author-pack"


def test_schema_prints_the_plan_schema(capsys):
    assert main(["schema", str(PACK)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["implementation"]["properties"]["maintenance_years"]["x-unit"] == "years"


def test_schema_of_one_table(capsys):
    assert main(["schema", str(PACK), "--table", "objects"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["category"]["enum"] == ["wetland", "forest", None]


def test_schema_of_an_unknown_table_is_invalid_input(capsys):
    assert main(["schema", str(PACK), "--table", "objectz"]) == 2
    assert "did you mean `objects`?" in capsys.readouterr().err


def test_init_writes_a_commented_plan_and_table_headers(tmp_path):
    assert main(["init", str(PACK), str(tmp_path / "p")]) == 0
    text = (tmp_path / "p" / "plan.yaml").read_text(encoding="utf-8")
    assert "  # committed maintenance — number [years], >= 0, required\n  maintenance_years: null" in text
    assert "#   area_ha: planned area — number [ha], >= 0, required" in text
    header = (tmp_path / "p" / "tables" / "objects.csv").read_text(encoding="utf-8")
    assert header == "id,district,category,area_ha,baseline_area_ha,mode\n"


def test_the_template_names_the_standard_and_validates_once_tables_have_rows(tmp_path):
    assert main(["init", str(PACK), str(tmp_path / "p")]) == 0
    plan = tmp_path / "p"
    named = yaml.safe_load((plan / "plan.yaml").read_text(encoding="utf-8"))["standard"]
    assert (plan / named).resolve() == PACK.resolve()  # absolute, or relative to the plan
    with (plan / "tables" / "objects.csv").open("a", encoding="utf-8") as fh:
        fh.write("W-1,D01,wetland,1.0,1.0,\n")
    std = api.load_standard(PACK)
    report = api.evaluate(std, api.load_plan(plan, std))
    assert report.outcome("IMP-001") == "insufficient_data"


def test_init_for_a_bundled_standard_names_it_by_id(tmp_path):
    assert main(["init", "nbs_urban_restoration", str(tmp_path / "p")]) == 0
    assert "standard: nbs_urban_restoration\n" in (tmp_path / "p" / "plan.yaml").read_text(encoding="utf-8")


def test_init_never_overwrites(tmp_path, capsys):
    (tmp_path / "plan.yaml").write_text("mine\n", encoding="utf-8")
    assert main(["init", str(PACK), str(tmp_path)]) == 2
    assert "exists; init does not overwrite files" in capsys.readouterr().err
    assert (tmp_path / "plan.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "tables").exists()


def test_init_into_a_file_is_invalid_input(tmp_path, capsys):
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert main(["init", str(PACK), str(tmp_path / "file")]) == 2
    assert "cannot write the package" in capsys.readouterr().err
