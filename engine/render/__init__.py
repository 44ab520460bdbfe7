"""Renderers: one per format, registered by name; each reads only the report dict."""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import progress
from ..inputs import size_text
from .options import DEFAULT, RenderOptions


def _load(target):
    """A renderer's function: given, or named ``"module:function"`` in this package and imported on first use, so
    `nbscheck --help` does not import every format."""
    if not isinstance(target, str):
        return target
    module, name = target.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


Piece = str | bytes | memoryview  # a part of a file: text, or UTF-8


@dataclass(frozen=True)
class Renderer:
    """A report format: its name (``-f NAME``), the file it writes and the function that renders it."""

    name: str
    filename: str  # the file written in the output folder
    renderer: Callable[..., str] | str  # (report) -> str, or (report, RenderOptions) -> str when takes_options
    description: str
    takes_options: bool = False
    streamer: Callable[..., Iterator[str]] | str | None = None  # the text piece by piece, for formats that list
    # every finding

    @property
    def render(self) -> Callable[..., str]:
        return _load(self.renderer)

    @property
    def stream(self) -> Callable[..., Iterator[str]] | None:
        return None if self.streamer is None else _load(self.streamer)

    def __call__(self, report: dict, options: RenderOptions = DEFAULT) -> str:
        from ._common import text_of

        return text_of(self.chunks(report, options))

    def chunks(self, report: dict, options: RenderOptions = DEFAULT) -> Iterator[Piece]:
        """The rendered text in pieces, so a large report is written to its file without being held whole; a
        piece is text, or text already encoded as UTF-8 (a chunk of findings joined by Arrow)."""
        if options.csv_bom and self.filename.endswith(".csv"):
            yield "\ufeff"
        stream = self.stream
        if stream is not None:
            yield from (stream(report, options) if self.takes_options else stream(report))
        else:
            render = self.render
            yield render(report, options) if self.takes_options else render(report)


FORMATS: dict[str, Renderer] = {
    "text": Renderer("text", "report.txt", "text:render", "terminal summary"),
    "json": Renderer("json", "report.json", "json_:render", "the report contract (reports/report.schema.json)",
                     streamer="json_:chunks"),
    "html": Renderer("html", "report.html", "html:render", "self-contained page for reviewers: charts, filters"),
    "md": Renderer("md", "report.md", "markdown:render", "short Markdown for a pull-request comment"),
    "junit": Renderer("junit", "report.junit.xml", "junit:render", "JUnit XML: one test case per rule, failures as "
                      "--fail-on decides", True),
    "sarif": Renderer("sarif", "report.sarif", "sarif:render", "SARIF 2.1.0 for code scanning", True),
    "csv": Renderer("csv", "report.csv", "csv_:render", "every failing object, one row each", streamer="csv_:chunks"),
    "github": Renderer("github", "report.github.txt", "github:render", "GitHub Actions workflow annotations", True),
    "gitlab": Renderer("gitlab", "gl-code-quality-report.json", "gitlab:render", "GitLab Code Quality JSON", True,
                       streamer="gitlab:chunks"),
    "rfi": Renderer("rfi", "rfi.md", "rfi:render_markdown", "request for information: the data that blocks a "
                    "verdict, by object (Markdown)"),
    "rfi-csv": Renderer("rfi-csv", "rfi.csv", "rfi:render_csv", "request for information as CSV"),
    "geojson": Renderer("geojson", "report.geojson", "geojson:render",
                        "findings with their shapes as a FeatureCollection (open it in QGIS)"),
}


Content = str | Iterable[Piece]  # a file's text, whole or in pieces


def write_atomic(path: Path, content: str) -> None:
    """Write a file so that a reader sees the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


MANIFEST = "report.manifest.json"


def write_reports(report: dict, formats: list[str], out_dir: Path, options: RenderOptions = DEFAULT) -> list[Path]:
    """Render every format into one set (:func:`write_set`): each is streamed into the staging folder as it is
    rendered, so a failed render writes nothing."""
    from ._common import sharing

    progress.stage("writing reports", len(formats))

    def pieces(name: str) -> Iterator[Piece]:
        progress.advance(0, f"writing {FORMATS[name].filename}")
        yield from FORMATS[name].chunks(report, options)
        progress.advance(1)

    with sharing(report):  # what several formats work out from the report, worked out once for the set
        return write_set(out_dir, [(out_dir / FORMATS[f].filename, pieces(f)) for f in formats])


def write_set(out_dir: Path, files: list[tuple[Path, Content]]) -> list[Path]:
    """Write a set of report files into ``out_dir`` all or nothing.

    Every file is first written and flushed into a fresh staging folder inside ``out_dir`` (the same file
    system, so renames are atomic). Only when the whole set is on disk are the files renamed into place,
    the files of the previous set that this one does not replace are removed, and ``report.manifest.json``
    is written last: it names the run and the sha256 of each file, so a reader can tell a complete set from
    one being replaced. On any failure, SIGTERM or SIGINT the staging folder is removed and the previous
    set is left as it was; a full disk names the file and the space the set needs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    done: list[Path] = []
    try:
        with _signals_raise():
            digests = {path.name: _write_staged(staging / path.name, content, files, out_dir)
                       for path, content in files}
            previous = _previous_set(out_dir)
            for path, _ in files:
                os.replace(staging / path.name, path)
                done.append(path)
            for name in previous - set(digests):
                (out_dir / name).unlink(missing_ok=True)
            run = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()[:16]
            manifest = {"tool": "nbscheck", "run": run, "files": digests}
            write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return done


STAGING_PREFIX = ".nbscheck-staging-"


def _remove_abandoned_staging(out_dir: Path) -> None:
    """Remove the staging folders of runs that were killed outright (SIGKILL, a power cut) before they could
    clean up. A folder is named after the process that made it; one whose process is still running (another
    run writing into the same folder) is left alone."""
    for folder in out_dir.glob(f"{STAGING_PREFIX}*"):
        pid_text = folder.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if not folder.is_dir() or folder.is_symlink() or not pid_text.isdigit():
            continue
        if int(pid_text) != os.getpid() and _running(int(pid_text)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user
        return True
    return True


def _write_staged(path: Path, content: Content, files: list[tuple[Path, Content]], out_dir: Path) -> str:
    """Write one file of the set as UTF-8, piece by piece; its sha256."""
    digest = hashlib.sha256()
    try:
        with open(path, "wb") as fh:
            for piece in [content] if isinstance(content, str) else content:
                data = piece.encode("utf-8") if isinstance(piece, str) else piece
                digest.update(data)
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(path, 0o666 & ~_umask())
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
        staging = path.parent  # a streamed file's size is known only as far as it was written
        need = sum(len(c.encode("utf-8")) if isinstance(c, str) else
                   ((staging / p.name).stat().st_size if (staging / p.name).exists() else 0) for p, c in files)
        streamed = any(not isinstance(c, str) for _, c in files)
        free = shutil.disk_usage(out_dir).free
        raise OSError(errno.ENOSPC, f"no space left on the device writing {path.name}: the report set needs "
                      f"{'at least ' if streamed else ''}{size_text(need)}, {size_text(free)} is free; the previous "
                      "reports are left as they were",
                      str(out_dir / path.name)) from None
    return digest.hexdigest()


def _previous_set(out_dir: Path) -> set[str]:
    """The files the last set written here listed in its manifest (they are nbscheck's to replace)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        names = set(data.get("files", {})) if isinstance(data, dict) else set()
    except (OSError, ValueError, AttributeError):
        return set()
    return {n for n in names if isinstance(n, str) and n == Path(n).name and n.startswith("report")}


@contextmanager
def _signals_raise():
    """SIGTERM raises SystemExit while a set is written, so the staging folder is cleaned up (SIGINT already
    raises KeyboardInterrupt); outside the main thread signals cannot be caught and nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
