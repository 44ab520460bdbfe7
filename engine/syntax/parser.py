"""Rule files → AST, with friendly syntax errors labelled by example."""

from __future__ import annotations

import functools
import io
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .. import cache
from ..diagnostics import Diagnostic, Span
from ..inputs import LIMITS
from ..resources import data_dir
from . import ast, lalr
from .lalr import Token

if TYPE_CHECKING:
    from lark import Lark
    from lark.exceptions import UnexpectedInput

# Lark is imported only to build the one-pass parser's tables (once: they are cached) and for what that parser hands
# back to it, whose result or diagnostic is Lark's: a file that does not parse cleanly, a message interpolation the
# one-pass parser cannot read, a tree deep enough that Lark and the transformer's recursion must decide

# Friendly messages for common mistakes, matched by the parser state they end in.
SYNTAX_EXAMPLES: dict[str, list[str]] = {
    "a rule needs a title in double quotes after its id: `rule ID \"Title\" { ... }`": [
        'rule R-1 { shall 1 > 0 }',
        'rule R-1 shall',
    ],
    "use `==` to compare; `=` only appears in declarations": [
        'rule R-1 "t" { shall a = 1 }',
        'rule R-1 "t" { for each o in t where o.x = 1 shall 1 > 0 }',
        'rule R-1 "t" { when a = 1 shall 1 > 0 }',
        'category c "C" = t where x = 1',
    ],
    "`shall`, `should` or `may` needs a condition after it": [
        'rule R-1 "t" { shall }',
        'rule R-1 "t" { shall else "m" }',
        'rule R-1 "t" { should rationale "r" }',
    ],
    "write `for each NAME in TABLE`": [
        'rule R-1 "t" { for o in t shall 1 > 0 }',
        'rule R-1 "t" { for each in t shall 1 > 0 }',
    ],
    "put a unit in square brackets after the type: `area: number [ha]`": [
        'table t "T" key id { area: number ha }',
        'field f: number ha',
    ],
    "a table needs a title and a key: `table NAME \"Title\" key COLUMN { ... }`": [
        'table t key id { }',
        'table t "T" { id: text }',
    ],
    "a column is `name: type`, e.g. `area_ha: number [ha] >= 0`": [
        'table t "T" key id { id text }',
        'table t "T" key id { id: }',
    ],
    "unknown type: use number, integer, text, bool, date or enum(a, b, ...)": [
        'table t "T" key id { id: string }',
        'table t "T" key id { id: float }',
        'field f: string',
    ],
    "a `param` needs a value: `param NAME = 30 %`": [
        'param p 30',
        'param p =',
    ],
    "`else` takes the failure message as a string in double quotes": [
        'rule R-1 "t" { shall 1 > 0 else oops }',
    ],
    "a comparison or expression is incomplete here": [
        'rule R-1 "t" { shall a > }',
        'rule R-1 "t" { shall a + }',
        'rule R-1 "t" { shall a and }',
    ],
}

_CHAR_HINTS = {
    "'": "strings use double quotes: \"text\"",
    "&": "use `and` to combine conditions",
    "|": "use `or` to combine conditions",
    "!": "use `not` or `!=`",
    ";": "clauses need no `;` separator",
    "=": "use `==` to compare",
}

_TOKEN_WORDS = {
    "NAME": "a name", "STRING": "a string in double quotes", "NUMBER": "a number",
    "RULE_ID": "a rule id", "LBRACE": "`{`", "RBRACE": "`}`", "LPAR": "`(`", "RPAR": "`)`",
    "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`", "COLON": "`:`", "EQUAL": "`=`", "DOT": "`.`",
    "COMP_OP": "a comparison (`==`, `>=`, ...)", "ADD_OP": "`+` or `-`", "MUL_OP": "`*` or `/`",
    "UNIT": "a unit", "PERCENT": "`%`", "MINUS": "`-`", "NEG": "`-`", "$END": "the end of the file",
}


_OPTIONS = dict(parser="lalr", start=["start", "expr"], strict=True, propagate_positions=True, maybe_placeholders=True)


@functools.cache
def _load_lark() -> Lark:
    """The LALR parser; its tables come from the user's cache when they were built before (engine/cache.py)."""
    import lark
    from lark import Lark

    text = (data_dir("grammar") / "nbs.lark").read_text(encoding="utf-8")
    key = f"grammar-{cache.digest(text, lark.__version__, sys.version, repr(sorted(_OPTIONS.items())))}.lark"
    data = cache.get(key)
    if data is not None:
        try:
            return Lark.load(io.BytesIO(data))
        except Exception:  # an entry from another Lark, or truncated: build the tables again
            pass
    parser = Lark(text, **_OPTIONS)
    saved = io.BytesIO()
    parser.save(saved)
    cache.put(key, saved.getvalue())
    return parser


def _retype_keyword(e: UnexpectedInput) -> bool:
    """Keywords are reserved only where they may appear: else read one as a name."""
    from lark import Token
    from lark.exceptions import UnexpectedToken

    if isinstance(e, UnexpectedToken) and e.token.type != "NAME" and e.interactive_parser is not None:
        text = str(e.token)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) and "NAME" in e.interactive_parser.accepts():
            e.interactive_parser.feed_token(Token.new_borrow_pos("NAME", text, e.token))
            return True
    return False


def _parse(text: str, start: str = "start"):
    return _load_lark().parse(text, start=start, on_error=_retype_keyword)


@functools.cache
def _driver() -> lalr.Driver | None:
    """The one-pass parser. Its tables (:func:`engine.syntax.lalr.tables`) are read from Lark's once and kept in
    the cache beside the grammar's, keyed by the parser's source, Lark's version and the grammar: a run that finds
    them loads neither Lark's tables nor its lexers."""
    def read() -> tuple[dict, lalr.Driver] | None:
        try:
            tables = lalr.tables(_load_lark(), _ToAst)
            return tables, lalr.Driver(tables, _ToAst)
        except Exception:  # noqa: BLE001 -- tables of a shape (or a Lark) the driver does not know: Lark parses all
            return None

    key = None
    if cache.folder() is not None:  # Lark's version from its metadata, without importing it
        lark = cache.dist_version("lark")
        key = f"grammar-{cache.digest(cache.parser_fingerprint(), lark, repr(sorted(_OPTIONS.items())))}.driver"
    made = cache.memo(key, read, keep=lambda m: m is not None, stored=lambda m: m[0] if m else None,
                      rebuilt=lambda tables: (tables, lalr.Driver(tables, _ToAst)))
    return None if made is None else made[1]


_LARK = object()


def _transform(text: str, start: str, transformer: _ToAst):
    """What ``transformer`` makes of ``text`` parsed from ``start`` in one pass (:mod:`engine.syntax.lalr`), or
    ``_LARK`` when Lark must parse it: a syntax error, an unreadable message or a deep tree, whose diagnostic
    (or result) is Lark's."""
    driver = _driver()
    if driver is None:
        return _LARK
    try:
        return driver.parse(text, start, transformer)
    except Exception:  # noqa: BLE001 -- whatever went wrong, Lark and the transformer say what it is
        return _LARK


def _expected_words(expected) -> str:
    words = []
    for name in sorted(expected):
        if name in _TOKEN_WORDS:
            words.append(_TOKEN_WORDS[name])
        elif name.isupper() and not name.startswith("__"):
            words.append(f"`{name.lower()}`")
    words = sorted(set(words))
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words)


def _syntax_diagnostic(e: UnexpectedInput, text: str, filename: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    lines = text.splitlines()
    line = getattr(e, "line", 0) or 0
    column = getattr(e, "column", 0) or 0
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        line = max(len(lines), 1)
        column = len(lines[-1]) + 1 if lines else 1
    source = lines[line - 1] if 0 < line <= len(lines) else None
    label = None
    try:
        label = e.match_examples(lambda s: _parse(s), SYNTAX_EXAMPLES, use_accepts=True)
    except Exception:  # match_examples re-parses small snippets; never let it mask the error
        label = None
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream if e.pos_in_stream is not None else len(text)
        ch = text[pos] if pos < len(text) else ""
        message = f"unexpected character `{ch}`"
        hint = _CHAR_HINTS.get(ch) or label
    elif isinstance(e, UnexpectedToken) and e.token.type != "$END":
        message = f"unexpected `{e.token}`"
        if str(e.token) == "=" and "COMP_OP" in e.expected:
            label = label or _CHAR_HINTS["="]
        expected = _expected_words(e.expected)
        hint = label or (f"expected {expected}" if expected else None)
    else:
        message = "unexpected end of file"
        hint = label or "a `{` is not closed, or a declaration is unfinished"
    end = column + (len(str(e.token)) if isinstance(e, UnexpectedToken) and e.token.type != "$END" else 1)
    return Diagnostic("rule-syntax", message, Span(filename, line, column, line, end), hint=hint,
                      source_line=source)


# ---- tree → AST ---------------------------------------------------------------


def _unquote(token: str) -> str:
    if token.startswith('"""'):
        body = token[3:-3]
        import textwrap

        return textwrap.dedent(body.strip("\n")).strip()
    body = token[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _meta(method):
    """A transformer method that is given the rule's positions (Lark's ``v_args(meta=True)``)."""
    method.takes_meta = True
    return method


class _ToAst:
    """Syntax tree nodes from a rule's children: called by the one-pass parser (:mod:`engine.syntax.lalr`) as each
    rule is reduced, or, as :func:`_lark_ast`, by Lark's ``Transformer`` over Lark's parse tree."""

    def __init__(self, filename: str, line_offset: int = 0, col_offset: int = 0):
        super().__init__()
        self.filename = filename
        self.line_offset = line_offset
        self.col_offset = col_offset

    # positions --------------------------------------------------------------
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.filename)
        if self.line_offset or self.col_offset:
            return self._shift(meta.line, meta.column, meta.end_line, meta.end_column)
        return Span(self.filename, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> Span:
        return self._shift(tok.line, tok.column, tok.end_line, tok.end_column)

    def _shift(self, line, col, end_line, end_col) -> Span:
        if self.line_offset or self.col_offset:
            col = col + self.col_offset if line == 1 else col
            end_col = end_col + self.col_offset if end_line == 1 else end_col
            line += self.line_offset
            end_line += self.line_offset
        return Span(self.filename, line, col, end_line, end_col)

    # expressions -----------------------------------------------------------
    @_meta
    def number_lit(self, meta, children):
        num, unit = children[0], (children[1] if len(children) > 1 else None)
        return ast.Num(self._span(meta), float(num), str(unit) if unit is not None else None,
                       text=str(num))

    @_meta
    def signed_number(self, meta, children):
        neg, num, unit = children
        value = -float(num) if neg is not None else float(num)
        text = ("-" if neg is not None else "") + str(num)
        return ast.Num(self._span(meta), value, str(unit) if unit is not None else None, text=text)

    def literal(self, children):
        return children[0]

    @_meta
    def string(self, meta, children):
        return ast.Str(self._span(meta), _unquote(str(children[0])))

    @_meta
    def true(self, meta, children):
        return ast.Bool(self._span(meta), True)

    @_meta
    def false(self, meta, children):
        return ast.Bool(self._span(meta), False)

    @_meta
    def name(self, meta, children):
        return ast.Name(self._span(meta), str(children[0]))

    @_meta
    def attribute(self, meta, children):
        return ast.Attr(self._span(meta), str(children[0]), str(children[1]))

    def arg(self, children):
        return tuple(children)  # (expression, its `where` or None)

    def args(self, children):
        return tuple(c for c in children if c is not None)

    @_meta
    def call(self, meta, children):
        func, args = children
        wheres = [w for _, w in args if w is not None]
        if len(wheres) > 1:
            raise TemplateError(wheres[1].span, f"`{func}` has more than one "
                                "`where`", "a call filters one set of rows: join the conditions with `and`")
        return ast.Call(self._span(meta), str(func), tuple(a for a, _ in args), wheres[0] if wheres else None,
                        next((i for i, (_, w) in enumerate(args) if w is not None), None))

    @_meta
    def binop(self, meta, children):
        left, op, right = children
        return ast.BinOp(self._span(meta), str(op), left, right)

    @_meta
    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(self._span(meta), str(op), left, right)

    @_meta
    def and_(self, meta, children):
        return ast.Logic(self._span(meta), "and", children[0], children[1])

    @_meta
    def or_(self, meta, children):
        return ast.Logic(self._span(meta), "or", children[0], children[1])

    @_meta
    def not_(self, meta, children):
        return ast.Not(self._span(meta), children[0])

    @_meta
    def neg(self, meta, children):
        return ast.Neg(self._span(meta), children[0])

    @_meta
    def convert(self, meta, children):
        return ast.Convert(self._span(meta), children[0], str(children[1]))

    def list_lit(self, children):
        return tuple(c for c in children if c is not None)

    @_meta
    def in_(self, meta, children):
        return ast.In(self._span(meta), children[0], children[1], False)

    @_meta
    def not_in(self, meta, children):
        return ast.In(self._span(meta), children[0], children[1], True)

    @_meta
    def if_(self, meta, children):
        return ast.If(self._span(meta), *children)

    @_meta
    def link(self, meta, children):
        if len(children) == 3:  # NAME "." NAME "->" NAME
            a, b = children[0], children[1]
            first = ast.Attr(self._shift(a.line, a.column, b.end_line, b.end_column), str(a), str(b))
            return ast.Link(self._span(meta), first, str(children[2]))
        return ast.Link(self._span(meta), children[0], str(children[1]))

    @_meta
    def between(self, meta, children):
        return ast.Between(self._span(meta), *children)

    @_meta
    def is_present(self, meta, children):
        return ast.Presence(self._span(meta), children[0], True)

    @_meta
    def is_missing(self, meta, children):
        return ast.Presence(self._span(meta), children[0], False)

    # declarations ----------------------------------------------------------
    def start(self, children):
        return list(children)

    @_meta
    def attr(self, meta, children):
        return (str(children[0]), _unquote(str(children[1])), self._span(meta))

    @_meta
    def translation(self, meta, children):
        return ast.Translation(self._span(meta), "title", str(children[0]), _unquote(str(children[1])))

    @_meta
    def standard(self, meta, children):
        tr, (name, title, base, *attrs) = _split(children)
        base_s = None if base is None else _unquote(str(base)) if base.type == "STRING" else str(base)
        return ast.Header(self._span(meta), "standard", str(name), _unquote(str(title)), tuple(attrs), base_s, tr)

    @_meta
    def profile(self, meta, children):
        tr, (name, title, base, *attrs) = _split(children)
        base_s = _unquote(str(base)) if base.type == "STRING" else str(base)
        return ast.Header(self._span(meta), "profile", str(name), _unquote(str(title)), tuple(attrs), base_s, tr)

    @_meta
    def import_(self, meta, children):
        return ast.Import(self._span(meta), _unquote(str(children[0])))

    @_meta
    def reference(self, meta, children):
        key, citation, url = children
        return ast.Reference(self._span(meta), str(key), _unquote(str(citation)),
                             _unquote(str(url)) if url is not None else None)

    def doc(self, children):
        return _unquote(str(children[0]))

    @_meta
    def goal(self, meta, children):
        tr, (gid, title, doc) = _split(children)
        return ast.Level(self._span(meta), "goal", str(gid), _unquote(str(title)), doc, tr)

    @_meta
    def stage(self, meta, children):
        tr, (sid, title, doc) = _split(children)
        return ast.Level(self._span(meta), "stage", str(sid), _unquote(str(title)), doc, tr)

    @_meta
    def category(self, meta, children):
        tr, (cid, title, parent, table, where, doc) = _split(children)
        return ast.CategoryDecl(self._span(meta), str(cid), _unquote(str(title)),
                                str(parent) if parent is not None else None, str(table), where, doc, tr)

    @_meta
    def type(self, meta, children):
        child = children[0]
        if isinstance(child, ast.TypeRef):
            return child
        return ast.TypeRef(self._span(meta), str(child))

    @_meta
    def enum_type(self, meta, children):
        values = tuple(_unquote(str(c)) if c.type == "STRING" else str(c) for c in children)
        return ast.TypeRef(self._span(meta), "enum", values)

    @_meta
    def geometry_type(self, meta, children):
        return ast.TypeRef(self._span(meta), "geometry", (str(children[0]),))

    def unit(self, children):
        return str(children[0])

    @_meta
    def constraint(self, meta, children):
        op, neg, num = children
        return ast.Constraint(self._span(meta), str(op), -float(num) if neg is not None else float(num))

    def constraints(self, children):
        return tuple(children)

    @_meta
    def column(self, meta, children):
        name, typ, unit, constraints, ref, optional, doc = children
        return ast.Column(self._span(meta), str(name), typ, unit, constraints, optional is not None,
                          _unquote(str(doc)) if doc is not None else None, str(ref) if ref is not None else None)

    @_meta
    def field(self, meta, children):
        name, typ, unit, constraints, path, optional, doc = children
        return ast.FieldDecl(self._span(meta), str(name), typ, unit, constraints,
                             _unquote(str(path)) if path is not None else None, optional is not None,
                             _unquote(str(doc)) if doc is not None else None)

    @_meta
    def table(self, meta, children):
        tr, (name, title, key, time, optional, doc, *columns) = _split(children)
        return ast.TableDecl(self._span(meta), str(name), _unquote(str(title)), str(key), tuple(columns), doc,
                             optional is not None, str(time) if time is not None else None, translations=tr)

    def time_column(self, children):
        return children[0]

    @_meta
    def edition(self, meta, children):
        value, start = children
        return ast.Edition(self._span(meta), value, str(start) if start is not None else None)

    @staticmethod
    def _editions(editions: list) -> tuple:
        """Dated editions, or () for one undated value (the common case keeps its plain form)."""
        return tuple(editions) if len(editions) > 1 or editions[0].start is not None else ()

    @_meta
    def param(self, meta, children):
        name, *editions, doc = children
        return ast.ParamDecl(self._span(meta), str(name), editions[0].value,
                             _unquote(str(doc)) if doc is not None else None, self._editions(editions))

    @_meta
    def unit_decl(self, meta, children):
        name, number, base, doc = children
        factor = float(number) if number is not None else (1.0 if base is not None else None)
        return ast.UnitDecl(self._span(meta), str(name), factor, str(base) if base is not None else None,
                            _unquote(str(doc)) if doc is not None else None,
                            str(number) if number is not None else None)

    def entries(self, children):
        return tuple(c for c in children if c is not None)

    def entry(self, children):
        key = children[0]
        key_s = _unquote(str(key)) if key.type == "STRING" else str(key)
        return (key_s, children[1])

    @_meta
    def band(self, meta, children):
        opening, low, high, closing, value = children
        return (ast.Band(self._span(meta), low, high, str(opening) == "[", str(closing) == "]"), value)

    @_meta
    def lookup(self, meta, children):
        name, key_type, key_unit, value_type, unit, entries, default, doc_tok = children
        return ast.LookupDecl(self._span(meta), str(name), key_type, value_type, unit, entries, default,
                              _unquote(str(doc_tok)) if doc_tok is not None else None,
                              key_unit)

    @_meta
    def let_decl(self, meta, children):
        return ast.LetDecl(self._span(meta), str(children[0]), children[1])

    @_meta
    def set_param(self, meta, children):
        name, *editions = children
        return ast.SetParam(self._span(meta), str(name), editions[0].value, self._editions(editions))

    @_meta
    def disable(self, meta, children):
        return ast.Disable(self._span(meta), str(children[0]), _unquote(str(children[1])))

    @_meta
    def override(self, meta, children):
        strength = severity = None
        for c in children[1:]:
            if isinstance(c, ast.NameRef):
                severity = c.name
            else:
                strength = c
        return ast.Override(self._span(meta), str(children[0]), strength, severity)

    # rules -----------------------------------------------------------------
    def strength(self, children):
        return str(children[0])

    @_meta
    def goals(self, meta, children):
        return ("goals", tuple(ast.NameRef(self._tspan(c), str(c)) for c in children), self._span(meta))

    @_meta
    def categories(self, meta, children):
        return ("categories", tuple(ast.NameRef(self._tspan(c), str(c)) for c in children), self._span(meta))

    @_meta
    def stages(self, meta, children):
        return ("stages", tuple(ast.NameRef(self._tspan(c), str(c)) for c in children), self._span(meta))

    @_meta
    def severity(self, meta, children):
        return ast.NameRef(self._tspan(children[0]), str(children[0]))

    @_meta
    def cite(self, meta, children):
        key, clause = children
        return ast.Cite(self._span(meta), str(key), _unquote(str(clause)) if clause is not None else None)

    @_meta
    def when(self, meta, children):
        return ("when", children[0], self._span(meta))

    @_meta
    def for_each(self, meta, children):
        var, rowset, by, where = children
        return ast.ForEach(self._span(meta), str(var), str(rowset), str(by) if by is not None else None, where)

    @_meta
    def assertion(self, meta, children):
        return ("assertion", (children[0], children[1]), self._span(meta))

    @_meta
    def message(self, meta, children):
        lang, tok = children
        template = parse_template(tok, self.filename)
        if lang is not None:
            return ast.Translation(self._span(meta), "message", str(lang), template.text, template)
        return ("message", template, self._span(meta))

    @_meta
    def rationale(self, meta, children):
        lang, tok = children
        if lang is not None:
            return ast.Translation(self._span(meta), "rationale", str(lang), _unquote(str(tok)))
        return ("rationale", _unquote(str(tok)), self._span(meta))

    @_meta
    def title(self, meta, children):
        return ast.Translation(self._span(meta), "title", str(children[0]), _unquote(str(children[1])))

    @_meta
    def keep(self, meta, children):
        return ("keep", True, self._span(meta))

    @_meta
    def partial(self, meta, children):
        least, by = children
        return ("partial", ast.Partial(self._span(meta), least, str(by) if by is not None else None), self._span(meta))

    @_meta
    def rule(self, meta, children):
        rid, title, *clauses = children
        fields: dict = {"goals": (), "categories": (), "stages": (), "severity": None, "when": None,
                        "for_each": None, "strength": None, "assertion": None, "message": None,
                        "rationale": None, "keep": None, "partial": None}
        cites, lets, spans, translations = [], [], [], []
        for c in clauses:
            if isinstance(c, ast.Translation):
                key = f"{c.kind}:{c.lang}"
                if any(f"{t.kind}:{t.lang}" == key for t in translations):
                    spans.append((f"duplicate:{c.kind} {c.lang}", c.span))
                spans.append((key, c.span))
                translations.append(c)
            elif isinstance(c, ast.Cite):
                cites.append(c)
                spans.append(("cite", c.span))
            elif isinstance(c, ast.LetDecl):
                lets.append(c)
                spans.append(("let", c.span))
            elif isinstance(c, ast.ForEach):
                spans.append(("for_each", c.span))
                if fields["for_each"] is not None:
                    spans.append(("duplicate:for each", c.span))
                fields["for_each"] = c
            elif isinstance(c, ast.NameRef):
                if fields["severity"] is not None:
                    spans.append(("duplicate:severity", c.span))
                fields["severity"] = c
            else:
                kind, value, span = c
                spans.append((kind, span))
                if kind == "assertion":
                    if fields["assertion"] is not None:
                        spans.append(("duplicate:shall/should/may", span))
                    fields["strength"], fields["assertion"] = value
                elif kind in ("goals", "categories", "stages"):
                    fields[kind] = fields[kind] + value
                else:
                    if fields[kind] is not None:
                        spans.append((f"duplicate:{kind}", span))
                    fields[kind] = value
        return ast.Rule(self._span(meta), str(rid), _unquote(str(title)), cites=tuple(cites), lets=tuple(lets),
                        clause_spans=tuple(spans), translations=tuple(translations), **fields)


@functools.cache
def _lark_ast_class() -> type:
    from lark import Transformer, v_args

    class _LarkToAst(_ToAst, Transformer):
        pass

    for name, method in vars(_ToAst).items():
        if getattr(method, "takes_meta", False):
            setattr(_LarkToAst, name, v_args(meta=True)(method))
    return _LarkToAst


def _lark_ast(filename: str, line_offset: int = 0, col_offset: int = 0):
    """The transformer as a Lark ``Transformer``, for Lark's parse tree."""
    return _lark_ast_class()(filename, line_offset, col_offset)


def _split(children: list) -> tuple[tuple[ast.Translation, ...], list]:
    """A declaration's translations of its title, and its other children in order."""
    return (tuple(c for c in children if isinstance(c, ast.Translation)),
            [c for c in children if not isinstance(c, ast.Translation)])


# ---- templates -------------------------------------------------------------


_BRACE = re.compile(r"[{}]")


def parse_template(tok: Token, filename: str) -> ast.Template:
    """Split a message string into text and ``{expression}`` parts.

    ``{{`` and ``}}`` stand for literal braces.
    """
    raw = str(tok)
    quote = 3 if raw.startswith('"""') else 1
    text = _unquote(raw)
    parts: list = []
    buf = []
    i = 0
    base_line, base_col = tok.line or 1, (tok.column or 1) + quote
    limit = LIMITS["message_interpolations"]
    interpolations = 0
    newlines_before, counted_to = 0, 0  # newlines in text[:counted_to], counted once as the scan moves on
    while True:
        brace = _BRACE.search(text, i)
        if brace is None:
            if i < len(text):
                buf.append(text[i:])
            break
        if brace.start() > i:
            buf.append(text[i:brace.start()])
        i = brace.start()
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            buf.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            buf.append("}")
            i += 2
        elif ch == "{":
            close = text.find("}", i)
            if close < 0:
                raise TemplateError(Span(filename, base_line, base_col + i), "a `{` in the message is not closed")
            if buf:
                parts.append("".join(buf))
                buf = []
            interpolations += 1
            if interpolations > limit:
                raise TemplateError(Span(filename, base_line, base_col + i),
                                    f"the message has more than {limit} `{{...}}` interpolations",
                                    hint=f"a message holds at most {limit} interpolations (see \"Limits and safety\" "
                                    "in the README); name the values once, or show them as evidence with `let`")
            src = text[i + 1:close]
            newlines_before += text.count("\n", counted_to, i)
            counted_to = i
            line = base_line + newlines_before
            col = (base_col + i + 1) if line == base_line else (i - text.rfind("\n", 0, i) + 1)
            parts.append(parse_expression(src, filename, line - 1, col - 1))
            i = close + 1
        else:  # a lone `}`
            buf.append(ch)
            i += 1
    if buf:
        parts.append("".join(buf))
    return ast.Template(Span(filename, base_line, tok.column or 1, tok.end_line or base_line, tok.end_column or 0),
                        tuple(parts), text)


class TemplateError(Exception):
    def __init__(self, span: Span, message: str, hint: str | None = None):
        super().__init__(message)
        self.span = span
        self.message = message
        self.hint = hint


def parse_expression(text: str, filename: str = "<expr>", line_offset: int = 0, col_offset: int = 0) -> ast.Expr:
    """Parse one expression (used for message interpolations and tests).

    >>> parse_expression("1 + 2").op
    '+'
    """
    transformer = _ToAst(filename, line_offset, col_offset)
    driver = _driver()
    done = driver.reference(text, transformer) if driver is not None else None
    if done is None:
        done = _transform(text, "expr", transformer)
    if done is not _LARK:
        return done
    from lark.exceptions import UnexpectedInput

    try:
        tree = _parse(text, start="expr")
    except UnexpectedInput as e:
        raise TemplateError(Span(filename, line_offset + getattr(e, "line", 1),
                                 col_offset + getattr(e, "column", 1)),
                            f"cannot read `{{{text}}}` in the message") from None
    return _lark_ast(filename, line_offset, col_offset).transform(tree)


# ---- files -----------------------------------------------------------------


def parse_text(text: str, filename: str = "<string>") -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one file's text; returns the module or a syntax diagnostic."""
    comments: list[tuple[int, int, str]] = []
    for m in re.finditer(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|(#[^\n]*)', text):
        if m.group(1):
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            comments.append((line, col, m.group(1)))
    items = _transform(text, "start", _ToAst(filename))
    if items is _LARK:
        return _parse_with_lark(text, filename, comments)
    return ast.Module(filename, tuple(items), tuple(comments)), []


def _parse_with_lark(text: str, filename: str, comments: list) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Lark's parse tree and the transformer: for text the one-pass parser does not answer for (a syntax error, an
    unreadable message, a deep tree), whose diagnostic is Lark's."""
    from lark.exceptions import UnexpectedInput, VisitError

    try:
        items = _lark_ast(filename).transform(_parse(text))
    except UnexpectedInput as e:
        return None, [_syntax_diagnostic(e, text, filename)]
    except RecursionError:
        return None, [Diagnostic("rule-syntax", "an expression is nested too deeply", Span(filename, 1),
                                 hint="split it with `let` bindings")]
    except VisitError as e:
        if isinstance(e.orig_exc, TemplateError):
            lines = text.splitlines()
            span = e.orig_exc.span
            src = lines[span.line - 1] if 0 < span.line <= len(lines) else None
            return None, [Diagnostic("rule-syntax", e.orig_exc.message, span, source_line=src,
                                     hint=e.orig_exc.hint
                                     or "write `{name}` or `{expression}`; `{{` for a literal brace")]
        raise
    return ast.Module(filename, tuple(items), tuple(comments)), []


def parse_file(path: Path, display: str | None = None) -> tuple[ast.Module | None, list[Diagnostic]]:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [Diagnostic("file-encoding", f"not UTF-8 text ({e.reason} at byte {e.start})", Span(name),
                                 hint="save the rule file as UTF-8")]
    except OSError as e:
        return None, [Diagnostic("file-unreadable", e.strerror or str(e), Span(name))]
    return parse_source(text, name)


def parse_source(text: str, name: str) -> tuple[ast.Module | None, list[Diagnostic]]:
    """A rule file's text already read, parsed through the cache of syntax trees."""
    from . import parse_source as cached

    return cached(text, name)
