"""Scenarios: YAML scenario files (package data in this directory), their typed
configuration (``config``), agent populations (``population``) and client
order arrivals (``arrivals``).

Importable without simpy; depends on ``components`` only for ``components.domain.money``.
"""

from .config import Scenario, ScenarioError, builtin_scenario_path, load_scenario, parse_scenario

__all__ = ["Scenario", "ScenarioError", "builtin_scenario_path", "load_scenario", "parse_scenario"]
