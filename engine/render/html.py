"""The HTML report: one self-contained page for a planning reviewer.

Rendered from the Jinja2 templates in ``reports/html/`` (autoescape on,
StrictUndefined); this module only shapes the report dict into the plain values
the templates show, including the geometry of the inline SVG charts. The page
loads nothing: its CSS, script and charts are inline. Each rule shows at most
``MAX_ROWS`` failing objects; the CSV report lists them all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..resources import data_dir
from . import i18n
from ._common import (
    OUTCOME_LABEL,
    OUTCOMES,
    VERDICT_LABEL,
    VERDICT_MEANING,
    actual_text,
    field,
    fix_text,
    issue_findings,
    map_object_id,
    ordered_rules,
    required_text,
    value_text,
    value_texts,
    waiver_rows,
    where,
    with_outcomes,
)
from .csv_ import FILENAME as CSV_FILE

if TYPE_CHECKING:
    import jinja2

MAX_ROWS = 100  # failing objects shown per rule
MAX_INDEX = 20_000  # failing objects the page's search index holds (in the order of the rules)
MAX_FIRST = 12  # rules named in "What failed first"
TEMPLATE = "report.html.j2"


@cache
def environment() -> jinja2.Environment:
    import jinja2  # here, not at the top: `nbscheck --help` lists the formats without loading Jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(data_dir("reports") / "html"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(jinja2),
    )
    env.filters["code_spans"] = code_spans
    return env


def _bytecode_cache(jinja2) -> jinja2.BytecodeCache:
    """The compiled template kept in nbscheck's cache folder (:mod:`engine.cache`: the user's own, written
    atomically), so a run does not compile the page's template again (a fifth of a second). Jinja checks the
    template's text against the entry and its own format's version; the key adds Jinja's version."""
    from .. import cache

    class Cache(jinja2.BytecodeCache):
        def load_bytecode(self, bucket) -> None:
            data = cache.get(self._name(bucket))
            if data is not None:
                bucket.bytecode_from_string(data)

        def dump_bytecode(self, bucket) -> None:
            cache.put(self._name(bucket), bucket.bytecode_to_string())

        @staticmethod
        def _name(bucket) -> str:
            return "jinja-" + cache.digest(bucket.key, jinja2.__version__)

    return Cache()


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: object) -> Markup:
    """Text with its Markdown `code` spans as <code>, everything escaped (messages write names in backticks).

    >>> str(code_spans("`site.area_ha`: expected number, found `<b>`"))
    '<code>site.area_ha</code>: expected number, found <code>&lt;b&gt;</code>'
    """
    escaped = str(Markup.escape("" if text is None else str(text)))
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


@cache
def assets() -> dict:
    """The page's stylesheet and script (static files beside the templates), and the script's CSP hash."""
    folder = data_dir("reports") / "html"
    css = (folder / "report.css").read_text(encoding="utf-8")
    js = (folder / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return {"css": Markup(css), "js": Markup(js), "js_hash": f"sha256-{digest}"}


def grade(score: float | None) -> str:
    """A colour class for a score: ``good`` (≥ 90 %), ``fair`` (≥ 60 %), ``poor``, or ``na``."""
    if score is None:
        return "na"
    return "good" if score >= 0.9 else "fair" if score >= 0.6 else "poor"


def _score_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "pct": None if r["score"] is None else round(r["score"] * 100), "grade": grade(r["score"])}
            for r in rows]


def radar(rows: list[dict], size: int = 320, radius: float = 100) -> dict | None:
    """Points of a radar chart (one axis per goal level), or None under three axes."""
    if len(rows) < 3:
        return None
    c = size / 2

    def point(i: int, r: float) -> tuple[float, float]:
        a = -math.pi / 2 + 2 * math.pi * i / len(rows)
        return round(c + r * math.cos(a), 1), round(c + r * math.sin(a), 1)

    def poly(r_of) -> str:
        return " ".join(f"{x},{y}" for x, y in (point(i, r_of(i)) for i in range(len(rows))))

    axes = []
    left, right = 0.0, float(size)  # the horizontal extent of the drawing, labels included
    for i, row in enumerate(rows):
        x, y = point(i, radius)
        lx, ly = point(i, radius + 22)
        anchor = "middle" if abs(lx - c) < 8 else "start" if lx > c else "end"
        px, py = point(i, radius * (row["score"] or 0))
        # the label's width, at about 0.62 em a character of the 12 px label font (bold ids are the widest)
        width = len(f"{row['id']} {'n/a' if row['pct'] is None else str(row['pct']) + '%'}") * 7.5
        start = lx - {"start": 0, "middle": width / 2, "end": width}[anchor]
        left, right = min(left, start - 4), max(right, start + width + 4)
        axes.append({"id": row["id"], "title": row["title"], "pct": row["pct"], "x": x, "y": y, "lx": lx,
                     "ly": round(ly + 4, 1), "anchor": anchor, "px": px, "py": py})
    return {
        "size": size, "c": c, "viewbox": f"{math.floor(left)} 0 {math.ceil(right) - math.floor(left)} {size}",
        "rings": [{"points": poly(lambda _i, f=f: radius * f), "label": f"{round(f * 100)}%",
                   "ly": round(c - radius * f + 3, 1)} for f in (0.25, 0.5, 0.75, 1.0)],
        "shape": poly(lambda i: radius * (rows[i]["score"] or 0)),
        "axes": axes,
    }


def _finding(f: dict, columns: list[str], on_map: str | None, lang: str) -> dict:
    """A row of a rule card's table; a shape value links to the object on the map (``on_map``) when the
    map draws it."""
    values = f["values"]
    return {
        "outcome": f["outcome"], "label": OUTCOME_LABEL[f["outcome"]], "table": f["table"],
        "key": value_text(f["key"]), "where": where(f["location"]) or f["table"], "message": f["message"],
        "cells": [{"text": value_text(values[c]) if c in values else "", "num": _is_number(values.get(c)),
                   "missing": c in values and (values[c] is None or c in f["missing"]),
                   "href": f"#{on_map}" if on_map and isinstance(values.get(c), dict) else None}
                  for c in columns],
        "waiver": _waiver(f["waiver"]),
        "fix": fix_text(f["fix"], lang) if f.get("fix") else None,
    }


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _waiver(w: dict | None) -> dict | None:
    return None if w is None else {"by": w.get("by", ""), "reason": w.get("reason", ""),
                                   "reference": w.get("reference", "")}


def _rule(rule: dict, on_map: set[str], lang: str) -> dict:
    findings = issue_findings(rule)
    shown = findings[:MAX_ROWS]
    columns = list(dict.fromkeys(k for f in shown for k in f["values"]))
    numeric = [all(_is_number(f["values"].get(c)) for f in shown if f["values"].get(c) is not None) for c in columns]
    ev = rule["evidence"]
    kept = with_outcomes(rule["findings"], ("pass",))  # `keep evidence`
    kept_columns = list(dict.fromkeys(k for f in kept[:MAX_ROWS] for k in f["values"]))
    return {
        **rule,
        "kept": [_finding(f, kept_columns, None, lang) for f in kept[:MAX_ROWS]],
        "kept_columns": kept_columns,
        "kept_total": len(kept),
        "label": OUTCOME_LABEL[rule["outcome"]],
        "open": rule["outcome"] in ("fail", "insufficient_data", "waived"),
        "checks": [{"expression": c["expression"], "actual": actual_text(c), "required": required_text(c)}
                   for c in ev.get("checks", [])],
        "lets": [{"name": k, "text": value_text(v)} for k, v in ev.get("let", {}).items()],
        "applies": ev.get("when"),
        "scope_text": _scope_text(rule, lang),
        "where": where(rule["location"]),
        "waiver": _waiver(rule["waiver"]),
        "columns": [{"name": c, "num": n} for c, n in zip(columns, numeric, strict=True)],
        "shown": [_finding(f, columns, oid if (oid := map_object_id(rule["id"], i)) in on_map else None, lang)
                  for i, f in enumerate(shown)],
        "fix": fix_text(rule["fix"], lang) if rule.get("fix") else None,
        "total": len(findings),
    }


def _scope_text(rule: dict, lang: str = "en") -> str:
    ev, counts = rule["evidence"], rule["counts"]
    if rule["scope"] == "plan":
        return i18n.t(lang, "plan-level rule")
    n = ev.get("groups", ev.get("rows", sum(counts.values())))
    unit = "groups" if rule["scope"] == "group" else "rows"
    unit = unit[:-1] if lang == "en" and n == 1 else i18n.t(lang, unit)
    by = i18n.t(lang, " by {column}", column=ev["group_by"]) if ev.get("group_by") else ""
    parts = ", ".join(f"{counts[o]} {i18n.t(lang, OUTCOME_LABEL[o].lower())}" for o in OUTCOMES if counts.get(o))
    return i18n.t(lang, "{n} {unit}{by} checked", n=n, unit=unit, by=by) + (f": {parts}" if parts else "")


def object_index(rules: list[dict]) -> dict:
    """The search index of the objects that did not pass, per rule: ``{"rules": [ids], "keys":
    [[table, [key, ...]], ...]}`` (one entry per rule, in the same order).

    It covers every rule's objects, not only the ``MAX_ROWS`` a card shows, up to ``MAX_INDEX``
    objects in the order of the rules (most serious first); ``total`` and ``indexed`` say how many.
    """
    ids, keys, total, indexed = [], [], 0, 0
    for rule in rules:
        findings = issue_findings(rule)
        if not findings:
            continue
        total += len(findings)
        taken = field(findings, "key")[:max(0, MAX_INDEX - indexed)]
        indexed += len(taken)
        if taken:
            ids.append(rule["id"])
            keys.append([findings[0]["table"], value_texts(taken)])
    return {"rules": ids, "keys": keys, "total": total, "indexed": indexed}


def _index_json(index: dict) -> Markup:
    """The index as JSON safe inside a <script type="application/json"> element."""
    text = json.dumps({"rules": index["rules"], "keys": index["keys"]}, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def first_failures(rules: list[dict]) -> list[dict]:
    """What failed first: the rules that did not pass, most serious first (shall failures, then
    shall rules lacking data, then should and may failures), with how many objects each."""
    out = []
    for rule in rules:
        if rule["outcome"] not in ("fail", "insufficient_data"):
            continue
        n = len(issue_findings(rule))
        out.append({"id": rule["id"], "title": rule["title"], "strength": rule["strength"],
                    "outcome": rule["outcome"], "label": OUTCOME_LABEL[rule["outcome"]], "objects": n,
                    "message": rule["message"]})
    return out


def _words(lang: str):
    """The template's ``t`` and ``plural``: catalogue text, its fields escaped (see :mod:`.i18n`)."""
    def t(text: str, /, **fields) -> Markup:
        return Markup(i18n.t(lang, text)).format(**fields) if fields else Markup(i18n.t(lang, text))

    def plural(text: str, n: int, /, **fields) -> Markup:
        """``{n} object(s)``: English agrees with ``n`` (1 object, 2 objects); Chinese has no plural."""
        return t(text.replace("(s)", "" if n == 1 else "s") if lang == "en" else text, n=f"{n:,}", **fields)

    return t, plural


def view(report: dict) -> dict:
    """Everything the template shows, as plain values."""
    lang = report.get("lang") or "en"
    t, plural = _words(lang)
    rules = ordered_rules(report)
    index = object_index(rules)
    first = first_failures(rules)
    scores = {k: _score_rows(v) for k, v in report["scores"].items()}
    shall_failed = sum(r["outcome"] == "fail" and r["strength"] == "shall" for r in rules)
    from . import map_  # here: shapely loads only for a report with layers to draw

    the_map = map_.view(report) if report.get("spatial") else None
    on_map = {s["id"] for g in the_map["groups"] for s in g["shapes"]} if the_map else set()
    return {
        "map": the_map, "map_rules": {g["id"] for g in the_map["groups"]} if the_map else set(),
        "tool": report["tool"], "report_version": report["report_version"],
        "plan": report["plan"], "standard": report["standard"], "waivers_file": report["waivers_file"],
        "verdict": {"id": report["verdict"], "label": t(VERDICT_LABEL[report["verdict"]]),
                    "meaning": t(VERDICT_MEANING[report["verdict"]])},
        "counts": [{"id": o, "label": t(OUTCOME_LABEL[o]), "n": report["counts"][o]} for o in OUTCOMES],
        "shall_failed": shall_failed,
        "total_rules": len(rules),
        "scores": scores,
        "radar": radar(scores["goals"]),
        "rules": [_rule(r, on_map, lang) for r in rules],
        "first": first[:MAX_FIRST], "first_more": max(0, len(first) - MAX_FIRST),
        "index": index, "index_json": _index_json(index), "max_index": MAX_INDEX,
        "waivers": waiver_rows(report), "waivers_as_of": report.get("waivers_as_of"),
        "max_rows": MAX_ROWS,
        "csv_file": CSV_FILE,
        "assets": assets(),
        "lang": lang, "t": t, "plural": plural, "Markup": Markup,
    }


def render(report: dict) -> str:
    return environment().get_template(TEMPLATE).render(view(report))
