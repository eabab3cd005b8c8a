"""The fault catalogue: every fault the twin can inject, one small documented class each.

A fault is a frozen dataclass registered under its ``kind`` (``catalogue.register``). It
says *what* goes wrong and *when*; the twin says *how*: ``Fault.schedule`` asks the world
for the mechanism of its family (a ``typing.Protocol`` declared next to the fault classes,
implemented in ``twin/``) and schedules calls to it on the simulated clock. So this package
imports no runtime (checked by an import-linter contract) and the same fault classes are
used by scenario files, the swarm and the Chaos Toolkit actions.
"""

from .catalogue import KINDS, Fault, FaultWorld, WorldShape, register

__all__ = ["KINDS", "Fault", "FaultWorld", "WorldShape", "register"]
