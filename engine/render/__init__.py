"""Renderers: one per format, registered by name; each reads only the report dict."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import csv_, html, json_, junit, markdown, sarif, text


@dataclass(frozen=True)
class Renderer:
    name: str
    filename: str  # the file written in the output folder
    render: Callable[[dict], str]
    description: str


FORMATS: dict[str, Renderer] = {
    "text": Renderer("text", "report.txt", text.render, "terminal summary"),
    "json": Renderer("json", "report.json", json_.render, "the report contract (reports/report.schema.json)"),
    "html": Renderer("html", "report.html", html.render, "self-contained page for reviewers: charts, filters"),
    "md": Renderer("md", "report.md", markdown.render, "short Markdown for a pull-request comment"),
    "junit": Renderer("junit", "report.junit.xml", junit.render, "JUnit XML: one test case per rule"),
    "sarif": Renderer("sarif", "report.sarif", sarif.render, "SARIF 2.1.0 for code-scanning tools"),
    "csv": Renderer("csv", csv_.FILENAME, csv_.render, "every failing object, one row each"),
}


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


def write_reports(report: dict, formats: list[str], out_dir: Path) -> list[Path]:
    """Render every format first, then write them; a failed render writes nothing."""
    rendered = [(out_dir / FORMATS[f].filename, FORMATS[f].render(report)) for f in formats]
    for path, content in rendered:
        write_atomic(path, content)
    return [p for p, _ in rendered]
