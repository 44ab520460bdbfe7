"""The documents for contributors keep up with the code: ARCHITECTURE.md names every module."""

from __future__ import annotations

from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent
ENGINE = Path(engine.__file__).resolve().parent


def test_architecture_names_every_module():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = []
    for path in sorted(ENGINE.rglob("*.py")):
        rel = path.relative_to(ENGINE).as_posix()
        if rel == "__init__.py" and "`__init__.py`" in text:
            continue
        if rel.endswith("/__init__.py") and f"`{rel.split('/')[0]}/" in text:  # a package's surface: its modules are
            continue
        folder = rel.split("/")[0] + "/" if "/" in rel else None
        # a module is named by its path (`check/names.py`), or a whole package by its folder (`render/`)
        if f"`{rel}`" not in text and not (folder and f"| `{folder}` |" in text):
            missing.append(rel)
    assert not missing, f"ARCHITECTURE.md's table of modules lacks {missing}: add a line for each (what it owns)"
