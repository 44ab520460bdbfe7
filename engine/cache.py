"""A per-user cache of the compiled grammar, of parsed rule files, of checked packs and of plan tables.

Building the LALR tables from ``grammar/nbs.lark`` takes about a second,
parsing a pack's files a tenth of one (a third of a second for 1,000 rules),
and checking a pack a little less (half a second more when it loads pint's
unit registry for a unit beyond the common ones); all three results depend
only on their inputs, so they are kept between runs:

- the grammar's parser as Lark saves it (``Lark.save``/``Lark.load``, what
  Lark's ``cache=True`` does), keyed by the grammar text, the options, Lark's
  version and Python's. ``cache=True`` itself is not used: it keeps its pickle
  in the shared temporary folder, where another user could plant one, and
  writes it in place, where a concurrent run could read half of it;
- the one-pass parser's tables (:func:`engine.syntax.lalr.tables`: the LALR
  actions and every state's lexer, read from Lark's once), keyed by the
  grammar and the source of the parser: a run that finds them loads neither
  Lark's tables nor its lexers unless a file has a syntax error;
- each rule file's syntax tree (an :class:`engine.syntax.ast.Module`), keyed by
  a hash of the file's text, its display name, the grammar, the source of the
  parser and the tool's version. A changed file, grammar or parser never meets
  an old entry;
- each rule file's outline, keyed the same way: its imports and headers, all
  that finding a pack's files reads (:func:`outlined`), so a pack whose checked
  form is cached is found without unpickling a syntax tree or importing the
  parser, the syntax tree's classes or the checker;
- that a plan document was valid against a standard's JSON Schema (an empty
  entry keyed by both and the engine's source: :func:`valid`), so a plan
  checked again unchanged is not validated again;
- each table of a plan as read and typed (a pandas DataFrame), for a file of at
  most 8 MiB that is not geodata, keyed by the file's bytes, its display name,
  the table's declaration and mapping, the engine's source and the versions of
  pandas, pyarrow, NumPy, openpyxl and charset-normalizer (:func:`table`), so a
  plan checked again reads its changed tables only. These entries are the only
  ones that grow with use: beyond 256 MiB in all, those used longest ago are
  removed;
- each checked pack (an :class:`engine.model.Standard`, with its warnings),
  keyed by the text and display name of every rule file it read (a profile's
  base and the packs it imports included), where it was found, the source of every module of the
  engine, the grammar, and the versions of Python, the tool and pint. Only a
  pack that checked without errors is stored; the compiled closures are made
  from it afresh each run.

The entries are pickles, and unpickling runs code, so the cache is only read
from a folder that is the user's own: created with mode 0700, owned by the
current user and not writable by group or others, and so are the files read
from it (checked on the open file). Anything else is ignored, as are entries
that fail to load: the cache can only make a run faster, never change its
result. Files are written to a temporary name and renamed into place, so
concurrent runs never read half an entry.

The folder is ``$NBSCHECK_CACHE_DIR`` if set, else the platform's user cache
folder (``$XDG_CACHE_HOME/nbscheck``, ``~/.cache/nbscheck``,
``~/Library/Caches/nbscheck``, ``%LOCALAPPDATA%\\nbscheck\\Cache``), else
``nbscheck-UID`` in the temporary folder. ``NBSCHECK_NO_CACHE=1`` turns it off;
so does a folder that cannot be created (a read-only home): then every run
parses from scratch.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

ENV_DIR = "NBSCHECK_CACHE_DIR"
ENV_OFF = "NBSCHECK_NO_CACHE"


def enabled() -> bool:
    """False when ``NBSCHECK_NO_CACHE`` is set to anything but ``0`` or empty."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


def _candidates() -> list[Path]:
    if os.environ.get(ENV_DIR):
        return [Path(os.environ[ENV_DIR])]
    uid = os.getuid() if hasattr(os, "getuid") else "user"  # Windows: the temporary folder is per user
    found = [Path(tempfile.gettempdir()) / f"nbscheck-{uid}"]
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no home folder (a service account, an empty environment)
        return found
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "nbscheck" / "Cache"
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches" / "nbscheck"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "nbscheck"
    return [base, *found]


R = TypeVar("R")


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (POSIX); Windows' per-user folders are private by ACL."""
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def folder() -> Path | None:
    """The cache folder, created if need be; None when caching is off or no private folder can be had."""
    if not enabled():
        return None
    for path in _candidates():
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = path.stat()
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and _private(st) and os.access(path, os.W_OK):
            return path
    return None


def get(name: str) -> bytes | None:
    """The bytes of cache entry ``name``, or None: caching off, no entry, or a file not private to this user."""
    where = folder()
    if where is None:
        return None
    try:
        with open(where / name, "rb") as fh:
            if not _private(os.fstat(fh.fileno())):
                return None
            return fh.read()
    except OSError:
        return None


def put(name: str, data: bytes) -> None:
    """Store entry ``name``: written to a temporary file (mode 0600) and renamed into place; failures are ignored."""
    where = folder()
    if where is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=where)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, where / name)
    except OSError:  # a full disk: no cache entry
        Path(tmp).unlink(missing_ok=True)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector paused, and resumed as it was.

    Parsing a pack, checking it and (un)pickling its trees make tens of thousands of small objects
    and no garbage cycles; the collections their allocations set off walk every object made so far,
    and cost up to half of checking a pack and five sixths of reading a checked pack from the cache.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def memo(key: str | None, compute: Callable[[], R], *, keep: Callable[[R], bool] = lambda r: True,
         stored: Callable[[R], Any] = lambda r: r, rebuilt: Callable[[Any], R] = lambda v: v) -> R:
    """``compute()``, or ``rebuilt`` of what the cache holds under ``key`` (None: the cache is off). A result
    that ``keep`` accepts is stored as the pickle of ``stored(result)``; one that cannot be pickled (a very deep
    tree) is simply not stored, and an entry that cannot be read (written by another Python, truncated by a
    crash) is computed again. The cycle collector is paused while pickling (:func:`gc_paused`)."""
    if key is not None:
        data = get(key)
        if data is not None:
            try:
                with gc_paused():
                    return rebuilt(pickle.loads(data))
            except Exception:  # noqa: BLE001 -- whatever an unreadable entry raises: compute it again
                pass
    result = compute()
    if key is not None and keep(result):
        try:
            with gc_paused():
                put(key, pickle.dumps(stored(result), protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, RecursionError, TypeError, AttributeError):  # not picklable: not stored
            pass
    return result


def digest(*parts: str | bytes) -> str:
    """A hex key over several texts, each delimited so that ("ab", "c") and ("a", "bc") differ.

    >>> digest("ab", "c") == digest("a", "bc")
    False
    """
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little") + b)
    return h.hexdigest()[:40]


@functools.cache
def parser_fingerprint() -> str:
    """The tool's version and the source of the modules that turn text into syntax trees, with the grammar."""
    from .resources import data_dir, version

    here = Path(__file__).resolve().parent
    parts: list[str | bytes] = [version(), sys.version]
    for f in (here / "syntax" / "parser.py", here / "syntax" / "lalr.py", here / "syntax" / "ast.py",
              here / "diagnostics.py",
              data_dir("grammar") / "nbs.lark"):
        parts.append(f.read_bytes())
    return digest(*parts)


def parsed(text: str, name: str, parse: Callable[[str, str], tuple[Any, list]]) -> tuple[Any, list]:
    """``parse(text, name)``, or its syntax tree from the cache. Only clean parses are stored.

    Diagnostics are not cached: a file with a syntax error is parsed again each
    time, so its message always comes from the current parser.
    """
    key = f"ast-{digest(parser_fingerprint(), name, text)}.pickle" if folder() is not None else None
    return memo(key, lambda: parse(text, name), keep=lambda r: r[0] is not None and not r[1],
                stored=lambda r: r[0], rebuilt=lambda module: (module, []))


def outlined(text: str, name: str, parse: Callable[[str, str], tuple[Any, list]],
             outline: Callable[[Any], Any]) -> tuple[Any, Any, list]:
    """``outline(tree)`` of a rule file's syntax tree, from the cache without the tree, else with the tree
    (:func:`parsed`): ``(outline, tree, diagnostics)``, the tree None when it came from the cache, the outline
    None when the file did not parse.

    An outline is the little of a file that finding a pack's files reads (its imports and headers): keyed like
    the tree (the file's text and name, the parser), so a changed file or parser never meets an old one. Only
    clean parses are stored, so an outline found means the file parses without a diagnostic.
    """
    def read() -> tuple[Any, Any, list]:
        tree, diags = parsed(text, name, parse)
        return (None, None, diags) if tree is None else (outline(tree), tree, diags)

    key = f"outline-{digest(parser_fingerprint(), name, text)}.pickle" if folder() is not None else None
    return memo(key, read, keep=lambda r: r[1] is not None and not r[2], stored=lambda r: r[0],
                rebuilt=lambda found: (found, None, []))


def dist_version(name: str) -> str:
    """An installed distribution's version, from the name of its metadata folder (``pint-0.24.4.dist-info``)
    beside the package, without importing it ("none" when it is not installed): ``importlib.metadata`` would
    import an e-mail parser, a tenth of a warm check's own time."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return "none"
    site = Path(next(iter(spec.submodule_search_locations))).parent
    names = [n for n in os.listdir(site) if n.startswith(f"{name}-") and n.endswith(".dist-info")]
    if len(names) == 1:
        return names[0][len(f"{name}-"):-len(".dist-info")]
    from importlib import metadata  # an egg, an editable install or several folders: ask the metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


@functools.cache
def _engine_fingerprint() -> str:
    """The source of every module of the engine and the grammar, with the versions of Python, nbscheck and pint."""
    from .inputs import files_under
    from .resources import data_dir, version

    here = Path(__file__).resolve().parent
    parts: list[str | bytes] = [version(), sys.version, dist_version("pint")]
    for f in files_under(here, ".py", skip=frozenset({"__pycache__"})):  # sorted by path under here
        parts += [f.relative_to(here).as_posix(), f.read_bytes()]
    parts.append((data_dir("grammar") / "nbs.lark").read_bytes())
    return digest(*parts)


def checked(inputs: list[str], check: Callable[[], tuple[Any, list]]) -> tuple[Any, list]:
    """``check()`` — a checked pack and its diagnostics — or both from the cache, keyed by ``inputs`` (the
    texts and names of the pack's files and where it was found) and the engine's source. Only a pack that
    checked without errors is stored."""
    key = f"checked-{digest(_engine_fingerprint(), *inputs)}.pickle" if folder() is not None else None
    return memo(key, check, keep=lambda r: r[0] is not None and not any(d.severity == "error" for d in r[1]))


@functools.cache
def _libraries() -> str:
    """The installed versions of the libraries a plan's tables are read and typed with."""
    return " ".join(f"{name}={dist_version(name)}" for name in ("pandas", "pyarrow", "numpy", "openpyxl",
                                                                 "charset_normalizer"))


TABLES_KEPT = 256 * 2**20  # the plan tables' entries, in all: beyond it the oldest are removed


def table(inputs: list[str | bytes], read: Callable[[], tuple[Any, list]],
          unchanged: Callable[[], bool] = lambda: True) -> tuple[Any, list]:
    """``read()`` — a plan table as read and typed, and its diagnostics — or both from the cache, keyed by
    ``inputs`` (the file's bytes, its display name, its declaration and how the plan maps it, its reader and the
    limits), the engine's source and the versions of the libraries that read it. Only a table read without a
    diagnostic, with no geometry and from a file ``unchanged()`` since its bytes were read for the key, is
    stored; then the oldest table entries beyond ``TABLES_KEPT`` bytes in all are removed."""
    where = folder()
    if where is None:
        return read()
    key = f"table-{digest(_engine_fingerprint(), _libraries(), *inputs)}.pickle"
    read_now: list[bool] = []  # set when the table was read rather than read back

    def fresh() -> tuple[Any, list]:
        read_now.append(True)
        return read()

    result = memo(key, fresh, keep=lambda r: r[0] is not None and not r[1] and "layer" not in r[0].attrs
                  and unchanged())
    if read_now:
        _prune(where, "table-", TABLES_KEPT)
    else:  # read back: marked as used, so that pruning removes the entries used longest ago
        with contextlib.suppress(OSError):
            os.utime(where / key)
    return result


def _prune(where: Path, prefix: str, budget: int) -> None:
    """Remove the oldest entries named ``prefix…`` in ``where`` until those left take at most ``budget`` bytes."""
    entries = []
    try:
        with os.scandir(where) as found:
            for e in found:
                if e.name.startswith(prefix) and e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    entries.append((st.st_mtime_ns, e.name, st.st_size))
    except OSError:
        return
    total = sum(size for _, _, size in entries)
    for _, name, size in sorted(entries):
        if total <= budget:
            break
        with contextlib.suppress(OSError):
            (where / name).unlink()
        total -= size


def _validity_key(kind: str, schema: object, data: object) -> str:
    # pickles are invertible, so two different documents never share a key (a false "valid")
    key = digest(_engine_fingerprint(), pickle.dumps(schema, protocol=4), pickle.dumps(data, protocol=4))
    return f"valid-{kind}-{key}"


def valid(kind: str, schema: object, data: object) -> bool:
    """True when this very document was found valid against this very schema by this engine before.

    Validation is a pure function of the two (and of the engine, in the key), so a plan checked again
    unchanged skips jsonschema, whose import alone costs a tenth of a second.
    """
    if folder() is None:
        return False
    try:
        return get(_validity_key(kind, schema, data)) == b"valid"
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return False


def remember_valid(kind: str, schema: object, data: object) -> None:
    """Record that the document was valid against the schema (see :func:`valid`)."""
    if folder() is None:
        return
    try:
        put(_validity_key(kind, schema, data), b"valid")
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        pass
