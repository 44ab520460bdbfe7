import pytest

from engine.syntax import ast, parse_expression, parse_text
from engine.syntax.parser import SYNTAX_EXAMPLES


def _only(text):
    module, diags = parse_text(text, "t.nbs")
    assert not diags, [d.format() for d in diags]
    return module.items


def test_keywords_are_names_where_a_name_fits():
    items = _only('table t "T" key id {\n id: text\n category: text\n date: date optional\n stage: text\n}\n')
    assert [c.name for c in items[0].columns] == ["id", "category", "date", "stage"]


def test_rule_clauses_and_spans():
    (rule,) = _only('rule WET-001 "No loss" {\n  goal L1, L3  stage design  cite IUCN "3.1"\n'
                    '  for each o in objects by district where o.a > 1 ha\n'
                    '  shall sum(o.a) >= 2 ha\n  else "{o.district}: {sum(o.a)}"\n}\n')
    assert rule.id == "WET-001"
    assert [g.name for g in rule.goals] == ["L1", "L3"]
    assert rule.for_each.by == "district"
    assert rule.span.line == 1 and rule.goals[0].span.line == 2
    parts = rule.message.parts
    assert isinstance(parts[0], ast.Attr) and parts[1] == ": " and isinstance(parts[2], ast.Call)
    assert parts[0].span.line == 5 and parts[0].span.column == 10


def test_template_escapes_braces():
    (rule,) = _only('rule R "t" { shall true else "{{literal}} {x}" }')
    assert rule.message.parts[0] == "{literal} "


def test_expression_precedence():
    e = parse_expression("a + b * c > 1 and not d or e")
    assert isinstance(e, ast.Logic) and e.op == "or"
    assert isinstance(e.left, ast.Logic) and e.left.op == "and"
    cmp = e.left.left
    assert isinstance(cmp, ast.Compare) and isinstance(cmp.left, ast.BinOp) and cmp.left.op == "+"


def test_units_on_literals_and_conversion():
    e = parse_expression("(a / b) as m2 > 30 % and x < 2.5 degC")
    assert e.left.left.unit == "m2" and e.left.right.unit == "%"
    assert e.right.right.value == 2.5 and e.right.right.unit == "degC"


def test_comments_are_kept_for_the_formatter():
    module, _ = parse_text('# head\ngoal G "x" # tail\n', "t.nbs")
    assert [c[2] for c in module.comments] == ["# head", "# tail"]


def test_triple_quoted_rationale():
    (rule,) = _only('rule R "t" { shall true rationale """\n    first\n    second\n""" }')
    assert rule.rationale == "first\nsecond"


@pytest.mark.parametrize("label,example", [(label, ex) for label, exs in SYNTAX_EXAMPLES.items() for ex in exs])
def test_each_common_mistake_gets_its_message(label, example):
    _, diags = parse_text(example, "bad.nbs")
    assert diags and diags[0].code == "rule-syntax"
    assert diags[0].hint == label


@pytest.mark.parametrize("text,hint", [
    ("goal G 'x'", "double quotes"),
    ('rule R "t" { shall a && b }', "use `and`"),
    ('rule R "t" { shall count(t) = 3 }', "use `==`"),
])
def test_character_hints(text, hint):
    _, diags = parse_text(text, "bad.nbs")
    assert hint in diags[0].hint


def test_syntax_error_has_position_and_caret():
    _, diags = parse_text('goal G "x"\nrule R "t" {\n  shall a >\n}\n', "bad.nbs")
    d = diags[0]
    assert (d.span.line, d.span.column) == (4, 1)
    text = d.format()
    assert text.startswith("bad.nbs:4:1: rule-syntax:") and "^" in text


def test_unclosed_brace_at_end_of_file():
    _, diags = parse_text('rule R "t" {\n  shall true\n', "bad.nbs")
    assert diags[0].message == "unexpected end of file"


def test_a_byte_order_mark_is_not_a_syntax_error(tmp_path):
    from engine.syntax import parse_file

    f = tmp_path / "bom.nbs"
    f.write_bytes('\ufeffgoal G "x"\n'.encode())
    module, diags = parse_file(f)
    assert not diags and module.items[0].id == "G"


def test_absurd_nesting_is_a_diagnostic():
    _, diags = parse_text('rule R "t" { shall ' + "1 + " * 3000 + "1 > 0 }", "deep.nbs")
    assert diags[0].code == "rule-syntax" and "nested too deeply" in diags[0].message


def _rule_with_interpolations(n: int) -> str:
    return 'rule R-1 "R" {\n  shall x > 0\n  else "' + "{x} " * n + '"\n}\n'


def test_a_message_holds_at_most_200_interpolations():
    module, diags = parse_text(_rule_with_interpolations(200), "r.nbs")
    assert not diags and len(module.items[0].message.parts) == 400  # 200 expressions, each followed by " "
    module, diags = parse_text(_rule_with_interpolations(201), "r.nbs")
    assert module is None and diags[0].code == "rule-syntax"
    # the 201st `{` is at column 4 * 200 + 4 of line 3 (`  else "` is 8 characters, each "{x} " is 4)
    assert (diags[0].span.line, diags[0].span.column) == (3, 8 + 4 * 200 + 1)
    assert "more than 200" in diags[0].message and "Limits and safety" in diags[0].hint


def test_interpolations_on_later_lines_keep_their_line():
    text = 'rule R-1 "R" {\n  shall x > 0\n  else """a\nb {x}\nc\nd {y}"""\n}\n'
    module, diags = parse_text(text, "r.nbs")
    assert not diags
    exprs = [p for p in module.items[0].message.parts if not isinstance(p, str)]
    assert [(e.span.line, e.span.column) for e in exprs] == [(4, 4), (6, 4)]


def _both_ways(text: str, name: str, start: str = "start"):
    """The syntax tree from the one-pass driver and from Lark's tree and the transformer, spans included."""
    from engine.syntax import parser as P

    fast = P._transform(text, start, P._ToAst(name))
    return fast, P._lark_ast(name).transform(P._parse(text, start))


def test_the_one_pass_parser_builds_the_tree_lark_and_the_transformer_build():
    from pathlib import Path

    from engine.syntax import parser as P

    root = Path(__file__).resolve().parents[1]
    files = sorted(p for d in ("rules", "examples", "benchmarks", "tests") for p in (root / d).rglob("*.nbs"))
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        try:
            P._parse(text)
        except Exception:  # a test's file with a syntax error: Lark reports it, whatever the driver says
            continue
        fast, slow = _both_ways(text, str(path))
        if "diag_too_deep" in str(path):
            assert fast is P._LARK  # left to Lark and the transformer, whose recursion limit decides
            continue
        assert fast is not P._LARK and fast == slow, path


def test_the_one_pass_parser_reads_its_tables_back_from_the_cache(tmp_path, monkeypatch):
    """A second run reads the driver's tables from the cache (Lark's are not read again) and parses every file of
    the bundled packs as Lark and the transformer do."""
    from pathlib import Path

    from engine import cache
    from engine.syntax import lalr
    from engine.syntax import parser as P

    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    P._driver.cache_clear()
    try:
        first = P._driver()
        assert first is not None and [p.name for p in tmp_path.glob("grammar-*.driver")]
        P._driver.cache_clear()

        def refuse(*_):
            raise AssertionError("the tables were read from Lark again")

        monkeypatch.setattr(lalr, "tables", refuse)
        again = P._driver()
        assert again is not None and again is not first
        root = Path(__file__).resolve().parents[1]
        for path in sorted((root / "rules").rglob("*.nbs")):
            text = path.read_text(encoding="utf-8-sig")
            fast = again.parse(text, "start", P._ToAst(str(path)))
            assert fast == P._lark_ast(str(path)).transform(P._parse(text)), path
    finally:
        P._driver.cache_clear()


def test_the_one_pass_parser_tables_are_built_again_when_the_parser_or_grammar_changes(tmp_path, monkeypatch):
    """The cached tables are keyed by the parser's source and the grammar (cache.parser_fingerprint): once that
    changes, the entry made before is not read and the tables are read from Lark again, into an entry of their own."""
    from engine import cache
    from engine.syntax import lalr
    from engine.syntax import parser as P

    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    built = []
    tables = lalr.tables

    def counting(*args):
        built.append(1)
        return tables(*args)

    monkeypatch.setattr(lalr, "tables", counting)
    P._driver.cache_clear()
    try:
        assert P._driver() is not None and len(built) == 1
        P._driver.cache_clear()
        assert P._driver() is not None and len(built) == 1  # unchanged: read back from the cache
        fingerprint = cache.parser_fingerprint()
        monkeypatch.setattr(cache, "parser_fingerprint", lambda: fingerprint + "-changed")
        P._driver.cache_clear()
        driver = P._driver()
        assert driver is not None and len(built) == 2
        assert len(list(tmp_path.glob("grammar-*.driver"))) == 2
        (rule,) = driver.parse('rule R-1 "t" { shall a == 1 }', "start", P._ToAst("x.nbs"))
        assert rule.id == "R-1"
    finally:
        P._driver.cache_clear()


def test_a_broken_table_entry_is_read_from_lark_again(tmp_path, monkeypatch):
    """A truncated or garbage grammar-*.driver entry is passed over: the tables are read from Lark again, the text
    parses, and a good entry replaces the broken one."""
    import pickle

    from engine import cache
    from engine.syntax import parser as P

    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    P._driver.cache_clear()
    try:
        assert P._driver() is not None
        (entry,) = tmp_path.glob("grammar-*.driver")
        good = entry.read_bytes()
        for broken in (good[: len(good) // 2], b"not a pickle", pickle.dumps({"states": {}})):
            entry.write_bytes(broken)
            P._driver.cache_clear()
            module, diags = P.parse_text('rule R-1 "t" {\n  shall a == 1\n}\n', "x.nbs")
            assert not diags and module.items[0].id == "R-1" and module.items[0].span.line == 1
            assert pickle.loads(entry.read_bytes()) == pickle.loads(good), broken[:20]
    finally:
        P._driver.cache_clear()


_FRESH = """
import json, sys
from engine.syntax import parse_text
result = {}
module, diags = parse_text(sys.argv[1], "clean.nbs")
rule = module.items[1]
result["clean"] = [[type(i).__name__ for i in module.items], rule.id, [type(p).__name__ for p in rule.message.parts],
                   [d.code for d in diags], "lark" in sys.modules]
module, diags = parse_text(sys.argv[2], "wrong.nbs")
result["wrong"] = [module is None, [[d.code, d.span.line, d.span.column, d.message, d.hint] for d in diags],
                   "lark" in sys.modules]
print(json.dumps(result))
"""


def test_a_fresh_process_with_cached_tables_parses_without_lark_and_errors_with_it(tmp_path):
    """With the tables cached, a clean file (messages with a reference and with a call) parses without importing
    Lark; a file with a syntax error still gets Lark's diagnostic."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from engine import cache

    clean = ('param p = 3 m "a threshold"\n'
             'rule R-1 "t" {\n  for each o in objects by district\n  shall sum(o.a) >= p\n'
             '  else "{o.district}: {sum(o.a)}"\n}\n')
    wrong = 'rule R-1 "t" {\n  shall a = 1\n}\n'
    env = {k: v for k, v in os.environ.items() if k != cache.ENV_OFF}
    env[cache.ENV_DIR] = str(tmp_path)

    def run():
        done = subprocess.run([sys.executable, "-c", _FRESH, clean, wrong], capture_output=True, text=True, env=env,
                              timeout=120, cwd=Path(__file__).resolve().parents[1])
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    cold = run()
    assert cold["clean"][-1]  # the first run reads the tables from Lark
    assert [p.suffix for p in tmp_path.glob("grammar-*")].count(".driver") == 1
    warm = run()
    assert warm["clean"] == [["ParamDecl", "Rule"], "R-1", ["Attr", "str", "Call"], [], False]
    # `  shall a ` is 10 characters: the `=` is at line 2, column 11
    assert warm["wrong"] == [True, [["rule-syntax", 2, 11, "unexpected `=`",
                                     "use `==` to compare; `=` only appears in declarations"]], True]
    assert cold["wrong"] == warm["wrong"]


@pytest.mark.parametrize("text", [
    'rule R-1 "t" { for each date in mode where date.mode is present shall count(date) >= 1 else "{date.mode}" }',
    'table t "T" key id { date: date  mode: text optional  category: text }',
    'rule R-1 "t" { shall ((a + b)) * -c >= 2 ha as m2 and not (x in [1, 2, "z"]) else "{(a + b) * 2}" }',
    'lookup l: text -> number [ha] { [1, 2): 3, (, 5]: 4, "a": 1 } default 2 "doc"',
    'rule R-1 "t" { shall (if x then 2 else 3) < sum(o.a where o.b > 1) and y between 1 and 2 partial min 50 % by d }',
    'rule R-1 "t" { goal A, B  category C  stage D  severity major  keep evidence  shall o.d->p > 1 }',
    '', '# only a comment\n',
])
def test_the_one_pass_parser_agrees_on_keywords_links_bands_and_parentheses(text):
    from engine.syntax import parser as P

    fast, slow = _both_ways(text, "x.nbs")
    assert fast is not P._LARK and fast == slow


@pytest.mark.parametrize("text", [
    'rule R-1 "t" { shall count(o where o.a > 1 where o.b) > 1 }',  # two `where`: the transformer's message
    'rule R-1 "t" { shall 1 > 0 else "{a +}" }',  # an unreadable interpolation
    'rule R-1 "t" { shall a = 1 }',  # a syntax error
])
def test_the_one_pass_parser_leaves_errors_to_lark(text):
    from engine.syntax import parser as P

    assert P._transform(text, "start", P._ToAst("x.nbs")) is P._LARK


@pytest.mark.parametrize("text", ["o", "o.id", "_x.y_2", "date.mode", "o.true", "true", "false", "not", "if",
                                  "o.", "o.a.b", " o", "1", "o->x"])
def test_a_message_reference_is_read_as_the_parser_reads_it(text):
    """`{name}` and `{row.column}` skip the parser loop; anything else (keywords included) goes through it."""
    from engine.syntax import parser as P

    driver = P._driver()
    quick = driver.reference(text, P._ToAst("x.nbs", 4, 7))
    full = P._transform(text, "expr", P._ToAst("x.nbs", 4, 7))
    if text in ("o", "o.id", "_x.y_2", "date.mode", "o.true"):
        assert quick is not None and quick == full
    else:
        assert quick is None
