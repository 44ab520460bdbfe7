"""Every third-party module the engine imports is a declared runtime dependency.

A clean install (the README's first command, CI's fresh virtual environment)
installs only what pyproject.toml declares; an undeclared import works on a
developer's machine and fails for users.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_level_modules() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "engine").rglob("*.py")):
        if "_data" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normalise(re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0]) for dep in project["dependencies"]}
    dists = packages_distributions()
    missing = []
    for module, where in _imported_top_level_modules().items():
        if module == "engine" or module in sys.stdlib_module_names:
            continue
        owners = {_normalise(d) for d in dists.get(module, [module])}
        if not owners & declared:
            missing.append(f"{where} imports {module} (distribution {', '.join(sorted(owners))})")
    assert not missing, "add these to [project] dependencies in pyproject.toml:\n" + "\n".join(missing)
