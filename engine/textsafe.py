"""Text from a plan or a rule file made inert for every text output.

Plan text (titles, ids, district names, messages built from them) reaches terminals, CI logs,
pull-request comments and spreadsheets. :func:`inert` is the one escaping every text output goes
through (stdout, stderr diagnostics, report.txt, Markdown, CSV): C0 and C1 control characters
(ESC, BEL, CSI 0x9b, carriage return, ...) and the bidirectional overrides and isolates (U+202E
and friends) are shown as visible escapes, so text can neither move the cursor, recolour the
terminal nor reorder what is shown. Renderers that need more (Markdown links and mentions, CSV
formulas) do that on top; HTML, XML and JSON escape by their own rules.

>>> inert("ok\\x1b[2Jgone\\u202eevil")
'ok\\\\x1b[2Jgone\\\\u202eevil'
>>> inert("two\\nlines", keep_newlines=True)
'two\\nlines'
"""

from __future__ import annotations

import copy
import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidi marks, embeddings, overrides and isolates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\n")


def _shown(m: re.Match) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def inert(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control and bidi character written as a visible escape (``\\x1b``, ``\\u202e``).

    Tabs are kept; newlines too when ``keep_newlines`` (else shown as ``\\x0a``).
    """
    if text.isascii() and text.isprintable():
        return text
    return (_UNSAFE if keep_newlines else _UNSAFE_LINES).sub(_shown, text)


def inert_data(value: Any, *, keep_newlines: bool = False) -> Any:
    """Every string in a JSON-like value (dicts, lists, strings) made :func:`inert`; keys too. A dict of a subclass
    stays of it with its attributes (:class:`engine.fixes.Fix` keeps its direction)."""
    if isinstance(value, str):
        return inert(value, keep_newlines=keep_newlines)
    if isinstance(value, dict):
        items = {inert_data(k, keep_newlines=keep_newlines): inert_data(v, keep_newlines=keep_newlines)
                 for k, v in value.items()}
        if type(value) is dict:
            return items
        kept = copy.copy(value)
        kept.clear()
        kept.update(items)
        return kept
    if isinstance(value, list | tuple):
        return [inert_data(v, keep_newlines=keep_newlines) for v in value]
    return value
