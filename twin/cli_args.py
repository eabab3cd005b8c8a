"""Option types shared by the ``twin`` commands: a value is checked where argparse reads it, so a user's
mistake is one line naming the option (argparse's usage error, exit 2), never a traceback from inside a run."""

from __future__ import annotations

import argparse

SEED_MAX = 2**63 - 1
"""The largest seed: a scenario's ``seed`` has the same range (``scenarios.config.Scenario``)."""


def seed(text: str) -> int:
    """``--seed``: a whole number from 0 to ``SEED_MAX`` (numpy's generators take no negative seed)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {SEED_MAX}, got {text!r}")
    return value


def positive(text: str) -> int:
    """A count such as ``--seeds N`` or ``--workers K``: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value
