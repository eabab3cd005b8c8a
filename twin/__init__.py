"""The simulated world: simpy kernel, SimClock, network, sim adapters for every
port, scenario runner, invariant checker, run recorder and the ``twin`` CLI."""
