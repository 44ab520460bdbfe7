"""Project settings for ``nbscheck check``: ``nbscheck.toml`` or ``[tool.nbscheck]`` in pyproject.toml.

Found like ruff's: ``--config FILE``, else the nearest ``nbscheck.toml`` or ``pyproject.toml``
holding ``[tool.nbscheck]`` in the current folder or a folder above it. Paths in it are relative
to the file's folder. Options given on the command line win over the file.

```toml
[tool.nbscheck]
standard = "nbs_urban_restoration"
format = ["json", "sarif", "junit"]
output = "nbscheck-report"
fail-on = "shall"
waivers = "review/waivers.yaml"
waiver-warning-days = 30
select = ["L1", "L2"]             # scoped checks: rule ids, goals, categories, stages, strengths
ignore = ["BIO-*"]
sarif-waived = "suppress"
lang = "zh"                       # the language of the reports
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, NbsError, Span, did_you_mean

# key -> (kind, allowed values or None); kinds: str, path, list, int
KEYS: dict[str, tuple[str, tuple | None]] = {
    "standard": ("standard", None),
    "format": ("list", None),
    "select": ("list", None),
    "ignore": ("list", None),
    "output": ("path", None),
    "fail-on": ("str", ("shall", "should", "never")),
    "waivers": ("path", None),
    "waiver-warning-days": ("int", None),
    "source-root": ("path", None),
    "sarif-waived": ("str", ("suppress", "omit")),
    "doc-url": ("str", None),
    "baseline": ("path", None),
    "engine": ("str", ("pandas", "dask", "auto")),
    "scheduler": ("str", None),
    "memory-limit": ("str", None),
    "lang": ("str", ("en", "zh")),
}


@dataclass
class Config:
    """Settings read from a file; ``values`` holds only what the file sets."""

    file: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default=None):
        return self.values.get(key, default)


def find_config(start: Path) -> Path | None:
    """The nearest nbscheck.toml, or pyproject.toml with a [tool.nbscheck] table, at or above ``start``."""
    for folder in (start, *start.parents):
        own = folder / "nbscheck.toml"
        if own.is_file():
            return own
        py = folder / "pyproject.toml"
        if py.is_file():
            try:
                if "nbscheck" in tomllib.loads(py.read_text(encoding="utf-8")).get("tool", {}):
                    return py
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                continue
    return None


def load_config(given: Path | None = None, start: Path | None = None) -> Config:
    """Read the settings; every problem is reported at once (raises NbsError)."""
    path = given or find_config((start or Path.cwd()).resolve())
    if path is None:
        return Config()
    shown = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise NbsError([Diagnostic("config-not-found", e.strerror or str(e), Span(shown))]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise NbsError([Diagnostic("config-syntax", f"not valid TOML: {e}", Span(shown))]) from None
    table = doc.get("tool", {}).get("nbscheck", {}) if path.name == "pyproject.toml" else doc
    if path.name == "pyproject.toml" and "tool" in doc and "nbscheck" not in doc["tool"]:
        raise NbsError([Diagnostic("config-schema", "pyproject.toml has no [tool.nbscheck] table", Span(shown))])
    values, diags = {}, []
    for key, value in table.items():
        if key not in KEYS:
            diags.append(Diagnostic("config-schema", f"unknown setting `{key}`", Span(shown),
                                    hint=did_you_mean(key, KEYS) or f"settings: {', '.join(KEYS)}"))
            continue
        kind, allowed = KEYS[key]
        if kind == "list":
            value = [value] if isinstance(value, str) else value
            if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
                diags.append(Diagnostic("config-schema", f"`{key}`: expected a string or a list of strings",
                                        Span(shown)))
                continue
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                diags.append(Diagnostic("config-schema", f"`{key}`: expected a whole number >= 0, found {value!r}",
                                        Span(shown)))
                continue
        elif not isinstance(value, str) or not value:
            diags.append(Diagnostic("config-schema", f"`{key}`: expected a string, found {value!r}", Span(shown)))
            continue
        elif allowed and value not in allowed:
            diags.append(Diagnostic("config-schema", f"`{key}`: `{value}` is not one of {', '.join(allowed)}",
                                    Span(shown)))
            continue
        if kind == "path":
            value = str(path.parent / value)
        elif kind == "standard" and (path.parent / value).exists():
            value = str(path.parent / value)
        values[key] = value
    if diags:
        raise NbsError(diags)
    return Config(path, values)
