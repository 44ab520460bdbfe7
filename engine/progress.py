"""A progress display on standard error for long runs: shown only when a run passes two seconds,
only on a terminal, never with ``--quiet``; it leaves nothing behind when it ends."""

from __future__ import annotations

import sys
import threading
from typing import Any

DELAY = 2.0  # seconds before anything is shown


class Progress:
    """``with Progress(total, enabled) as p: p.step("evaluating riverside")``"""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.total, self.done, self.label = total, 0, ""
        self._bar: Any = None  # rich.progress.Progress, imported only when shown
        self._task: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
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
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=Console(file=self.stream), transient=True)
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done)
            self._bar.start()

    def step(self, label: str, advance: int = 0) -> None:
        with self._lock:
            self.done += advance
            self.label = label
            if self._bar is not None:
                self._bar.update(self._task, description=label, completed=self.done)

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
