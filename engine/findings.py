"""The findings of one per-row or per-group rule, held as columns from evaluation to rendering.

A rule over a table of 10^7 rows can have millions of rows that fail or lack data. They are kept as
one frame per rule (:class:`Findings`): the outcome, the key and the row number of each, the values
the rule read (typed columns: categoricals, floats, as the plan holds them), what is missing and the
waiver. A message is formatted only when something shows it: :meth:`Findings.messages` formats the
asked positions from the rule's message parts and caches them; a renderer that shows five findings
formats five. :meth:`Findings.plain_values` turns a slice of the values into JSON-ready columns, one
conversion per column. Iterating gives :class:`engine.results.Finding` views, built a chunk at a time,
for code that reads one finding at a time (tests, ``nbscheck test``).

An engine that evaluates a table in partitions builds one :class:`Findings` per partition and
:func:`concat` joins them (row numbers are the plan's, so they stay unique).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from . import format as F

CHUNK = 20_000  # findings built into Python objects at a time

# positions (an int array into the findings) -> their messages
MessageFormatter = Callable[[np.ndarray], list[str]]


class RangeSequence(Sequence):
    """A sequence whose items are built a range at a time: a subclass gives ``__len__`` and
    ``_range(start, stop)`` (the items of positions ``start`` to ``stop``, a list), and indexing and
    slicing read through it, so a slice builds its items in one call."""

    def _range(self, start: int, stop: int) -> list:
        raise NotImplementedError

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            got = self._range(start, stop) if stop > start else []
            return got[::step] if step != 1 else got
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._range(i, i + 1)[0]


class Findings(RangeSequence):
    """The rows or groups of one rule that did not pass, as columns (see the module's docstring).

    ``outcome``, ``key``: one entry per finding (``key`` may be given as the table's key column of the findings'
    rows, a Series: it is made Python values, :func:`F.plain`, when first read); ``row``: the plan's row numbers
    (None for a group); ``values``: a frame of the read columns and lets, one row per finding, in the same order;
    ``missing``, ``waiver``: per finding, None where there is none; ``formatter`` formats the messages
    of the given positions (findings whose message was not given).
    """

    def __init__(self, table: str, outcome: np.ndarray, key: list | np.ndarray | pd.Series, row: np.ndarray | None,
                 values: pd.DataFrame | None = None, message: list | np.ndarray | None = None,
                 formatter: MessageFormatter | None = None, missing: list | np.ndarray | None = None,
                 waiver: list | np.ndarray | None = None):
        n = len(outcome)
        self.table = table  # keys, messages, missing and waivers are object arrays, like the outcomes
        self.outcome = np.asarray(outcome, dtype=object)
        self._key = key if isinstance(key, pd.Series) else _objects(key, n)
        self.row = row  # int64 array, or None for group findings
        self._values = values  # None: no value columns, made when read (most rules have no findings at all)
        self._message = _objects(message, n)
        self.formatter = formatter
        self.missing = _objects(missing, n, nested=True)
        self.waiver = _objects(waiver, n)
        self.absent: dict[str, np.ndarray] = {}  # value columns some findings do not have: where they lack it

    @property
    def key(self) -> np.ndarray:
        if isinstance(self._key, pd.Series):  # the key column, as typed as the plan holds it
            self._key = _objects(F.plain_list(self._key), len(self._key))
        return self._key

    @key.setter
    def key(self, keys: np.ndarray) -> None:
        self._key = keys

    def _keys_at(self, pos: np.ndarray) -> np.ndarray | pd.Series:
        """The keys of the findings at ``pos``: still a column where they were not read yet."""
        return self._key.iloc[pos] if isinstance(self._key, pd.Series) else self._key[pos]

    @property
    def values(self) -> pd.DataFrame:
        if self._values is None:
            self._values = pd.DataFrame(index=pd.RangeIndex(len(self)))
        return self._values

    @values.setter
    def values(self, frame: pd.DataFrame) -> None:
        self._values = frame

    @classmethod
    def empty(cls, table: str = "") -> Findings:
        return cls(table, np.array([], dtype=object), [], np.array([], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.outcome)

    def __bool__(self) -> bool:
        return len(self.outcome) > 0

    # messages -----------------------------------------------------------------------------------------
    def messages(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The messages of findings ``start`` to ``stop``, formatted now if they were not yet."""
        stop = len(self) if stop is None else min(stop, len(self))
        todo = start + np.flatnonzero(_is_none(self._message[start:stop]))
        if len(todo) and self.formatter is not None:
            self._message[todo] = _objects(self.formatter(todo), len(todo))
        return self._message[start:stop].tolist()

    def message(self, i: int) -> str:
        return self.messages(i, i + 1)[0]

    def first(self, outcome: str) -> int | None:
        """The position of the first finding with ``outcome``."""
        hits = np.flatnonzero(self.outcome == outcome)
        return int(hits[0]) if len(hits) else None

    # values -------------------------------------------------------------------------------------------
    def plain_values(self, start: int = 0, stop: int | None = None) -> dict[str, list]:
        """The values of findings ``start`` to ``stop`` as JSON-ready lists, one per column (:func:`F.plain`)."""
        part = self.values.iloc[start:stop]
        return {str(c): F.plain_list(part[c]) for c in part.columns}

    def value_dicts(self, start: int = 0, stop: int | None = None) -> list[dict]:
        cols = self.plain_values(start, stop)
        n = len(self.values.iloc[start:stop])
        names = list(cols)
        out = [dict(zip(names, vals)) for vals in zip(*cols.values())] if names else [{} for _ in range(n)]
        for c, lacks in self.absent.items():
            for i in np.flatnonzero(lacks[start:stop]).tolist():
                del out[i][c]
        return out

    # one finding at a time ----------------------------------------------------------------------------
    def views(self, start: int = 0, stop: int | None = None):
        """:class:`engine.results.Finding` views of findings ``start`` to ``stop``."""
        from .results import Finding

        stop = len(self) if stop is None else min(stop, len(self))
        rows = [None] * (stop - start) if self.row is None else self.row[start:stop].tolist()
        return [Finding(o, self.table, k, r, m, v, list(miss or []), w) for o, k, r, m, v, miss, w in zip(
            self.outcome[start:stop].tolist(), self.key[start:stop].tolist(), rows, self.messages(start, stop),
            self.value_dicts(start, stop), self.missing[start:stop].tolist(), self.waiver[start:stop].tolist())]

    def __iter__(self) -> Iterator:
        for start in range(0, len(self), CHUNK):
            yield from self.views(start, start + CHUNK)

    def _range(self, start: int, stop: int) -> list:
        return self.views(start, stop)

    # building -----------------------------------------------------------------------------------------
    def take(self, positions: Sequence[int] | np.ndarray) -> Findings:
        """The findings at ``positions``, in that order (their messages formatted on demand as before)."""
        pos = np.asarray(positions, dtype=np.int64)
        parent = self

        def formatter(sub: np.ndarray) -> list[str]:
            return _gather(parent, pos[sub])

        out = Findings(self.table, self.outcome[pos], self._keys_at(pos), None if self.row is None else self.row[pos],
                       self.values.iloc[pos].reset_index(drop=True), self._message[pos], formatter,
                       self.missing[pos], self.waiver[pos])
        out.absent = {c: m[pos] for c, m in self.absent.items()}
        return out

    def sorted_by_row(self) -> Findings:
        if self.row is None or len(self) < 2 or bool(np.all(self.row[:-1] <= self.row[1:])):
            return self
        return self.take(np.argsort(self.row, kind="stable"))


def _gather(parent: Findings, pos: np.ndarray) -> list[str]:
    """Messages of many positions of ``parent``: formatted in one call, then read back."""
    missing = pos[_is_none(parent._message[pos])]
    if len(missing) > 1 and not bool(np.all(missing[1:] > missing[:-1])):  # in order and once each already: as is
        missing = np.unique(missing)
    if len(missing) and parent.formatter is not None:
        parent._message[missing] = _objects(parent.formatter(missing), len(missing))
    return parent._message[pos].tolist()


_NONE = np.asarray(None, dtype=object)


def _is_none(a: np.ndarray) -> np.ndarray:
    return np.equal(a, _NONE)


def _objects(values, n: int, nested: bool = False) -> np.ndarray:
    """``values`` as an object array of length n (None: all None); ``nested``: its items are lists."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    out = np.full(n, None, dtype=object)
    if values is None:
        return out
    if nested:  # numpy would read a list of equal-length lists as a 2-d array
        for i, v in enumerate(values):
            out[i] = v
    else:
        out[:] = values if isinstance(values, list) else list(values)
    return out


def concat(parts: list[Findings]) -> Findings:
    """One rule's findings from several pieces (rows of different outcomes, or partitions), in order."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Findings.empty()
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(p) for p in parts])

    def formatter(pos: np.ndarray) -> list[str]:
        out = np.full(len(pos), None, dtype=object)
        which = np.searchsorted(offsets, pos, side="right") - 1
        for k, part in enumerate(parts):
            sel = np.flatnonzero(which == k)
            if len(sel):
                out[sel] = _objects(_gather(part, pos[sel] - offsets[k]), len(sel))
        return out.tolist()

    rows = None if any(p.row is None for p in parts) else np.concatenate([p.row for p in parts])
    columns = list(dict.fromkeys(c for p in parts for c in p.values.columns))
    absent = {}
    for c in columns:
        lacks = np.concatenate([np.full(len(p), c not in p.values.columns) | p.absent.get(c, False) for p in parts])
        if lacks.any():
            absent[c] = lacks
    columns_of_keys = [p._key for p in parts if isinstance(p._key, pd.Series)]
    if len(columns_of_keys) == len(parts) and all(k.dtype == columns_of_keys[0].dtype for k in columns_of_keys):
        keys: np.ndarray | pd.Series = pd.concat(columns_of_keys, ignore_index=True)  # one column, read when asked
    else:
        keys = np.concatenate([p.key for p in parts])
    values = pd.concat([p.values for p in parts], ignore_index=True)
    if list(values.columns) != columns:  # (pandas lists them in this order already: no copy to select them)
        values = values[columns]
    out = Findings(parts[0].table, np.concatenate([p.outcome for p in parts]), keys, rows, values,
                   np.concatenate([p._message for p in parts]), formatter,
                   np.concatenate([p.missing for p in parts]), np.concatenate([p.waiver for p in parts]))
    out.absent = absent
    return out
