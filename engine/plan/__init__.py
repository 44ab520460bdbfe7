"""Plan packages: loading, validating against the standard, and the schema."""

from .loader import Plan, load_plan
from .schema import plan_schema, table_schema

__all__ = ["Plan", "load_plan", "plan_schema", "table_schema"]
