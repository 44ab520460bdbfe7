"""Every rule pack in rules/ ships rule tests, and they pass with full coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main

RULES = Path(__file__).resolve().parent.parent / "rules"
PACKS = sorted(p for p in RULES.iterdir() if p.is_dir()) if RULES.is_dir() else []


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_pack_tests_pass_with_full_coverage(pack: Path):
    if not any(pack.rglob("*.test.yaml")):
        pytest.skip(f"{pack.name} has no *.test.yaml rule tests yet")
    assert main(["test", str(pack), "--coverage", "--min-coverage", "100"]) == 0
