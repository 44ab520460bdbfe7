"""A progress display on standard error for long runs: shown only when a run passes two seconds,
only on a terminal, never with ``--quiet``; it leaves nothing behind when it ends.

The command opens one :class:`Progress` for the run (one step per plan). The stages inside it, such as the
rules being evaluated, the report files being written or, for an engine that works in partitions, the
partitions done, report through the module-level hook, which does nothing when no display is open::

    from engine import progress
    progress.stage("objects: partitions", total=64)
    for part in parts:
        ...
        progress.advance()
"""

from __future__ import annotations

import sys
import threading
from typing import Any

DELAY = 2.0  # seconds before anything is shown
_active: Progress | None = None  # the display of the running command, if any


class Progress:
    """``with Progress(total, enabled) as p: p.step("evaluating riverside")``"""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.total, self.done, self.label = total, 0, ""
        self.detail: tuple[str, int, int] | None = None  # the current stage: label, done, total
        self._bar: Any = None  # rich.progress.Progress, imported only when shown
        self._task: Any = None
        self._stage: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._outer: Progress | None = None
        self._closed = False  # the run is over: a display that comes due now is not shown

    def __enter__(self) -> Progress:
        global _active
        self._outer, _active = _active, self
        if self.enabled:
            self._timer = threading.Timer(DELAY, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        with self._lock:
            if self._closed:  # the run ended while rich was being imported
                return
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=Console(file=self.stream), transient=True)
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done)
            if self.detail is not None:
                label, done, total = self.detail
                self._stage = self._bar.add_task(label, total=total, completed=done)
            self._bar.start()

    def step(self, label: str, advance: int = 0) -> None:
        with self._lock:
            self.done += advance
            self.label = label
            if self.detail is not None and advance:  # a plan is done: its stages with it
                self.detail = None
                if self._stage is not None:
                    self._bar.remove_task(self._stage)
                    self._stage = None
            if self._bar is not None:
                self._bar.update(self._task, description=label, completed=self.done)

    def stage(self, label: str, total: int) -> None:
        """Start a stage of ``total`` steps under the current plan (it replaces the previous stage)."""
        with self._lock:
            self.detail = (label, 0, total)
            if self._bar is not None:
                if self._stage is None:
                    self._stage = self._bar.add_task(label, total=total)
                else:
                    self._bar.reset(self._stage, total=total, description=label)

    def advance(self, n: int = 1, label: str | None = None) -> None:
        """``n`` more steps of the current stage done (``label``: what is being done now)."""
        with self._lock:
            if self.detail is None:
                return
            old, done, total = self.detail
            self.detail = (label or old, done + n, total)
            if self._bar is not None and self._stage is not None:
                self._bar.update(self._stage, completed=done + n, description=label or old)

    def __exit__(self, *exc) -> None:
        global _active
        _active = self._outer
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._bar is not None:
                self._bar.stop()


def stage(label: str, total: int) -> None:
    """Start a stage of ``total`` steps on the open display; nothing when none is open."""
    if _active is not None:
        _active.stage(label, total)


def advance(n: int = 1, label: str | None = None) -> None:
    """``n`` more steps of the current stage done; nothing when no display is open."""
    if _active is not None:
        _active.advance(n, label)
