"""The case corpus: each folder under tests/cases/ is rules, a plan, and what must come out.

case.yaml holds `plan:` (inline plan.yaml content; tables as lists of rows),
`expect:` (rule id → outcome, or {outcome, rows: {key: outcome}, message: text, fix: {...} for a plan-level
rule, fixes: {key: {...} or null}}),
`rfi:` (the request for information), `baseline:` (an earlier plan and the findings new since it),
`verdict:`, `as_of:` (the date the check is made on), `edition:` (what the report's `editions` says),
or `diagnostics:` (the codes `lint` must report, for broken packs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from casekit import write_plan

from engine import api
from engine.check import check_pack
from engine.diagnostics import ERROR

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "case.yaml").is_file())


def _approx(fix: dict | None):
    return fix and {k: pytest.approx(v, rel=1e-6) if isinstance(v, float | int) else v for k, v in fix.items()}


def _case(path: Path) -> dict:
    return yaml.safe_load((path / "case.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path):
    spec = _case(case)
    std, diags = check_pack(case)
    if "diagnostics" in spec:
        got = sorted({d.code for d in diags if d.severity == ERROR or spec.get("warnings")})
        assert got == sorted(spec["diagnostics"]), "\n".join(d.format() for d in diags)
        return
    assert std is not None, "\n".join(d.format() for d in diags)
    plan = api.load_plan(write_plan(tmp_path / "plan", spec["plan"]), std)
    report = api.evaluate(std, plan, spec.get("waivers"), as_of=spec.get("as_of"))
    by_id = {r.rule_id: r for r in report.results}
    for rule_id, want in spec.get("expect", {}).items():
        want = want if isinstance(want, dict) else {"outcome": want}
        got = by_id[rule_id]
        assert got.outcome == want["outcome"], f"{rule_id}: {got.outcome} ({got.message})"
        if "message" in want:
            assert want["message"] in got.message, f"{rule_id}: {got.message!r}"
        for key, outcome in want.get("rows", {}).items():
            found = {str(f.key): f.outcome for f in got.findings}
            assert found.get(str(key), "pass") == outcome, f"{rule_id} row {key}: {found}"
        if "missing" in want:
            assert got.missing == want["missing"], got.missing
        if "evidence" in want:
            for k, v in want["evidence"].items():
                assert got.evidence.get("let", {}).get(k, got.evidence.get(k)) == pytest.approx(v), got.evidence
        rule = next(r for r in report.data["rules"] if r["id"] == rule_id)
        if "fix" in want:  # a plan-level rule's fix, or null where none is offered
            assert _approx(rule.get("fix")) == _approx(want["fix"]), rule.get("fix")
        for key, fix in want.get("fixes", {}).items():
            got_fix = next((f.get("fix") for f in rule["findings"] if str(f["key"]) == str(key)), None)
            assert _approx(got_fix) == _approx(fix), f"{rule_id} {key}: {got_fix}"
    if "rfi" in spec:
        _check_rfi(report.data, spec["rfi"])
    if "baseline" in spec:
        _check_baseline(std, report.data, spec["baseline"], tmp_path)
    if "verdict" in spec:
        assert report.verdict == spec["verdict"]
    if "edition" in spec:  # the date a standard with dated params was checked on, and the edition it picked
        got = report.data["editions"]
        assert {k: got[k] for k in spec["edition"]} == spec["edition"], got


def _check_rfi(data: dict, want: dict) -> None:
    """`rfi:` {plan: [...], objects: [...]}: each place the applicant must fill, in the request's order."""
    from engine.render import rfi

    plan_reqs, object_reqs = rfi.requests(data)
    got = {"plan": [{"missing": r.missing, "rules": r.rule_list(), "blocks": r.blocks_verdict} for r in plan_reqs],
           "objects": [{"table": r.table, "key": r.key, **({"group": True} if r.group else {}), "missing": r.missing,
                        "rules": r.rule_list(), "blocks": r.blocks_verdict} for r in object_reqs]}
    assert got == {"plan": want.get("plan", []), "objects": want.get("objects", [])}


def _check_baseline(std, data: dict, want: dict, tmp_path: Path) -> None:
    """`baseline:` {plan: an earlier version, fail_on, new: [[rule, key or null], ...]}: the findings that fail
    the check and are not in the earlier version's report, as `--baseline` finds them."""
    from engine import gate

    old = api.load_plan(write_plan(tmp_path / "baseline", want["plan"]), std)
    fresh = gate.new_failures(data, api.evaluate(std, old).data, want.get("fail_on", "shall"))
    assert [[r["id"], f["key"] if f else None] for r, f in fresh] == want["new"]
