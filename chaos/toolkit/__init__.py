"""``chaos.toolkit``: this repository as a Chaos Toolkit extension.

``discover(discover_system=True)`` returns the extension's activities (``chaos.toolkit.actions`` and
``chaos.toolkit.probes``, each exporting them in ``__all__``), as ``chaos discover`` expects of an
extension. Experiments name them as Python providers, e.g.::

    {"type": "action", "name": "control-plane-outage",
     "provider": {"type": "python", "module": "chaos.toolkit.actions", "func": "run_twin_scenario",
                  "arguments": {"state_dir": "...", "scenario": "scenarios/smoke.yaml",
                                "faults": [{"kind": "control_plane_outage", "at": "09:35", "duration_s": 900}]}}}

The twin side runs scenarios in process (``chaos.toolkit.twin_runs``); the live side is driven
from outside, over processes and HTTP, never by importing ``live``. See docs/gameday.md.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["discover", "__version__"]


def discover(discover_system: bool = True) -> dict[str, Any]:
    """The extension's activities (and, with ``discover_system``, the fault kinds it can inject)."""
    from chaoslib.discovery.discover import discover_actions, discover_probes, initialize_discovery_result

    discovery = initialize_discovery_result("chaos.toolkit", __version__, "twin")
    discovery["activities"].extend(discover_actions("chaos.toolkit.actions"))
    discovery["activities"].extend(discover_probes("chaos.toolkit.probes"))
    if discover_system:
        from chaos.faults import KINDS

        discovery["system"] = {"fault_kinds": {kind: cls.family for kind, cls in KINDS.items()}}
    return discovery
