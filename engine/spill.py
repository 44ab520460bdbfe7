"""Findings kept on disk: a rule's findings written part by part as Arrow IPC files, and read back a chunk at a
time through the :class:`engine.findings.Findings` interface.

An engine that evaluates a table in partitions (:mod:`engine.distributed`) writes each partition's findings
as one part (:func:`write_part`) as soon as the partition is done, and joins the parts into one
:class:`SpilledFindings`: the client holds the outcome of each finding (one byte) and the parts' sizes,
never the keys, messages or values of every finding. The renderers read it as they read findings in memory,
a slice at a time (``key[start:stop]``, ``messages(start, stop)``, ``values.iloc[start:stop]``, ...); each
slice decodes only the record batches it covers (:data:`BATCH` findings each).

A part holds typed columns: the outcome as a dictionary, the key as the table's type (text, integer, ...),
the row number, the message (formatted by whoever wrote the part), what is missing (a list of text), the
waiver, and the values the rule read with their own dtypes (categoricals stay dictionaries, numbers stay
numbers). A column Arrow cannot type (mixed Python objects) is written value by value with :mod:`pickle`.
"""

from __future__ import annotations

import itertools
import json
import pickle
import shutil
import tempfile
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .findings import Findings
from .results import OUTCOMES

BATCH = 20_000  # findings per record batch of a part: what a read decodes at least
_CACHED = 4  # decoded batches kept per spilled findings (a renderer reads the columns of one slice in turn)
_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4" if pa.Codec.is_available("lz4") else None)
_OUT, _KEY, _ROW, _MSG, _MISS, _WAIVER = "\0outcome", "\0key", "\0row", "\0message", "\0missing", "\0waiver"
_PICKLED, _ABSENT = "\0pickled:", "\0absent:"
_META = b"nbscheck.findings"
_TOKENS = itertools.count()
_PLAIN = (str, int, float, bool)


class SpillFolder:
    """A temporary folder for the parts of one run's findings, removed by :meth:`close` (or when the process
    ends). ``root``: where it is made (None: the system's temporary folder, e.g. ``$TMPDIR``)."""

    def __init__(self, root: str | Path | None = None):
        self.path = Path(tempfile.mkdtemp(prefix="nbscheck-findings-", dir=root))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), True)
        self._n = 0

    def new_part(self) -> Path:
        self._n += 1
        return self.path / f"part-{self._n:06d}.arrow"

    def close(self) -> None:
        self._cleanup()


# ---- writing ------------------------------------------------------------------------------------------------------


def to_arrow(findings: Findings) -> pa.Table:
    """One piece of findings as an Arrow table, every message formatted (see the module's docstring)."""
    n = len(findings)
    values = findings.values
    typed: list[str] = []
    pickled: list[str] = []
    for c in values.columns:
        (pickled if values[c].dtype == object and not _plain(values[c].tolist()) else typed).append(c)
    try:
        table = pa.Table.from_pandas(values[typed], preserve_index=False) if typed else pa.table({})
    except (pa.ArrowException, TypeError, ValueError, OverflowError):  # a dtype Arrow does not take: pickled
        for c in list(typed):
            try:
                pa.Table.from_pandas(values[[c]], preserve_index=False)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                typed.remove(c)
                pickled.append(c)
        table = pa.Table.from_pandas(values[typed], preserve_index=False) if typed else pa.table({})
    object_cols = []
    for c in [c for c in typed if values[c].dtype == object]:  # plain values: typed, read back as Python objects
        arr = _typed(values[c].tolist())
        if arr is None:
            table = table.remove_column(table.schema.get_field_index(c))
            pickled.append(c)
        else:
            table = table.set_column(table.schema.get_field_index(c), c, arr)
            object_cols.append(c)
    for c in pickled:
        table = table.append_column(_PICKLED + c, _pickles(values[c].tolist()))
    for c, lacks in findings.absent.items():
        table = table.append_column(_ABSENT + c, pa.array(np.asarray(lacks, dtype=bool)))
    keys = findings.key.tolist()
    typed_keys = _typed(keys)
    key_pickled = typed_keys is None
    outcome = pa.array(findings.outcome.tolist(), pa.string()).dictionary_encode()
    columns = {
        _OUT: outcome.cast(pa.dictionary(pa.int8(), pa.string())),
        _KEY: _pickles(keys) if typed_keys is None else typed_keys,
        _ROW: pa.array(findings.row, pa.int64()) if findings.row is not None else pa.nulls(n, pa.int64()),
        _MSG: pa.array(findings.messages(0, n), pa.string()),
        _MISS: pa.array([None if m is None else list(m) for m in findings.missing.tolist()], pa.list_(pa.string())),
        _WAIVER: _pickles(findings.waiver.tolist()),
    }
    for name, col in columns.items():
        table = table.append_column(name, col)
    meta = {"values": [str(c) for c in values.columns], "pickled": [str(c) for c in pickled],
            "objects": [str(c) for c in object_cols], "key_pickled": key_pickled, "groups": findings.row is None}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _META: json.dumps(meta).encode()})


def write_part(findings: Findings | pa.Table, path: Path) -> int:
    """Write one piece of findings (or its :func:`to_arrow` table) to ``path``; the number of findings."""
    table = (findings if isinstance(findings, pa.Table) else to_arrow(findings)).combine_chunks()
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=_OPTIONS) as writer:
        for batch in table.to_batches(max_chunksize=BATCH):  # every batch BATCH findings but the last
            writer.write_batch(batch)
    return table.num_rows


def outcome_codes(outcomes) -> np.ndarray:
    """Outcomes as one byte each: their place in :data:`engine.results.OUTCOMES`."""
    labels = np.asarray(outcomes, dtype=object)
    codes = np.full(len(labels), -1, dtype=np.int8)
    for i, name in enumerate(OUTCOMES):
        codes[labels == name] = i
    return codes


def _plain(values: list) -> bool:
    """Every value None or of one plain type (so Arrow types the column and gives the same values back)."""
    kinds = {type(v) for v in values if v is not None}
    return len(kinds) <= 1 and kinds <= set(_PLAIN)


def _typed(values: list) -> pa.Array | None:
    """Plain values as a typed Arrow array, or None when they are not (mixed types, integers beyond 64 bits)."""
    if not _plain(values):
        return None
    try:
        return pa.array(values)
    except (pa.ArrowException, OverflowError):
        return None


def _pickles(values: list) -> pa.Array:
    return pa.array([None if v is None else pickle.dumps(v, protocol=5) for v in values], pa.binary())


# ---- reading ------------------------------------------------------------------------------------------------------


class _Parts:
    """The parts of one rule's findings: which batch of which file holds each finding, decoded on demand.
    ``outcomes``: each part's outcome codes (:func:`outcome_codes`), when the writer gave them back; else they
    are read from the files. ``folder``: the :class:`SpillFolder` holding the files, not removed while these
    findings can be read."""

    def __init__(self, paths: list[Path], outcomes: list[np.ndarray] | None = None, folder: SpillFolder | None = None):
        self.paths = paths
        self.folder = folder  # kept open while the findings are read
        metas = []
        for path in paths:
            with pa.OSFile(str(path), "rb") as src:
                schema = pa.ipc.open_file(src).schema
            metas.append((json.loads(schema.metadata[_META]), schema.names))
        if outcomes is None:
            outcomes = [outcome_codes(_read_outcomes(path)) for path in paths]
        self.values = list(dict.fromkeys(c for m, _ in metas for c in m["values"]))
        partial = [c for c in self.values if any(c not in m["values"] for m, _ in metas)]
        flagged = [n[len(_ABSENT):] for _, names in metas for n in names if n.startswith(_ABSENT)]
        self.absent = list(dict.fromkeys([*flagged, *partial]))
        self.partial = bool(partial)
        self.groups = any(m["groups"] for m, _ in metas)
        starts, where = [0], []
        for p, codes in enumerate(outcomes):  # batches of BATCH findings, the last one shorter (write_part)
            for b, start in enumerate(range(0, len(codes), BATCH)):
                starts.append(starts[-1] + min(BATCH, len(codes) - start))
                where.append((p, b))
        self.starts = np.asarray(starts, dtype=np.int64)
        self.where = where
        self.labels = list(OUTCOMES)
        self.codes = np.concatenate(outcomes) if outcomes else np.zeros(0, dtype=np.int8)
        self._cache: OrderedDict[int, dict] = OrderedDict()
        self._last: tuple | None = None

    def __len__(self) -> int:
        return int(self.starts[-1])

    def batch(self, i: int) -> dict:
        """Batch ``i`` decoded: its columns as the engine holds them in memory."""
        hit = self._cache.get(i)
        if hit is not None:
            self._cache.move_to_end(i)
            return hit
        p, b = self.where[i]
        with pa.OSFile(str(self.paths[p]), "rb") as src:
            reader = pa.ipc.open_file(src)
            meta = json.loads(reader.schema.metadata[_META])
            rb = reader.get_batch(b)
        table = pa.Table.from_batches([rb])
        col = lambda name: table.column(name)  # noqa: E731
        n = table.num_rows
        typed = [c for c in meta["values"] if c not in meta["pickled"]]
        values = table.select(typed).to_pandas() if typed else pd.DataFrame(index=pd.RangeIndex(n))
        for c in meta["objects"]:
            values[c] = pd.Series(col(c).to_pylist(), dtype=object)
        for c in meta["pickled"]:
            values[c] = pd.Series(_unpickle(col(_PICKLED + c)), dtype=object)
        values = values[meta["values"]] if meta["values"] else pd.DataFrame(index=pd.RangeIndex(n))
        keys = col(_KEY)
        missing = np.empty(n, dtype=object)
        missing[:] = col(_MISS).to_pylist()
        names = set(table.schema.names)
        out = {
            "key": np.array(_unpickle(keys) if meta["key_pickled"] else keys.to_pylist(), dtype=object),
            "row": None if meta["groups"] else col(_ROW).to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
            "message": np.array(col(_MSG).to_pylist(), dtype=object),
            "missing": missing,
            "waiver": np.array(_unpickle(col(_WAIVER)), dtype=object),
            "values": values.reset_index(drop=True),
            **{_ABSENT + c: (col(_ABSENT + c).to_numpy(zero_copy_only=False) if _ABSENT + c in names
                             else np.full(n, c not in meta["values"])) for c in self.absent},
        }
        self._cache[i] = out
        if len(self._cache) > _CACHED:
            self._cache.popitem(last=False)
        return out

    def rows(self, ref: tuple | None, positions: np.ndarray, only: str | None = None) -> dict:
        """The columns at ``positions`` (``values``: the value frame; ``absent:<c>``: where column c is lacking);
        the last answer is kept under ``ref``, so the columns of one slice are decoded once. ``only``: just that
        column (a gather of many positions, not kept)."""
        if ref is not None and self._last is not None and self._last[0] == ref:
            return self._last[1]
        which = np.searchsorted(self.starts, positions, side="right") - 1
        pieces = []
        cuts = np.flatnonzero(np.diff(which)) + 1
        for seg in np.split(np.arange(len(positions)), cuts) if len(positions) else ():
            b = int(which[seg[0]])
            got = self.batch(b)
            local = positions[seg] - self.starts[b]
            whole = len(local) == len(got["key"]) and bool(np.all(local == np.arange(len(local))))
            pieces.append({k: v if whole or v is None else v.iloc[local] if k == "values" else v[local]
                           for k, v in got.items() if only is None or k == only})
        out = _joined(pieces, self, only)
        if ref is not None:
            self._last = (ref, out)
        return out


def _joined(pieces: list[dict], parts: _Parts, only: str | None) -> dict:
    """The columns of several batches' pieces as one."""
    if len(pieces) == 1:
        return pieces[0]
    names = ["key", "row", "message", "missing", "waiver", "values", *(_ABSENT + c for c in parts.absent)]
    out: dict = {}
    for k in names if only is None else [only]:
        if k == "values":
            frame = pd.concat([p[k] for p in pieces], ignore_index=True) if pieces else pd.DataFrame()
            out[k] = frame.reindex(columns=parts.values) if parts.partial or not pieces else frame
        elif k == "row" and parts.groups:
            out[k] = None
        elif pieces:
            out[k] = np.concatenate([p[k] for p in pieces])
        else:
            out[k] = np.zeros(0, dtype=bool if k.startswith(_ABSENT) else np.int64 if k == "row" else object)
    return out


def _read_outcomes(path: Path) -> list[str]:
    with pa.OSFile(str(path), "rb") as src:
        return pa.ipc.open_file(src).read_all().column(_OUT).to_pylist()


def _unpickle(col) -> list:
    return [None if v is None else pickle.loads(v) for v in col.to_pylist()]


class _Column(Sequence):
    """One column of spilled findings: sliced (``col[start:stop]``), indexed or gathered (an int array), each read
    decoding the batches it covers; ``tolist()`` reads it whole."""

    def __init__(self, parts: _Parts, name: str, positions: np.ndarray | None, token: int):
        self._parts, self._name, self._pos, self._token = parts, name, positions, token

    def __len__(self) -> int:
        return len(self._parts) if self._pos is None else len(self._pos)

    def __getitem__(self, i):
        n = len(self)
        if isinstance(i, int | np.integer):
            if not -n <= i < n:
                raise IndexError(i)
            at = int(i) % n
            at = at if self._pos is None else int(self._pos[at])
            b = int(np.searchsorted(self._parts.starts, at, side="right") - 1)
            got = self._parts.batch(b)
            local = at - int(self._parts.starts[b])
            if self._name == "values":
                return got["values"].iloc[local:local + 1].reset_index(drop=True)
            return got[self._name][local]
        if isinstance(i, slice) and i.step in (None, 1):
            start, stop, _ = i.indices(n)
            stop = max(start, stop)
            local = np.arange(start, stop, dtype=np.int64)
            ref: tuple | None = (self._token, start, stop)
        else:
            local = np.arange(n, dtype=np.int64)[i] if isinstance(i, slice) else np.asarray(i)
            if local.dtype == bool:
                local = np.flatnonzero(local)
            local = local.astype(np.int64, copy=False)
            ref = None  # a gather is not kept
        got = self._parts.rows(ref, local if self._pos is None else self._pos[local],
                               None if ref is not None else self._name)
        return got[self._name]

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __iter__(self):
        for start in range(0, len(self), BATCH):
            yield from self[start:start + BATCH].tolist()

    def tolist(self) -> list:
        return self[:].tolist()


class _Outcomes(Sequence):
    """The outcome of every spilled finding, held in memory as one byte each; reads as the object array of an
    in-memory :class:`Findings` (slices, ``==``, ``tolist``)."""

    def __init__(self, codes: np.ndarray, labels: list[str]):
        self.codes = codes
        self.labels = np.array(labels, dtype=object)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        got = self.codes[i]
        return self.labels[got] if isinstance(got, np.ndarray) else self.labels[int(got)]

    def _code(self, label) -> int:
        hits = np.flatnonzero(self.labels == label)
        return int(hits[0]) if len(hits) else -1

    def __eq__(self, other):
        return self.codes == self._code(other)

    def __ne__(self, other):
        return self.codes != self._code(other)

    __hash__ = None  # type: ignore[assignment]

    def __array__(self, dtype=None, copy=None):
        out = self.labels[self.codes]
        return out if dtype is None else out.astype(dtype)

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        return self.labels[self.codes].tolist()


class _Values:
    """The value frame of spilled findings, as far as readers use it: ``iloc[start:stop]`` and ``columns``."""

    def __init__(self, parts: _Parts, positions: np.ndarray | None, token: int):
        self._col = _Column(parts, "values", positions, token)
        self.columns = pd.Index(parts.values)

    @property
    def iloc(self) -> _Column:
        return self._col

    def __len__(self) -> int:
        return len(self._col)


class SpilledFindings(Findings):
    """A rule's findings read from its parts on disk (:func:`write_part`), in the parts' order; everything an
    in-memory :class:`Findings` offers the report and the renderers (see the module's docstring)."""

    def __init__(self, table: str, paths: list[Path] | _Parts, positions: np.ndarray | None = None,
                 outcomes: list[np.ndarray] | None = None, folder: SpillFolder | None = None):
        parts = paths if isinstance(paths, _Parts) else _Parts(list(paths), outcomes, folder)
        self._parts, self._pos = parts, positions
        self.table = table
        codes = parts.codes if positions is None else parts.codes[positions]
        self.outcome = _Outcomes(codes, parts.labels)  # type: ignore[assignment]
        t = next(_TOKENS)  # names this selection's slices in the parts' cache
        self.key = _Column(parts, "key", positions, t)  # type: ignore[assignment]
        self.row = None if parts.groups else _Column(parts, "row", positions, t)  # type: ignore[assignment]
        self.values = _Values(parts, positions, t)  # type: ignore[assignment]
        self.missing = _Column(parts, "missing", positions, t)  # type: ignore[assignment]
        self.waiver = _Column(parts, "waiver", positions, t)  # type: ignore[assignment]
        self.absent = {c: _Column(parts, _ABSENT + c, positions, t) for c in parts.absent}  # type: ignore[misc]
        self.formatter = None
        self._message = _Column(parts, "message", positions, t)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.outcome)

    def messages(self, start: int = 0, stop: int | None = None) -> list[str]:
        return self._message[start:stop].tolist()

    def take(self, positions) -> SpilledFindings:
        pos = np.asarray(positions, dtype=np.int64)
        return SpilledFindings(self.table, self._parts, pos if self._pos is None else self._pos[pos])

    def sorted_by_row(self) -> SpilledFindings:
        return self  # the parts are written in row order

    def __repr__(self) -> str:
        return f"<{len(self)} findings of table {self.table!r} in {len(self._parts.paths)} parts>"
