"""Small readings of the report dict that several renderers share.

Everything here takes parts of the report dict (``reports/report.schema.json``)
and returns plain Python values; no format-specific markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .. import format as F
from .i18n import t

VERDICT_LABEL = {
    "non_compliant": "Non-compliant",
    "incomplete": "Incomplete",
    "compliant_with_observations": "Compliant with observations",
    "compliant": "Compliant",
}
VERDICT_MEANING = {
    "non_compliant": "At least one mandatory (shall) rule failed.",
    "incomplete": "No mandatory rule failed, but at least one lacks the data to decide.",
    "compliant_with_observations": "Every mandatory rule passed; some recommended (should) rules failed.",
    "compliant": "Every mandatory and recommended rule that applies passed.",
}
OUTCOME_LABEL = {
    "fail": "Fail",
    "insufficient_data": "Insufficient data",
    "waived": "Waived",
    "pass": "Pass",
    "not_applicable": "Not applicable",
}
OUTCOMES = ("fail", "insufficient_data", "waived", "pass", "not_applicable")
SARIF_LEVEL = {"shall": "error", "should": "warning", "may": "note"}
ISSUES = ("fail", "insufficient_data", "waived")
_RANK = {("fail", "shall"): 0, ("insufficient_data", "shall"): 1, ("fail", "should"): 2,
         ("insufficient_data", "should"): 3, ("fail", "may"): 4, ("insufficient_data", "may"): 5}
_LATER = {"waived": 6, "pass": 7, "not_applicable": 8}


def rule_rank(rule: dict) -> int:
    """Sort key: failed shall rules first, then missing data, should, may, waived, passed, not applicable."""
    key = (rule["outcome"], rule["strength"])
    return _RANK[key] if key in _RANK else _LATER[rule["outcome"]]


def ordered_rules(report: dict) -> list[dict]:
    """The rules, most serious first; ties keep the standard's order (sorting is stable)."""
    return sorted(report["rules"], key=rule_rank)


def issue_findings(rule: dict) -> Sequence[dict]:
    """The rows or groups of a rule that did not pass (the report lists no passing rows)."""
    return with_outcomes(rule["findings"], ISSUES)


def with_outcomes(findings: Sequence[dict], outcomes: tuple[str, ...]) -> Sequence[dict]:
    """The findings with one of ``outcomes``; a report's findings held as columns are selected without
    building each one (a renderer that shows a few then builds only those)."""
    if hasattr(findings, "select"):
        return findings.select(outcomes)
    return [f for f in findings if f["outcome"] in outcomes]


def field(findings: Sequence[dict], name: str) -> list:
    """One field of every finding (None where a finding has none): read from the columns when the findings are
    held as columns, so a renderer that needs one field of a million findings builds none of them.

    >>> field([{"key": "O-1", "fix": None}, {"key": "O-2"}], "fix")
    [None, None]
    """
    if hasattr(findings, "column"):
        return findings.column(name)
    return [f.get(name) for f in findings]


_SHARED: list[tuple[dict, dict]] = []  # while a set of reports is written: its report, and what formats share


@contextmanager
def sharing(report: dict) -> Iterator[None]:
    """While a set of formats is rendered from ``report``: what :func:`shared` works out for it is kept, and
    dropped afterwards (nothing outlives the set)."""
    _SHARED.append((report, {}))
    try:
        yield
    finally:
        _SHARED.pop()


def shared(report: dict, name: str, make: Callable[[], Any]) -> Any:
    """``make()``, worked out once per set of formats written from ``report`` (see :func:`sharing`); outside a
    set, every call makes it.

    >>> with sharing(r := {}):
    ...     shared(r, "n", lambda: [1]) is shared(r, "n", lambda: [2])
    True
    """
    for held, memo in _SHARED:
        if held is report:
            if name not in memo:
                memo[name] = make()
            return memo[name]
    return make()


def text_of(pieces: Iterable[str | bytes | memoryview]) -> str:
    """The text of a stream of pieces, some of them already UTF-8 (a chunk of findings)."""
    return "".join(p if isinstance(p, str) else str(p, "utf-8") for p in pieces)


def fixed_positions(findings: Sequence[dict], limit: int) -> list[int]:
    """The positions of the first ``limit`` findings that have a quantified fix; read from the fix column when
    the findings are held as columns, so no other fix is built.

    >>> fixed_positions([{"fix": None}, {"fix": {"op": ">"}}, {}], 3)
    [1]
    """
    fixes = getattr(findings, "fixes", [])
    if fixes is None:
        return []
    if hasattr(fixes, "which"):
        return [int(i) for i in (fixes.which >= 0).nonzero()[0][:limit]]
    return [i for i, fix in enumerate(field(findings, "fix")) if fix][:limit]


class Template:
    """The texts of many findings that share one shape: constant text with a slot per column of per-finding texts,
    so a format writes a chunk of findings without a dict or a string per finding: :meth:`join` interleaves the
    constants and the columns into one list and joins it once.

    >>> t = Template(); t.text("- "); t.column(["a", "b"]); t.text(" is "); t.column(["1%", "2"]); t.text(";")
    >>> t.join("\\n")
    '- a is 1%;\\n- b is 2;'
    """

    def __init__(self) -> None:
        self.parts: list[str | list[str]] = []  # constant texts and columns, in order

    def text(self, const: str) -> None:
        if self.parts and isinstance(self.parts[-1], str):
            self.parts[-1] += const
        else:
            self.parts.append(const)

    def column(self, texts: list[str] | Any) -> None:
        """A column of per-finding texts: a list, or a pyarrow string array (see :meth:`encoded`)."""
        self.parts.append(texts)

    def encoded(self, sep: str = "") -> bytes | memoryview:
        """:meth:`join` as UTF-8, joined by Arrow from the columns (a list of texts is made an Arrow array first):
        no Python text per finding, and the bytes are those of the joined Arrow array's data.

        >>> t = Template(); t.text("- "); t.column(["a", "b"]); t.text(" is "); t.column(["1%", "é"])
        >>> bytes(t.encoded("\\n")).decode() == t.join("\\n")
        True
        """
        import numpy as np
        import pyarrow as pa

        try:
            joined = self.array(sep)
        except pa.ArrowCapacityError:  # more than 2 GiB of text in one chunk
            return self.join(sep).encode("utf-8")
        n = len(joined)
        if not n:
            return b""
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * joined.offset)
        tail = len(sep.encode("utf-8"))
        return memoryview(joined.buffers()[2])[int(offsets[0]):int(offsets[n]) - tail]

    def array(self, end: str = "") -> Any:
        """Each finding's text followed by ``end``, as a pyarrow string array (joined by Arrow)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        parts = [p if isinstance(p, str) else pa.array(p, pa.string()) if isinstance(p, list) else p
                 for p in self.parts]
        return pc.binary_join_element_wise(*parts, end, "")

    def join(self, sep: str = "") -> str:
        """Every finding's text, ``sep`` between them."""
        sizes = {len(p) for p in self.parts if not isinstance(p, str)}
        if len(sizes) != 1:
            raise ValueError("a template needs columns of one length")
        n = sizes.pop()
        parts = [sep, *self.parts] if sep else self.parts
        k = len(parts)
        pieces: list[str] = [""] * (k * n)
        for j, part in enumerate(parts):
            pieces[j::k] = [part] * n if isinstance(part, str) else part if isinstance(part, list) else part.to_pylist()
        if sep:
            pieces[0] = ""
        return "".join(pieces)


def object_texts(findings, start: int, stop: int, column_texts: Callable, pieces: Callable[[list[str]], list[str]],
                 into: Template | None = None) -> list[str] | None:
    """A text per finding ``start`` to ``stop`` (held as columns) built from its values: ``column_texts(series)``
    gives the texts of one value column, ``pieces(names)`` the constant texts around the columns ``names`` (one
    more than the columns). A finding that lacks a column the others have (``Findings.absent``) is built from the
    columns it has: findings with the same columns share one form, filled in one pass. With ``into``, the texts
    are added to that template (its columns and constants, when every finding has every column) and nothing is
    returned.

    >>> import numpy as np, pandas as pd; from engine.findings import Findings; from engine.report import ReportFindings
    >>> f = Findings("t", np.array(["fail"] * 3, dtype=object), ["a", "b", "c"], np.arange(3),
    ...              pd.DataFrame({"x": [1.5, None, 2.0], "y": ["p", "q", "r"]}))
    >>> f.absent = {"y": np.array([False, True, False])}
    >>> object_texts(ReportFindings(f, None, None), 0, 3, lambda s: [str(v) for v in s],
    ...              lambda names: [f"{names[0]}=", *(f"; {n}=" for n in names[1:]), " (100%)"])
    ['x=1.5; y=p (100%)', 'x=nan (100%)', 'x=2.0; y=r (100%)']
    """
    import numpy as np

    f = findings.findings
    part = f.values.iloc[start:stop]
    names = [str(c) for c in part.columns]
    texts = [column_texts(part[c]) for c in part.columns]
    lacks = [f.absent[name][start:stop] if name in f.absent else None for name in names]
    if all(lack is None for lack in lacks):
        consts = pieces(names)
        if into is not None:
            for const, column in zip(consts, texts):
                into.text(const)
                into.column(column)
            into.text(consts[-1])
            return None
        return list(map(_form(consts).__mod__, zip(*texts))) if names else consts * len(part)
    which = np.zeros(len(part), dtype=np.int64)  # findings that lack the same columns share a number
    for lack in lacks:
        if lack is not None:
            which = np.unique(which * 2 + lack, return_inverse=True)[1].ravel()
    columns = [np.array(t if isinstance(t, list) else t.to_pylist(), dtype=object) for t in texts]
    out = np.empty(len(part), dtype=object)
    for k in range(int(which.max()) + 1):
        at = np.flatnonzero(which == k)
        present = [j for j, lack in enumerate(lacks) if lack is None or not lack[at[0]]]
        fmt = _form(pieces([names[j] for j in present]))
        out[at] = list(map(fmt.__mod__, zip(*(columns[j][at].tolist() for j in present)))) if present else fmt
    if into is not None:
        into.column(out.tolist())
        return None
    return out.tolist()


def _form(consts: list[str]) -> str:
    """The ``%`` format of constant texts with a ``%s`` between each two."""
    return "%s".join(c.replace("%", "%%") for c in consts)


def distinct(values: list, encode: Callable[[Any], str]) -> list[str]:
    """``encode`` of each value, called once per distinct value (the values are hashable).

    >>> distinct(["fail", "fail", "waived"], str.upper)
    ['FAIL', 'FAIL', 'WAIVED']
    """
    memo: dict = {}
    return [memo[v] if v in memo else memo.setdefault(v, encode(v)) for v in values]


def taken(texts: list[str], codes) -> Any:
    """A pyarrow string array of ``texts[code]`` for each code (a NumPy integer array; -1 takes the last text):
    the text of many findings made once per distinct value, and spread in one call.

    >>> import numpy as np; taken(["a", "b", "-"], np.array([1, -1, 0])).to_pylist()
    ['b', '-', 'a']
    """
    import numpy as np
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(texts, pa.string()).take(np.where(codes < 0, len(texts) - 1, codes))


def by_distinct(values, encode: Callable[[Any], str], missing: str | None = None) -> Any:
    """:func:`taken` of ``encode`` of each distinct value of a NumPy or pandas column (``missing``: the text of
    a missing value, NaN or None), the values told apart by pandas' hashing (:func:`pandas.factorize`).

    >>> import numpy as np; by_distinct(np.array([2.5, np.nan, 2.5]), repr, "null").to_pylist()
    ['2.5', 'null', '2.5']
    """
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=missing is not None)
    texts = [encode(u) for u in uniques.tolist()]
    return taken(texts + ([missing] if missing is not None else []), codes)


def integer_texts(values) -> Any:
    """``str`` of each integer of a NumPy array, as a pyarrow string array (Arrow's decimal text of an integer
    is Python's).

    >>> import numpy as np; integer_texts(np.array([7, -12, 0])).to_pylist()
    ['7', '-12', '0']
    """
    import pyarrow as pa

    return pa.array(values).cast(pa.string())


JSON_ESCAPED = r'["\\\x00-\x1f]'  # what a JSON string escapes (ensure_ascii off): quote, backslash, controls


def plain_texts(values) -> Any | None:
    """Texts as a pyarrow string array when none has a character that JSON escapes (so each is its own JSON
    string body), else None; also None where a value is not text.

    >>> plain_texts(["a", "é"]).to_pylist(), plain_texts(['say "hi"']), plain_texts([1])
    (['a', 'é'], None, None)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        texts = pa.array(values, pa.string())
    except (pa.ArrowException, UnicodeError):
        return None
    if texts.null_count or pc.any(pc.match_substring_regex(texts, JSON_ESCAPED)).as_py():
        return None
    return texts


def value_text(value) -> str:
    """A plan value as a reviewer reads it (see :mod:`engine.format`).

    >>> value_text(None), value_text(True), value_text(2.50), value_text("D01")
    ('(missing)', 'yes', '2.5', 'D01')
    """
    return F.value(value, given=True)


def value_texts(values: list) -> list[str]:
    """:func:`value_text` of each value; text is itself.

    >>> value_texts(["D01", None, 7.0])
    ['D01', '(missing)', '7']
    """
    return [v if type(v) is str else value_text(v) for v in values]


def required_text(check: dict) -> str:
    """``>= 3 years`` or ``between 1 and 5``, told apart from the actual value."""
    return f"{check['operator']} {F.check_texts(check)[1]}"


def actual_text(check: dict) -> str:
    return F.check_texts(check)[0]


def evidence_lines(rule: dict, lang: str = "en", missing: bool = True) -> list[str]:
    """The evidence as lines of text: each check (actual vs required), then the `let` values, then
    what is missing (unless ``missing`` is false)."""
    ev = rule["evidence"]
    out = [f"{c['expression']}: " + t(lang, "actual {actual}, required {required}", actual=actual_text(c),
                                       required=required_text(c)) for c in ev.get("checks", [])]
    out += [f"let {name} = {F.value(v)}" for name, v in ev.get("let", {}).items()]
    if rule["missing"] and missing:
        out.append(t(lang, "missing data: {fields}", fields=", ".join(rule["missing"])))
    return out


def fix_text(fix: dict, lang: str = "en") -> str:
    """A quantified fix as a sentence: ``raise d.canopy_share from 24.6 % to 30 % (+5.4 %)``. The direction is the
    one the inversion found (:class:`engine.fixes.Fix`); a fix read back from a report file has only its change,
    whose sign gives it. A change of zero (a strict comparison met at its boundary, ``x > 3`` at 3) is not shown.

    >>> fix_text({"quantity": "x", "from": 3.0, "to": 3.0, "change": 0.0, "unit": "", "op": "<"})
    'lower x from 3 to less than 3'
    """
    up = getattr(fix, "up", None)
    if up is None:
        up = fix["change"] > 0 or (fix["change"] == 0 and fix["op"] in (">", ">="))
    text = _FIX_TEXTS[up, fix["op"] in (">", "<"), bool(fix["change"])]
    change = ("+" if up else "−") + F.quantity(abs(fix["change"]), fix["unit"])
    return t(lang, text, quantity=fix["quantity"], old=F.quantity(fix["from"], fix["unit"]),
             new=F.quantity(fix["to"], fix["unit"]), change=change)


_FIX_TEXTS = {  # (raise, strict comparison, change shown)
    (True, True, True): "raise {quantity} from {old} to more than {new} ({change})",
    (True, False, True): "raise {quantity} from {old} to {new} ({change})",
    (False, True, True): "lower {quantity} from {old} to less than {new} ({change})",
    (False, False, True): "lower {quantity} from {old} to {new} ({change})",
    (True, True, False): "raise {quantity} from {old} to more than {new}",
    (True, False, False): "raise {quantity} from {old} to {new}",
    (False, True, False): "lower {quantity} from {old} to less than {new}",
    (False, False, False): "lower {quantity} from {old} to {new}",
}


def waiver_rows(report: dict) -> list[dict]:
    """Every waiver of the waivers file with its status, each field present (empty when not given)."""
    return [{"by": "", "approved": "", "reference": "", "expires": "", **w,
             "keys_text": ", ".join(value_text(k) for k in w["keys"]) if w["keys"] else ""}
            for w in report.get("waivers", [])]


def values_text(values: dict) -> str:
    """``area_ha = 2.5, mode = —``"""
    return ", ".join(f"{k} = {value_text(v)}" for k, v in values.items())


def values_texts(findings, start: int, stop: int) -> list[str]:
    """:func:`values_text` of the values of findings ``start`` to ``stop`` held as columns
    (:class:`engine.report.ReportFindings`), column by column: a value's text once per category or distinct
    number."""
    texts = object_texts(findings, start, stop, _value_texts_of,
                         lambda names: [f"{names[0]} = ", *(f", {n} = " for n in names[1:]), ""] if names else [""])
    assert texts is not None  # returned, as no template was given
    return texts


def _value_texts_of(s) -> list[str]:
    """:func:`value_text` of the JSON-ready value (:func:`engine.format.plain`) of each value of a typed column."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        table = [value_text(str(c)) for c in s.cat.categories] + [value_text(None)]
        return [table[c] for c in s.cat.codes.to_numpy().tolist()]
    if getattr(s.dtype, "kind", "O") == "f":
        return F.by_unique(s.to_numpy(dtype="float64"), lambda u: value_text(F.plain(u)), value_text(None))
    return value_texts(F.plain_list(s))


def values_json(values: dict) -> str:
    """The values of a row as compact JSON (what CSV and machine readers get); a shape as its summary
    text (``polygon, 2.41 ha``)."""
    values = {k: F.value(v) if isinstance(v, dict) else v for k, v in values.items()}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def map_object_id(rule_id: str, index: int) -> str:
    """The HTML map's anchor for a finding's shape: its rule and its place among the rule's findings."""
    return f"map-{rule_id}-{index + 1}"


def where(location: dict) -> str:
    """``tables/objects.csv:8`` (file and line), or the file alone."""
    file = location.get("file") or ""
    return f"{file}:{location['line']}" if file and location.get("line") else file


def citation_text(c: dict) -> str:
    clause = f" {c['clause']}" if c.get("clause") else ""
    return f"{c['key']}{clause} — {c['citation']}"


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """Replace characters XML 1.0 cannot carry (control characters) with U+FFFD."""
    return _XML_BAD.sub("\ufffd", text)
