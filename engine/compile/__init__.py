"""AST → vectorised pandas closures, and the runtime they call."""

from .compiler import Compiler, Env

__all__ = ["Compiler", "Env"]
