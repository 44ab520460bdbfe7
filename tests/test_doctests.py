"""The examples in the engine's docstrings are collected by pytest itself (``--doctest-modules`` on the
``engine`` package, see pyproject.toml); this checks that the collection is configured and not vacuous."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tomllib
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent


def test_pytest_collects_the_engines_docstring_examples():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "engine" in options["testpaths"]
    assert {"--doctest-modules", "--pyargs"} <= set(options["addopts"].split())
    modules = [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.")]
    with_examples = {name for name in modules
                     if any(t.examples for t in doctest.DocTestFinder().find(importlib.import_module(name)))}
    # modules known to carry examples are among those pytest runs
    assert {"engine.api", "engine.diagnostics", "engine.units", "engine.cache", "engine.authoring.printer"} \
        <= with_examples
