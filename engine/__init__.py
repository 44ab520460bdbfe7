"""nbscheck: a rule-based standards compliance engine for nature-based urban restoration plans.

The public names are imported on first use, so ``nbscheck --help`` and modules
that need only part of the engine do not pay for pandas and the parser.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_standard": ".api", "load_plan": ".api", "load_waivers": ".api", "evaluate": ".api", "lint": ".api",
    "Report": ".api", "Standard": ".model", "Plan": ".plan", "RuleResult": ".results", "Diagnostic": ".diagnostics",
    "NbsError": ".diagnostics",
}
__all__ = ["load_standard", "load_plan", "load_waivers", "evaluate", "lint", "Report", "Standard", "Plan",
           "RuleResult", "Diagnostic", "NbsError"]

if TYPE_CHECKING:
    from .api import Report, evaluate, lint, load_plan, load_standard, load_waivers
    from .diagnostics import Diagnostic, NbsError
    from .model import Standard
    from .plan import Plan
    from .results import RuleResult


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


class _Package(types.ModuleType):
    """Importing the submodule ``engine/evaluate.py`` binds it as ``engine.evaluate``; the public name is the
    function ``api.evaluate``, so such a binding is skipped and the name stays lazy."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
