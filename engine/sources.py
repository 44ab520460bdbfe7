"""Finding a pack's files (a folder of ``.nbs`` files, a file and its imports, or a profile and the
standard it extends), and the checked pack from the cache or the checker.

Finding the files reads only each file's outline (its imports and headers), which the cache keeps
beside its syntax tree; a pack whose checked form is in the cache is then read without the parser,
the syntax tree or the checker, which are imported only when a file or the pack must be parsed or
checked.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import cache
from .diagnostics import Diagnostic, NbsError, Span, did_you_mean, has_errors
from .inputs import LIMITS, files_under, inside, read_text
from .resources import data_dir

if TYPE_CHECKING:
    from .model import Standard
    from .syntax import ast

SUFFIX = ".nbs"
_HEADER = re.compile(r"^\s*(?:standard|profile)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


@dataclass
class Sources:
    """The parsed modules of a pack (and of the standard a profile extends)."""

    root: Path
    texts: dict[str, str] = field(default_factory=dict)  # every file read, by display name, in the order read
    base: Sources | None = None  # a profile's base standard
    imported: list[Sources] = field(default_factory=list)  # packs whose params and lookups are imported
    parsed: dict[str, ast.Module] = field(default_factory=dict, repr=False)  # trees already parsed, by name

    @property
    def modules(self) -> list[ast.Module]:
        """The syntax tree of every file read, in order: from the cache of syntax trees, or parsed now (each file
        parsed cleanly when it was read, or its outline would not be in the cache; a file that no longer does is
        an error with its diagnostics)."""
        from .syntax import parse_source

        for name, text in self.texts.items():
            if name not in self.parsed:
                module, diags = parse_source(text, name)
                if module is None:
                    raise NbsError(diags)  # a file's syntax error always comes with its diagnostic
                self.parsed[name] = module
        return [self.parsed[name] for name in self.texts]

    def all_texts(self) -> dict[str, str]:
        """The text of every rule file read: this pack's, its base's and those of the packs it imports."""
        texts: dict[str, str] = {}
        for s in ([self.base] if self.base else []) + self.imported:
            texts.update(s.all_texts())
        texts.update(self.texts)
        return texts

    def imported_modules(self) -> list[ast.Module]:
        """The params and lookups of the imported packs, as modules of their own files."""
        from .syntax import ast

        out = []
        for s in self.imported:
            for m in s.modules:
                items = tuple(i for i in m.items if isinstance(i, (ast.ParamDecl, ast.LookupDecl)))
                if items:
                    out.append(ast.Module(m.file, items))
        return out


def bundled_packs() -> dict[str, Path]:
    """Bundled packs by standard or profile id."""
    return dict(_bundled(data_dir("rules")))


@functools.cache
def _bundled(root: Path) -> tuple[tuple[str, Path], ...]:
    """The bundled packs under ``root``, read once per process (they are part of the installation): each pack's
    id is the header of its first rule file in path order."""
    found: dict[str, Path] = {}
    if not root.is_dir():
        return ()
    for pack in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in files_under(pack, SUFFIX):
            m = _HEADER.search(f.read_text(encoding="utf-8", errors="replace"))
            if m:
                found.setdefault(m.group(1), pack)
                break
    return tuple(found.items())


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
    headers: list[tuple] = []  # (kind, id, extends, span) of each file's standard or profile header
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
        # its imports, ``(path, span)``, and headers, ``(kind, id, extends, span)``: from the cache (no syntax
        # tree), else from the tree parsed now, kept too (outline None when the file did not parse)
        outline, module, errs = cache.outlined(text, name, _parse, _outline_of)
        diags += errs
        if outline is None:
            continue
        src.texts[name] = text
        if module is not None:
            src.parsed[name] = module
        imports, heads = outline
        headers += heads
        for path_, span in imports:
            if not path_.endswith(SUFFIX):  # another pack's params, lookups
                pack = _base_pack(path_, root, within)
                if pack is None and ("/" in path_ or path_.startswith(".")) \
                        and ("\0" in path_ or not inside(root / path_, within or root)):
                    diags.append(Diagnostic("import-outside-pack", f"`{path_}` is outside the pack folder",
                                            span, hint="imports name files inside the pack, a bundled "
                                            "standard id, or (for a pack not named by a plan) a pack folder"))
                    continue
                if pack is None or pack.resolve() in _seen | {root.resolve()}:
                    where = f"a bundled standard id or a pack inside {within}" if within is not None \
                        else "a bundled standard id, a pack folder or a rule file"
                    diags.append(Diagnostic("import-not-found", f"`import \"{path_}\"`: not {where}", span,
                                            hint=did_you_mean(path_, bundled_packs())))
                    continue
                imported, errs = load_sources(pack, _seen | {root.resolve()}, within=within)
                diags += errs
                src.imported.append(imported)
            else:
                target = f.parent / path_
                if "\0" in path_ or not inside(target, root):
                    diags.append(Diagnostic("import-outside-pack", f"`{path_}` is outside the pack folder",
                                            span, hint="imports name files inside the pack"))
                elif not target.is_file():
                    diags.append(Diagnostic("import-not-found", f"no file `{path_}`", span))
                else:
                    queue.append(target)
    for kind, ident, extends, span in headers:
        if extends is not None:  # a profile, or an edition (`standard X "T" extends Y`)
            base_path = _base_pack(extends, root, within)
            if base_path is None or base_path.resolve() in _seen | {root.resolve()}:
                where = f"a bundled standard id or a pack inside {within}" if within is not None \
                    else "a bundled standard id or a pack path"
                diags.append(Diagnostic("unknown-standard", f"{kind} `{ident}` extends `{extends}`, which is not "
                                        f"{where}",
                                        span, hint=did_you_mean(extends, bundled_packs())))
                continue
            base, errs = load_sources(base_path, _seen | {root.resolve()}, within=within)
            diags += errs
            src.base = base
    return src, diags


def check_pack(path: Path | str, *, within: Path | None = None) -> tuple[Standard | None, list[Diagnostic]]:
    """Parse and check a pack (folder, file, or bundled id); ``within`` confines a profile's base."""
    with cache.gc_paused():  # many small objects and no cycles: see engine.cache.gc_paused
        return _check_pack(path, within)


def _check_pack(path: Path | str, within: Path | None) -> tuple[Standard | None, list[Diagnostic]]:
    p = Path(path) if within is not None else resolve_pack(str(path)) or Path(path)
    sources, diags = load_sources(p, within=within)
    if has_errors(diags):
        return None, diags
    # where the pack was found, as given and resolved (display paths and the standard's root come from these)
    inputs = [str(p), str(p.resolve()), str(within.resolve()) if within is not None else "", os.getcwd()]
    return cache.checked(inputs + _read(sources), lambda: _checked(sources, diags))


def _read(src: Sources) -> list[str]:
    """Every file a pack read, named, with its text: its own, then those of each pack it imports and of the
    standard it extends, each layer marked and counted (no two different packs give the same list)."""
    out = [str(len(src.texts))]
    for name, text in src.texts.items():
        out += [name, text]
    for imported in src.imported:
        out += ["import", *_read(imported)]
    if src.base is not None:
        out += ["base", *_read(src.base)]
    return out


def _checked(sources: Sources, diags: list[Diagnostic]) -> tuple[Standard | None, list[Diagnostic]]:
    from .check import check_sources  # the checker, its passes and the syntax tree: only for a pack not cached

    return check_sources(sources, diags)


def _parse(text: str, name: str):
    """The parser, imported only when a file's outline is not in the cache."""
    from .syntax import parse_source

    return parse_source(text, name)


def _outline_of(module: ast.Module) -> tuple:
    from .syntax import ast

    return (tuple((i.path, i.span) for i in module.items if isinstance(i, ast.Import)),
            tuple((h.kind, h.id, h.extends, h.span) for h in module.items if isinstance(h, ast.Header)))


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
    found = files_under(root, SUFFIX, limit=LIMITS["pack_entries"])
    if found is None:
        return [], [Diagnostic("pack-too-large", f"{root} holds more than {LIMITS['pack_entries']} files and "
                               "folders; is it a pack?", Span(str(root)),
                               hint="give the folder that holds the pack's .nbs files")]
    return found, []


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
