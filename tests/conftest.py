"""Test setup: the benchmark harness is imported from the source tree.

The project itself (``engine``) is imported as installed; the repository root is appended
to the path, after site-packages, so only what is not installed (``benchmarks``) comes from it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)
