"""Helpers for tests: write a plan package from inline data."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


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
