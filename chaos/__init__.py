"""Reserved for the fault catalogue, the swarm and the Chaos Toolkit extension (the resilience issue).

Empty today: crash injection is in ``twin.crashes``, venue stress in ``twin.venue_stress`` and
``venues_sim.stress``."""
