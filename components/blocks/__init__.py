"""Block trading and fair allocation.

A ``Block`` aggregates client orders for one symbol and side under a pre-trade
``AllocationStatement``; it receives fills and ``allocate`` splits them among
the accounts with a registered, versioned policy (``pro_rata``,
``rotational``), every account at the same average price. The result's
``to_details()`` is enough to ``rederive`` it. Pure code: no clock, no I/O.

Modules: ``statement`` (the statement, clearing instructions), ``block`` (the
aggregate, fills, price rounding), ``policies`` (the registry), ``allocate``
(the result record, re-derivation), ``fairness`` (the seeded study).
"""

from .allocate import DETAILS_SCHEMA, AllocationLine, AllocationResult, allocate, order_quantities, rederive, verify
from .block import Block, BlockError, BlockFill, BlockOrder, round_half_up
from .fairness import fairness_study
from .policies import LATEST, POLICIES, AllocationPolicy, PolicyOutput, get_policy, pro_rata, rotational
from .statement import AllocationStatement, ClearingInstructions, StatementError

__all__ = [
    "DETAILS_SCHEMA", "AllocationLine", "AllocationResult", "allocate", "order_quantities", "rederive", "verify",
    "Block", "BlockError", "BlockFill", "BlockOrder", "round_half_up", "fairness_study",
    "LATEST", "POLICIES", "AllocationPolicy", "PolicyOutput", "get_policy", "pro_rata", "rotational",
    "AllocationStatement", "ClearingInstructions", "StatementError",
]
