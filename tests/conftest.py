"""Test setup, and the fixtures and feature steps that several test files share.

The project itself (``engine``) is imported as installed; the repository root is appended
to the path, after site-packages, so only what is not installed (``benchmarks``) comes from it.
Helpers that are plain functions live in ``casekit.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from casekit import MINI_PACK, copy_plan, edit
from pytest_bdd import given, parsers

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """A cache folder (engine/cache.py) for this run alone: tests neither read nor fill the user's."""
    os.environ["NBSCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("nbscheck-cache"))
    os.environ.pop("NBSCHECK_NO_CACHE", None)


@pytest.fixture
def plan_dir(tmp_path) -> Path:
    """A copy of the mini plan (tests/fixtures/mini_plan) whose standard is the mini pack."""
    return copy_plan(tmp_path / "plan")


@pytest.fixture(scope="session")
def mini_std():
    """The mini pack, checked once per run."""
    from engine import load_standard

    return load_standard(MINI_PACK)


# ---- feature steps shared by the features' test files ----------------------------------------------------------
@pytest.fixture
def ctx() -> dict:
    """What a scenario's steps hand each other."""
    return {}


@given(parsers.parse('the submitted plan "{name}"'))
def submitted_plan(ctx, tmp_path, name):
    ctx["plan"] = copy_plan(tmp_path / name, name)


@given(parsers.parse('the object "{key}" is a brownfield that is not treated'))
def untreated_brownfield(ctx, key):
    edit(ctx["plan"] / "tables/objects.csv", f"{key},north,park,2.0,2024-05-10,",
         f"{key},north,brownfield,2.0,2024-05-10,false")
