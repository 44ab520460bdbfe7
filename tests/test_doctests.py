"""The examples in the engine's docstrings run, module by module (the installed package's, as the other tests).

``pytest --doctest-modules engine`` would import the source tree beside the installed package and refuse
the mismatch, so the modules are collected here: one test per module that has examples.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine.") if not m.name.endswith("__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _examples(name: str) -> list[doctest.DocTest]:
    return [t for t in doctest.DocTestFinder().find(importlib.import_module(name)) if t.examples]


@pytest.mark.parametrize("name", [m for m in MODULES if _examples(m)])
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples name files as a user in a checkout would: relative to its root
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _examples(name):
        runner.run(test, out=lambda text: print(text, end=""))  # failures are printed; pytest shows them
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples in {name} failed (see the output)"


def test_examples_are_found():
    # the collection above is not vacuous: modules known to carry examples are among those tested
    with_examples = {m for m in MODULES if _examples(m)}
    assert {"engine.api", "engine.diagnostics", "engine.units", "engine.cache"} <= with_examples
    assert os.path.isdir(ROOT / "tests/cases/author-pack")
