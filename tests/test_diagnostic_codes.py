"""Every diagnostic code is registered once (engine/diagnostics.py CODES) and listed in the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import engine
from engine.diagnostics import CODES, ERROR, README_END, README_START, WARNING, Diagnostic, Span, codes_table

ROOT = Path(__file__).resolve().parent.parent
ENGINE = Path(engine.__file__).resolve().parent
HOW = "add a line for it to CODES in engine/diagnostics.py, then run `python -m engine.diagnostics README.md`"
CODE = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")
NOT_CODES = {"utf-8", "utf-8-sig", "system-out", "system-err", "rfi-csv"}  # encodings, JUnit tags, a format


def _code_literals() -> dict[str, str]:
    """String literals passed where a code goes: the first argument of a call, or `code=`; with their place."""
    found: dict[str, str] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            args = [node.args[0]] if node.args else []
            args += [k.value for k in node.keywords if k.arg == "code"]
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and CODE.match(a.value):
                    found.setdefault(a.value, f"{path.relative_to(ENGINE.parent)}:{a.lineno}")
    return found


def test_the_readme_table_is_generated_from_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert README_START in readme and README_END in readme, "README.md lost the markers of its table of codes"
    table = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    missing = [c for c in CODES if f"| `{c}` |" not in table]
    assert not missing, f"README.md does not list {missing}: run `python -m engine.diagnostics README.md`"
    assert table == codes_table(), "README.md's table of codes is out of date: run `python -m engine.diagnostics " \
                                   "README.md`"


def test_every_entry_is_complete():
    for code, entry in CODES.items():
        assert entry.code == code and CODE.match(code), code
        assert entry.severity in (ERROR, WARNING), code
        assert entry.concerns and entry.meaning and "|" not in entry.meaning, code


def test_every_code_the_engine_uses_is_registered():
    # the static half: codes written as literals, found even on paths no test reaches
    unregistered = {c: where for c, where in _code_literals().items() if c not in CODES and c not in NOT_CODES}
    assert not unregistered, f"unregistered diagnostic codes {unregistered}: {HOW}"


def test_every_registered_code_is_used():
    source = "\n".join(p.read_text(encoding="utf-8") for p in ENGINE.rglob("*.py") if p.name != "diagnostics.py")
    unused = [c for c in CODES if f'"{c}"' not in source]
    assert not unused, f"registered codes the engine never uses: {unused}; remove their lines from CODES"


def test_an_unregistered_code_cannot_be_made():
    with pytest.raises(ValueError, match="not registered: add a line for it to CODES in engine/diagnostics.py"):
        Diagnostic("no-such-code", "message", Span("f.nbs", 1))
