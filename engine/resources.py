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
    """The tool's version: ``engine.__version__``, which the build writes into the package metadata (reading
    the metadata itself would import ``importlib.metadata`` and an e-mail parser, a twentieth of a second)."""
    from . import __version__

    return __version__


class LazyModule:
    """A module imported on first use: ``shapely = LazyModule("shapely")`` then ``shapely.area(...)``.

    The geodata libraries (pyproj, shapely, geopandas) take a tenth of a second or more to import;
    a plan without geodata never needs them.

    >>> json = LazyModule("json")
    >>> json.dumps([1])
    '[1]'
    """

    def __init__(self, name: str):
        self._name = name
        self._module: object | None = None

    def __getattr__(self, attr: str):
        if self._module is None:
            import importlib

            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)
