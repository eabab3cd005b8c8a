"""Shared fixtures: scenario files and one cached smoke run for read-only tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.config import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def smoke_scenario():
    return load_scenario(SCENARIOS / "smoke.yaml")


@pytest.fixture(scope="session")
def smoke_run(smoke_scenario, tmp_path_factory):
    """One checked smoke run with its outputs written; tests must not mutate it."""
    from twin.runner import run_scenario

    return run_scenario(smoke_scenario, out_dir=tmp_path_factory.mktemp("smoke"))
