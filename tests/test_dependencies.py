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


def _imported_top_level_modules(*folders: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")):
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


def _declared(*requirements: list[str]) -> set[str]:
    return {_normalise(re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0]) for reqs in requirements for dep in reqs}


# our own packages, and the test modules that import each other (pytest puts their folders on the path)
LOCAL = {"engine", "benchmarks", "tests"} | {p.stem for p in (ROOT / "tests").rglob("*.py")}


def _undeclared(modules: dict[str, str], declared: set[str]) -> list[str]:
    dists = packages_distributions()
    missing = []
    for module, where in modules.items():
        if module in LOCAL or module in sys.stdlib_module_names:
            continue
        owners = {_normalise(d) for d in dists.get(module, [module])}
        if not owners & declared:
            missing.append(f"{where} imports {module} (distribution {', '.join(sorted(owners))})")
    return missing


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_third_party_import_is_a_declared_dependency():
    missing = _undeclared(_imported_top_level_modules("engine"), _declared(PROJECT["dependencies"]))
    assert not missing, "add these to [project] dependencies in pyproject.toml:\n" + "\n".join(missing)


def test_every_module_the_tests_import_is_installed_by_the_test_extra():
    declared = _declared(PROJECT["dependencies"], PROJECT["optional-dependencies"]["test"])
    missing = _undeclared(_imported_top_level_modules("tests"), declared)
    assert not missing, "add these to the `test` extra in pyproject.toml:\n" + "\n".join(missing)


def test_every_module_the_benchmarks_import_is_installed_by_the_test_or_bench_extra():
    """The baselines only the benchmarks run (pandera, rule-engine) come with `pip install ".[bench]"`."""
    extras = PROJECT["optional-dependencies"]
    missing = _undeclared(_imported_top_level_modules("benchmarks"),
                          _declared(PROJECT["dependencies"], extras["test"], extras["bench"]))
    assert not missing, "add these to the `bench` extra in pyproject.toml:\n" + "\n".join(missing)
