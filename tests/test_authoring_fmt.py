"""`nbscheck fmt`: canonical layout, idempotent, same meaning, every comment kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.authoring.fmt import FormatError, format_text, same_meaning, shape
from engine.authoring.printer import expr
from engine.cli import main
from engine.syntax.parser import parse_expression, parse_text

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted([*ROOT.glob("rules/**/*.nbs"), *ROOT.glob("tests/cases/**/*.nbs")])

TORTURE = '''# file header

# second paragraph
standard t "T" { # on the header
  # before an attr
  version "1" # after an attr
  # before the brace
} # after the brace
reference R "r"   # after a reference
goal G "g"
# between two levels
stage S "s"
table objs "O" key id {
  id: text # after a column
  kind: enum(a, b,
    # inside an enum
    c) "k"
  # before a closing brace
}
param p = 3 ha # after a param
lookup lk: text -> number { # on a lookup
  "a": 1, # after an entry
  # before the end of a lookup
} default 0 "doc"
rule R-1 "r" { # on a rule
  goal G  # after goal
  stage S   cite R "1" # after cite
  # before let
  let x = count(objs where objs.kind == "a") # after let
  when p > 1 ha # after when
  shall x > 0 and # inside an expression
    p > 1 ha
  else "m {x}" # after else
} # after a rule
# at the end
'''


def _comments(text: str) -> list[str]:
    module, _ = parse_text(text)
    return sorted(c for _, _, c in module.comments)


@pytest.mark.parametrize("path", RULE_FILES, ids=[str(p.relative_to(ROOT)) for p in RULE_FILES])
def test_every_rule_file_formats_to_the_same_meaning_and_is_idempotent(path: Path):
    text = path.read_text(encoding="utf-8")
    original, diags = parse_text(text, str(path))
    if original is None:
        with pytest.raises(FormatError):
            format_text(text, str(path))
        return
    once = format_text(text, str(path))
    formatted, _ = parse_text(once, str(path))
    assert same_meaning(original, formatted)
    assert _comments(once) == _comments(text)
    assert format_text(once, str(path)) == once


def test_no_comment_is_lost():
    out = format_text(TORTURE)
    assert _comments(out) == sorted(c.rstrip() for c in _comments(TORTURE))
    assert format_text(out) == out


def test_comments_stay_with_what_follows_them():
    out = format_text(TORTURE)
    assert "  # before let\n  let x = count(objs where objs.kind == \"a\")  # after let\n" in out
    assert "# between two levels\nstage S \"s\"\n" in out


def test_clauses_come_in_one_order():
    out = format_text('standard t "T" {}\nrule R "r" { shall 1 > 0 let a = 1 when true goal G }\n')
    assert out.endswith('rule R "r" {\n  goal G\n  when true\n  let a = 1\n  shall 1 > 0\n}\n')


def test_long_enum_lists_wrap_under_the_first_value():
    values = ", ".join(f"value_{n:02}" for n in range(14))
    out = format_text(f'standard t "T" {{}}\ntable x "X" key id {{\n  id: text\n  k: enum({values}) "kind"\n}}\n')
    wrapped = [ln for ln in out.splitlines() if "value_" in ln]
    assert len(wrapped) == 2 and wrapped[1].startswith(" " * len("  k: enum("))


@pytest.mark.parametrize("source", [
    "a - (b - c)", "a or (b or c)", "(a or b) and c", "not (a and b)", "-(-5)", "(a / b) as m2", "-(a as m2)",
    "sum(o.x where o.m is present) > 0 ha", "x in [\"a\", 1]", "x between 1 and 2 + 3", "not not a",
    "a * (b + c) / d", "(a == b) == c",
])
def test_expressions_print_back_to_the_same_tree(source: str):
    tree = parse_expression(source)
    again = parse_expression(expr(tree))
    assert shape(again) == shape(tree)


def test_a_duplicate_clause_is_not_formatted():
    with pytest.raises(FormatError, match="one `when` clause"):
        format_text('standard t "T" {}\nrule R "r" { when a when b shall c }\n')


def test_check_lists_files_and_exits_1_without_writing(tmp_path, capsys):
    f = tmp_path / "a.nbs"
    f.write_text('standard t "T" { version "1" }\n', encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert f"would reformat {f}" in capsys.readouterr().out
    assert f.read_text(encoding="utf-8") == 'standard t "T" { version "1" }\n'


def test_diff_prints_a_unified_diff(tmp_path, capsys):
    f = tmp_path / "a.nbs"
    f.write_text('standard t "T" { version "1" }\n', encoding="utf-8")
    assert main(["fmt", "--diff", str(f)]) == 1
    assert '+  version "1"' in capsys.readouterr().out


def test_fmt_rewrites_in_place_and_then_has_nothing_to_do(tmp_path):
    f = tmp_path / "a.nbs"
    f.write_text(TORTURE, encoding="utf-8")
    assert main(["fmt", str(f)]) == 0
    assert main(["fmt", "--check", str(f)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["a.nbs"]  # no temporary file left behind


def test_a_file_that_does_not_parse_is_left_alone(tmp_path, capsys):
    f = tmp_path / "a.nbs"
    f.write_text('rule R "r" { shall a = 1 }\n', encoding="utf-8")
    assert main(["fmt", str(f)]) == 2
    assert "rule-syntax" in capsys.readouterr().err
    assert f.read_text(encoding="utf-8") == 'rule R "r" { shall a = 1 }\n'


def test_a_rule_without_tags_has_no_empty_line():
    out = format_text('standard t "T" {}\nrule R "r" { shall 1 > 0 }\n')
    assert out == 'standard t "T" {}\n\nrule R "r" {\n  shall 1 > 0\n}\n'


def test_strings_keep_their_spelling():
    src = ('standard t "T" {}\nrule R "say \\"hi\\"" {\n  shall 1 > 0\n'
           '  rationale """\n    one\n      two\n    """\n}\n')
    out = format_text(src)
    assert 'rule R "say \\"hi\\"" {' in out and '  rationale """\n    one\n      two\n    """\n' in out


def test_windows_line_endings_become_unix():
    out = format_text('standard t "T" {\r\n  version "1"  # c\r\n}\r\n')
    assert out == 'standard t "T" {\n  version "1"  # c\n}\n'


def _sprinkle(text: str, rng) -> str:
    """The text with lines re-indented or joined, and comments added at random places."""
    out: list[str] = []
    for i, line in enumerate(text.split("\n")):
        line = " " * rng.randint(0, 4) + line.strip()
        r = rng.random()
        if out and "#" not in out[-1] and "#" not in line and '"""' not in line and r < 0.2:
            out[-1] += " " + line
            continue
        if r > 0.9:
            out.append(" " * rng.randint(0, 4) + f"# full {i}")
        if r > 0.8 and line.strip() and '"""' not in line:
            line += f"  # trailing {i}"
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("path", RULE_FILES, ids=[str(p.relative_to(ROOT)) for p in RULE_FILES])
def test_comments_sprinkled_anywhere_survive_and_formatting_is_idempotent(path: Path):
    import random

    text = _sprinkle(path.read_text(encoding="utf-8"), random.Random(path.name))
    if parse_text(text, str(path))[0] is None:
        pytest.skip("the file does not parse")
    once = format_text(text, str(path))
    assert _comments(once) == _comments(text)
    assert format_text(once, str(path)) == once


def test_every_expression_node_type_prints_and_reads_aloud():
    # the printer dispatches on the node's type: a node type added to the language without a printer fails here
    from typing import get_args

    from engine import model as C
    from engine.authoring import printer, words
    from engine.syntax import ast

    fallback = printer._expr.dispatch(object)
    missing = [cls.__name__ for cls in get_args(ast.Expr) if printer._expr.dispatch(cls) is fallback]
    assert missing == []
    # words read conditions and calls aloud; names, literals and arithmetic are quoted as written
    spoken = {C.Logic, C.Not, C.Compare, C.In, C.Between, C.Presence, C.Call, C.ParamRef, C.Scale}
    assert {cls for cls in spoken if words.words.dispatch(cls) is not words.words.dispatch(C.Expr)} == spoken
