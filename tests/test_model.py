"""The checked model: typed rules with explicit conversions, read downstream without the syntax tree."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path

import pytest

from engine import api
from engine import model as C
from engine.check import types as T
from engine.compile import compiler
from engine.syntax import ast
from engine.syntax.parser import parse_expression

PACK = '''standard t "T" { version "1" }
goal G "G"
stage S "S"
table objects "O" key id { id: text
  area_ha: number [ha]
  kind: enum(wetland, park)
  native_pct: number [%] optional }
category wetland "Wetlands" = objects where kind == "wetland"
param min_area = 5000 m2
rule BIG "Big" { goal G stage S for each o in objects where o.kind == "park"
  let ratio = o.native_pct
  shall o.area_ha >= min_area and ratio between 0.2 and 90 %
  else "{o.id} is {o.area_ha} ha" }
rule TOTAL "Total" { goal G stage S shall sum(wetland.area_ha) >= 1 km2 }
'''


@pytest.fixture(scope="module")
def std(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "rules.nbs"
    path.write_text(PACK, encoding="utf-8")
    return api.load_standard(path)


def test_a_checked_rule_holds_typed_expressions_and_what_it_reads(std):
    rule = std.rule("BIG")
    assert rule.for_each.table == "objects" and rule.for_each.rowset == "objects"
    a = rule.assertion
    assert isinstance(a, C.Logic) and a.type.kind == "bool" and a.shape == C.ROW
    cmp = a.left
    assert isinstance(cmp, C.Compare) and isinstance(cmp.left, C.ColumnRef)
    # min_area is 5000 m2; the rule compares it with hectares: 5000 m2 = 0.5 ha, a factor of 1/10000
    assert isinstance(cmp.right, C.Scale) and isinstance(cmp.right.operand, C.ParamRef)
    assert cmp.right.factor == pytest.approx(1e-4)
    between = a.right
    # 0.2 (a bare number) takes the unit of the value; 90 % stays 90 %: both bounds in the operand's unit
    assert isinstance(between, C.Between) and isinstance(between.low, C.Const) and between.high.value == 90
    assert {str(r) for r in rule.reads()} == {"area_ha", "id", "kind", "native_pct", "ratio"}
    assert {r.kind for r in rule.reads()} == {"row", "let"}
    assert std.source_text(cmp.span) == "o.area_ha >= min_area"
    total = std.rule("TOTAL").assertion
    # 1 km2 = 100 ha: the literal is scaled into the total's unit
    assert isinstance(total.right, C.Scale) and total.right.factor == pytest.approx(100.0)
    assert total.left.refs == frozenset({C.Ref("elem", "area_ha", "wetland")})


def test_the_standard_keeps_no_side_table_and_rules_no_syntax_tree(std):
    assert not hasattr(std, "info")
    hints = typing.get_type_hints(C.Rule)
    assert not any("ast" in str(h) for h in hints.values())
    import engine.evaluate
    import engine.report

    for module in (compiler, engine.evaluate, engine.report):
        src = inspect.getsource(module)
        assert "syntax" not in src and "from .check" not in src and "from ..check" not in src, module.__name__
        assert "id(node)]" not in src.replace("self._memo[id(node)]", "")


def test_walk_reaches_every_node_in_field_order(std):
    rule = std.rule("BIG")
    kinds = [type(n).__name__ for n in C.walk(rule.assertion)]
    assert kinds == ["Logic", "Compare", "ColumnRef", "Scale", "ParamRef", "Between", "LetRef", "Const", "Const"]
    e = parse_expression("sum(t.a where t.b > 1) + -x")
    assert [type(n).__name__ for n in ast.walk(e)] == ["BinOp", "Call", "Attr", "Compare", "Attr", "Num", "Neg",
                                                      "Name"]


def test_every_node_type_has_a_rule_and_an_unknown_one_fails_loudly(std):
    expr_classes = typing.get_args(ast.Expr)
    assert set(T._DISPATCH) == set(expr_classes)
    checked = {c for c in vars(C).values() if inspect.isclass(c) and issubclass(c, C.Expr) and c is not C.Expr}
    assert set(compiler._DISPATCH) == checked

    @dataclasses.dataclass(frozen=True, eq=False)
    class Strange(C.Expr):
        pass

    c = compiler.Compiler(std)
    with pytest.raises(TypeError, match="no rule for Strange"):
        c.expr(Strange(C.Info(C.Type("number")), std.rule("BIG").span))


def test_explain_reads_the_checked_rule(std):
    from engine.authoring.words import rule_in_words

    text = rule_in_words(std, std.rule("BIG"))
    assert "`min_area` (5000 m2)" in text and "is between `0.2` and `90 %`" in text
    assert "where `o.kind == \"park\"`" not in text and "`o.kind` is `\"park\"`" in text
    assert Path(std.root).exists()


def test_a_rule_is_found_by_its_id_in_the_standard_it_belongs_to(std):
    big = std.rule("BIG")
    assert big is std.rules[[r.id for r in std.rules].index("BIG")] and std.rule("NONE") is None
    renamed = dataclasses.replace(std, rules=[dataclasses.replace(big, title="Renamed")])
    assert renamed.rule("BIG").title == "Renamed" and std.rule("BIG") is big  # each standard its own rules
    assert dataclasses.replace(std, rules=[]).rule("BIG") is None


def test_a_repeated_id_finds_its_first_rule_and_new_rules_a_new_index(std):
    big = std.rule("BIG")
    twin = dataclasses.replace(big, title="Second")
    doubled = dataclasses.replace(std, rules=[*std.rules, twin])
    assert doubled.rule("BIG") is big  # the first of the two, as a search of the list in order finds
    kept = [r for r in std.rules if r.id != "BIG"]  # as engine/scope.py keeps the selected rules
    scoped = dataclasses.replace(std, rules=kept)
    assert scoped.rule("BIG") is None and scoped.rule("TOTAL") is std.rule("TOTAL")
    doubled.rules = [twin]  # a list set after the index was made: the index follows it
    assert doubled.rule("BIG") is twin and doubled.rule("TOTAL") is None
