"""Helpers for tests: the fixture plans and pack, plan packages from inline data, running the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_PACK = FIXTURES / "mini_pack"


def copy_plan(dest: Path, name: str = "mini_plan") -> Path:
    """A copy of the fixture plan ``name`` at ``dest`` with the mini pack inside it, named by its ``standard:``."""
    return pack_inside(Path(shutil.copytree(FIXTURES / name, dest)), MINI_PACK)


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in a text file; ``old`` must be there (a stale fixture fails loudly)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} does not contain {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_cli(ctx: dict, capsys, args: list[str]) -> None:
    """Run ``nbscheck ARGS`` in-process; keep the exit code and the printed text in ``ctx``."""
    from engine.cli import main

    ctx["code"] = main(args)
    captured = capsys.readouterr()
    ctx["out"], ctx["err"] = captured.out, captured.err


def write_plan(root: Path, doc: dict) -> Path:
    """Write ``doc`` as plan.yaml; inline tables (lists of rows) become JSON files."""
    root.mkdir(parents=True, exist_ok=True)
    doc = dict(doc)
    doc.setdefault("plan", {"id": "case", "title": "Test case"})
    tables = {}
    for name, rows in (doc.get("tables") or {}).items():
        if isinstance(rows, list):
            (root / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            tables[name] = f"{name}.json"
        else:
            tables[name] = rows
    doc["tables"] = tables
    (root / "plan.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def pack_inside(plan: Path, pack: Path) -> Path:
    """Copy ``pack`` into the plan package and name it in ``standard:`` (a plan may claim only a pack inside it)."""
    shutil.copytree(pack, plan / pack.name)
    path = plan / "plan.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^standard:.*$", f"standard: {pack.name}", text), encoding="utf-8")
    return plan
