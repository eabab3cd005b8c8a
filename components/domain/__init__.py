"""Domain model: exact money, order types, lifecycle state machine, events."""
