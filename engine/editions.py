"""Dated editions of a standard: params whose value changes on a date.

``param min_canopy = 30 % from 2026-01-01, 35 % from 2030-01-01`` holds two values; a check picks the
one in force on its date (``--as-of``, else the plan's ``plan.date``, else today). The edition a check
used is named by the latest date any of its params changed on, and the report lists every dated param
with the value it took.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .diagnostics import Diagnostic, NbsError, Span
from .model import Standard


def dated(std: Standard) -> bool:
    """The standard has a param with dated values."""
    return any(p.editions for p in std.params.values())


def at(std: Standard, day: dt.date, source: str) -> Standard:
    """``std`` with every dated param set to its value on ``day``; raises NbsError when one has none yet.

    >>> from engine.api import load_standard
    >>> std = load_standard("nbs_urban_restoration")
    >>> at(std, dt.date(2030, 1, 1), "--as-of") is std   # no dated param: nothing to pick
    True
    """
    if not dated(std):
        return std
    iso = day.isoformat()
    params, shown, problems = dict(std.params), [], []
    for name, p in std.params.items():
        if not p.editions:
            continue
        found = p.at(iso)
        if found is None:
            first = p.editions[0][0]
            problems.append(Diagnostic(
                "bad-argument", f"param `{name}` of {std.id} is in force from {first}; the check is dated {iso} "
                f"({source})", Span("--as-of"),
                hint=f"check as of a later date: --as-of {first}, or a date in plan.date on or after it"))
            continue
        value, start = found
        params[name] = dataclasses.replace(p, value=value)
        unit = p.type.unit.name if p.type.numeric and p.type.unit is not None else ""
        shown.append({"param": name, "value": value, "unit": unit, "from": start,
                      "values": [{"value": v, "from": s} for s, v in p.editions]})
    if problems:
        raise NbsError(problems)
    starts = [e["from"] for e in shown if e["from"] is not None]
    info = {"as_of": iso, "source": source, "edition": max(starts) if starts else None, "params": shown}
    return dataclasses.replace(std, params=params, dated=info)
