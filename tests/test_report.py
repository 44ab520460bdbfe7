"""The report contract: valid against its schema, byte-identical, UTF-8 intact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from casekit import FIXTURES, copy_plan, edit

from engine.cli import main
from engine.resources import data_dir

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((data_dir("reports") / "report.schema.json").read_text(encoding="utf-8"))
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "plan.yaml").is_file())
CASES = [ROOT / "tests/fixtures/mini_plan", *EXAMPLES]


def _report(plan: Path, out: Path, *extra: str) -> bytes:
    if plan == FIXTURES / "mini_plan":  # its `standard: ../mini_pack` leaves the package: name the pack
        extra = (*extra, "--standard", str(FIXTURES / "mini_pack"))
    main(["check", str(plan), "-o", str(out), "-f", "json", "--fail-on", "never", *extra])
    return (out / "report.json").read_bytes()


@pytest.mark.parametrize("plan", CASES, ids=[p.name for p in CASES])
def test_reports_validate_against_the_schema(plan, tmp_path):
    report = json.loads(_report(plan, tmp_path))
    jsonschema.Draft202012Validator(SCHEMA).validate(report)


@pytest.mark.parametrize("plan", CASES, ids=[p.name for p in CASES])
def test_same_inputs_give_byte_identical_reports(plan, tmp_path, monkeypatch):
    first = _report(plan, tmp_path / "a")
    if plan.name == "mini_plan":  # the copy carries the pack inside it
        copy = copy_plan(tmp_path / "elsewhere" / plan.name)
        first = _report(copy, tmp_path / "a2")
    else:
        copy = Path(shutil.copytree(plan, tmp_path / "elsewhere" / plan.name))
    monkeypatch.chdir(tmp_path)
    assert _report(copy, tmp_path / "b") == first


def test_utf8_comes_out_intact(tmp_path):
    riverside = json.loads(_report(ROOT / "examples/riverside", tmp_path))
    raw = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert "江滨" in riverside["plan"]["title"] and "江滨" in raw


def test_hashes_identify_inputs(tmp_path):
    report = json.loads(_report(ROOT / "tests/fixtures/mini_plan", tmp_path / "a"))
    plan = copy_plan(tmp_path / "p")
    edit(plan / "plan.yaml", "12.5", "12.6")
    changed = json.loads(_report(plan, tmp_path / "b"))
    assert report["standard"]["sha256"] == changed["standard"]["sha256"]
    assert report["plan"]["sha256"] != changed["plan"]["sha256"]


def test_a_results_values_are_copied_into_the_report_and_share_nothing_with_it():
    import copy
    from decimal import Decimal

    from engine.report import _copied

    shared = {"cells": ["share"]}
    value = {"counts": {"pass": 3, "fail": 1}, "missing": [shared, shared], "ratio": 0.25, "ok": True, "none": None,
             "amount": Decimal("1.5"), "pair": (1, [2])}
    got = _copied(value)
    assert got == copy.deepcopy(value) == value
    assert got["counts"] is not value["counts"] and got["missing"][0] is not shared
    assert got["amount"] == Decimal("1.5") and got["pair"][1] is not value["pair"][1]  # others by deepcopy
    got["missing"][0]["cells"].append("x")
    assert shared == {"cells": ["share"]}  # the result is left as it was
