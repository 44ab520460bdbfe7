"""Walking a folder for the files of one suffix (engine/inputs.py files_under) and its callers' limits."""

from __future__ import annotations

import os

import pytest

from engine import inputs, sources
from engine.diagnostics import Diagnostic


def _tree(root):
    for rel in ["b.nbs", "a/z.nbs", "a/b/c.nbs", "a-b/x.nbs", "notes.txt", "__pycache__/m.nbs"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("", encoding="utf-8")


def test_files_under_in_path_order_skipping_named_folders(tmp_path):
    _tree(tmp_path)
    found = [f.relative_to(tmp_path).as_posix() for f in inputs.files_under(tmp_path, ".nbs",
                                                                             skip=frozenset({"__pycache__"}))]
    # component by component: "a" < "a-b" < "b.nbs" (not character by character, where "a-b/" < "a/")
    assert found == ["a/b/c.nbs", "a/z.nbs", "a-b/x.nbs", "b.nbs"]
    assert found == [f.relative_to(tmp_path).as_posix() for f in sorted(tmp_path.rglob("*.nbs"))
                     if "__pycache__" not in f.parts]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_files_under_does_not_enter_linked_folders(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.nbs").write_text("", encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "own.nbs").write_text("", encoding="utf-8")
    try:
        (pack / "link").symlink_to(outside, target_is_directory=True)
    except OSError:
        pytest.skip("symbolic links not permitted here")
    assert inputs.files_under(pack, ".nbs") == [pack / "own.nbs"]


def test_files_under_limit_counts_files_and_folders(tmp_path):
    _tree(tmp_path)
    # 10 entries: b.nbs, notes.txt, a, a-b, __pycache__ (top), a/z.nbs, a/b, a/b/c.nbs, a-b/x.nbs, __pycache__/m.nbs
    assert inputs.files_under(tmp_path, ".nbs", limit=10) is not None
    assert inputs.files_under(tmp_path, ".nbs", limit=9) is None


def test_pack_over_the_entry_limit_is_a_diagnostic(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.setitem(inputs.LIMITS, "pack_entries", 3)
    found, diags = sources._scan(tmp_path)
    assert found == []
    assert [d.code for d in diags] == ["pack-too-large"] and isinstance(diags[0], Diagnostic)
    assert "more than 3 files and folders" in diags[0].message


def test_a_file_that_no_longer_parses_is_an_error_not_a_crash(tmp_path, monkeypatch):
    from engine import syntax
    from engine.diagnostics import NbsError

    src = sources.Sources(tmp_path, texts={"r.nbs": "param p = 3 m \"a threshold\"\n"})
    said = Diagnostic("rule-syntax", "unexpected end", sources.Span("r.nbs", 1))
    monkeypatch.setattr(syntax, "parse_source", lambda text, name: (None, [said]))
    with pytest.raises(NbsError) as e:
        _ = src.modules
    assert e.value.diagnostics == [said]
