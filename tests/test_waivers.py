"""Waivers that expire, with scope by rule, keys, goal or category, and every problem at once."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from engine.cli import main
from engine.resources import data_dir

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((data_dir("reports") / "report.schema.json").read_text(encoding="utf-8"))
# examples/riverside: plan.date 2026-09-30; should findings BIO-001 (RS-007), ACC-002 (D06), CAN-001 (D04)
WAIVERS = """\
waivers:
  - id: W-BIO
    rule: BIO-001
    keys: [RS-007]
    reason: Species list approved by the county ecologist
    by: J. Chen
    approved: County ecologist
    reference: letter 2026-10-02
    expires: "2026-10-15"
  - rule: CAN-001
    reason: canopy programme funded for 2027
    expires: "2026-09-01"
  - category: wetland
    reason: wetland survey pending
"""


def check(tmp_path, body: str, *extra: str) -> tuple[int, dict]:
    f = tmp_path / "waivers.yaml"
    f.write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["check", "riverside", "--waivers", str(f), "-f", "json", "-o", str(out), "-q", *extra])
    report = json.loads((out / "report.json").read_text(encoding="utf-8")) if (out / "report.json").exists() else {}
    return code, report


def test_expiry_is_judged_on_the_plan_date_and_every_waiver_is_listed(tmp_path, capsys):
    code, report = check(tmp_path, WAIVERS)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["waivers_as_of"] == {"date": "2026-09-30", "source": "plan date"}
    by_id = {w["id"]: w for w in report["waivers"]}
    # 2026-10-15 is 15 days after 2026-09-30: within the default 30-day warning
    assert (by_id["W-BIO"]["status"], by_id["W-BIO"]["days_left"], by_id["W-BIO"]["covers"]) == ("expiring", 15, 1)
    # 2026-09-01 is 29 days before the plan date: expired, CAN-001 fails again
    assert (by_id["W2"]["status"], by_id["W2"]["days_left"]) == ("expired", -29)
    # no wetland rule fails in riverside: the category waiver covers nothing
    assert by_id["W3"]["status"] == "unused" and "WET-001" in by_id["W3"]["rules"]
    outcomes = {r["id"]: r["outcome"] for r in report["rules"]}
    assert (outcomes["BIO-001"], outcomes["CAN-001"], outcomes["ACC-002"]) == ("waived", "fail", "fail")
    bio = next(r for r in report["rules"] if r["id"] == "BIO-001")["findings"][0]["waiver"]
    assert bio == {"id": "W-BIO", "reason": "Species list approved by the county ecologist", "by": "J. Chen",
                   "approved": "County ecologist", "reference": "letter 2026-10-02", "expires": "2026-10-15"}
    err = capsys.readouterr().err
    assert "waivers.yaml:2: waiver-expiring: warning: W-BIO" in err and "in 15 days" in err
    assert "waivers.yaml:10: waiver-expired: warning: W2 (rule CAN-001) expired on 2026-09-01" in err
    assert "waivers.yaml:13: waiver-unused: warning: W3 (category wetland)" in err
    assert code == 0  # only should rules fail


def test_as_of_and_warning_days_are_options(tmp_path):
    _, report = check(tmp_path, WAIVERS, "--as-of", "2026-08-01", "--waiver-warning-days", "7")
    by_id = {w["id"]: w for w in report["waivers"]}
    assert report["waivers_as_of"] == {"date": "2026-08-01", "source": "--as-of"}
    # 2026-10-15 is 75 days after 2026-08-01, 2026-09-01 is 31 days after: both active, CAN-001 waived
    assert (by_id["W-BIO"]["status"], by_id["W-BIO"]["days_left"]) == ("active", 75)
    assert (by_id["W2"]["status"], by_id["W2"]["days_left"], by_id["W2"]["covers"]) == ("active", 31, 1)
    _, later = check(tmp_path, WAIVERS, "--as-of", "2026-10-16")
    assert {w["id"]: w["status"] for w in later["waivers"]}["W-BIO"] == "expired"
    assert {r["id"]: r["outcome"] for r in later["rules"]}["BIO-001"] == "fail"


def test_a_bad_as_of_date_is_an_error_with_or_without_waivers(tmp_path, capsys):
    (tmp_path / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    for extra in ([], ["--waivers", str(tmp_path / "waivers.yaml")]):
        assert main(["check", "riverside", "--as-of", "31/12/2026", "-q", *extra]) == 2
        err = capsys.readouterr().err
        assert "bad-argument" in err and "`31/12/2026` is not a date" in err


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        check(tmp_path / run, WAIVERS)
    assert (tmp_path / "a/out/report.json").read_bytes() == (tmp_path / "b/out/report.json").read_bytes()


def test_a_goal_waiver_covers_every_rule_tagged_with_it(tmp_path):
    _, report = check(tmp_path, "waivers:\n  - {goal: L3, reason: connectivity study pending}\n")
    # of the three failing should rules, CAN-001 and BIO-001 carry goal L3; ACC-002 does not
    tagged = {r["id"] for r in report["rules"] if "L3" in r["goals"]}
    assert {"CAN-001", "BIO-001"} <= tagged and "ACC-002" not in tagged
    outcomes = {r["id"]: r["outcome"] for r in report["rules"]}
    assert (outcomes["CAN-001"], outcomes["BIO-001"], outcomes["ACC-002"]) == ("waived", "waived", "fail")
    assert report["waivers"][0]["covers"] == 2 and "waivers_as_of" not in report  # no dates: no date recorded


def test_a_bare_list_gets_a_clear_message(tmp_path, capsys):
    code, _ = check(tmp_path, "- {rule: BIO-001, reason: fine}\n")
    err = capsys.readouterr().err
    assert code == 2
    assert "waivers.yaml:1: waivers-schema: the file is a bare list of 1 item(s)" in err
    assert "{'rule'" not in err and "hint: start the file with `waivers:`" in err


def test_every_problem_of_a_waivers_file_at_once(tmp_path, capsys):
    body = """\
waivers:
  - {rule: BIO-O01, reason: typo in the rule}
  - {goal: L9, reason: no such goal}
  - {rule: CAN-001, reason: ok, expires: "next year"}
  - {rule: ACC-002, goal: L1, reason: two scopes}
  - {category: wetland, keys: [W-1], reason: keys on a category}
  - {rule: ACC-002}
  - {rule: ACC-002, reason: ok, color: red}
  - {rule: ACC-002, reason: x}
"""
    code, _ = check(tmp_path, body)
    err = capsys.readouterr().err
    assert code == 2
    expected = ["waivers.yaml:2: unknown-rule", "waivers.yaml:3: unknown-goal", "waivers.yaml:4: waivers-schema: "
                "`expires`: `next year` is not a date", "waivers.yaml:5: waivers-schema: waiver W4 names more than one",
                "waivers.yaml:6: waivers-schema: waiver W5: `keys` narrow a `rule`",
                "waivers.yaml:7: waivers-schema: waiver W6: reason is missing",
                "waivers.yaml:8: waivers-schema: waiver W7: unknown field `color`",
                "waivers.yaml:9: waivers-schema: waiver W8: reason is too short: give at least 3 characters"]
    for e in expected:
        assert e in err, e
    assert "waivers.5" not in err and "'reason'" not in err  # the schema's own words stay inside
    assert "hint: did you mean `BIO-001`?" in err  # a letter O for a zero
