"""The CSV report: one row per finding (per object or group), for spreadsheets and scripts.

Every row or group that did not pass is listed, never capped: this is the full
list the HTML and Markdown reports point to. A rule that did not pass and has
no per-row findings (a plan-level rule) gets one row with an empty table and key.

Cells that a spreadsheet would run as a formula (text starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import unicodedata

from ..textsafe import inert
from ._common import ISSUES, ordered_rules, values_json

FILENAME = "report.csv"
COLUMNS = ("rule_id", "outcome", "strength", "severity", "table", "key", "file", "line", "message", "values",
           "waiver")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell) -> str:
    """Text as a cell no spreadsheet will evaluate; numbers stay numbers.

    >>> defuse("=HYPERLINK(1)"), defuse(-3), defuse("-3 ha"), defuse("D01"), defuse("＝1+1")
    ("'=HYPERLINK(1)", '-3', "'-3 ha", 'D01', "'＝1+1")
    """
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float):
        return repr(cell) if isinstance(cell, float) else str(cell)
    text = inert(str(cell), keep_newlines=True)
    first = unicodedata.normalize("NFKC", text.lstrip(" ")[:1])  # fullwidth ＝＋－＠ and small ﹦﹢﹣﹫ too
    return "'" + text if text.startswith(_FORMULA_START) or (first and first in "=+-@") else text


def rows(report: dict):
    """The CSV rows (lists of cell values, before defusing), most serious rules first."""
    for rule in ordered_rules(report):
        head = [rule["id"]]
        findings = [f for f in rule["findings"] if f["outcome"] in ISSUES]
        if findings:
            for f in findings:
                loc = f["location"]
                yield head + [f["outcome"], rule["strength"], rule["severity"], f["table"], f["key"],
                              loc.get("file"), loc.get("line"), f["message"], values_json(f["values"]),
                              _waiver(f.get("waiver"))]
        elif rule["outcome"] in ISSUES:
            loc = rule["location"]
            yield head + [rule["outcome"], rule["strength"], rule["severity"], "", "",
                          loc.get("file"), loc.get("line"), rule["message"], "", _waiver(rule.get("waiver"))]


def _waiver(w: dict | None) -> str:
    """A waiver as one cell: its reason, and who granted it."""
    if not w:
        return ""
    return w.get("reason", "") + (f" (by {w['by']})" if w.get("by") else "")


def render(report: dict) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows(report):
        writer.writerow([defuse(c) for c in row])
    return buf.getvalue()
