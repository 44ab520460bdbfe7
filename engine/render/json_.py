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
import re
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring  # the C implementation where CPython has it
from typing import Any

from .. import format as F
from ._common import (
    JSON_ESCAPED,
    Template,
    by_distinct,
    distinct,
    integer_texts,
    object_texts,
    plain_texts,
    taken,
    text_of,
)

CHUNK = 20_000  # findings encoded at a time

_SHAPE_KEYS = ("geometry", "outline")


def _dumps(v, compact: bool = False) -> str:
    if compact:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _encode(v, pad: str, compact: tuple[str, ...] = _SHAPE_KEYS) -> str:
    """``v`` as :func:`_pieces` writes it, built as one string (for the small values inside a finding); the dicts
    under the keys ``compact`` on one line."""
    if isinstance(v, dict) and v:
        inner = pad + "  "
        items = [inner + encode_basestring(str(k)) + ": "
                 + (_dumps(x, True) if k in compact and isinstance(x, dict) else _encode(x, inner, compact))
                 for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list | tuple) and v:
        inner = pad + "  "
        return "[\n" + ",\n".join(inner + _encode(x, inner, compact) for x in v) + "\n" + pad + "]"
    if isinstance(v, Prepared):
        items = v.items(pad + "  ")
        return "[\n" + ",\n".join(pad + "  " + x for x in items) + "\n" + pad + "]" if items else "[]"
    if _is_findings(v):
        return text_of(_pieces(v, pad))
    return _leaf(v)


def dumps(v, pad: str = "") -> str:
    """``json.dumps(v, ensure_ascii=False, indent=2, allow_nan=False)`` for a document whose keys are text, built
    with the C string encoder rather than the standard library's pure-Python indenting one; a :class:`Prepared`
    list is written from its items' texts. ``pad``: the indent of the place ``v`` is written at.

    >>> doc = {"a": [1, 2.5, None, True], "b": {"c": "ü\\n", "d": {}}, "e": []}
    >>> dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
    True
    """
    return _encode(v, pad, ())


class Prepared:
    """A list in a document for :func:`dumps` whose items a renderer encodes itself: ``items(pad)`` gives the
    text of each item at the indent ``pad`` (as ``dumps`` would write it there)."""

    def __init__(self, items: Callable[[str], list[str]]):
        self.items = items


_SLOT = re.compile('"\\\\u0000(\\w+)\\\\u0000"')


def slot(name: str) -> str:
    """A placeholder for a per-finding value in a prototype of a finding's document (see :func:`template`)."""
    return f"\x00{name}\x00"


def template(proto, pad: str) -> tuple[str, list[str]]:
    """The text :func:`dumps` gives ``proto`` at the indent ``pad`` as a ``%`` format with a ``%s`` for each
    :func:`slot`, and the slots' names in order; a slot is filled with the JSON text of a value (an encoded
    string, quotes and all, or a number).

    >>> form, names = template({"id": slot("id"), "n": slot("n"), "p": "100%"}, "")
    >>> names, form % ('"a\\\\"b"', "7")
    (['id', 'n'], '{\\n  "id": "a\\\\"b",\\n  "n": 7,\\n  "p": "100%"\\n}')
    """
    text = _encode(proto, pad, ())
    parts, names, at = [], [], 0
    for m in _SLOT.finditer(text):
        parts += [text[at:m.start()].replace("%", "%%"), "%s"]
        names.append(m.group(1))
        at = m.end()
    parts.append(text[at:].replace("%", "%%"))
    return "".join(parts), names


def _pieces(v, pad: str) -> Iterator[str | bytes | memoryview]:
    inner = pad + "  "
    if _is_findings(v):
        yield "[\n"
        for start in range(0, len(v), CHUNK):
            yield (",\n" if start else "") + inner
            yield _findings_text(v, start, start + CHUNK, inner)
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
        yield _leaf(v)


def _is_findings(v) -> bool:
    """A rule's findings held as columns (:class:`engine.report.ReportFindings`, imported only with pandas)."""
    return type(v).__name__ == "ReportFindings" and hasattr(v, "findings")


def _leaf(v) -> str:
    """A value that is not a non-empty dict or list, as :func:`_dumps` writes it; the common types without the
    encoder's set-up."""
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
    return _dumps(v)


def _scalar(v, pad: str) -> str:
    """Any value as :func:`_encode` writes it at ``pad``; the common types without the encoder's set-up."""
    t = type(v)
    if t is str or v is None or t is bool or t is int or (t is float and math.isfinite(v)):
        return _leaf(v)
    return _encode(v, pad)


_SEP, _SEP_TEXT = "\x1e", "\\u001e"  # a character between texts encoded together, and its JSON escape


def strings(texts: list[str]) -> list[str]:
    """Each text as a JSON string without its quotes (``encode_basestring(t)[1:-1]``), the whole column encoded
    in one call where no text holds the separator or its escape.

    >>> strings(['say "hi"', "a\\nb", "\\x1e", "\\\\u001e"])
    ['say \\\\"hi\\\\"', 'a\\\\nb', '\\\\u001e', '\\\\\\\\u001e']
    """
    joined = _SEP.join(texts)
    if joined.count(_SEP) == len(texts) - 1:
        encoded = encode_basestring(joined)
        if encoded.count(_SEP_TEXT) == len(texts) - 1:
            return encoded[1:-1].split(_SEP_TEXT)
    return [encode_basestring(t)[1:-1] for t in texts]


def _findings_text(rf, start: int, stop: int, pad: str) -> bytes | memoryview:
    """Findings ``start`` to ``stop`` as the indented text :func:`_encode` gives their dicts, one after another
    (``,`` and a new line between them), in UTF-8, built from the columns: each column is encoded on its own (a
    category, an outcome, a list of missing fields once per distinct value), then each finding's text is one
    template filled with its column texts (:meth:`Template.encoded`); the first finding's indent is not
    included."""
    f = rf.findings
    stop = min(stop, len(f))
    p2, p3 = pad + "  ", pad + "    "
    t = Template()
    text, column = t.text, t.column
    text("{\n" + p2 + '"outcome": ')
    column(by_distinct(f.outcome[start:stop], encode_basestring))
    text(f',\n{p2}"table": {encode_basestring(f.table)},\n{p2}"key": ')
    keys = f.key[start:stop]
    plain = plain_texts(keys)
    if plain is not None:
        text('"')
        column(plain)
        text('"')
    else:
        keys = keys.tolist()
        if set(map(type, keys)) == {str}:
            text('"')
            column(strings(keys))
            text('"')
        else:
            column([encode_basestring(k) if type(k) is str else _scalar(k, p2) for k in keys])
    text(f',\n{p2}"message": "')
    messages = f.messages(start, stop)
    plain = plain_texts(messages)
    column(strings(messages) if plain is None else plain)
    text(f'",\n{p2}"values": ')
    _values_into(t, rf, start, stop, p2, p3)
    text(f',\n{p2}"missing": ')
    column(distinct([tuple(m) if m else () for m in f.missing[start:stop].tolist()],
                     lambda m: _encode(list(m), p2) if m else "[]"))
    text(f',\n{p2}"waiver": ')
    waivers = f.waiver[start:stop].tolist()  # a waiver that covers many findings is one object: encoded once
    texts = {id(w): _encode(w, p2) for w in waivers if w is not None}
    column(["null" if w is None else texts[id(w)] for w in waivers])
    text(f',\n{p2}"location": {{\n{p3}"file": {_scalar(rf.file, p3)}')
    if f.row is None:
        column(["" if line is None else f',\n{p3}"line": {line}' for line in rf.lines(start, stop)])
        text(f'\n{p2}}},\n{p2}"row": null')
    else:
        rows = f.row[start:stop]
        row_texts = integer_texts(rows)
        text(f',\n{p3}"row": ')
        column(row_texts)
        if rf.first_line:
            text(f',\n{p3}"line": ')
            column(integer_texts(rf.row_lines(start, stop)))
        text(f'\n{p2}}},\n{p2}"row": ')
        column(row_texts)
    if rf.shapes is not None:  # after the row, then the fix, as the finding's dict has them
        column([f',\n{p2}"geometry": ' + (_dumps(g, True) if isinstance(g, dict) else _scalar(g, p2))
                for g in rf.shapes[start:stop]])
    if rf.fixes is not None:
        column(_fix_column(rf.fixes, start, stop, p2))
    text("\n" + pad + "}")
    return t.encoded(",\n" + pad)


def _fix_column(fixes, start: int, stop: int, pad: str):
    """``,`` and the ``fix`` member of each finding that has a quantified fix, and nothing for the others, as a
    pyarrow string array made from the fix columns (:class:`engine.fixes.FixColumn`): a quantity's and a unit's
    text once each, a figure's once per distinct number."""
    import numpy as np
    import pyarrow as pa

    which = fixes.which[start:stop]
    at = np.flatnonzero(which >= 0)
    if not len(at):
        return taken([""], np.zeros(len(which), dtype=np.int64))
    w = which[at]
    columns = {"quantity": taken(list(map(encode_basestring, fixes.quantities)), w),
               "unit": taken(list(map(encode_basestring, fixes.units)), w), "op": encode_basestring(fixes.op),
               **{k: by_distinct(figures[start:stop][at], _leaf) for k, figures in
                  (("from", fixes.start), ("to", fixes.end), ("change", fixes.change))}}
    t = Template()
    t.text(f",\n{pad}\"fix\": {{")
    for i, k in enumerate(fixes.KEYS):
        t.text(f"{',' if i else ''}\n{pad}  {encode_basestring(k)}: ")
        t.text(columns[k]) if isinstance(columns[k], str) else t.column(columns[k])
    t.text(f"\n{pad}}}")
    place = np.full(len(which), len(at))
    place[at] = np.arange(len(at))
    return pa.concat_arrays([t.array(), pa.array([""])]).take(place)


def _values_into(t: Template, rf, start: int, stop: int, p2: str, p3: str) -> None:
    """Each finding's ``values`` object into the template (:func:`_common.object_texts`)."""
    def pieces(names: list[str]) -> list[str]:
        if not names:
            return ["{}"]
        heads = [p3 + encode_basestring(name) + ": " for name in names]
        return ["{\n" + heads[0], *(",\n" + head for head in heads[1:]), "\n" + p2 + "}"]

    object_texts(rf, start, stop, lambda s: _column_texts(s, p3, str(s.name) in _SHAPE_KEYS), pieces, into=t)


def _column_texts(s, pad: str, shape_key: bool = False, then: Callable[[str], str] | None = None) -> Any:
    """The JSON text of :func:`engine.format.plain` of each value of a typed column (a pandas Series), worked
    out once per category or distinct number; ``then`` is applied to each text (once per category or number).
    A list of texts, or a pyarrow string array where Arrow made them (:meth:`Template.column` takes either)."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        texts = [encode_basestring(str(c)) for c in s.cat.categories] + ["null"]
        return taken(list(map(then, texts)) if then else texts, s.cat.codes.to_numpy())
    if getattr(s.dtype, "kind", "O") == "f":
        return by_distinct(s.to_numpy(dtype="float64"), lambda u: _scalar(F.plain(u), pad) if then is None else
                           then(_scalar(F.plain(u), pad)), "null" if then is None else then("null"))
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        quoted = _quoted_texts(s, then)
        if quoted is not None:
            return quoted
    values = F.plain_list(s)
    if set(map(type, values)) <= {str, type(None)}:
        texts = ["null" if v is None else encode_basestring(v) for v in values]
    elif shape_key:
        texts = [_dumps(v, True) if isinstance(v, dict) else _scalar(v, pad) for v in values]
    else:
        texts = [_scalar(v, pad) for v in values]
    return texts if then is None else distinct(texts, then)


def _quoted_texts(s, then: Callable[[str], str] | None):
    """The JSON text of each value of a text column held by Arrow, as a pyarrow string array made by Arrow, when
    no value has a character JSON escapes (with ``then``, the CSV's quoted part: printable ASCII only, whose
    quotes are doubled); else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.string())
    if pc.any(pc.match_substring_regex(arr, JSON_ESCAPED)).as_py():
        return None
    printable = pc.all(pc.and_(pc.string_is_ascii(arr), pc.ascii_is_printable(arr))).as_py()
    if then is not None and printable is False:  # (None: every value is missing)
        return None
    quote = '"' if then is None else '""'  # printable ASCII without a quote: the quote marks are the ones doubled
    return pc.fill_null(pc.binary_join_element_wise(quote, arr, quote, ""), "null" if then is None else then("null"))


def chunks(report: dict) -> Iterator[str | bytes | memoryview]:
    """The report's text, piece by piece (a chunk of findings as UTF-8)."""
    yield from _pieces(report, "")
    yield "\n"


def render(report: dict) -> str:
    return text_of(chunks(report))
