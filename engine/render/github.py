"""GitHub Actions workflow annotations: ``::error file=…,line=…,title=…::message``.

Printed to standard output in a workflow step, each line becomes an annotation on the file
and line of the object that did not pass (paths relative to the repository root, through
``RenderOptions.source_prefix``). The level follows ``--fail-on``: ``error`` for what fails
the check, ``warning`` for other failed shall/should rules, ``notice`` for the rest. Waived
findings are left out. GitHub shows only the first few annotations of a step, so each rule
gives at most ``MAX_PER_RULE`` and the run ``MAX_TOTAL``; a closing notice says what was left
out (the CSV report lists every object).
"""

from __future__ import annotations

from ._common import ordered_rules, value_text
from .i18n import t
from .options import DEFAULT, FAILING, RenderOptions, level, rule_entries

MAX_PER_RULE = 10
MAX_TOTAL = 200
COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """The message part of a workflow command (GitHub's ``escapeData``).

    >>> escape_data("50% of\\nrows")
    '50%25 of%0Arows'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (``file=``, ``title=``): also ``:`` and ``,``.

    >>> escape_property("a,b: c")
    'a%2Cb%3A c'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, file: str | None, line: int | None, title: str, message: str) -> str:
    props = []
    if file:
        props += [f"file={escape_property(file)}", f"line={line or 1}"]
    props.append(f"title={escape_property(title)}")
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


def render(report: dict, options: RenderOptions = DEFAULT) -> str:
    lang = report.get("lang") or "en"
    lines: list[str] = []
    left = 0
    for rule in ordered_rules(report):
        if rule["outcome"] not in ("fail", "insufficient_data"):
            continue
        room = max(0, min(MAX_PER_RULE, MAX_TOTAL - len(lines)))
        entries, total = rule_entries(rule, FAILING, room)
        for _, f in entries:
            src = f or rule
            loc = src["location"]
            kind = COMMAND[level(rule["strength"], src["outcome"], options.fail_on)]
            what = t(lang, "lacks data" if src["outcome"] == "insufficient_data" else "failed")
            title = f"{rule['id']} [{rule['strength']}] {what}: {rule['title']}"
            obj = f"{f['table']} {value_text(f['key'])}: " if f else ""
            file = options.source_prefix + loc["file"] if loc.get("file") else None
            lines.append(annotation(kind, file, loc.get("line"), title, obj + (src["message"] or rule["title"])))
        left += max(0, total - room)
    if left:
        lines.append(annotation("notice", None, None, "nbscheck", f"{left} more objects that did not pass are not "
                                "annotated; the CSV report lists every one"))
    verdict = report["verdict"].replace("_", " ")
    lines.append(f"nbscheck: {report['plan']['id']}: {verdict}")
    return "\n".join(lines) + "\n"
