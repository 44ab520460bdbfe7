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
from collections.abc import Iterator

from .. import format as F
from ..textsafe import inert
from ._common import ISSUES, issue_findings, ordered_rules, values_json

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
        findings = issue_findings(rule)
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


def _columns(rule: dict, findings, start: int, stop: int) -> list[list[str]]:
    """Defused cells of findings ``start`` to ``stop`` of a rule whose findings are held as columns, column by
    column: the same cells :func:`rows` gives, without a dict per finding."""
    f = findings.findings
    stop = min(stop, len(f))
    n = stop - start
    locations = findings.locations(start, stop)
    lines = [loc.get("line") for loc in locations]
    const = lambda v: [defuse(v)] * n  # noqa: E731
    return [const(rule["id"]), f.outcome[start:stop].tolist(), const(rule["strength"]), const(rule["severity"]),
            const(f.table), defuse_column(f.key[start:stop].tolist()), const(findings.file),
            ["" if x is None else str(x) for x in lines], defuse_column(f.messages(start, stop)),
            defuse_column(values_json_column(f, start, stop)),
            [defuse(_waiver(w)) if w else "" for w in f.waiver[start:stop].tolist()]]


def defuse_column(cells: list) -> list[str]:
    """:func:`defuse` of every cell of a column; text that is plain ASCII is checked in one pass over the
    column (Arrow string kernels), the rest cell by cell.

    >>> defuse_column(["D01", "=1+1", "  -3 ha", "＝1", "", "a\\x1bb"])
    ['D01', "'=1+1", "'  -3 ha", "'＝1", '', 'a\\\\x1bb']
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not cells or not all(type(c) is str for c in cells):
        return [defuse(c) for c in cells]
    arr = pa.array(cells, pa.string())
    # printable ASCII (0x20-0x7e) is what str.isascii() and str.isprintable() together accept
    plain = pc.and_(pc.string_is_ascii(arr), pc.ascii_is_printable(arr)).to_numpy(zero_copy_only=False)
    first = pc.utf8_slice_codeunits(pc.utf8_ltrim(arr, " "), 0, 1)
    risky = pc.is_in(first, pa.array(["=", "+", "-", "@"])).to_numpy(zero_copy_only=False)
    out = np.array(cells, dtype=object)
    out[plain & risky] = ["'" + c for c in out[plain & risky].tolist()]
    for i in np.flatnonzero(~plain).tolist():
        out[i] = defuse(cells[i])
    return out.tolist()


def values_json_column(f, start: int, stop: int) -> list[str]:
    """:func:`values_json` of each finding's values, built column by column."""
    from .json_ import _column_texts, _dumps, _scalar

    def _compact(v) -> str:
        return _scalar(v, "") if v is None or type(v) in (str, bool, int, float) else _dumps(v, True)

    part = f.values.iloc[start:stop]
    n = len(part)
    if not len(part.columns):
        return ["{}"] * n
    cols = []
    for name in part.columns:
        head = _dumps(str(name)) + ":"
        s = part[name]
        if getattr(s.dtype, "kind", "O") == "f" or s.dtype == "category":
            texts = _column_texts(s, "")
        else:  # a shape's summary is shown as its text, as values_json does
            texts = [_dumps(F.value(v)) if isinstance(v, dict) else _compact(v) for v in F.plain_list(s)]
        cols.append([head + t for t in texts])
    if f.absent:
        names = [str(c) for c in part.columns]
        return ["{" + ",".join(t for name, t in zip(names, row) if name not in f.absent
                               or not f.absent[name][start + i]) + "}" for i, row in enumerate(zip(*cols))]
    return ["{" + body + "}" for body in map(",".join, zip(*cols))]


CHUNK = 20_000  # findings written at a time


def chunks(report: dict) -> Iterator[str]:
    """The CSV text in pieces: the findings of a rule held as columns are written a chunk at a time."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for rule in ordered_rules(report):
        findings = issue_findings(rule)
        if hasattr(findings, "findings") and len(findings):
            for start in range(0, len(findings), CHUNK):
                writer.writerows(zip(*_columns(rule, findings, start, start + CHUNK)))
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
            continue
        for row in rows({"rules": [rule]}):
            writer.writerow([defuse(c) for c in row])
    yield buf.getvalue()


def _waiver(w: dict | None) -> str:
    """A waiver as one cell: its reason, and who granted it."""
    if not w:
        return ""
    return w.get("reason", "") + (f" (by {w['by']})" if w.get("by") else "")


def render(report: dict) -> str:
    return "".join(chunks(report))
