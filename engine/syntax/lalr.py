"""Lark's LALR tables driven by one loop that builds the AST as it parses.

``Lark.parse`` builds a parse tree (every node a ``Tree`` whose positions are
propagated child by child) and :class:`engine.syntax.parser._ToAst` then walks
it; for a large pack that costs three times the parse itself. This driver reads
the same tables and the same per-state lexers as Lark (:func:`tables` copies them
once as plain data, which the cache keeps: each state's lexer is one regular
expression that also skips the blanks and comments before a token, and a run of
``?rule: other_rule`` reductions is followed once per state below, state and
token type), shapes each rule's children as Lark's tree builder would (anonymous
tokens filtered, ``_rules`` inlined, ``[optional]`` parts as ``None``, ``?rules``
with one child passed through), spans them as ``propagate_positions`` would
(from the first to the last token a rule matched, punctuation included) and hands
them straight to the transformer's method for the rule. Keywords read as names
where a name may stand, as :func:`engine.syntax.parser._retype_keyword` makes
Lark do.

It only ever answers for text that parses cleanly: at the first unexpected
character or token, at a message that cannot be read, or at a tree deep enough
that walking it might exhaust Python's stack, it raises :class:`Fallback` and
the caller parses the text with Lark, whose result (or diagnostic) is the one
given. tests/test_syntax.py parses every bundled pack both ways and compares
the syntax trees, spans included.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lark import Lark
    from lark.grammar import Rule

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?")
MAX_DEPTH = 80  # deeper trees go to Lark and the transformer, whose recursion decides what is too deep


SHIFT, THROUGH, REDUCE = 0, 1, 2  # the kinds of action in Driver.states


class Fallback(Exception):
    """The text is not one this driver answers for: parse it with Lark."""


class Token(str):
    """A token as the transformer reads it: its text, its type and where it starts and ends (the attributes of
    Lark's ``Token`` that the transformer reads, so it takes either)."""

    __slots__ = ("type", "line", "column", "end_line", "end_column")
    type: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __new__(cls, type_: str, value: str, line: int, column: int, end_line: int, end_column: int) -> Token:
        token = str.__new__(cls, value)
        token.type, token.line, token.column = type_, line, column
        token.end_line, token.end_column = end_line, end_column
        return token


class _Meta:
    __slots__ = ("empty", "line", "column", "end_line", "end_column")

    def __init__(self, line: int, column: int, end_line: int, end_column: int):
        self.empty = False
        self.line, self.column, self.end_line, self.end_column = line, column, end_line, end_column


class _EmptyMeta:
    __slots__ = ()
    empty = True


_EMPTY = _EmptyMeta()


def tables(lark: Lark, transformer_cls: type) -> dict[str, Any]:
    """Everything the driver reads from ``lark``, as plain data (a pickle of it is kept beside the grammar's
    tables, so a run with it needs neither Lark's tables nor its lexers): the LALR actions, each reduction
    with the name of the transformer's method it calls, and every state's lexer as a regular expression."""
    from lark.grammar import Terminal
    from lark.lexer import PatternStr, UnlessCallback
    from lark.parsers.lalr_analysis import Shift

    frontend = lark.parser
    table = frontend.parser._parse_table
    lexer = frontend.lexer
    root = lexer.root_lexer
    ignored = [t.pattern.to_regexp() for t in root.terminals if t.name in root.ignore_types]
    # blanks and comments before a token are skipped by the token's own match (possessively: a token never starts
    # with one, so nothing is given back); what is left at the end of the text is read by the prefix alone
    prefix = "(?:" + "|".join(f"(?:{p})" for p in ignored) + ")*+"
    lexers: list[tuple[str, int, dict[str, dict[str, str]]]] = []
    lexer_of: dict[int, int] = {}
    made: dict[int, int] = {}
    for state, basic in lexer.lexers.items():  # per state, the lexer of the terminals it accepts (shared)
        if id(basic) not in made:
            mres = basic.scanner._mres  # builds basic.callback too
            keywords: dict[str, dict[str, str]] = {}
            for type_, callback in basic.callback.items():
                if not isinstance(callback, UnlessCallback) or not all(
                        isinstance(t.pattern, PatternStr) and not t.pattern.flags for t in callback.scanner.terminals):
                    raise Fallback(f"a lexer callback this driver does not know: {callback!r}")
                keywords[type_] = {t.pattern.value: t.name for t in callback.scanner.terminals}
            if len(mres) != 1:
                raise Fallback("a lexer of more than one regular expression")
            made[id(basic)] = len(lexers)
            lexers.append((prefix + "(?:" + mres[0].pattern + ")", mres[0].flags, keywords))
        lexer_of[state] = made[id(basic)]
    reductions: dict[int, tuple[int, tuple]] = {}  # per rule: (THROUGH or REDUCE, its reducer), shared by the states
    states: dict[int, dict[str, tuple[int, Any]]] = {}
    for state, actions in table.states.items():
        row = {}
        for type_, (action, arg) in actions.items():
            if action is Shift:
                row[type_] = (SHIFT, arg)
            else:
                if id(arg) not in reductions:
                    reductions[id(arg)] = _reduction(arg, transformer_cls, lark.options.maybe_placeholders)
                row[type_] = reductions[id(arg)]
        states[state] = row
    return {
        "start_states": dict(table.start_states), "end_states": dict(table.end_states),
        "newline_types": frozenset(root.newline_types), "prefix": prefix, "lexers": lexers, "lexer_of": lexer_of,
        # the terminals a rule keeps as a child (Lark filters out the anonymous ones: "rule", "{", ...)
        "kept": frozenset(sym.name for rule in lark.rules for sym in rule.expansion
                          if isinstance(sym, Terminal) and (rule.options.keep_all_tokens or not sym.filter_out)),
        "states": states,
    }


def _reduction(rule: Rule, transformer_cls: type, placeholders: bool) -> tuple[int, tuple]:
    """The action reducing ``rule``: THROUGH where its value is one other rule's unchanged, else REDUCE; and its
    reducer, (size, the goto symbol, which children to keep, Nones to append, passes a single child through, the
    name of the transformer's method, whether it takes the meta, whether the rule is inlined into its parent)."""
    from lark.parse_tree_builder import maybe_create_child_filter

    options = rule.options
    chooser = maybe_create_child_filter(rule.expansion, options.keep_all_tokens, False,
                                        list(options.empty_indices) if placeholders else [])
    if chooser is None:
        include, append = None, 0
    elif len(chooser.args) == 2:  # with placeholders: (index, inline it, Nones before it)
        include, append = chooser.args
    else:
        include, append = [(i, inline, 0) for i, inline in chooser.args[0]], 0
    # plain strings: a grammar Lark has just built names its rules by its own Token, whose unpickling imports Lark
    origin = str(rule.origin.name)
    name = str(rule.alias or options.template_source or origin)
    inline = name.startswith("_")
    method: str | None = None
    meta = False
    if not inline:
        found = transformer_cls.__dict__.get(name)  # None: a `?rule` alternative of one child, passed through
        if found is None and not options.expand1:
            raise Fallback(f"no transformer method for rule {name}")
        if found is not None:
            method, meta = name, getattr(found, "takes_meta", False)
    expand1 = bool(options.expand1 and not rule.alias)
    through = expand1 and include is None and len(rule.expansion) == 1 and not rule.expansion[0].is_term
    return (THROUGH if through else REDUCE, (len(rule.expansion), origin,
            tuple(include) if include is not None else None, append, expand1, method, meta, inline))


class Driver:
    """Parses with the tables :func:`tables` read from Lark into what the methods of ``transformer_cls`` return."""

    def __init__(self, tables: dict[str, Any], transformer_cls: type):
        self.start_states, self.end_states = tables["start_states"], tables["end_states"]
        self.newline_types, self.kept = tables["newline_types"], tables["kept"]
        self.blank = re.compile(tables["prefix"]).fullmatch  # only blanks and comments
        self._patterns, self._lexer_of = tables["lexers"], tables["lexer_of"]
        self.lexers: dict[int, tuple[Any, dict[str, dict[str, str]]]] = {}  # compiled on first use, as Lark does
        self._made: dict[int, tuple[Any, dict[str, dict[str, str]]]] = {}

        methods = transformer_cls.__dict__
        self._methods = {name: methods[name] for name in ("name", "attribute")}
        reducers: dict[int, tuple] = {}
        # per state and token type: (SHIFT, the next state), (THROUGH, reducer) or (REDUCE, reducer)
        self.states: dict[int, dict[str, tuple[int, Any]]] = {}
        for state, actions in tables["states"].items():
            row = {}
            for type_, (kind, arg) in actions.items():
                if kind != SHIFT:
                    if id(arg) not in reducers:
                        reducers[id(arg)] = arg[:5] + (None if arg[5] is None else methods[arg[5]],) + arg[6:]
                    arg = reducers[id(arg)]
                row[type_] = (kind, arg)
            self.states[state] = row
        # per start rule, (state below, state, token type) -> the state a run of pass-through reductions ends in
        self.chains: dict[str, dict[tuple[int, int, str], int]] = {start: {} for start in self.end_states}

    def _lexer(self, state: int) -> tuple[Any, dict[str, dict[str, str]]]:
        """The state's lexer as a regular expression's ``match`` and, per terminal that may be a keyword
        (``NAME`` for ``rule``), the keywords it is retyped to."""
        index = self._lexer_of[state]
        made = self._made.get(index)
        if made is None:
            pattern, flags, keywords = self._patterns[index]
            made = self._made[index] = (re.compile(pattern, flags).match, keywords)
        self.lexers[state] = made
        return made

    def _through(self, below: int, state: int, type_: str, end_state: int) -> int:
        """Where a run of pass-through reductions (`?rule: other_rule`, one after the other, each replacing the
        top state by the goto of the state below it) ends, reading ``type_``: at the first other action, or
        at the end state on the end of the text. A run depends only on these, so it is followed once."""
        states = self.states
        while True:
            act = states[state].get(type_)
            if act is None or act[0] != THROUGH:
                return state
            state = states[below][act[1][1]][1]
            if type_ == "$END" and state == end_state:
                return state

    def reference(self, text: str, transformer: Any) -> Any:
        """``name`` or ``row.column`` read as an expression (most of a message's interpolations) without the
        loop, or None for any other text: what ``parse(text, "expr", transformer)`` gives, by the same
        methods, from the tokens the lexer of the expression's first state would read."""
        m = _REFERENCE.fullmatch(text)
        if m is None:
            return None
        first, second = m.group(1), m.group(2)
        match, keywords = self._lexer(self.start_states["expr"])
        lexed = match(text, 0)
        if lexed is None or lexed.lastgroup != "NAME" or lexed.end() != len(first) or first in keywords.get("NAME", {}):
            return None  # `true`, `not`, `if`: keywords where an expression starts
        end = len(text) + 1
        meta = _Meta(1, 1, 1, end)
        name = Token("NAME", first, 1, 1, 1, len(first) + 1)
        if second is None:
            return self._methods["name"](transformer, meta, [name])
        column = Token("NAME", second, 1, len(first) + 2, 1, end)
        return self._methods["attribute"](transformer, meta, [name, column])

    def parse(self, text: str, start: str, transformer: Any) -> Any:
        """What the transformer makes of ``text`` read from rule ``start``, or :class:`Fallback`."""
        states, lexers, kept = self.states, self.lexers, self.kept
        newline_types, blank = self.newline_types, self.blank
        end_state = self.end_states[start]
        chains = self.chains[start]
        state_stack = [self.start_states[start]]
        values: list = []
        spans: list[Any] = []  # per value: (line, column, end line, end column, depth), or None where it spans nothing
        pos, line, line_start, n = 0, 1, 0, len(text)
        span: Any
        while True:
            # the next token, lexed as Lark's contextual lexer does in this state (blanks and comments skipped)
            lexer = lexers.get(state_stack[-1])
            match, keywords = lexer if lexer is not None else self._lexer(state_stack[-1])
            m = match(text, pos) if pos < n else None
            if m is None:
                if blank(text, pos) is None:
                    raise Fallback("unexpected character")
                type_, value, span = "$END", "", None
            else:
                group = m.lastindex
                type_, start_pos = m.lastgroup, m.start(group)
                if start_pos != pos:
                    newlines = text.count("\n", pos, start_pos)
                    if newlines:
                        line += newlines
                        line_start = text.rindex("\n", pos, start_pos) + 1
                value = m.group(group)
                start_line, start_col = line, start_pos - line_start + 1
                pos = m.end()
                if type_ in newline_types:
                    newlines = value.count("\n")
                    if newlines:
                        line += newlines
                        line_start = start_pos + value.rindex("\n") + 1
                if type_ in keywords:
                    type_ = keywords[type_].get(value, type_)
                span = (start_line, start_col, line, pos - line_start + 1, 0)
            # feed it: reduce as the table says, then shift
            while True:
                act = states[state_stack[-1]].get(type_)
                if act is None:
                    if (type_ != "NAME" and type_ != "$END" and "NAME" in states[state_stack[-1]]
                            and _IDENTIFIER.fullmatch(value)):
                        type_ = "NAME"  # a keyword where a name may stand
                        continue
                    raise Fallback("unexpected token")
                kind, arg = act
                if kind == SHIFT:
                    if type_ == "$END":
                        raise Fallback("a shift at the end")
                    state_stack.append(arg)
                    values.append(Token(type_, value, span[0], span[1], span[2], span[3]) if type_ in kept else None)
                    spans.append(span)
                    break
                if kind == THROUGH:  # `?rule: other_rule`: the child is the value and its span the span
                    key = (state_stack[-2], state_stack[-1], type_)
                    goto = chains.get(key)
                    if goto is None:
                        goto = chains[key] = self._through(key[0], key[1], type_, end_state)
                    state_stack[-1] = goto
                    if type_ == "$END" and goto == end_state:
                        return values[-1]
                    continue
                size, origin, include, append, expand1, method, meta, inline = arg
                if size:
                    children, raw = values[-size:], spans[-size:]
                    del state_stack[-size:], values[-size:], spans[-size:]
                else:
                    children, raw = [], []
                first: Any = None
                last: Any = None
                depth = 0
                for s in raw:
                    if s is not None:
                        if first is None:
                            first = s
                        last = s
                        if s[4] > depth:
                            depth = s[4]
                if include is not None:
                    shaped: list = []
                    for i, expand, nones in include:
                        if nones:
                            shaped += [None] * nones
                        if expand:
                            shaped += children[i]
                        else:
                            shaped.append(children[i])
                    if append:
                        shaped += [None] * append
                    children = shaped
                if expand1 and len(children) == 1:
                    value_out = children[0]
                    if value_out is None or isinstance(value_out, Token):
                        raise Fallback("a token passed through")  # Lark spans it as the token alone
                elif inline:
                    value_out = children
                else:
                    depth += 1
                    if depth > MAX_DEPTH or method is None:
                        raise Fallback("a deep tree" if method is not None else f"no method for {origin}")
                    if meta:
                        m_ = _Meta(first[0], first[1], last[2], last[3]) if first is not None else _EMPTY
                        value_out = method(transformer, m_, children)
                    else:
                        value_out = method(transformer, children)
                goto = states[state_stack[-1]][origin][1]
                state_stack.append(goto)
                values.append(value_out)
                spans.append((first[0], first[1], last[2], last[3], depth) if first is not None else None)
                if type_ == "$END" and goto == end_state:
                    return values[-1]
