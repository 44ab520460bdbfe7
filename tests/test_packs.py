"""Every rule pack in rules/ ships rule tests that pass with full coverage, and lints clean under --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main

RULES = Path(__file__).resolve().parent.parent / "rules"
PACKS = sorted(p for p in RULES.iterdir() if p.is_dir()) if RULES.is_dir() else []


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_pack_tests_pass_with_full_coverage(pack: Path):
    assert any(pack.rglob("*.test.yaml")), f"{pack.name} has no *.test.yaml rule tests"
    assert main(["test", str(pack), "--coverage", "--min-coverage", "100"]) == 0


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_pack_lints_clean_under_strict(pack: Path):
    assert main(["lint", str(pack), "--strict"]) == 0


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_pack_has_a_readme(pack: Path):
    readme = pack / "README.md"
    assert readme.is_file(), f"{pack.name} has no README.md naming its instrument, edition and clauses"


def test_bundled_rule_files_are_formatted(capsys):
    # The README's pre-commit hook runs `nbscheck fmt --check`; the bundled packs must pass it themselves.
    assert main(["fmt", "--check", *(str(p) for p in PACKS)]) == 0, capsys.readouterr().out
