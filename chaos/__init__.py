"""Resilience: the fault catalogue (``chaos.faults``), the swarm and the Chaos Toolkit extension.

``chaos.faults`` is the low layer: fault classes that say what goes wrong and when, importing
no runtime, used by the twin's scenarios. The swarm and the Chaos Toolkit actions and probes
sit above the runtimes and drive them.
"""
