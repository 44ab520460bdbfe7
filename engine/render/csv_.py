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
import re
import unicodedata
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any

from .. import format as F
from ..textsafe import inert
from ._common import (
    ISSUES,
    Template,
    by_distinct,
    distinct,
    integer_texts,
    issue_findings,
    object_texts,
    ordered_rules,
    text_of,
    values_json,
)

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


def _chunk(rule: dict, findings, start: int, stop: int) -> bytes | memoryview:
    """The CSV lines of findings ``start`` to ``stop`` of a rule whose findings are held as columns: the lines
    :func:`rows` gives, each column defused and quoted on its own (the values cell once per category or distinct
    number), then one template filled per finding, as UTF-8."""
    f = findings.findings
    stop = min(stop, len(f))
    line = Template()
    const = lambda *cells: ",".join(quote(defuse(c)) for c in cells)  # noqa: E731
    line.text(const(rule["id"]) + ",")
    line.column(by_distinct(f.outcome[start:stop], lambda o: quote(defuse(o))))
    line.text("," + const(rule["strength"], rule["severity"], f.table) + ",")
    line.column(cells_column(f.key[start:stop].tolist()))
    line.text("," + const(findings.file) + ",")
    if f.row is not None and findings.first_line:
        line.column(integer_texts(f.row[start:stop] + (findings.first_line - 1)))
    elif f.row is None:
        line.column(["" if n is None else str(n) for n in findings.lines(start, stop)])
    line.text(",")  # a table without lines (Parquet): the line cell is empty
    line.column(cells_column(f.messages(start, stop)))
    line.text(",")
    _values_into(line, findings, start, stop)
    line.text(",")
    line.column(["" if not w else quote(defuse(_waiver(w))) for w in f.waiver[start:stop].tolist()])
    line.text("\n")
    return line.encoded()


_QUOTED = re.compile('[,"\n\r]')


def quote(cell: str) -> str:
    """A cell as the ``csv`` module writes it (minimal quoting, ``,`` between cells): in double quotes, its own
    doubled, when it holds a comma, a double quote or a line break.

    >>> quote("D01"), quote('say "hi", twice')
    ('D01', '"say ""hi"", twice"')
    """
    return '"' + cell.replace('"', '""') + '"' if _QUOTED.search(cell) else cell


def cells_column(cells: list) -> list[str] | Any:
    """``quote(defuse(cell))`` of every cell of a column: text that is plain ASCII is checked and made safe in
    one pass over the column (Arrow string kernels; a pyarrow string array is returned when every cell is), the
    rest cell by cell.

    >>> cells_column(["D01", "=1+1", "  -3 ha", "＝1", "", "a\\x1bb", "a, b", "=a"])
    ['D01', "'=1+1", "'  -3 ha", "'＝1", '', 'a\\\\x1bb', '"a, b"', "'=a"]
    >>> cells_column(['a, "b" c', "-1", "x"]).to_pylist()
    ['"a, ""b"" c"', "'-1", 'x']
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not cells or set(map(type, cells)) != {str}:
        return [quote(defuse(c)) for c in cells]
    arr = pa.array(cells, pa.string())
    # printable ASCII (0x20-0x7e) is what str.isascii() and str.isprintable() together accept: no line breaks
    plain = pc.and_(pc.string_is_ascii(arr), pc.ascii_is_printable(arr)).to_numpy(zero_copy_only=False)
    first = pc.utf8_slice_codeunits(pc.utf8_ltrim(arr, " "), 0, 1)
    risky = pc.is_in(first, pa.array(["=", "+", "-", "@"])).to_numpy(zero_copy_only=False)
    special = pc.match_substring_regex(arr, '[,"]')  # quoted: no line breaks in printable ASCII, only , and "
    body = pc.if_else(pa.array(risky), pc.binary_join_element_wise("'", arr, ""), arr)
    safe = pc.if_else(special, pc.binary_join_element_wise('"', pc.replace_substring(body, '"', '""'), '"', ""),
                      body)
    if plain.all():
        return safe
    out = safe.to_pylist()
    for i in np.flatnonzero(~plain).tolist():
        out[i] = quote(defuse(cells[i]))
    return out


def _values_into(line: Template, findings, start: int, stop: int) -> None:
    """The ``values`` cell of each finding (:func:`values_json`, defused and quoted) into the line, column by
    column: the text of a value is made safe once per category or distinct number. A cell's characters are
    defused and its quotes doubled piece by piece, as neither depends on its neighbours; its first character is
    ``{``, never a formula start, and it is quoted when it names a column (in double quotes)."""
    import pandas as pd

    from .json_ import _column_texts, _dumps, _scalar

    def texts(s) -> list[str]:
        if getattr(s.dtype, "kind", "O") == "f" or s.dtype == "category" or (
                pd.api.types.is_string_dtype(s.dtype) and s.dtype != object):
            return _column_texts(s, "", then=_quote_part)
        values = F.plain_list(s)
        if set(map(type, values)) <= {str, type(None)}:
            return distinct(["null" if v is None else encode_basestring(v) for v in values], _quote_part)
        # a shape's summary is shown as its text, as values_json does
        return [_quote_part(_dumps(F.value(v)) if isinstance(v, dict) else _scalar(v, "")
                            if v is None or type(v) in (str, bool, int, float) else _dumps(v, True))
                for v in values]

    def pieces(names: list[str]) -> list[str]:
        if not names:
            return ["{}"]
        heads = [_quote_part(_dumps(name) + ":") for name in names]
        return ['"{' + heads[0], *("," + head for head in heads[1:]), '}"']

    object_texts(findings, start, stop, texts, pieces, into=line)


def _quote_part(text: str) -> str:
    """A piece of a cell that is quoted (it holds a name in double quotes): defused, its quotes doubled."""
    return inert(text, keep_newlines=True).replace('"', '""')


CHUNK = 20_000  # findings written at a time


def chunks(report: dict) -> Iterator[str | bytes | memoryview]:
    """The CSV text in pieces: the findings of a rule held as columns are written a chunk at a time (as UTF-8)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for rule in ordered_rules(report):
        findings = issue_findings(rule)
        if hasattr(findings, "findings") and len(findings):
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            for start in range(0, len(findings), CHUNK):
                yield _chunk(rule, findings, start, start + CHUNK)
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
    return text_of(chunks(report))
