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


def test_readme_gives_lint_the_exit_codes_it_has():
    # lint exits 1 for findings (warnings too under --strict) and 2 only for a pack it cannot read,
    # as the exit-code table says; no other sentence of the README may say --strict exits 2
    import re

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert not re.findall(r"--strict` makes them errors \(exit 2\)|Errors stop the command \(exit 2\)", text)
    assert "exit 1 for errors (and for warnings under `--strict`)" in text


def test_readme_check_samples_are_the_real_output(capsys):
    # each `$ nbscheck check examples/X` sample is the command's output, cut only where a `...` line says so
    import re

    from engine.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    samples = re.findall(r"```\n\$ nbscheck check (examples/\S+)\n(.*?)```", readme, re.S)
    assert {plan for plan, _ in samples} >= {"examples/riverside", "examples/trafford"}
    assert "--color auto|always|never" in readme.split("## The command line")[1].split("```")[1]
    for plan, sample in samples:
        main(["check", str(ROOT / plan), "--color", "never"])
        out = capsys.readouterr().out.splitlines()
        at, cut = 0, False  # the sample's lines appear in order; consecutive unless a `...` line cuts
        for line in sample.splitlines():
            if line.strip() == "...":
                cut = True
                continue
            assert line in out[at:], f"{plan}: README line not in the output: {line!r}"
            found = out.index(line, at)
            assert cut or found == at, f"{plan}: README omits {out[at:found]} before {line!r} with no `...`"
            at, cut = found + 1, False
