"""The JSON report: the contract, byte-identical for the same inputs.

Indented two spaces for reading and diffing, except shapes (a finding's ``geometry``, a layer's
``outline``): each is written on one line, so a polygon of thousands of vertices is one line rather
than thousands.
"""

from __future__ import annotations

import json

_SHAPE_KEYS = ("geometry", "outline")


def _dumps(v, compact: bool = False) -> str:
    if compact:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _encode(v, pad: str) -> str:
    inner = pad + "  "
    if isinstance(v, dict) and v:
        items = (f"{inner}{_dumps(str(k))}: "
                 f"{_dumps(x, True) if k in _SHAPE_KEYS and isinstance(x, dict) else _encode(x, inner)}"
                 for k, x in v.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list | tuple) and v:
        return "[\n" + ",\n".join(inner + _encode(x, inner) for x in v) + "\n" + pad + "]"
    return _dumps(v)


def render(report: dict) -> str:
    return _encode(report, "") + "\n"
