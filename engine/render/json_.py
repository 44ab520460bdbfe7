"""The JSON report: the contract, byte-identical for the same inputs."""

from __future__ import annotations

import json


def render(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False) + "\n"
