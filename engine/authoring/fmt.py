"""``nbscheck fmt``: one canonical layout for rule files, comments kept.

The file is parsed, printed back from its AST in a fixed layout, and parsed
again; the result is used only when the two ASTs are equal (spans aside) and
every comment is still there. Comments travel with the declaration or clause
that follows them (or that shares their line).

The layout: two-space indentation; one declaration per line; a blank line
around every block (standard, profile, table, lookup, rule) and wherever the
author left one between top-level lines; inside a rule the clauses in the
order tags (goal, category, stage, severity, cite), when, for each, let,
shall/should/may, else, rationale; long enum lists and tag lines wrapped.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, Span
from ..syntax import ast
from ..syntax.parser import _unquote, parse_text
from . import printer as P

WIDTH = 120
INDENT = "  "
TAG_SEP = "   "


class FormatError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


@dataclass
class _Line:
    depth: int
    text: str
    key: tuple | None = None  # the anchor whose trailing comments go on this line


@dataclass
class _Comments:
    leading: dict[tuple, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    trailing: dict[tuple, list[str]] = field(default_factory=lambda: defaultdict(list))
    tail: list[tuple[int, str]] = field(default_factory=list)


# ---- anchors: where comments attach -----------------------------------------------


def _anchors(module: ast.Module) -> list[tuple[int, int, int, tuple, int]]:
    """(start line, start col, end line, key, depth) of every construct a comment can attach to."""
    out = []

    def add(span: Span, key: tuple, depth: int, end: Span | None = None):
        end = end or span
        out.append((span.line, span.column, end.end_line or span.line, key, depth))

    for i, item in enumerate(module.items):
        add(item.span, ("item", i), 0)
        if isinstance(item, ast.Header):
            for j, (_, _, span) in enumerate(item.attrs):
                add(span, ("attr", i, j), 1)
        elif isinstance(item, ast.TableDecl):
            for j, c in enumerate(item.columns):
                add(c.span, ("col", i, j), 1)
        elif isinstance(item, ast.LookupDecl):
            for j, (_, lit) in enumerate(item.entries):
                add(lit.span, ("entry", i, j), 1)
        elif isinstance(item, ast.Rule):
            for j, (_kind, span) in enumerate(item.clause_spans):
                add(span, ("clause", i, j), 1)
            if item.severity is not None:
                add(item.severity.span, ("severity", i), 1)
        if _is_block(item):
            s = item.span
            out.append((s.end_line, max(s.end_column - 1, 1), s.end_line, ("close", i), 1))
    out.sort(key=lambda a: (a[0], a[1], -a[4]))
    return out


def _attach(module: ast.Module, lines: list[str]) -> _Comments:
    anchors = _anchors(module)
    found = _Comments()
    for line, col, text in module.comments:
        text = text.rstrip()
        before = lines[line - 1][: col - 1] if line <= len(lines) else ""
        if before.strip():  # code before it: a trailing comment
            on_line = [a for a in anchors if a[0] == line]
            key: tuple | None
            if on_line:
                key = on_line[-1][3]
            else:
                inside = [a for a in anchors if a[0] <= line <= a[2]]
                key = max(inside, key=lambda a: (a[4], a[0], a[1]))[3] if inside else None
            if key is not None:
                found.trailing[key].append(text)
                continue
            found.tail.append((line, text))
            continue
        nxt = next((a for a in anchors if a[0] > line), None)
        if nxt is None:
            found.tail.append((line, text))
        else:
            found.leading[nxt[3]].append((line, text))
    return found


# ---- layout ------------------------------------------------------------------------


def _is_block(item) -> bool:
    return isinstance(item, (ast.Header, ast.TableDecl, ast.LookupDecl, ast.Rule))


def _doc(doc: str | None, keyword: str = "doc") -> str:
    return f" {keyword} {P.quote(doc)}" if doc is not None else ""


def _wrap_enum(head: str, t: ast.TypeRef, rest: str, depth: int) -> list[str]:
    """``head enum(a, b, ...) rest``, the values wrapped under the first one when the line is long."""
    one = f"{head}{P.type_ref(t)}{rest}"
    if t.kind != "enum" or len(INDENT * depth + one) <= WIDTH:
        return [one]
    start = f"{head}enum("
    pad = " " * len(start)
    values = [P.name_or_string(v) for v in t.values]
    out, cur = [], start
    for k, v in enumerate(values):
        piece = v + ("," if k < len(values) - 1 else ")")
        fresh = cur in (start, pad)
        if not fresh and len(INDENT * depth + cur + " " + piece) > WIDTH:
            out.append(cur)
            cur = pad + piece
        else:
            cur = cur + ("" if fresh else " ") + piece
    out.append(cur + rest)
    return out


def _column(c: ast.Column | ast.FieldDecl, head: str, depth: int) -> list[str]:
    rest = f" [{c.unit}]" if c.unit else ""
    rest += "".join(f" {k.op} {P.constraint_value(k.value)}" for k in c.constraints)
    if isinstance(c, ast.Column) and c.references is not None:
        rest += f" -> {c.references}"
    if isinstance(c, ast.FieldDecl) and c.path is not None:
        rest += f" at {P.quote(c.path)}"
    rest += " optional" if c.optional else ""
    rest += f" {P.quote(c.doc)}" if c.doc is not None else ""
    return _wrap_enum(head, c.type, rest, depth)


def _item_lines(i: int, item) -> tuple[list[_Line], dict[tuple, tuple]]:
    """The item's lines, and where the comments of clauses merged into one line go."""
    if isinstance(item, ast.Rule):
        return _rule_lines(i, item)
    return _decl_lines(i, item), {}


def _decl_lines(i: int, item) -> list[_Line]:
    key = ("item", i)
    if isinstance(item, ast.Header):
        head = f"{item.kind} {item.id} {P.quote(item.title)}{_tr(item.translations)}"
        if item.kind == "profile" or item.extends is not None:
            head += f" extends {P.name_or_string(item.extends or '')}"
        if not item.attrs:
            return [_Line(0, head + " {", key), _Line(0, "}", ("close", i))]
        body = [_Line(1, f"{n} {P.quote(v)}", ("attr", i, j)) for j, (n, v, _) in enumerate(item.attrs)]
        return [_Line(0, head + " {", key), *body, _Line(0, "}", ("close", i))]
    if isinstance(item, ast.Import):
        return [_Line(0, f"import {P.quote(item.path)}", key)]
    if isinstance(item, ast.Reference):
        url = f" url {P.quote(item.url)}" if item.url is not None else ""
        return [_Line(0, f"reference {item.key} {P.quote(item.citation)}{url}", key)]
    if isinstance(item, ast.Level):
        return [_Line(0, f"{item.kind} {item.id} {P.quote(item.title)}{_tr(item.translations)}{_doc(item.doc)}", key)]
    if isinstance(item, ast.CategoryDecl):
        text = f"category {item.id} {P.quote(item.title)}{_tr(item.translations)}"
        text += f" parent {item.parent}" if item.parent is not None else ""
        text += f" = {item.table}"
        text += f" where {P.expr(item.where)}" if item.where is not None else ""
        return [_Line(0, text + _doc(item.doc), key)]
    if isinstance(item, ast.TableDecl):
        optional = " optional" if item.optional else ""
        time = f" time {item.time}" if item.time is not None else ""
        title = f"{P.quote(item.title)}{_tr(item.translations)}"
        head = f"table {item.name} {title} key {item.key}{time}{optional}{_doc(item.doc)} {{"
        body = []
        for j, c in enumerate(item.columns):
            for n, text in enumerate(_column(c, f"{c.name}: ", 1)):
                body.append(_Line(1, text, ("col", i, j) if n == 0 else None))
        return [_Line(0, head, key), *body, _Line(0, "}", ("close", i))]
    if isinstance(item, ast.FieldDecl):
        texts = _column(item, f"field {item.name}: ", 0)
        return [_Line(0, t, key if n == 0 else None) for n, t in enumerate(texts)]
    if isinstance(item, ast.ParamDecl):
        doc = f" {P.quote(item.doc)}" if item.doc is not None else ""
        return [_Line(0, f"param {item.name} = {_editions(item)}{doc}", key)]
    if isinstance(item, ast.LookupDecl):
        unit = f" [{item.unit}]" if item.unit else ""
        key_unit = f" [{item.key_unit}]" if item.key_unit else ""
        after = f"{key_unit} -> {P.type_ref(item.value_type)}{unit} {{"
        head_texts = _wrap_enum(f"lookup {item.name}: ", item.key_type, after, 0)
        close = "}" + (f" default {P.literal(item.default)}" if item.default is not None else "")
        close += f" {P.quote(item.doc)}" if item.doc is not None else ""
        lines = [_Line(0, t, key if n == 0 else None) for n, t in enumerate(head_texts)]
        lines += [_Line(1, f"{k.text() if isinstance(k, ast.Band) else P.name_or_string(k)}: {P.literal(v)},",
                        ("entry", i, j))
                  for j, (k, v) in enumerate(item.entries)]
        return [*lines, _Line(0, close, ("close", i))]
    if isinstance(item, ast.UnitDecl):
        value = "" if item.base is None else f" = {item.factor_text + ' ' if item.factor_text else ''}{item.base}"
        doc = f" {P.quote(item.doc)}" if item.doc is not None else ""
        return [_Line(0, f"unit {item.name}{value}{doc}", key)]
    if isinstance(item, ast.LetDecl):
        return [_Line(0, f"let {item.name} = {P.expr(item.expr)}", key)]
    if isinstance(item, ast.SetParam):
        return [_Line(0, f"set {item.name} = {_editions(item)}", key)]
    if isinstance(item, ast.Disable):
        return [_Line(0, f"disable {item.rule_id} because {P.quote(item.reason)}", key)]
    if isinstance(item, ast.Override):
        parts = [p for p in (item.strength, f"severity {item.severity}" if item.severity else None) if p]
        return [_Line(0, f"override {item.rule_id} {' '.join(parts)}", key)]
    raise TypeError(f"cannot format {type(item).__name__}")


def _editions(item: ast.ParamDecl | ast.SetParam) -> str:
    """A param's value, or its dated values: ``30 % from 2026-01-01, 35 % from 2030-01-01``."""
    if not item.editions:
        return P.literal(item.value)
    return ", ".join(P.literal(e.value) + (f" from {e.start}" if e.start else "") for e in item.editions)


def _tr(translations: tuple[ast.Translation, ...]) -> str:
    """A declaration's title in other languages, after the title: ` zh "标题"`."""
    return "".join(f" {t.lang} {P.quote(t.text)}" for t in translations)


def _rule_lines(i: int, r: ast.Rule) -> tuple[list[_Line], dict[tuple, tuple]]:
    kinds = [k for k, _ in r.clause_spans]
    keys = {k: [("clause", i, j) for j, kk in enumerate(kinds) if kk == k] for k in set(kinds)}
    lines = [_Line(0, f"rule {r.id} {P.quote(r.title)} {{", ("item", i))]

    def translated(kind: str) -> list[_Line]:
        return [_Line(1, f"{'else' if kind == 'message' else kind} {t.lang} {P.quote(t.text)}",
                      keys[f"{kind}:{t.lang}"][0]) for t in r.translations if t.kind == kind]

    lines += translated("title")
    tags = []
    for word, refs in (("goal", r.goals), ("category", r.categories), ("stage", r.stages)):
        if refs:
            tags.append(f"{word} {', '.join(n.name for n in refs)}")
    if r.severity is not None:
        tags.append(f"severity {r.severity.name}")
    cites = [f"cite {c.key}" + (f" {P.quote(c.clause)}" if c.clause is not None else "") for c in r.cites]
    tag_keys = [*keys.get("goals", []), *keys.get("categories", []), *keys.get("stages", []),
                *([("severity", i)] if r.severity is not None else [])]
    cite_keys = keys.get("cite", [])
    tag_line = TAG_SEP.join(tags + cites)
    redirect = dict.fromkeys(tag_keys, ("tags", i))
    if tags + cites and len(INDENT + tag_line) <= WIDTH:
        lines.append(_Line(1, tag_line, ("tags", i)))
        redirect.update(dict.fromkeys(cite_keys, ("tags", i)))
    else:
        if tags:
            lines.append(_Line(1, TAG_SEP.join(tags), ("tags", i)))
        if cites and len(INDENT + TAG_SEP.join(cites)) <= WIDTH:
            lines.append(_Line(1, TAG_SEP.join(cites), ("cites", i)))
            redirect.update(dict.fromkeys(cite_keys, ("cites", i)))
        else:
            lines += [_Line(1, c, k) for c, k in zip(cites, cite_keys, strict=True)]
    if r.when is not None:
        lines.append(_Line(1, f"when {P.expr(r.when)}", keys["when"][0]))
    if r.for_each is not None:
        fe = r.for_each
        text = f"for each {fe.var} in {fe.rowset}" + (f" by {fe.by}" if fe.by else "")
        text += f" where {P.expr(fe.where)}" if fe.where is not None else ""
        lines.append(_Line(1, text, keys["for_each"][0]))
    if r.partial is not None:
        text = "partial" + (f" min {P.literal(r.partial.min)}" if r.partial.min is not None else "")
        text += f" by {r.partial.by}" if r.partial.by else ""
        lines.append(_Line(1, text, keys["partial"][0]))
    for let, k in zip(r.lets, keys.get("let", []), strict=True):
        lines.append(_Line(1, f"let {let.name} = {P.expr(let.expr)}", k))
    if r.assertion is not None:
        lines.append(_Line(1, f"{r.strength} {P.expr(r.assertion)}", keys["assertion"][0]))
    if r.message is not None:
        lines.append(_Line(1, f"else {P.quote(r.message.text)}", keys["message"][0]))
    lines += translated("message")
    if r.rationale is not None:
        lines.append(_Line(1, f"rationale {P.quote(r.rationale)}", keys["rationale"][0]))
    lines += translated("rationale")
    if r.keep:
        lines.append(_Line(1, "keep evidence", keys["keep"][0]))
    lines.append(_Line(0, "}", ("close", i)))
    return lines, redirect


def _blank_between(src: list[str], a: int, b: int) -> bool:
    """A blank source line strictly between lines ``a`` and ``b`` (1-based)."""
    return any(not src[k - 1].strip() for k in range(a + 1, b) if 0 < k <= len(src))


def _inner_comments(i: int, comments: _Comments, redirect: dict, keys_here: set) -> tuple[dict, dict]:
    """The comments inside item ``i``, by the line key they go with."""
    leading: dict = defaultdict(list)
    trailing: dict = defaultdict(list)
    for k, cs in comments.leading.items():
        if k != ("item", i) and len(k) > 1 and k[1] == i:
            leading[redirect.get(k, k)].extend(cs)
    for k, texts in comments.trailing.items():
        if len(k) > 1 and k[1] == i:
            trailing[redirect.get(k, k)].extend(texts)
    target = ("close", i) if ("close", i) in keys_here else ("item", i)
    for k in [k for k in leading if k not in keys_here]:  # nowhere to put it: before the closing line
        leading[target] = leading.pop(k) + leading.get(target, [])
    for k in [k for k in trailing if k not in keys_here]:
        trailing[target] = trailing.get(target, []) + trailing.pop(k)
    return leading, trailing


def _emit_lines(i: int, item, lines: list[_Line], leading: dict, trailing: dict, out: list[str]) -> None:
    """An item's lines with the comments inside it."""
    pending: list[tuple[int, str]] = []  # further trailing comments of a construct: after all its lines
    for ln in lines:
        if ln.key is not None:
            out += [INDENT * depth + c for depth, c in pending]
            pending = []
        depth = 1 if ln.key == ("close", i) else ln.depth
        out += [INDENT * depth + c for _, c in sorted(leading.get(ln.key, []), key=lambda x: x[0])]
        after = trailing.get(ln.key, []) if ln.key else []
        out.append(INDENT * ln.depth + ln.text + (f"  {after[0]}" if after else ""))
        inside = ln.key == ("item", i) and _is_block(item)
        pending += [(1 if inside else ln.depth, c) for c in after[1:]]
    out += [INDENT * depth + c for depth, c in pending]


def format_module(module: ast.Module, text: str) -> str:
    """The canonical text of a parsed module."""
    src = text.splitlines()
    comments = _attach(module, src)
    out: list[str] = []
    prev_end = 0  # the last source line emitted
    prev_block = False
    for i, item in enumerate(module.items):
        lines, redirect = _item_lines(i, item)
        keys_here = {ln.key for ln in lines if ln.key is not None}
        above = comments.leading.get(("item", i), [])
        first_src = above[0][0] if above else item.span.line
        if out and (prev_block or _is_block(item) or _blank_between(src, prev_end, first_src)):
            out.append("")
        for n, (line_no, c) in enumerate(above):
            if n and _blank_between(src, above[n - 1][0], line_no):
                out.append("")
            out.append(c)
        if above and _blank_between(src, above[-1][0], item.span.line):
            out.append("")
        leading, trailing = _inner_comments(i, comments, redirect, keys_here)
        if isinstance(item, ast.Header) and not item.attrs and not (leading.get(("close", i))
                                                                    or trailing.get(("close", i))):
            lines = [_Line(0, lines[0].text + "}", ("item", i))]  # `standard id "Title" {}`
        _emit_lines(i, item, lines, leading, trailing, out)
        prev_end = item.span.end_line
        prev_block = _is_block(item)
    for line_no, c in comments.tail:
        if out and _blank_between(src, prev_end, line_no):
            out.append("")
        out.append(c)
        prev_end = line_no
    return "\n".join(out).rstrip("\n") + "\n" if out else ""


# ---- safety: the formatted text means the same ---------------------------------------


def shape(x):
    """A comparable copy of an AST without positions."""
    if isinstance(x, Span):
        return None
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (type(x).__name__, *(shape(getattr(x, f.name)) for f in dataclasses.fields(x)
                                    if f.name not in ("span", "clause_spans")))
    if isinstance(x, (tuple, list)):
        return tuple(shape(v) for v in x)
    return x


def same_meaning(a: ast.Module, b: ast.Module) -> bool:
    """Equal ASTs, spans aside."""
    return shape(a.items) == shape(b.items)


def format_text(text: str, filename: str = "<string>") -> str:
    """The canonical layout of a rule file's text; raises FormatError when it cannot be formatted safely."""
    module, diags = parse_text(text, filename)
    if module is None:
        raise FormatError(diags)
    dupes = [(k, s) for item in module.items if isinstance(item, ast.Rule)
             for k, s in item.clause_spans if k.startswith("duplicate:")]
    if dupes:
        kind, span = dupes[0]
        raise FormatError([Diagnostic("duplicate-clause", f"a rule has one `{kind.split(':', 1)[1]}` clause", span,
                                      hint="remove one before formatting; the formatter keeps every clause")])
    token = P.SPELLINGS.set(spellings(text))
    try:
        result = format_module(module, text)
    finally:
        P.SPELLINGS.reset(token)
    again, diags = parse_text(result, filename)
    lost = sorted(c for _, _, c in module.comments)
    kept = sorted(c for _, _, c in again.comments) if again is not None else []
    if again is None or not same_meaning(module, again) or [c.rstrip() for c in lost] != kept:
        raise FormatError([Diagnostic("fmt-unsafe", "formatting would change what this file means or drop a "
                                      "comment; it is left as it is", Span(filename),
                                      hint="please report this file: it is a formatter bug")])
    return result


_STRING_OR_COMMENT = re.compile(r'("""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*")|#[^\n]*')


def spellings(text: str) -> dict[str, str]:
    """Each string value in the file, and the literal that first spelled it (quotes and escapes kept)."""
    out: dict[str, str] = {}
    for m in _STRING_OR_COMMENT.finditer(text):
        if m.group(1):
            out.setdefault(_unquote(m.group(1)), m.group(1))
    return out


def unified_diff(old: str, new: str, name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{name} (original)", tofile=f"{name} (formatted)"))


def rule_files(paths: Sequence[str | Path]) -> list[Path]:
    """``.nbs`` files named, or under the folders named, in order, once each."""
    out: list[Path] = []
    for p in map(Path, paths):
        found = sorted(p.rglob("*.nbs")) if p.is_dir() else [p]
        out += [f for f in found if f not in out]
    return out
