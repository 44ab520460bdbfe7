"""Large or special hostile inputs, made when the corpus runs instead of being committed.

Each function writes into a case's package folder; corpus.yaml names it under ``generate``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

PLAN = "plan: {id: m, title: M}\nstandard: mini_pack\nsite: {area_ha: 12.5}\nmonitoring: {plan: true}\n"


def alias_bomb(root: Path, file: str = "plan.yaml", levels: int = 9) -> None:
    """The billion laughs: each level lists the one before ten times (10^9 values once expanded)."""
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    head = PLAN + "tables: {objects: tables/objects.csv}\n" if file == "plan.yaml" else "waivers: []\n"
    (root / file).write_text(head + "\n".join(lines) + "\n", encoding="utf-8")


def deep_plan(root: Path, depth: int = 5000) -> None:
    (root / "plan.yaml").write_text(PLAN + "x: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")


def deep_json_plan(root: Path, depth: int = 100_000) -> None:
    (root / "plan.yaml").unlink()
    (root / "plan.json").write_text('{"plan": {"id": "m", "title": "M"}, "x": ' + "[" * depth + "]" * depth + "}",
                                    encoding="utf-8")


def many_keys(root: Path, n: int = 100_000, json: bool = False) -> None:
    if json:
        (root / "plan.yaml").unlink()
        body = ", ".join(f'"k{i}": {i}' for i in range(n))
        (root / "plan.json").write_text('{"plan": {"id": "m", "title": "M"}, "standard": "mini_pack", '
                                        '"tables": {"objects": "tables/objects.csv"}, ' + body + "}",
                                        encoding="utf-8")
        return
    body = "".join(f"k{i}: {i}\n" for i in range(n))
    (root / "plan.yaml").write_text(PLAN + "tables: {objects: tables/objects.csv}\n" + body, encoding="utf-8")


def huge_string(root: Path, mib: int = 20) -> None:
    (root / "plan.yaml").write_text(PLAN + "tables: {objects: tables/objects.csv}\nnote: \"" + "x" * (mib << 20)
                                    + "\"\n", encoding="utf-8")


def wide_csv(root: Path, columns: int = 100_000) -> None:
    header = "id,district,kind,area_ha," + ",".join(f"c{i}" for i in range(columns))
    row = "O-1,north,wetland,0.8," + ",".join("1" for _ in range(columns))
    (root / "tables/objects.csv").write_text(header + "\n" + row + "\n", encoding="utf-8")


def many_waivers(root: Path, n: int = 100_000) -> None:
    body = "".join(f"  - {{rule: M-2, keys: [K{i}], reason: reason {i}}}\n" for i in range(n))
    (root / "waivers.yaml").write_text("waivers:\n" + body, encoding="utf-8")


def long_rationale(root: Path, mib: int = 10) -> None:
    (root / "mini_pack/zz.nbs").write_text('rule Z-1 "Z" { goal G1 stage design cite REF "1"\n  shall monitored\n'
                                           '  rationale "' + "x" * (mib << 20) + '" }\n', encoding="utf-8")


def many_interpolations(root: Path, n: int = 100_000) -> None:
    (root / "mini_pack/zz.nbs").write_text('rule Z-1 "Z" { goal G1 stage design cite REF "1"\n  shall monitored\n'
                                           '  else "' + "{site_area}" * n + '" }\n', encoding="utf-8")


def zip_plan(root: Path, kind: str) -> None:
    """A zipped copy of the package: ``same-name`` (2 x 10^4 entries of one name), ``bomb`` (one entry that expands
    a thousandfold), ``encrypted`` (an entry flagged as encrypted), ``many`` (more entries than the limit)."""
    target = root / "plan.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(p for p in root.rglob("*") if p.is_file() and p != target):
            zf.write(f, f.relative_to(root).as_posix())
        if kind == "same-name":
            for _ in range(20_000):
                zf.writestr("tables/x.csv", "")
        elif kind == "many":
            for i in range(20_000):
                zf.writestr(f"junk/{i}.txt", "")
        elif kind == "bomb":
            zf.writestr("tables/big.csv", b"0" * (200 << 20))
    if kind == "encrypted":  # flag the first entry as encrypted, in its local and central headers
        data = bytearray(target.read_bytes())
        data[6] |= 1
        central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
        first_central = data.find(b"PK\x01\x02")
        assert central >= 0
        data[first_central + 8] |= 1
        target.write_bytes(bytes(data))
