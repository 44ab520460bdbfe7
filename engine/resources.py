"""Where the grammar, the bundled rule packs and the report templates live.

Installed from a wheel they sit inside the package (``engine/_data``); in a
source checkout they are the top-level folders beside ``engine/``.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``grammar``, ``rules`` or ``reports``."""
    installed = _PKG / "_data" / name
    if installed.is_dir():
        return installed
    return _PKG.parent / name


def version() -> str:
    try:
        from importlib.metadata import version as _v

        return _v("nbscheck")
    except Exception:  # pragma: no cover - running from a bare checkout
        return "0.0.0+source"
