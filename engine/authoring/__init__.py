"""Tools for standards authors: rule tests, the formatter, the standard as a document,
the plan schema and templates, and rule explanations."""
