"""Counts read as English: one rule, one year, one column renamed; and only real unit conversions are listed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from engine.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def riverside(tmp_path) -> Path:
    return Path(shutil.copytree(EXAMPLES / "riverside", tmp_path / "riverside"))


def test_one_year_of_maintenance_is_one_year(riverside, tmp_path, capsys):
    plan = riverside / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("maintenance_years: 5", "maintenance_years: 1"),
                    encoding="utf-8")
    main(["check", str(riverside), "-f", "json", "-o", str(tmp_path / "out"), "-q"])
    rules = {r["id"]: r for r in json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["rules"]}
    assert "maintenance is committed for 1 year; the standard asks for 3" in rules["IMP-002"]["message"]


def test_a_scope_of_one_rule_says_one_rule(capsys):
    main(["check", "riverside", "--select", "WET-001", "--fail-on", "never"])
    assert "(covers only 1 rule in scope: --select WET-001;" in capsys.readouterr().out


def test_sources_list_only_real_unit_conversions(capsys):
    plan = yaml.safe_load((EXAMPLES / "tampa-bay" / "plan.yaml").read_text(encoding="utf-8"))
    units = plan["tables"]["projects"]["units"]
    main(["check", "tampa-bay", "--fail-on", "never"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Sources:"))
    # plan.yaml gives acre, mi, ft and USD; cost is declared in USD, so three columns are converted
    assert sorted(units.values()) == ["USD", "acre", "ft", "mi"]
    assert "3 units converted" in line and "cost USD → USD" not in line and "area_ha acre → ha" in line
    assert "1 row-number key" in line


def test_a_plan_schema_hint_names_the_unit_once(riverside, capsys):
    plan = riverside / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("area_ha: 3109.2", "area_ha: lots"), encoding="utf-8")
    assert main(["check", str(riverside)]) == 2
    err = capsys.readouterr().err
    assert "number [ha]" in err and "number [ha] in ha" not in err


def test_the_html_page_for_invalid_input_shows_code_not_backticks(riverside, tmp_path):
    plan = riverside / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("area_ha: 3109.2", "area_ha: <b>lots</b>"),
                    encoding="utf-8")
    assert main(["check", str(riverside), "-f", "html", "-o", str(tmp_path / "out"), "-q"]) == 2
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<code>site.area_ha</code>: expected number" in page and "`site.area_ha`" not in page
    assert "<b>lots</b>" not in page and "&lt;b&gt;lots&lt;/b&gt;" in page  # the plan's text stays inert


def test_the_html_charts_leave_room_for_their_labels(tmp_path):
    import re

    assert main(["check", "trafford", "-f", "html", "-o", str(tmp_path / "out"), "-q", "--fail-on", "never"]) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="radar" viewBox="([-\d.]+) 0 ([\d.]+) [\d.]+".*?</svg>', page, re.S)
    left, width = float(svg.group(1)), float(svg.group(2))
    for x, anchor, ident, pct in re.findall(r'<text class="axis-label" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">'
                                            r'<tspan class="axis-id">(\w+)</tspan> ([^<]+)</text>', svg.group(0)):
        # a 12 px label is at least 6 px a character: "PROVISION 50%" from x=276 needs 354 px, past the old 320
        need = 6 * len(f"{ident} {pct}")
        lo, hi = {"start": (float(x), float(x) + need), "end": (float(x) - need, float(x)),
                  "middle": (float(x) - need / 2, float(x) + need / 2)}[anchor]
        assert left <= lo and hi <= left + width, (ident, lo, hi, left, width)
    # the stage's title is wrapped beside its bar, not cut at 26 characters
    bars = page[page.index('aria-label="Bar chart of scores by stages"'):]
    bars = bars[:bars.index("</svg>")]
    assert "Survey of the existing" in bars and "green infrastructure" in bars and "…" not in bars


def test_a_param_in_a_per_row_message_names_its_unit_once(tmp_path):
    # the message ends the param with a full stop, so the param's unit (%) follows its value, once
    (tmp_path / "pack.nbs").write_text('''standard u "Units once" { version "1" }
table sites "Sites" key id {
  id: text
  n: integer
}
param min_native = 70 %
rule U-1 "Enough" {
  for each s in sites
  should s.n > 100
  else "{s.id}: below {min_native}."
}
''', encoding="utf-8")
    (tmp_path / "plan" / "tables").mkdir(parents=True)
    (tmp_path / "plan" / "tables" / "sites.csv").write_text("id,n\nA,2\nB,3\n", encoding="utf-8")
    (tmp_path / "plan" / "plan.yaml").write_text("plan:\n  id: u\n  title: u\ntables:\n  sites: tables/sites.csv\n",
                                                 encoding="utf-8")
    main(["check", str(tmp_path / "plan"), "-s", str(tmp_path / "pack.nbs"), "-f", "json", "-o", str(tmp_path / "out"),
          "-q", "--fail-on", "never"])
    rule = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["rules"][0]
    assert [f["message"] for f in rule["findings"]] == ["A: below 70 %.", "B: below 70 %."]
