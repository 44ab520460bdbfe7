"""What a run asks of its reports beyond the report dict: the CI gate and where files live.

Renderers read the report dict and these options only; the options come from the command line
or the config file, never from the clock or the host, so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

FAILING = ("fail", "insufficient_data")


@dataclass(frozen=True)
class RenderOptions:
    """Options shared by the CI formats.

    ``fail_on``: the ``--fail-on`` gate (``shall``, ``should`` or ``never``); levels in SARIF,
    GitHub and GitLab output and failures in JUnit follow it.
    ``source_prefix``: the plan folder relative to the repository root (``plans/riverside/``,
    or ``""`` when the plan folder is the root), prefixed to every file a finding names.
    ``waived``: ``suppress`` (SARIF suppressions) or ``omit`` (waived findings left out).
    ``doc_url``: where the standard rendered by ``nbscheck doc`` is published; rules link to
    ``{doc_url}#rule-ID``.
    ``source_root``: the repository root itself, to place the files input diagnostics name.
    ``baseline``: fingerprints of a baseline report's findings; SARIF marks each result ``new``
    or ``unchanged``.
    ``csv_bom``: CSV files start with a UTF-8 byte-order mark, so Excel reads them as UTF-8.
    """

    fail_on: str = "shall"
    source_prefix: str = ""
    waived: str = "suppress"
    doc_url: str | None = None
    source_root: str = ""
    baseline: frozenset[str] | None = None
    csv_bom: bool = False


DEFAULT = RenderOptions()


def fails_check(strength: str, outcome: str, fail_on: str) -> bool:
    """Whether a finding with this strength and outcome makes the check exit 1 at ``fail_on``.

    >>> fails_check("shall", "insufficient_data", "shall"), fails_check("should", "fail", "shall")
    (True, False)
    >>> fails_check("should", "fail", "should"), fails_check("shall", "fail", "never")
    (True, False)
    """
    if fail_on == "never" or outcome not in FAILING:
        return False
    if strength == "shall":
        return True
    return fail_on == "should" and strength == "should" and outcome == "fail"


def level(strength: str, outcome: str, fail_on: str) -> str:
    """``error`` exactly when the finding fails the check; else ``warning`` for a failed shall or
    should rule and ``note`` for the rest (``may`` rules, missing data that does not gate)."""
    if fails_check(strength, outcome, fail_on):
        return "error"
    return "warning" if outcome == "fail" and strength in ("shall", "should") else "note"


def fingerprint(rule_id: str, table: str | None = None, key=None) -> str:
    """A stable identity of a finding: the rule and the object (table and key), nothing else.

    It survives re-runs, reordered rows and unrelated edits to the plan, so code hosts track an
    alert across commits and ``--baseline`` recognises a finding it has seen.

    >>> fingerprint("WET-001") == fingerprint("WET-001", None, None)
    True
    """
    ident = rule_id if table is None else f"{rule_id}\x1f{table}\x1f{_key_text(key)}"
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


def _key_text(key) -> str:
    """Keys compared by value: 7, 7.0 and "7" are one object."""
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    return str(key)


OPEN = (*FAILING, "waived")  # the outcomes of a finding a code host tracks


def object_fingerprints(rule_id: str, findings: Sequence[dict]) -> list[str]:
    """:func:`fingerprint` of each finding of a rule; findings held as columns are read from their key column.

    >>> object_fingerprints("WET-001", [{"table": "objects", "key": 7.0}]) == [fingerprint("WET-001", "objects", 7)]
    True
    """
    cols = getattr(findings, "findings", None)
    if cols is None:
        return [fingerprint(rule_id, f["table"], f["key"]) for f in findings]
    return key_fingerprints(rule_id, cols.table, cols.key.tolist())


def key_fingerprints(rule_id: str, table: str, keys: list) -> list[str]:
    """:func:`fingerprint` of the objects of one table with these keys."""
    head = f"{rule_id}\x1f{table}\x1f"
    sha256 = hashlib.sha256
    return [sha256((head + (k if type(k) is str else _key_text(k))).encode("utf-8")).hexdigest()[:32] for k in keys]


def open_objects(rule: dict, keep: tuple[str, ...] = OPEN) -> Sequence[dict] | None:
    """The findings of a rule that did not pass whose outcome is one of ``keep``; None when the rule has no
    finding that did not pass (a plan-level rule), so that the rule stands for itself."""
    from ._common import with_outcomes

    objects = with_outcomes(rule["findings"], OPEN)
    return with_outcomes(objects, keep) if objects else None


def rule_entries(rule: dict, keep: tuple[str, ...] = OPEN, limit: int | None = None
                 ) -> tuple[list[tuple[str, dict | None]], int]:
    """(fingerprint, finding) for the first ``limit`` of :func:`open_objects`, and how many there are in all; a
    rule without such findings gives one entry with ``None`` when its own outcome is one of ``keep``. Only the
    findings returned are built."""
    return kept_entries(rule, open_objects(rule, keep), keep, limit)


def kept_entries(rule: dict, kept: Sequence[dict] | None, keep: tuple[str, ...], limit: int | None = None
                 ) -> tuple[list[tuple[str, dict | None]], int]:
    """:func:`rule_entries` of the findings ``kept`` that :func:`open_objects` gave for ``keep``."""
    if kept is None:
        return ([(fingerprint(rule["id"]), None)], 1) if rule["outcome"] in keep else ([], 0)
    shown = kept[:limit] if limit is not None else kept
    return list(zip(object_fingerprints(rule["id"], shown), shown)), len(kept)


def open_findings(rules: list[dict]) -> Iterator[tuple[dict, str, dict | None]]:
    """(rule, fingerprint, finding) for every object of a rule that failed or lacks data, waived ones included."""
    for rule in rules:
        if rule["outcome"] in FAILING:
            for fp, f in rule_entries(rule)[0]:
                yield rule, fp, f


def relative_to_root(file: str, root: Path) -> str:
    """A path as the command line showed it, relative to the repository root where possible."""
    p = Path(file)
    absolute = p if p.is_absolute() else Path(os.getcwd()) / p
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return p.as_posix()
