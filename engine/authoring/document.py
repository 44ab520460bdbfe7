"""``nbscheck doc``: a standard rendered as a document (HTML or Markdown).

``standard_document`` shapes a checked standard into plain values; the
templates in ``reports/standard/`` (Jinja2, autoescape for HTML,
StrictUndefined) lay them out. The HTML page is self-contained: inline CSS,
nothing loaded from the network.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..model import Standard, Type
from ..resources import data_dir, version
from .words import rule_in_words

TEMPLATES = {".html": "standard.html.j2", ".htm": "standard.html.j2", ".md": "standard.md.j2"}


def _param_value(p) -> str:
    """A param's value, or its dated values: ``30 from 2026-01-01, 35 from 2030-01-01``."""
    if not p.editions:
        return _num(p.value)
    return ", ".join(_num(v) + (f" from {start}" if start else "") for start, v in p.editions)


def _num(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _type(t: Type) -> dict:
    unit = t.unit.name if t.numeric and t.unit is not None and t.unit.name else ""
    return {"kind": t.kind, "describe": t.describe(), "unit": unit, "values": list(t.values)}


def _constraints(cs) -> str:
    return ", ".join(f"{op} {v:g}" for op, v in cs)


def _finding(want) -> str:
    """What a rule test expects of a rule, in words: the outcome, and the message text it must show."""
    if isinstance(want, str):
        return want
    text = want.get("outcome", "")
    if want.get("rows"):
        rows = ", ".join(f"{k}: {v}" for k, v in want["rows"].items())
        text = f"{text} (rows {rows})" if text else f"rows {rows}"
    if want.get("message"):
        text += f": \u201c{want['message']}\u201d"
    return text


def rule_tests(std: Standard) -> dict[str, list[dict]]:
    """The pack's rule tests that expect something of each rule: test name, where, expected finding."""
    from .ruletests import discover, read_tests

    root = Path(std.root)
    ids = {std.id, *([std.profile["id"]] if std.profile else [])}
    out: dict[str, list[dict]] = {}
    for file in discover(root) if root.is_dir() else []:
        tests, _ = read_tests(file)
        for t in tests:
            if t.spec.get("standard") not in (None, *ids):
                continue
            where = f"{file.relative_to(root).as_posix()}:{t.line}"
            for rule_id, want in (t.spec.get("expect") or {}).items():
                out.setdefault(rule_id, []).append({"name": t.name, "where": where, "finding": _finding(want)})
    return out


def traceability(std: Standard, rules: list[dict]) -> list[dict]:
    """Clause → rule → test → finding: one row per clause a rule cites (or none), with the tests of the rule."""
    tests = rule_tests(std)
    rows = []
    for r in rules:
        if r["disabled"]:
            continue
        clauses = [f"{c['key']} {c['clause']}".strip() for c in r["citations"]] or [""]
        for clause in clauses:
            rows.append({"clause": clause, "rule": r["id"], "title": r["title"], "tests": tests.get(r["id"], [])})
    return rows


def standard_document(std: Standard) -> dict:
    """Plain values for the templates: every part of the standard in declaration order."""
    cited_by: dict[str, list[str]] = {}
    rules: list[dict[str, Any]] = []
    for r in std.rules:
        for c in r.citations:
            cited_by.setdefault(c["key"], [])
            if r.id not in cited_by[c["key"]]:
                cited_by[c["key"]].append(r.id)
        rules.append({
            "id": r.id, "title": r.title, "strength": r.strength, "severity": r.severity, "scope": r.scope,
            "goals": r.goals, "categories": r.categories, "stages": r.stages,
            "source": std.source_text(r.span), "file": std.relpath(r.span.file),
            "line": r.span.line, "meaning": rule_in_words(std, r), "rationale": r.rationale or "",
            "citations": [{"key": c["key"], "clause": c["clause"] or "", "citation": c["citation"]}
                          for c in r.citations],
            "disabled": r.disabled or "", "changes": list(r.changes),
        })
    profile = None
    if std.profile:
        p = std.profile
        profile = {"id": p["id"], "title": p["title"], "version": p.get("version") or "",
                   "extends": p.get("extends") or "", "changes": [dict(c) for c in p["changes"]]}
    return {
        "tool": f"nbscheck {version()}",
        "id": std.id, "title": std.title, "version": std.version,
        "attrs": [{"name": k, "value": v} for k, v in std.attrs.items() if k != "version"],
        "profile": profile,
        "edition": None if not std.edition else {
            "id": std.edition["id"], "extends": std.edition["extends"], "extends_title": std.edition["extends_title"],
            "changes": [dict(c) for c in std.edition["changes"]]},
        "goals": [{"id": g.id, "title": g.title, "doc": g.doc or "",
                   "rules": [r["id"] for r in rules if g.id in r["goals"]]} for g in std.goals.values()],
        "stages": [{"id": s.id, "title": s.title, "doc": s.doc or "",
                    "rules": [r["id"] for r in rules if s.id in r["stages"]]} for s in std.stages.values()],
        "categories": [{"id": c.id, "title": c.title, "table": c.table, "parent": c.parent or "",
                        "selector": std.source_text(c.selector.span) if c.selector is not None else "",
                        "doc": c.doc or "", "rules": [r["id"] for r in rules if c.id in r["categories"]]}
                       for c in std.categories.values()],
        "tables": [{"name": t.name, "title": t.title, "key": t.key, "doc": t.doc or "",
                    "columns": [{"name": c.name, "type": _type(c.type), "constraints": _constraints(c.constraints),
                                 "optional": c.optional, "doc": c.doc or ""} for c in t.columns.values()]}
                   for t in std.tables.values()],
        "fields": [{"name": f.name, "path": f.path, "type": _type(f.type), "constraints": _constraints(f.constraints),
                    "optional": f.optional, "doc": f.doc or ""} for f in std.fields.values()],
        "params": [{"name": p.name, "value": _param_value(p), "default": _num(p.default),
                    "changed": p.set_by is not None,
                    "unit": _type(p.type)["unit"], "doc": p.doc or ""} for p in std.params.values()],
        "lookups": [{"name": lk.name, "key": lk.key_type.describe(), "value": _type(lk.value_type)["describe"],
                     "entries": [{"key": k, "value": _num(v)} for k, v in lk.entries.items()]
                     + [{"key": b.label(), "value": _num(b.value)} for b in lk.bands],
                     "default": "" if lk.default is None else _num(lk.default), "doc": lk.doc or ""}
                    for lk in std.lookups.values()],
        "rules": rules,
        "trace": traceability(std, rules),
        "references": [{"key": ref.key, "citation": ref.citation, "url": ref.url or "",
                        "cited_by": cited_by.get(ref.key, [])} for ref in std.references.values()],
    }


def _md(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _codify(text) -> Markup:
    """HTML for text whose `backticked` parts are code: everything escaped, the code in <code>."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as it is
        return escape(text)
    return Markup("").join(Markup(f"<code>{escape(p)}</code>") if i % 2 else escape(p)
                           for i, p in enumerate(parts))


@cache
def environment(markdown: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(data_dir("reports") / "standard"),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["codify"] = _codify
    return env


def render(std: Standard, suffix: str) -> str:
    """The document as HTML (``.html``) or Markdown (``.md``)."""
    name = TEMPLATES[suffix.lower()]
    return environment(name.endswith(".md.j2")).get_template(name).render(doc=standard_document(std))


def write_document(std: Standard, path: Path) -> None:
    from ..render import write_atomic

    write_atomic(path, render(std, path.suffix))
