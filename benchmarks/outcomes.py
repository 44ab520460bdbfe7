"""The common form the three implementations report in, so they can be compared.

For each rule: its outcome, the counts of row (or group) outcomes, and the keys of
the rows or groups that failed or lacked data. Plan-level rules have no counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PASS, FAIL, INSUFFICIENT, NOT_APPLICABLE = "pass", "fail", "insufficient_data", "not_applicable"


@dataclass(frozen=True)
class Outcome:
    outcome: str
    counts: dict[str, int] = field(default_factory=dict)
    failed: tuple = ()  # keys of failing rows or groups, in table order
    insufficient: tuple = ()  # keys of rows or groups without the data to decide


def plan_outcome(value: bool | None) -> Outcome:
    """A plan-level assertion: unknown is insufficient data, never pass or fail."""
    if value is None:
        return Outcome(INSUFFICIENT)
    return Outcome(PASS if value else FAIL)


def rows_outcome(passed: int, failed: list, insufficient: list) -> Outcome:
    """A per-row or per-group rule from the outcomes of its rows (fail > insufficient > pass)."""
    counts = {k: v for k, v in ((PASS, passed), (FAIL, len(failed)), (INSUFFICIENT, len(insufficient))) if v}
    if failed:
        outcome = FAIL
    elif insufficient:
        outcome = INSUFFICIENT
    elif passed:
        outcome = PASS
    else:
        outcome = NOT_APPLICABLE
    return Outcome(outcome, counts, tuple(failed), tuple(insufficient))


def from_engine(results) -> dict[str, Outcome]:
    """The engine's rule results in the common form."""
    out = {}
    for r in results:
        failed = tuple(f.key for f in r.findings if f.outcome == FAIL)
        insufficient = tuple(f.key for f in r.findings if f.outcome == INSUFFICIENT)
        out[r.rule_id] = Outcome(r.outcome, {k: v for k, v in r.counts.items() if v}, failed, insufficient)
    return out


def differences(a: dict[str, Outcome], b: dict[str, Outcome]) -> list[str]:
    """Where two implementations disagree: rule ids with outcome, counts or keys that differ."""
    out = []
    for rule in sorted(set(a) | set(b)):
        x, y = a.get(rule), b.get(rule)
        if x is None or y is None:
            out.append(f"{rule}: only in one implementation")
            continue
        if (x.outcome, x.counts) != (y.outcome, y.counts):
            out.append(f"{rule}: {x.outcome} {x.counts} != {y.outcome} {y.counts}")
        elif sorted(map(str, x.failed)) != sorted(map(str, y.failed)) or \
                sorted(map(str, x.insufficient)) != sorted(map(str, y.insufficient)):
            out.append(f"{rule}: same counts but different failing or insufficient keys")
    return out
