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
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring

from ._common import Template, by_distinct, integer_texts, plain_texts, text_of, value_text, value_texts
from .json_ import strings
from .options import (
    DEFAULT,
    FAILING,
    RenderOptions,
    fails_check,
    kept_entries,
    key_fingerprints,
    open_objects,
)

CHUNK = 20_000  # findings written at a time

SEVERITY = {"critical": "critical", "high": "major", "medium": "minor", "low": "minor", "info": "info"}
RANK = ("info", "minor", "major", "critical", "blocker")


def _severity(rule: dict, outcome: str, fail_on: str) -> str:
    sev = SEVERITY[rule["severity"]]
    if fails_check(rule["strength"], outcome, fail_on):
        return max(sev, "major", key=RANK.index)
    return min(sev, "minor", key=RANK.index)


def chunks(report: dict, options: RenderOptions = DEFAULT) -> Iterator[str | bytes | memoryview]:
    """The issues as indented JSON, piece by piece: findings held as columns a chunk at a time
    (:func:`_chunk`), others one issue at a time."""
    yield "["
    first = True
    for rule in report["rules"]:
        if rule["outcome"] not in FAILING:
            continue
        kept = open_objects(rule, FAILING)
        if kept is not None and hasattr(kept, "findings"):
            pieces: Iterable[str | bytes | memoryview] = (_chunk(rule, kept, start, start + CHUNK, options)
                                     for start in range(0, len(kept), CHUNK))
        else:
            entries = kept_entries(rule, kept, FAILING)[0]
            pieces = [",\n  ".join(_text(_issue(rule, fp, f, options)) for fp, f in entries)]
        for piece in pieces:
            if piece:
                yield "\n  " if first else ",\n  "
                yield piece
                first = False
    yield "]\n" if first else "\n]\n"


def _issue(rule: dict, fp: str, f: dict | None, options: RenderOptions) -> dict:
    src = f or rule
    loc = src["location"]
    obj = f"{f['table']} {value_text(f['key'])}: " if f else ""
    return {
        "description": f"{rule['id']} {obj}{src['message'] or rule['title']}",
        "check_name": rule["id"],
        "fingerprint": fp,
        "severity": _severity(rule, src["outcome"], options.fail_on),
        "categories": ["Compliance"],
        "location": {"path": options.source_prefix + (loc.get("file") or ""),
                     "lines": {"begin": loc.get("line") or 1}},
    }


def _text(issue: dict) -> str:
    """An issue as an item of the indented list (its lines after the first indented once more)."""
    return json.dumps(issue, ensure_ascii=False, indent=2, allow_nan=False).replace("\n", "\n  ")


def _chunk(rule: dict, findings, start: int, stop: int, options: RenderOptions) -> bytes | memoryview:
    """The issues of findings ``start`` to ``stop`` of a rule whose findings are held as columns: the text
    :func:`_text` gives each, from the columns (a severity once per outcome), as UTF-8."""
    f = findings.findings
    stop = min(stop, len(f))
    title = rule["title"]
    head = f"{rule['id']} {f.table} "
    issue = Template()
    keys = f.key[start:stop].tolist()
    issue.text('{\n    "description": "' + strings([head])[0])  # JSON escapes character by character
    plain = plain_texts(keys)  # text keys with nothing to escape are their own text
    issue.column(strings(value_texts(keys)) if plain is None else plain)
    issue.text(": ")
    messages = f.messages(start, stop)
    plain = plain_texts(messages) if all(messages) else None
    issue.column(strings([m or title for m in messages]) if plain is None else plain)
    issue.text(f'",\n    "check_name": {encode_basestring(rule["id"])},\n    "fingerprint": "')
    issue.column(key_fingerprints(rule["id"], f.table, keys))  # hexadecimal: nothing to escape
    issue.text('",\n    "severity": ')
    issue.column(by_distinct(f.outcome[start:stop], lambda o: encode_basestring(_severity(rule, o, options.fail_on))))
    path = encode_basestring(options.source_prefix + (findings.file or ""))
    issue.text(f',\n    "categories": [\n      "Compliance"\n    ],\n    "location": {{\n      "path": {path},\n'
               '      "lines": {\n        "begin": ')
    if f.row is not None and not findings.first_line:  # a table without lines (Parquet): every issue at line 1
        issue.text("1")
    elif f.row is not None:
        issue.column(integer_texts(findings.row_lines(start, stop)))
    else:
        issue.column([str(line or 1) for line in findings.lines(start, stop)])
    issue.text("\n      }\n    }\n  }")
    return issue.encoded(",\n  ")


def render(report: dict, options: RenderOptions = DEFAULT) -> str:
    return text_of(chunks(report, options))
