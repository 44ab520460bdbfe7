"""Finding a pack's files: a folder of ``.nbs`` files, a file and its imports,
or a profile and the standard it extends."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, Span, did_you_mean
from ..resources import data_dir
from ..syntax import ast, parse_file

SUFFIX = ".nbs"
_HEADER = re.compile(r"^\s*(?:standard|profile)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


@dataclass
class Sources:
    """The parsed modules of a pack (and of the standard a profile extends)."""

    root: Path
    modules: list[ast.Module] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    base: Sources | None = None  # a profile's base standard


def bundled_packs() -> dict[str, Path]:
    """Bundled packs by standard or profile id."""
    found: dict[str, Path] = {}
    root = data_dir("rules")
    if not root.is_dir():
        return found
    for pack in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(pack.rglob(f"*{SUFFIX}")):
            m = _HEADER.search(f.read_text(encoding="utf-8", errors="replace"))
            if m:
                found.setdefault(m.group(1), pack)
                break
    return found


def resolve_pack(ref: str, relative_to: Path | None = None) -> Path | None:
    """A pack from a path (file or folder) or a bundled id."""
    candidates = [Path(ref)]
    if relative_to is not None:
        candidates.insert(0, relative_to / ref)
    for c in candidates:
        if c.exists():
            return c
    return bundled_packs().get(ref)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_sources(path: Path, _seen: frozenset[Path] = frozenset()) -> tuple[Sources, list[Diagnostic]]:
    """Parse every file of a pack; follow imports and a profile's base."""
    diags: list[Diagnostic] = []
    path = Path(path)
    if not path.exists():
        return Sources(path), [Diagnostic("pack-not-found", f"no rule file or folder at {path}", Span(str(path)),
                                          hint=_pack_hint(str(path)))]
    if path.is_dir():
        root = path
        queue = sorted(path.rglob(f"*{SUFFIX}"))
        if not queue:
            return Sources(root), [Diagnostic("pack-empty", f"no {SUFFIX} files in {path}", Span(str(path)))]
    else:
        root = path.parent
        queue = [path]
    src = Sources(root)
    done: set[Path] = set()
    while queue:
        f = queue.pop(0).resolve()
        if f in done:
            continue
        done.add(f)
        name = _display(f)
        module, errs = parse_file(f, name)
        diags += errs
        if module is None:
            continue
        src.texts[name] = f.read_text(encoding="utf-8")
        src.modules.append(module)
        for item in module.items:
            if isinstance(item, ast.Import):
                target = (f.parent / item.path).resolve()
                if not target.is_relative_to(root.resolve()):
                    diags.append(Diagnostic("import-outside-pack", f"`{item.path}` is outside the pack folder",
                                            item.span, hint="imports name files inside the pack"))
                elif not target.is_file():
                    diags.append(Diagnostic("import-not-found", f"no file `{item.path}`", item.span))
                else:
                    queue.append(target)
    headers = [i for m in src.modules for i in m.items if isinstance(i, ast.Header)]
    for h in headers:
        if h.kind == "profile" and h.extends:
            base_path = resolve_pack(h.extends, root)
            if base_path is None or base_path.resolve() in _seen | {root.resolve()}:
                diags.append(Diagnostic("unknown-standard", f"profile extends `{h.extends}`, which is not a bundled "
                                        "standard id or a pack path", h.span,
                                        hint=did_you_mean(h.extends, bundled_packs())))
                continue
            base, errs = load_sources(base_path, _seen | {root.resolve()})
            diags += errs
            src.base = base
    return src, diags


def _pack_hint(ref: str) -> str | None:
    packs = bundled_packs()
    guess = did_you_mean(ref, packs)
    listed = ", ".join(sorted(packs)) or "none"
    return guess or f"bundled standards: {listed}"


def pack_sha256(texts: dict[str, str]) -> str:
    """A hash over the pack's files, stable across machines (paths relative to the pack)."""
    h = hashlib.sha256()
    for name in sorted(texts, key=lambda n: Path(n).name + n):
        h.update(Path(name).name.encode() + b"\0" + texts[name].encode("utf-8") + b"\0")
    return h.hexdigest()
