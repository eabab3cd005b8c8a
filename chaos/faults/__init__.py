"""The fault catalogue: every fault the twin can inject, one small documented class each.

A fault is a frozen dataclass registered under its ``kind`` (``catalogue.register``). It
says *what* goes wrong and *when*; the twin says *how*: ``Fault.schedule`` asks the world
for the mechanism of its family (a ``typing.Protocol`` declared next to the fault classes,
implemented in ``twin/``) and schedules calls to it on the simulated clock. So this package
imports no runtime (checked by an import-linter contract) and the same fault classes are
used by scenario files, the swarm and the Chaos Toolkit actions.

Importing the package imports every family module, so ``KINDS`` is complete afterwards
(docs/faults.md lists every kind).
"""

from . import network, services, storage, venues  # noqa: F401  (each registers its kinds)
from . import analytics, control_plane  # noqa: F401  (control plane and AI/analytics kinds)
from . import clocks, regions  # noqa: F401  (region and clock kinds: docs/regions.md)
from .catalogue import KINDS, Fault, FaultWorld, WorldShape, register

__all__ = ["KINDS", "Fault", "FaultWorld", "WorldShape", "register"]
