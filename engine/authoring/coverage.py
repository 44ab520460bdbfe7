"""Rule coverage: which rules the tests saw pass, and which they saw fail."""

from __future__ import annotations

from dataclasses import dataclass

from ..results import FAIL, PASS
from .ruletests import ERRORED, RunResult


@dataclass
class RuleCoverage:
    standard: str  # id (and profile id, when a profile)
    rule_id: str
    title: str
    passed: bool = False
    failed: bool = False

    @property
    def covered(self) -> bool:
        return self.passed and self.failed


def coverage(run: RunResult) -> list[RuleCoverage]:
    """One row per enabled rule of every standard the tests ran against, in declaration order."""
    rows: dict[tuple[str, str], RuleCoverage] = {}
    for o in run.outcomes:
        std = o.standard
        if std is None:
            continue
        label = std.id + (f" / {std.profile['id']}" if std.profile else "")
        for rule in std.rules:
            if rule.disabled is None:
                rows.setdefault((label, rule.id), RuleCoverage(label, rule.id, rule.title))
        if o.status == ERRORED:
            continue
        for r in o.results:
            row = rows[(label, r.rule_id)]
            row.passed |= r.outcome == PASS
            row.failed |= r.outcome == FAIL
    return list(rows.values())


def share(rows: list[RuleCoverage]) -> float:
    """Percent of rules seen both passing and failing (100 when there are no rules)."""
    return 100.0 * sum(r.covered for r in rows) / len(rows) if rows else 100.0


def render(rows: list[RuleCoverage]) -> str:
    """A table per standard, then the share."""
    lines = []
    for label in dict.fromkeys(r.standard for r in rows):
        mine = [r for r in rows if r.standard == label]
        w = max(len("rule"), *(len(r.rule_id) for r in mine))
        lines.append(f"Coverage of {label}")
        lines.append(f"  {'rule'.ljust(w)}  pass  fail  title")
        for r in mine:
            lines.append(f"  {r.rule_id.ljust(w)}  {_mark(r.passed)}  {_mark(r.failed)}  {r.title}")
        lines.append("")
    n = sum(r.covered for r in rows)
    lines.append(f"coverage: {n} of {len(rows)} rules seen passing and failing ({share(rows):.1f}%)")
    return "\n".join(lines)


def _mark(seen: bool) -> str:
    return "yes " if seen else " -  "
