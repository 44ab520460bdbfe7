"""GitLab Code Quality JSON: one issue per object that did not pass.

GitLab reads the file given as ``artifacts:reports:codequality`` and shows the issues in
the merge request and on the changed lines. ``location.path`` is relative to the repository
root (``RenderOptions.source_prefix``), ``fingerprint`` is the rule-and-object fingerprint
(so GitLab tells new issues from old ones across pipelines), and the severity follows the
rule's severity, raised to at least ``major`` for what fails the check at ``--fail-on`` and
at most ``minor`` for what does not. Waived findings are left out.
"""

from __future__ import annotations

import json

from ._common import value_text
from .options import DEFAULT, FAILING, RenderOptions, fails_check, open_findings

SEVERITY = {"critical": "critical", "high": "major", "medium": "minor", "low": "minor", "info": "info"}
RANK = ("info", "minor", "major", "critical", "blocker")


def _severity(rule: dict, outcome: str, fail_on: str) -> str:
    sev = SEVERITY[rule["severity"]]
    if fails_check(rule["strength"], outcome, fail_on):
        return max(sev, "major", key=RANK.index)
    return min(sev, "minor", key=RANK.index)


def render(report: dict, options: RenderOptions = DEFAULT) -> str:
    issues = []
    for rule, fp, f in open_findings(report["rules"], FAILING):
        src = f or rule
        loc = src["location"]
        obj = f"{f['table']} {value_text(f['key'])}: " if f else ""
        issues.append({
            "description": f"{rule['id']} {obj}{src['message'] or rule['title']}",
            "check_name": rule["id"],
            "fingerprint": fp,
            "severity": _severity(rule, src["outcome"], options.fail_on),
            "categories": ["Compliance"],
            "location": {"path": options.source_prefix + (loc.get("file") or ""),
                         "lines": {"begin": loc.get("line") or 1}},
        })
    return json.dumps(issues, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
