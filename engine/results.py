"""Results of evaluating a standard on a plan: plain data, and the summary.

Every rule, and every row or group of a per-row or per-group rule, ends in one
outcome. The verdict and the scores are computed from the rule results only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PASS = "pass"
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"
INSUFFICIENT = "insufficient_data"
WAIVED = "waived"
OUTCOMES = (PASS, FAIL, NOT_APPLICABLE, INSUFFICIENT, WAIVED)

SHALL, SHOULD, MAY = "shall", "should", "may"
STRENGTHS = (SHALL, SHOULD, MAY)
SEVERITIES = ("critical", "high", "medium", "low", "info")
DEFAULT_SEVERITY = {SHALL: "high", SHOULD: "medium", MAY: "low"}

NON_COMPLIANT = "non_compliant"
INCOMPLETE = "incomplete"
OBSERVATIONS = "compliant_with_observations"
COMPLIANT = "compliant"
VERDICTS = (NON_COMPLIANT, INCOMPLETE, OBSERVATIONS, COMPLIANT)


@dataclass(slots=True)
class Finding:
    """One row or group of a per-row or per-group rule that did not pass: a view of one entry of a rule's
    :class:`engine.findings.Findings`, built when code reads findings one at a time."""

    outcome: str
    table: str
    key: Any
    row: int | None
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    waiver: dict | None = None


@dataclass
class RuleResult:
    """The outcome of one rule, with the evidence behind it."""

    rule_id: str
    title: str
    strength: str
    severity: str
    goals: list[str]
    categories: list[str]
    stages: list[str]
    outcome: str
    message: str
    scope: str  # "plan", "row" or "group"
    source: dict
    citations: list[dict]
    rationale: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # per-row/group outcomes
    findings: Sequence[Finding] = ()  # an engine.findings.Findings for per-row and per-group rules
    missing: list[str] = field(default_factory=list)
    waiver: dict | None = None


def rule_outcome(row_counts: dict[str, int]) -> str:
    """The outcome of a per-row rule from the outcomes of its rows.

    >>> rule_outcome({"pass": 3, "fail": 1})
    'fail'
    >>> rule_outcome({"pass": 3, "waived": 1})
    'waived'
    """
    for outcome in (FAIL, INSUFFICIENT, WAIVED, PASS):
        if row_counts.get(outcome):
            return outcome
    return NOT_APPLICABLE


def verdict(results: list[RuleResult]) -> str:
    """``non_compliant`` > ``incomplete`` > ``compliant_with_observations`` > ``compliant``."""
    shall = [r.outcome for r in results if r.strength == SHALL]
    should = [r.outcome for r in results if r.strength == SHOULD]
    if FAIL in shall:
        return NON_COMPLIANT
    if INSUFFICIENT in shall:
        return INCOMPLETE
    if FAIL in should:
        return OBSERVATIONS
    return COMPLIANT


def outcome_counts(results: list[RuleResult]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for r in results:
        counts[r.outcome] += 1
    return counts


def scores(results: list[RuleResult], attribute: str, order: list[str], progressive: bool = False) -> list[dict]:
    """Share of applicable shall/should rules that passed, per goal, category or stage.

    Applicable means pass, fail or insufficient_data; waived and not_applicable
    rules, and ``may`` rules, count in neither the numerator nor the denominator.

    ``progressive``: the levels are a progression (a standard's ``progression "goals"``), so a level
    scores no higher than the lowest level before it that has a score; each entry then also holds its
    ``own_score`` and the level that ``capped_by`` it (None when it was not capped).

    >>> r = [RuleResult("A", "a", "shall", "high", ["L1"], [], [], "fail", "", "plan", {}, []),
    ...      RuleResult("B", "b", "shall", "high", ["L2"], [], [], "pass", "", "plan", {}, [])]
    >>> [(s["id"], s["score"], s["capped_by"]) for s in scores(r, "goals", ["L1", "L2"], progressive=True)]
    [('L1', 0.0, None), ('L2', 0.0, 'L1')]
    """
    out = []
    for name in order:
        passed = applicable = 0
        for r in results:
            if r.strength == MAY or name not in getattr(r, attribute):
                continue
            if r.outcome in (PASS, FAIL, INSUFFICIENT):
                applicable += 1
                passed += r.outcome == PASS
        out.append({
            "id": name,
            "passed": passed,
            "applicable": applicable,
            "score": round(passed / applicable, 4) if applicable else None,
        })
    return _progression(out) if progressive else out


def _progression(rows: list[dict]) -> list[dict]:
    """Each level's score capped at the lowest own score of the levels before it (levels without one skipped)."""
    floor, floor_id = None, None
    for row in rows:
        own = row["score"]
        row["own_score"], row["capped_by"] = own, None
        if own is None:
            continue
        if floor is not None and floor < own:
            row["score"], row["capped_by"] = floor, floor_id
        if floor is None or own < floor:
            floor, floor_id = own, row["id"]
    return rows


def exit_code(verdict_: str, fail_on: str) -> int:
    """0 when the plan passes at ``fail_on`` (shall, should or never), else 1."""
    if fail_on == "never":
        return 0
    failing = {NON_COMPLIANT, INCOMPLETE}
    if fail_on == SHOULD:
        failing.add(OBSERVATIONS)
    return 1 if verdict_ in failing else 0
