"""Resilience: the fault catalogue (``chaos.faults``), the swarm and the Chaos Toolkit extension.

``chaos.faults`` is the low layer: fault classes that say what goes wrong and when, importing
no runtime, used by the twin's scenarios. The swarm and the Chaos Toolkit actions and probes
sit above the runtimes and drive them.
"""


def discover(discover_system: bool = True) -> dict:
    """The Chaos Toolkit extension's activities (``chaos discover broker-dealer-twin`` looks for
    ``discover`` in the package's first top-level module, this one); see ``chaos.toolkit``."""
    from .toolkit import discover as discover_activities  # lazy: the runtimes import chaos.faults only

    return discover_activities(discover_system)
