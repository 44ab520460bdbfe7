"""Finding a pack's files: a folder of ``.nbs`` files, a file and its imports,
or a profile and the standard it extends."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, Span, did_you_mean
from ..inputs import LIMITS, inside, read_text
from ..resources import data_dir
from ..syntax import ast, parse_source

SUFFIX = ".nbs"
_HEADER = re.compile(r"^\s*(?:standard|profile)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


@dataclass
class Sources:
    """The parsed modules of a pack (and of the standard a profile extends)."""

    root: Path
    modules: list[ast.Module] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    base: Sources | None = None  # a profile's base standard
    imported: list[Sources] = field(default_factory=list)  # packs whose params and lookups are imported

    def all_texts(self) -> dict[str, str]:
        """The text of every rule file read: this pack's, its base's and those of the packs it imports."""
        texts: dict[str, str] = {}
        for s in ([self.base] if self.base else []) + self.imported:
            texts.update(s.all_texts())
        texts.update(self.texts)
        return texts

    def imported_modules(self) -> list[ast.Module]:
        """The params and lookups of the imported packs, as modules of their own files."""
        out = []
        for s in self.imported:
            for m in s.modules:
                items = tuple(i for i in m.items if isinstance(i, (ast.ParamDecl, ast.LookupDecl)))
                if items:
                    out.append(ast.Module(m.file, items))
        return out


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


def load_sources(path: Path, _seen: frozenset[Path] = frozenset(), *,
                 within: Path | None = None) -> tuple[Sources, list[Diagnostic]]:
    """Parse every file of a pack; follow imports and a profile's base.

    Every rule file is a regular ``.nbs`` file inside the pack folder (links that leave it are
    refused). ``within`` confines a profile's base to bundled ids and packs inside that folder: a
    pack named by a plan may not reach outside the plan package.
    """
    diags: list[Diagnostic] = []
    path = Path(path)
    if not path.exists():
        return Sources(path), [Diagnostic("pack-not-found", f"no rule file or folder at {path}", Span(str(path)),
                                          hint=_pack_hint(str(path)))]
    if path.is_dir():
        root = path
        queue, diags = _scan(root)
        if not queue and not diags:
            return Sources(root), [Diagnostic("pack-empty", f"no {SUFFIX} files in {path}", Span(str(path)))]
    elif path.suffix != SUFFIX:
        return Sources(path), [Diagnostic("pack-not-found", f"{path} is not a rule file", Span(str(path)),
                                          hint=f"rule files end in {SUFFIX}; give one, a pack folder or a bundled id")]
    else:
        root = path.parent
        queue = [path]
    src = Sources(root)
    done: set[Path] = set()
    while queue:
        f = queue.pop(0)
        name = _display(f)
        if f.resolve() in done:
            continue
        if len(done) >= LIMITS["pack_files"]:
            diags.append(Diagnostic("pack-too-large", f"the pack has more than {LIMITS['pack_files']} rule files",
                                    Span(str(root)), hint="see \"Limits and safety\" in the README"))
            break
        done.add(f.resolve())
        text = read_text(f, name, limit="rule_file_bytes", what="rule file", root=root, code="file-encoding")
        if isinstance(text, Diagnostic):
            diags.append(text)
            continue
        f = f.resolve()
        name = _display(f)
        module, errs = parse_source(text, name)
        diags += errs
        if module is None:
            continue
        src.texts[name] = text
        src.modules.append(module)
        for item in module.items:
            if isinstance(item, ast.Import) and not item.path.endswith(SUFFIX):  # another pack's params, lookups
                pack = _base_pack(item.path, root, within)
                if pack is None and ("/" in item.path or item.path.startswith(".")) \
                        and ("\0" in item.path or not inside(root / item.path, within or root)):
                    diags.append(Diagnostic("import-outside-pack", f"`{item.path}` is outside the pack folder",
                                            item.span, hint="imports name files inside the pack, a bundled "
                                            "standard id, or (for a pack not named by a plan) a pack folder"))
                    continue
                if pack is None or pack.resolve() in _seen | {root.resolve()}:
                    where = f"a bundled standard id or a pack inside {within}" if within is not None \
                        else "a bundled standard id, a pack folder or a rule file"
                    diags.append(Diagnostic("import-not-found", f"`import \"{item.path}\"`: not {where}", item.span,
                                            hint=did_you_mean(item.path, bundled_packs())))
                    continue
                imported, errs = load_sources(pack, _seen | {root.resolve()}, within=within)
                diags += errs
                src.imported.append(imported)
            elif isinstance(item, ast.Import):
                target = f.parent / item.path
                if "\0" in item.path or not inside(target, root):
                    diags.append(Diagnostic("import-outside-pack", f"`{item.path}` is outside the pack folder",
                                            item.span, hint="imports name files inside the pack"))
                elif not target.is_file():
                    diags.append(Diagnostic("import-not-found", f"no file `{item.path}`", item.span))
                else:
                    queue.append(target)
    headers = [i for m in src.modules for i in m.items if isinstance(i, ast.Header)]
    for h in headers:
        if h.extends is not None:  # a profile, or an edition (`standard X "T" extends Y`)
            base_path = _base_pack(h.extends, root, within)
            if base_path is None or base_path.resolve() in _seen | {root.resolve()}:
                where = f"a bundled standard id or a pack inside {within}" if within is not None \
                    else "a bundled standard id or a pack path"
                diags.append(Diagnostic("unknown-standard", f"{h.kind} `{h.id}` extends `{h.extends}`, which is not "
                                        f"{where}",
                                        h.span, hint=did_you_mean(h.extends, bundled_packs())))
                continue
            base, errs = load_sources(base_path, _seen | {root.resolve()}, within=within)
            diags += errs
            src.base = base
    return src, diags


def _base_pack(ref: str, root: Path, within: Path | None) -> Path | None:
    """The pack a profile extends; confined to bundled ids and ``within`` when that is set."""
    if within is None:
        return resolve_pack(ref, root)
    candidate = root / ref
    if "\0" not in ref and candidate.exists() and inside(candidate, within):
        return candidate
    return bundled_packs().get(ref)


def _scan(root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """The ``.nbs`` files under ``root``, sorted; linked folders are not entered (a link may leave the pack)."""
    found: list[Path] = []
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        seen += len(dirs) + len(files)
        if seen > LIMITS["pack_entries"]:
            return [], [Diagnostic("pack-too-large", f"{root} holds more than {LIMITS['pack_entries']} files and "
                                   "folders; is it a pack?", Span(str(root)),
                                   hint="give the folder that holds the pack's .nbs files")]
        found += [Path(folder) / n for n in files if n.endswith(SUFFIX)]
    return sorted(found), []


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
