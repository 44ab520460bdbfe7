"""Lint warnings: legal rules that are probably mistakes; `--strict` makes them errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.check import check_pack
from engine.cli import main
from engine.diagnostics import WARNING

HEAD = '''standard w "W" { version "1" }
reference REF "A reference"
goal G "Goal"
stage S "Stage"
table objects "Objects" key id {
  id: text
  category: enum(wetland, forest)
  condition: enum(poor, moderate, good)
  area_ha: number [ha] >= 0
}
field use: enum(residential, commercial) at "site.use"
field monitored: bool at "site.monitored"
param min_area = 1 ha
'''

CLEAN_RULE = '''rule R-1 "Objects are large enough" {
  goal G   stage S   cite REF "1"
  for each o in objects
  shall o.area_ha >= min_area
}
'''


def _lint(tmp_path: Path, extra: str, rule: str = CLEAN_RULE) -> list:
    f = tmp_path / "pack.nbs"
    f.write_text(HEAD + extra + rule, encoding="utf-8")
    std, diags = check_pack(f)
    assert std is not None, "\n".join(d.format() for d in diags)
    return [d for d in diags if d.severity == WARNING]


def _codes(diags) -> list[str]:
    return [d.code for d in diags]


def test_a_clean_pack_has_no_warnings(tmp_path):
    assert _lint(tmp_path, "") == []


def test_the_bundled_pack_has_no_warnings():
    _, diags = check_pack("nbs_urban_restoration")
    assert [d.format() for d in diags if d.severity == WARNING] == []


def test_no_citation(tmp_path):
    diags = _lint(tmp_path, 'rule R-2 "Uncited" {\n  goal G\n  shall 1 > 0\n}\n')
    assert _codes(diags) == ["no-citation"] and "R-2" in diags[0].message


def test_unused_param_and_lookup(tmp_path):
    diags = _lint(tmp_path, 'param spare = 3 %\nlookup weight: text -> number { "a": 1 }\n')
    assert sorted(_codes(diags)) == ["unused-lookup", "unused-param"]


def test_a_param_read_only_by_a_category_or_a_let_is_used(tmp_path):
    extra = ('param big = 5 ha\ncategory large "Large" = objects where area_ha >= big\n'
             'param p2 = 2\nlet twice = p2 * 2\n')
    rule = CLEAN_RULE.replace("shall o.area_ha >= min_area", "shall o.area_ha >= min_area and twice > 0 and "
                              "count(large) >= 0")
    assert _lint(tmp_path, extra, rule) == []


def test_a_rule_let_hides_a_param_of_the_same_name(tmp_path):
    rule = CLEAN_RULE.replace("  for each", "  let min_area = 2 ha\n  for each")
    assert _codes(_lint(tmp_path, "", rule)) == ["unused-param"]


@pytest.mark.parametrize("when", [
    'use == "residential" and use == "commercial"',
    'use not in ["residential", "commercial"]',
    "monitored and not monitored",
])
def test_never_applies(tmp_path, when):
    rule = f'rule R-2 "Gated" {{\n  goal G   cite REF "2"\n  when {when}\n  shall 1 > 0\n}}\n'
    diags = _lint(tmp_path, "", CLEAN_RULE + rule)
    assert _codes(diags) == ["never-applies"] and diags[0].span.line == HEAD.count("\n") + CLEAN_RULE.count("\n") + 3


@pytest.mark.parametrize("when", ['use == "residential"', 'use is missing', "monitored or min_area > 0 ha",
                                  'use != "residential" and monitored'])
def test_a_when_that_can_hold_is_fine(tmp_path, when):
    rule = f'rule R-2 "Gated" {{\n  goal G   cite REF "2"\n  when {when}\n  shall 1 > 0\n}}\n'
    assert _lint(tmp_path, "", CLEAN_RULE + rule) == []


@pytest.mark.parametrize("selector, empty", [
    ('category == "wetland" and category == "forest"', True),
    ('condition > "good"', True),
    ('condition < "poor" or category not in ["wetland", "forest"]', True),
    ('condition >= "good"', False),
    ('objects.category == "wetland"', False),
])
def test_empty_category(tmp_path, selector, empty):
    diags = _lint(tmp_path, f'category c "C" = objects where {selector}\n'
                            'rule R-2 "Uses c" {\n  goal G   cite REF "2"\n  shall count(c) >= 0\n}\n')
    assert _codes(diags) == (["empty-category"] if empty else [])


def test_a_child_of_a_disjoint_parent_is_empty(tmp_path):
    extra = ('category wet "Wet" = objects where category == "wetland"\n'
             'category dry_wet "Dry wet" parent wet = objects where category == "forest"\n'
             'rule R-2 "Uses them" {\n  goal G   cite REF "2"\n  shall count(wet) + count(dry_wet) >= 0\n}\n')
    assert _codes(_lint(tmp_path, extra)) == ["empty-category"]


def test_duplicate_title(tmp_path):
    diags = _lint(tmp_path, "", CLEAN_RULE + CLEAN_RULE.replace("R-1", "R-2"))
    assert _codes(diags) == ["duplicate-title"] and "R-1 and R-2" in diags[0].message


def test_lint_prints_warnings_and_strict_makes_them_errors(tmp_path, capsys):
    f = tmp_path / "pack.nbs"
    f.write_text(HEAD + CLEAN_RULE.replace('   cite REF "1"', ""), encoding="utf-8")
    assert main(["lint", str(f)]) == 0
    out = capsys.readouterr().out
    assert "no-citation: warning: rule R-1 cites no reference" in out
    assert main(["lint", "--strict", str(f)]) == 1
    # one warning, promoted by --strict: the summary counts it as the error it now is
    assert "1 error(s), 0 warning(s)" in capsys.readouterr().err
