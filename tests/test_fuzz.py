"""Fuzzing the readers of untrusted input: no exception but a diagnostic, whatever the bytes.

Bounded for CI (about 20 s each); ``NBSCHECK_FUZZ_EXAMPLES=N`` runs N examples per target for a
longer search. A crash found here belongs in tests/hostile/corpus.yaml.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import Diagnostic, NbsError
from engine.plan.yamlread import read_document

EXAMPLES = int(os.environ.get("NBSCHECK_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
PIECES = ["plan:", " id:", " title:", "standard: ", "tables:", "- ", "&a ", "*a", "!!python/name:x", "!t ",
          "[", "]", "{", "}", ",", ":", "\n", "  ", '"', "'", ".nan", ".inf", "1_000", "0x10", "1e400",
          "9" * 50, "\x1b", "\u202e", "\t", "#", "? ", "<<: *a", "---", "\\", "null", "~"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=60).map("".join)


@FUZZ
@given(texts, st.sampled_from(["plan.yaml", "plan.json"]))
def test_documents_give_data_or_diagnostics(text, name):
    data, lines, diags = read_document(text, name)
    assert all(isinstance(d, Diagnostic) for d in diags)
    assert data is None or not diags or all(d.code == "plan-duplicate-key" for d in diags)


RULE_PIECES = ['standard s "S" { version "1" }\n', 'goal G "G"\n', 'stage d "D"\n', 'reference R "R"\n',
               'table t "T" key id { id: text  x: number [ha] >= 0 }\n', 'rule R-1 "r" { goal G stage d cite R "1"',
               " shall ", "sum(t.x)", " >= ", "1 ha", " }\n", 'else "{sum(t.x)} {', "(", ")", "for each o in t ",
               "o.x", " and ", " not ", "when ", 'import "x.nbs"\n', "profile p \"P\" extends s { }\n", "\x00",
               "{", "}", '"', "let a = ", "param p = 3 %\n"]
rules = st.lists(st.sampled_from(RULE_PIECES) | st.text(max_size=6), max_size=40).map("".join)


@FUZZ
@given(rules)
def test_rule_files_give_a_standard_or_diagnostics(tmp_path_factory, text):
    from engine.check import check_pack

    pack = tmp_path_factory.mktemp("pack")
    (pack / "p.nbs").write_text(text, encoding="utf-8", errors="surrogatepass")
    std, diags = check_pack(pack)
    assert std is not None or diags


@FUZZ
@given(texts)
def test_waiver_files_give_waivers_or_diagnostics(tmp_path_factory, text):
    from engine import api

    folder: Path = tmp_path_factory.mktemp("w")
    std = api.load_standard(Path(__file__).parent / "fixtures" / "mini_pack")
    path = folder / "waivers.yaml"
    path.write_text("waivers:\n" + text, encoding="utf-8", errors="surrogatepass")
    try:
        api.load_waivers(path, std)
    except NbsError as e:
        assert e.diagnostics
