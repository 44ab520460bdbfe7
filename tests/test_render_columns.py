"""Every format reads a report's findings from their columns (``engine.report.ReportFindings``) and writes the
same bytes as from the finding dicts one at a time, the way it renders a saved JSON report.

The dicts are the report contract (``test_findings_columnar`` checks them against the standard library's JSON
encoder); here each renderer's columnar path is held to its per-finding path, on plans that reach every branch:
waivers (by key and by value), quantified fixes, kept evidence, groups, missing data, shapes on layers, and plan
text that needs escaping in every format (quotes, backslashes, control characters, line separators, CJK, emoji,
formula starts, tiny and huge numbers, empty cells).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from casekit import write_plan

from benchmarks.scale_plan import RULES, generate
from engine import api
from engine.check import check_pack
from engine.render import FORMATS
from engine.render.options import RenderOptions

CASES = Path(__file__).parent / "cases"
CASE_NAMES = ("waivers", "waivers_by_value", "quantified_fixes", "keep_evidence", "per_group_rule",
              "request_for_information", "params_lets_and_messages_utf8", "spatial_functions")
OPTIONS = {
    "default": RenderOptions(),
    "ci": RenderOptions(fail_on="should", waived="omit", source_prefix="plans/x/", doc_url="https://doc.example/s",
                        baseline=frozenset({"0" * 32}), csv_bom=True),
}

EDGE_PACK = '''standard edge "Edge cases" { version "1.0" }
goal G1 "Restore"
stage S1 "Survey"
table sites "Sites" key id {
  id: text
  district: text optional
  kind: enum(wetland, park, brownfield) optional
  area_ha: number [ha] optional
  note: text optional
  treated: bool optional
}
rule E1 "every site treated" { goal G1 stage S1
  for each s in sites
  shall s.treated
  else "{s.id} ({s.note}, {s.district}) untreated" }
rule E2 "wetlands are 2 ha" { goal G1 stage S1
  for each s in sites where s.kind == "wetland"
  shall s.area_ha >= 2 ha }
rule E3 "each district has 3 ha" { goal G1 stage S1
  for each s in sites by district
  let total = sum(s.area_ha)
  should total >= 3 ha
  else "{s.district}: {total} ha" }
'''
HARD_TEXT = ['quote " and backslash \\ end', "tab\there\nnew line\r\x00nul\x1f", "line\u2028sep\u2029para",
             "中文 的 湿地", "emoji 🌳🦆 %s 100%", "=HYPERLINK(\"x\")", "+1", "-2 ha", "@me", "\ufeffbom", "   ", ""]


def _edge_rows() -> list[dict]:
    rows = []
    for i in range(84):  # 12 texts, 7 and 5 cycles: every text meets every outcome
        text = HARD_TEXT[i % len(HARD_TEXT)]
        rows.append({"id": f"S{i}" if i % 7 == 0 else f"{text} #{i}", "district": [text, "D1", None][i % 3],
                     "kind": ["wetland", "park", None, "brownfield"][i % 4],
                     "area_ha": [0.1 + i, None, 1e-7 * i, 2.5, 1e16, float(i)][i % 6],
                     "note": [text, None][i % 2], "treated": [False, None, True, None, False][i % 5]})
    return rows


def _edge_plan(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "rules.nbs").write_text(EDGE_PACK, encoding="utf-8")
    return write_plan(root / "plan", {"tables": {"sites": _edge_rows()}})


def _evaluate(pack: Path, plan: Path, waivers=None):
    std, diags = check_pack(pack)
    assert std is not None, "\n".join(d.format() for d in diags)
    return api.evaluate(std, api.load_plan(plan, std), waivers)


def _reports(tmp: Path):
    for name in CASE_NAMES:
        spec = yaml.safe_load((CASES / name / "case.yaml").read_text(encoding="utf-8"))
        yield name, _evaluate(CASES / name, write_plan(tmp / name, spec["plan"]), spec.get("waivers"))
    yield "edge", _evaluate(tmp / "edge" / "rules.nbs", _edge_plan(tmp / "edge"),
                            [{"rule": "E1", "keys": ["S0", "S14"], "reason": "agreed \"on site\"", "by": "Ann"}])
    yield "scale", _evaluate(RULES, generate(tmp / "scale", 3_000, seed=5))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict:
    return dict(_reports(tmp_path_factory.mktemp("columns")))


def as_dicts(data: dict) -> dict:
    """The report with each rule's findings as a list of dicts, as a saved report holds them."""
    return {**data, "rules": [{**r, "findings": list(r["findings"])} for r in data["rules"]]}


def test_the_reports_hold_their_findings_as_columns(reports):
    columnar = [r for rep in reports.values() for r in rep.data["rules"] if hasattr(r["findings"], "findings")]
    assert len(columnar) >= 20
    edge = reports["edge"].data
    assert {f["outcome"] for r in edge["rules"] for f in r["findings"]} == {"fail", "insufficient_data", "waived"}


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_format_from_the_columns_is_the_format_from_the_finding_dicts(reports, fmt, options):
    renderer, opts = FORMATS[fmt], OPTIONS[options]
    for name, report in reports.items():
        assert renderer(report.data, opts) == renderer(as_dicts(report.data), opts), f"{fmt} of {name}"


def test_the_edge_plan_text_survives_the_json_report(reports):
    text = FORMATS["json"](reports["edge"].data)
    e1 = next(r for r in json.loads(text)["rules"] if r["id"] == "E1")
    # every site not treated (false or empty) is a finding of E1, its id back as written (the loader trims ids)
    assert [f["key"] for f in e1["findings"]] == [r["id"].strip() for r in _edge_rows() if r["treated"] is not True]
