"""nbscheck: a rule-based standards compliance engine for nature-based urban restoration plans."""

from .api import Report, evaluate, lint, load_plan, load_standard, load_waivers
from .diagnostics import Diagnostic, NbsError
from .model import Standard
from .plan import Plan
from .results import RuleResult

__all__ = ["load_standard", "load_plan", "load_waivers", "evaluate", "lint", "Report", "Standard", "Plan",
           "RuleResult", "Diagnostic", "NbsError"]
