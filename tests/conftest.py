"""Test setup: the benchmark harness is imported from the source tree.

The project itself (``engine``) is imported as installed; the repository root is appended
to the path, after site-packages, so only what is not installed (``benchmarks``) comes from it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """A cache folder (engine/cache.py) for this run alone: tests neither read nor fill the user's."""
    os.environ["NBSCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("nbscheck-cache"))
    os.environ.pop("NBSCHECK_NO_CACHE", None)
