"""Scenarios: YAML scenario files (package data in this directory) and what only the twin needs.

``config`` is the scenario (the shared sections of ``components.config`` plus
the twin's own: order flow, service times, network, market rules, agents,
faults, SIP, replay); ``population`` generates advisors, clients and their
accounts; ``arrivals`` and ``block_flow`` the client order flow; ``agents/``
the ABIDES-style market participants. Importable without simpy; imports
``components`` and ``venues_sim`` (agents trade on simulated books).
"""

from .config import Scenario, ScenarioError, builtin_scenario_path, load_scenario, parse_scenario

__all__ = ["Scenario", "ScenarioError", "builtin_scenario_path", "load_scenario", "parse_scenario"]
