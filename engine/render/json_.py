"""The JSON report: the contract, byte-identical for the same inputs.

Indented two spaces for reading and diffing, except shapes (a finding's ``geometry``, a layer's
``outline``): each is written on one line, so a polygon of thousands of vertices is one line rather
than thousands.

The report is written as a stream of pieces (:func:`chunks`): a rule's findings are encoded a
chunk at a time from their columns, with the standard library's C string encoder and the number
texts Python's JSON encoder writes, never as every finding's dict or the whole text at once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from json.encoder import encode_basestring  # the C implementation where CPython has it

from .. import format as F

CHUNK = 20_000  # findings encoded at a time

_SHAPE_KEYS = ("geometry", "outline")


def _dumps(v, compact: bool = False) -> str:
    if compact:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _encode(v, pad: str) -> str:
    return "".join(_pieces(v, pad))


def _pieces(v, pad: str) -> Iterator[str]:
    inner = pad + "  "
    if _is_findings(v):
        yield "[\n"
        for start in range(0, len(v), CHUNK):
            if start:
                yield ",\n"
            yield ",\n".join(inner + text for text in _finding_texts(v, start, start + CHUNK, inner))
        yield "\n" + pad + "]"
    elif isinstance(v, dict) and v:
        yield "{\n"
        for i, (k, x) in enumerate(v.items()):
            yield f"{',' if i else ''}{inner if not i else chr(10) + inner}{_dumps(str(k))}: "
            if k in _SHAPE_KEYS and isinstance(x, dict):
                yield _dumps(x, True)
            else:
                yield from _pieces(x, inner)
        yield "\n" + pad + "}"
    elif isinstance(v, list | tuple) and v:
        yield "[\n"
        for i, x in enumerate(v):
            yield (",\n" if i else "") + inner
            yield from _pieces(x, inner)
        yield "\n" + pad + "]"
    else:
        yield _dumps(v)


def _is_findings(v) -> bool:
    """A rule's findings held as columns (:class:`engine.report.ReportFindings`, imported only with pandas)."""
    return type(v).__name__ == "ReportFindings" and hasattr(v, "findings")


def _scalar(v, pad: str) -> str:
    """One value as :func:`_dumps` writes it; the common types without the encoder's set-up."""
    t = type(v)
    if t is str:
        return encode_basestring(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    if t is float and math.isfinite(v):
        return float.__repr__(v)
    return _encode(v, pad)


def _finding_texts(rf, start: int, stop: int, pad: str) -> list[str]:
    """Findings ``start`` to ``stop`` as the indented text :func:`_encode` gives their dicts, from the columns."""
    f = rf.findings
    stop = min(stop, len(f))
    n = stop - start
    p2, p3 = pad + "  ", pad + "    "
    outcomes = [encode_basestring(o) for o in f.outcome[start:stop].tolist()]
    table = encode_basestring(f.table)
    keys = [_scalar(k, p2) for k in f.key[start:stop].tolist()]
    messages = list(map(encode_basestring, f.messages(start, stop)))
    values = _values_texts(f, start, stop, p2, p3)
    missing = [_encode(list(m), p2) if m else "[]" for m in f.missing[start:stop].tolist()]
    waivers = ["null" if w is None else _encode(w, p2) for w in f.waiver[start:stop].tolist()]
    file = _scalar(rf.file, p3)
    if f.row is None:
        rows = ["null"] * n
        locations = []
        for k in f.key[start:stop].tolist():
            line = rf.group_lines.get(str(k)) if rf.first_line else None
            locations.append(f'{{\n{p3}"file": {file}\n{p2}}}' if line is None else
                             f'{{\n{p3}"file": {file},\n{p3}"line": {line}\n{p2}}}')
    else:
        row_numbers = f.row[start:stop].tolist()
        rows = list(map(str, row_numbers))
        if rf.first_line:
            off = rf.first_line - 1
            locations = [f'{{\n{p3}"file": {file},\n{p3}"row": {r},\n{p3}"line": {r + off}\n{p2}}}'
                         for r in row_numbers]
        else:
            locations = [f'{{\n{p3}"file": {file},\n{p3}"row": {r}\n{p2}}}' for r in row_numbers]
    if rf.shapes is not None:
        shapes = [f',\n{p2}"geometry": ' + (_dumps(g, True) if isinstance(g, dict) else _encode(g, p2))
                  for g in rf.shapes[start:stop]]
    else:
        shapes = [""] * n
    if rf.fixes is not None:  # a quantified fix (engine.fixes), after the shape as the finding's dict has it
        shapes = [g + ("" if fix is None else f',\n{p2}"fix": ' + _encode(fix, p2))
                  for g, fix in zip(shapes, rf.fixes[start:stop])]
    return [f'{{\n{p2}"outcome": {o},\n{p2}"table": {table},\n{p2}"key": {k},\n{p2}"message": {m},\n'
            f'{p2}"values": {v},\n{p2}"missing": {mi},\n{p2}"waiver": {w},\n{p2}"location": {loc},\n'
            f'{p2}"row": {r}{g}\n{pad}}}'
            for o, k, m, v, mi, w, loc, r, g in zip(outcomes, keys, messages, values, missing, waivers, locations,
                                                    rows, shapes)]


def _values_texts(f, start: int, stop: int, p2: str, p3: str) -> list[str]:
    """Each finding's ``values`` object, built column by column."""
    n = stop - start
    part = f.values.iloc[start:stop]
    if not len(part.columns):
        return ["{}"] * n
    lines = []
    for name in part.columns:
        head = f"{p3}{encode_basestring(str(name))}: "
        lines.append([head + t for t in _column_texts(part[name], p3, str(name) in _SHAPE_KEYS)])
    if f.absent:  # findings that lack a column: drop its line, and write {} when none is left
        names = [str(c) for c in part.columns]
        out = []
        for i, row in enumerate(zip(*lines)):
            kept = [t for name, t in zip(names, row) if name not in f.absent or not f.absent[name][start + i]]
            out.append("{\n" + ",\n".join(kept) + "\n" + p2 + "}" if kept else "{}")
        return out
    return ["{\n" + body + "\n" + p2 + "}" for body in map(",\n".join, zip(*lines))]


def _column_texts(s, pad: str, shape_key: bool = False) -> list[str]:
    """The JSON text of :func:`engine.format.plain` of each value of a typed column (a pandas Series), worked
    out once per category or distinct number."""
    import numpy as np
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        table = np.array([encode_basestring(str(c)) for c in s.cat.categories] + ["null"], dtype=object)
        return table[s.cat.codes.to_numpy()].tolist()
    if getattr(s.dtype, "kind", "O") == "f":
        return F.by_unique(s.to_numpy(dtype="float64"), lambda u: _scalar(F.plain(u), pad), "null")
    if shape_key:
        return [_dumps(v, True) if isinstance(v, dict) else _scalar(v, pad) for v in F.plain_list(s)]
    return [_scalar(v, pad) for v in F.plain_list(s)]


def chunks(report: dict) -> Iterator[str]:
    """The report's text, piece by piece."""
    yield from _pieces(report, "")
    yield "\n"


def render(report: dict) -> str:
    return "".join(chunks(report))
