"""Bilingual standards: translations in the rule language, lint of their completeness, `--lang`."""

from __future__ import annotations

import re
from pathlib import Path

from engine.authoring.fmt import format_text
from engine.check import check_pack
from engine.diagnostics import ERROR, WARNING

PACK = '''standard s "Street trees" zh "行道树" {
  version "1"
  language "en, zh"
}
reference REF "A reference"
goal L1 "Ecological environment restoration" zh "生态环境修复"
stage design "Planning and design" zh "规划设计"
table districts "Districts" zh "片区" key id {
  id: text
  canopy_pct: number [%]
}
category dense "Dense districts" zh "高密度片区" = districts where canopy_pct < 50 %
param min_canopy = 30 %

rule CAN-001 "Tree canopy covers 30 % of every district" {
  title zh "各片区树冠覆盖率不低于 30%"
  goal L1   stage design   cite REF "1"
  for each d in districts
  should d.canopy_pct >= min_canopy
  else "{d.id}: canopy cover {d.canopy_pct}, below {min_canopy}"
  else zh "{d.id}：树冠覆盖率 {d.canopy_pct}，低于 {min_canopy}"
  rationale "Canopy cools streets in heatwaves."
  rationale zh "树冠可在热浪期间为街道降温。"
}
'''


def _check(tmp_path: Path, text: str):
    f = tmp_path / "pack.nbs"
    f.write_text(text, encoding="utf-8")
    return check_pack(f)


def test_translations_reach_the_checked_standard(tmp_path):
    std, diags = _check(tmp_path, PACK)
    assert std is not None and not diags
    assert std.languages == ("en", "zh")
    zh = std.in_language("zh")
    assert zh.lang == "zh" and zh.title == "行道树"
    assert zh.goals["L1"].title == "生态环境修复" and zh.stages["design"].title == "规划设计"
    assert zh.tables["districts"].title == "片区" and zh.categories["dense"].title == "高密度片区"
    rule = zh.rules[0]
    assert rule.title == "各片区树冠覆盖率不低于 30%"
    assert rule.rationale == "树冠可在热浪期间为街道降温。"
    assert [p for p in rule.message if isinstance(p, str)] == ["：树冠覆盖率 ", "，低于 "]
    # the first language is untouched, and a language the pack lacks falls back to it
    assert std.rules[0].title == "Tree canopy covers 30 % of every district"
    assert std.in_language("fr").rules[0].title == std.rules[0].title


def test_the_formatter_keeps_every_translation(tmp_path):
    once = format_text(PACK, "pack.nbs")
    assert format_text(once, "pack.nbs") == once
    for line in ('standard s "Street trees" zh "行道树" {', 'goal L1 "Ecological environment restoration" zh',
                 '  title zh "各片区树冠覆盖率不低于 30%"',
                 '  else zh "{d.id}：树冠覆盖率 {d.canopy_pct}，低于 {min_canopy}"',
                 '  rationale zh "树冠可在热浪期间为街道降温。"', 'table districts "Districts" zh "片区" key id {'):
        assert line in once


def test_a_translation_in_an_undeclared_language_is_an_error(tmp_path):
    std, diags = _check(tmp_path, PACK.replace("rationale zh", "rationale fr"))
    assert std is None
    (d,) = [d for d in diags if d.severity == ERROR]
    assert d.code == "unknown-language" and d.span.line == 23  # the `rationale fr` line of PACK
    assert 'language "en, zh, fr"' in d.hint
    std, diags = _check(tmp_path, PACK.replace('  language "en, zh"\n', ""))
    assert std is None and {d.code for d in diags} == {"unknown-language"}


def test_a_second_clause_in_one_language_is_a_duplicate(tmp_path):
    std, diags = _check(tmp_path, PACK.replace('  title zh "各', '  title zh "x"\n  title zh "各'))
    assert std is None and [d.code for d in diags] == ["duplicate-clause"]


def test_lint_names_each_missing_translation(tmp_path):
    text = (PACK.replace(' zh "规划设计"', "").replace('  rationale zh "树冠可在热浪期间为街道降温。"\n', "")
            .replace('  else zh "{d.id}：树冠覆盖率 {d.canopy_pct}，低于 {min_canopy}"\n', ""))
    std, diags = _check(tmp_path, text)
    assert std is not None
    missing = [d for d in diags if d.code == "missing-translation"]
    assert all(d.severity == WARNING for d in missing)
    assert [d.message for d in missing] == ["stage `design` has no zh title",
                                            "rule CAN-001 has no zh message or rationale"]
    # a pack of one language asks for nothing
    std, diags = _check(tmp_path, text.replace('  language "en, zh"\n', "").replace(' zh "', ' "')
                        .replace(' "行道树"', "").replace(' "生态环境修复"', "").replace(' "片区"', "")
                        .replace(' "高密度片区"', "").replace('  title "各片区树冠覆盖率不低于 30%"\n', ""))
    assert std is not None and not [d for d in diags if d.code == "missing-translation"], diags


# ---- --lang: every report format in the chosen language ----------------------------------------

def test_every_format_renders_in_chinese(tmp_path):
    """Each format renders a report that reaches every part of the templates (failures, waivers, scores)."""
    from engine.cli import main
    from engine.render import FORMATS

    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - rule: BIO-001\n    reason: approved by the ecologist\n    expires: 2027-01-31\n"
                       "  - rule: ACC-002\n    reason: study pending\n    expires: 2026-01-31\n", encoding="utf-8")
    out = tmp_path / "zh"
    code = main(["check", "examples/riverside", "--lang", "zh", "--waivers", str(waivers), "--as-of", "2026-12-20",
                 "-f", ",".join(FORMATS), "-o", str(out), "-q"])
    assert code == 0
    report = (out / "report.json").read_text(encoding="utf-8")
    assert '"lang": "zh"' in report
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("## nbscheck：合规（有意见）")
    # 2026-12-20 → 2027-01-31: 11 + 31 days, beyond the 30-day warning
    assert "| `W1` | rule BIO-001 | 有效 (剩余 42 天) | 1 |" in md
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in html and "各规则的发现" in html and "Findings by rule" not in html


def test_text_report_in_chinese_lists_waivers(tmp_path, capsys):
    from engine.cli import main

    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - rule: BIO-001\n    reason: approved by the ecologist\n    by: J. Chen\n",
                       encoding="utf-8")
    assert main(["check", "examples/riverside", "--lang", "zh", "--waivers", str(waivers)]) == 0
    out = capsys.readouterr().out
    assert "结论：    合规（有意见）" in out
    assert "豁免 (1)" in out and "  W1  rule BIO-001  [有效]  覆盖 1 项" in out


def test_catalogue_entries_are_all_used():
    """Every catalogue entry is said somewhere: a renderer, a template or the report script."""
    from engine.render.i18n import ZH

    root = Path(__file__).resolve().parents[1]
    sources = "".join(p.read_text(encoding="utf-8") for p in [*(root / "engine").rglob("*.py"),
                                                              *(root / "reports" / "html").iterdir()]
                      if p.name != "i18n.py")
    sources = re.sub(r'"\s*\n\s*"', "", sources)  # a text written as adjacent literals across lines
    unused = [k for k in ZH if k not in sources and k.replace("(s)", "") not in sources]
    assert not unused
