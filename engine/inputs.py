"""Reading input files without surprises: the limits, and the checks every read goes through.

A rule file, plan file, table or waiver file is read only if it is a regular file (not a folder,
device, FIFO or socket), lies inside the folder it belongs to once symbolic links are followed
(when that folder is given), and is no larger than the limit for its kind. Anything else is a
diagnostic, never a read: nothing outside a package is opened, and nothing of a refused file is
shown.

>>> LIMITS["plan_file_bytes"] == 8 * MiB
True
"""

from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path
from typing import overload

from .diagnostics import Diagnostic, Span

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

# Every limit nbscheck applies to its inputs; the README's "Limits and safety" section states each.
LIMITS: dict[str, int] = {
    "rule_file_bytes": 1 * MiB,  # one .nbs file
    "pack_files": 1000,  # .nbs files in a pack, with its imports
    "pack_entries": 100_000,  # files and folders under a pack folder
    "plan_file_bytes": 8 * MiB,  # plan.yaml / plan.json
    "waiver_file_bytes": 8 * MiB,
    "document_values": 100_000,  # values (mappings, lists, scalars) in one YAML or JSON document, aliases expanded
    "document_aliases": 100,  # `*alias` uses in one YAML document
    "document_depth": 64,  # nesting of mappings and lists
    "table_file_bytes": 2 * GiB,  # CSV, Parquet and geodata
    "json_table_bytes": 512 * MiB,  # a JSON table is parsed whole in memory
    "xlsx_table_bytes": 64 * MiB,  # compressed; its XML is bounded by the zip limits below
    "table_columns": 10_000,
    "table_parts": 100_000,  # files of one partitioned table (a folder or a glob; the Dask engine)
    "message_interpolations": 200,  # `{...}` parts in one rule message
    "zip_entries": 10_000,  # entries of a zipped plan (or of an XLSX workbook)
    "zip_bytes": 4 * GiB,  # extracted size of a zipped plan
    "zip_ratio": 200,  # extracted size / compressed size, for an entry over 1 MiB
}

_KIND = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@overload
def files_under(root: Path, suffix: str, *, skip: frozenset[str] = ..., limit: None = None) -> list[Path]: ...
@overload
def files_under(root: Path, suffix: str, *, skip: frozenset[str] = ..., limit: int) -> list[Path] | None: ...
def files_under(root: Path, suffix: str, *, skip: frozenset[str] = frozenset(),
                limit: int | None = None) -> list[Path] | None:
    """The files under ``root`` whose names end with ``suffix``, in path order (as ``sorted(root.rglob(...))``,
    without pathlib's globbing). Linked folders are not entered (a link may leave the folder), nor folders named
    in ``skip``; None when ``root`` holds more than ``limit`` files and folders (the walk stops there)."""
    found: list[Path] = []
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if d not in skip]
        seen += len(dirs) + len(files)
        if limit is not None and seen > limit:
            return None
        found += [Path(folder, n) for n in files if n.endswith(suffix)]
    return sorted(found, key=lambda f: f.parts)


def size_text(n: float) -> str:
    """A byte count for people.

    >>> size_text(8 * MiB), size_text(1536), size_text(12)
    ('8 MiB', '1.5 KiB', '12 bytes')
    """
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{int(n)} bytes"


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every symbolic link followed, lies in ``root`` (also resolved)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop, or a NUL byte in the name
        return False


def check_file(path: Path, display: str, *, limit: str, what: str, root: Path | None = None,
               outside_code: str = "path-outside-package") -> Diagnostic | None:
    """Why ``path`` may not be read as ``what`` (e.g. "a table"), or None when it may.

    ``limit`` names the entry of :data:`LIMITS` that caps its size.
    """
    if "\0" in str(path):
        return Diagnostic("file-not-regular", f"the path of {what} holds a NUL character", Span(display),
                          hint="remove the control character from the path")
    if root is not None and not inside(path, root):
        return Diagnostic(outside_code, f"{what} `{display}` leads outside its package folder", Span(display),
                          hint="use files inside the folder, not links or `..` paths that leave it")
    try:
        st = path.stat()
    except FileNotFoundError:
        return Diagnostic("file-not-found", f"no file {display}", Span(display))
    except (OSError, ValueError) as e:
        return Diagnostic("file-not-regular", f"{what} cannot be read: {getattr(e, 'strerror', None) or e}",
                          Span(display))
    if not stat.S_ISREG(st.st_mode):
        kind = _KIND.get(stat.S_IFMT(st.st_mode), "not a regular file")
        return Diagnostic("file-not-regular", f"{what} `{display}` is {kind}, not a regular file", Span(display),
                          hint="name an ordinary file")
    if st.st_size > LIMITS[limit]:
        return Diagnostic("file-too-large", f"{what} is {size_text(st.st_size)}; the limit is "
                          f"{size_text(LIMITS[limit])}", Span(display),
                          hint="see \"Limits and safety\" in the README")
    return None


def read_file(path: Path, display: str, *, limit: str, what: str, root: Path | None = None,
              outside_code: str = "path-outside-package") -> bytes | Diagnostic:
    """The bytes of a file that passes :func:`check_file`, read without blocking and never past its limit."""
    problem = check_file(path, display, limit=limit, what=what, root=root, outside_code=outside_code)
    if problem is not None:
        return problem
    cap = LIMITS[limit]
    try:
        fd = os.open(path.resolve(), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        return Diagnostic("file-not-regular", f"{what} cannot be read: {e.strerror or e}", Span(display))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced between the check and the open
            return Diagnostic("file-not-regular", f"{what} `{display}` is not a regular file", Span(display))
        data = fh.read(cap + 1)
    if len(data) > cap:
        return Diagnostic("file-too-large", f"{what} is larger than the limit of {size_text(cap)}", Span(display),
                          hint="see \"Limits and safety\" in the README")
    return data


def read_text(path: Path, display: str, *, limit: str, what: str, root: Path | None = None,
              code: str, outside_code: str = "path-outside-package") -> str | Diagnostic:
    """:func:`read_file` decoded as UTF-8 (a byte-order mark is dropped); ``code`` names a decoding problem."""
    data = read_file(path, display, limit=limit, what=what, root=root, outside_code=outside_code)
    if isinstance(data, Diagnostic):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return Diagnostic(code, f"not UTF-8 text ({e.reason} at byte {e.start})", Span(display),
                          hint="save the file as UTF-8")


def zip_problem(infos: list, display: str, *, what: str) -> Diagnostic | None:
    """Why the entries of a zip (``ZipInfo`` objects) may not be extracted, or None.

    Refused: more entries than the limit, an entry name used twice, an encrypted entry, an entry
    that would land outside the extraction folder, a total extracted size over the limit, and an
    entry over 1 MiB that expands more than the ratio limit (a zip bomb).
    """
    hint = "see \"Limits and safety\" in the README"
    if len(infos) > LIMITS["zip_entries"]:
        return Diagnostic("zip-refused", f"{what} has {len(infos)} entries; the limit is {LIMITS['zip_entries']}",
                          Span(display), hint=hint)
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            return Diagnostic("zip-refused", f"{what} holds `{name}` more than once", Span(display),
                              hint="zip the package folder again; each file once")
        seen.add(name)
        if info.flag_bits & 0x1:
            return Diagnostic("zip-refused", f"`{name}` in {what} is encrypted", Span(display),
                              hint="zip the package without a password")
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] or "\0" in name:
            return Diagnostic("path-outside-package", f"`{name}` in {what} would be written outside the package",
                              Span(display), hint="zip the package folder with relative paths")
        total += info.file_size
        if info.file_size > MiB and info.file_size > LIMITS["zip_ratio"] * max(info.compress_size, 1):
            return Diagnostic("zip-refused", f"`{name}` in {what} expands from {size_text(info.compress_size)} to "
                              f"{size_text(info.file_size)}, more than {LIMITS['zip_ratio']} times", Span(display),
                              hint=hint)
    if total > LIMITS["zip_bytes"]:
        return Diagnostic("zip-refused", f"{what} extracts to {size_text(total)}; the limit is "
                          f"{size_text(LIMITS['zip_bytes'])}", Span(display), hint=hint)
    return None


GLOB_CHARS = frozenset("*?[")


def is_glob(rel: str) -> bool:
    """Whether a table entry is a glob of part files (``tables/objects-*.parquet``)."""
    return any(c in GLOB_CHARS for c in rel)


def table_parts(root: Path, rel: str, display, where: Span, *, what: str,
                suffixes: tuple[str, ...]) -> list[Path] | Diagnostic:
    """The part files of a partitioned table, in name order: the files of a folder ``rel`` (every file whose
    suffix is one of ``suffixes``; hidden files and ``_metadata``-style files skipped) or those matching a
    glob ``rel`` (its folder part holds no glob characters).

    Each part passes :func:`check_file` inside ``root`` (regular, inside the package, within the table size
    limit), so a part is read under the same conditions as a one-file table. ``display(path)`` gives a
    part's path as shown in messages; ``where`` is the plan's line that names the table.
    """
    folder, pattern = (rel, None) if not is_glob(rel) else rel.replace("\\", "/").rsplit("/", 1) \
        if "/" in rel.replace("\\", "/") else (".", rel)
    if pattern is not None and is_glob(folder):
        return Diagnostic("table-format", f"{what} `{rel}`: only the file name may hold `*`, `?` or `[`",
                          where, hint="put the parts in one folder: tables/objects/part-*.parquet")
    base = root / folder
    if not inside(base, root):
        return Diagnostic("path-outside-package", f"{what} `{rel}` leads outside its package folder", where,
                          hint="use files inside the folder, not links or `..` paths that leave it")
    try:
        names = sorted(os.listdir(base))
    except OSError as e:
        return Diagnostic("table-not-found", f"{what} `{rel}`: {e.strerror or e}", where)
    if len(names) > LIMITS["table_parts"]:
        return Diagnostic("file-too-large", f"{what} `{rel}` has {len(names)} files; the limit is "
                          f"{LIMITS['table_parts']}", where, hint="see \"Limits and safety\" in the README")
    chosen = [n for n in names if not n.startswith((".", "_"))
              and (fnmatch.fnmatchcase(n, pattern) if pattern is not None else Path(n).suffix.lower() in suffixes)]
    if not chosen:
        which = f"matches `{pattern}`" if pattern is not None else f"({', '.join(suffixes)}) in the folder"
        return Diagnostic("table-not-found", f"{what} `{rel}`: no part file {which}", where,
                          hint="a partitioned table is a folder of part files, or a glob of them")
    kinds = {Path(n).suffix.lower() for n in chosen}
    if len(kinds) > 1 or not kinds <= set(suffixes):
        return Diagnostic("table-format", f"{what} `{rel}`: its parts are {', '.join(sorted(kinds))} files; "
                          "give parts of one kind", where, hint=f"part files are one of {', '.join(suffixes)}")
    parts = [base / n for n in chosen]
    for p in parts:
        problem = check_file(p, display(p), limit="table_file_bytes", what="a table part", root=root)
        if problem is not None:
            return problem
    return parts
