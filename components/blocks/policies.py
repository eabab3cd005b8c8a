"""Allocation policies: small pure functions in one registry, each named and versioned.

A policy splits a filled quantity among the statement's accounts, in whole
shares, and never gives an account more than it requested. Both shipped
policies share one rounding rule, *largest remainder*:

1. each account's exact target is ``filled * requested / total_requested``
   (a rational; since ``filled <= total_requested`` it is ``<= requested``);
2. every account gets ``floor(target)``;
3. the ``R`` shares left over (``R`` < number of accounts) go one each to the
   accounts with the largest fractional parts. Only accounts whose target is
   not whole can receive one, so no account exceeds ``ceil(target) <= requested``.

They differ only in how *ties* between equal fractional parts are broken
(common in practice: equal model-portfolio lots give equal remainders):

* ``pro_rata``: by account id, ascending. Deterministic but not fair over time:
  the lowest account id wins every tie. The pointer passes through unchanged.
* ``rotational``: by a ring of the statement's account ids (sorted), starting
  just after the rotation pointer (an account id; "" starts at the beginning).
  When a tie actually decided who got a share, the pointer moves to the last
  account that won it, so the next contested tie starts with the one after.
  An account-id pointer (not an index) stays meaningful when the next block has
  a different set of accounts.

Inputs and outputs are plain tuples of ``(account_id, quantity)`` in statement
order; no clocks, no I/O, no floats.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable

Requests = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class PolicyOutput:
    quantities: tuple[tuple[str, int], ...]
    """(account_id, allocated quantity), in statement order."""
    pointer: str
    """The rotation pointer after this allocation."""


PolicyFn = Callable[[Requests, int, str], PolicyOutput]


@dataclass(frozen=True, slots=True)
class AllocationPolicy:
    """A registered policy: its name and version are recorded with every allocation."""

    name: str
    version: str
    split: PolicyFn


def _check(requests: Requests, filled: int) -> int:
    total = sum(q for _, q in requests)
    if not requests or total <= 0:
        raise ValueError("requests must name at least one account with a positive quantity")
    if not 0 <= filled <= total:
        raise ValueError(f"filled quantity {filled} must be within 0..{total} (the total requested)")
    return total


def _ring(accounts: list[str], pointer: str) -> dict[str, int]:
    """Position of each account on the ring starting just after ``pointer``."""
    ids = sorted(accounts)
    start = bisect_right(ids, pointer) % len(ids)
    return {a: (i - start) % len(ids) for i, a in enumerate(ids)}


def _largest_remainder(requests: Requests, filled: int, pointer: str) -> tuple[dict[str, int], str | None]:
    """Quantities per account, and the account that won the last *contested* tie (or None)."""
    total = _check(requests, filled)
    quantities: dict[str, int] = {}
    fractions: dict[str, int] = {}  # numerator over ``total``: exact, integer comparisons
    for account, requested in requests:
        quantities[account], fractions[account] = divmod(filled * requested, total)
    left = filled - sum(quantities.values())
    if left == 0:
        return quantities, None
    ring = _ring(list(quantities), pointer)
    order = sorted(quantities, key=lambda a: (-fractions[a], ring[a]))
    winners = order[:left]
    for account in winners:
        quantities[account] += 1
    marginal = fractions[winners[-1]]
    # Contested: some account with the same fractional part as the last winner got nothing.
    contested = left < len(order) and fractions[order[left]] == marginal
    return quantities, (winners[-1] if contested else None)


def pro_rata(requests: Requests, filled: int, pointer: str = "") -> PolicyOutput:
    """Largest remainder, ties to the lowest account id; pointer unchanged."""
    quantities, _ = _largest_remainder(requests, filled, "")
    return PolicyOutput(tuple((a, quantities[a]) for a, _ in requests), pointer)


def rotational(requests: Requests, filled: int, pointer: str = "") -> PolicyOutput:
    """Largest remainder, ties broken by rotation from ``pointer``; the pointer advances on contested ties."""
    quantities, last_tie_winner = _largest_remainder(requests, filled, pointer)
    new_pointer = pointer if last_tie_winner is None else last_tie_winner
    return PolicyOutput(tuple((a, quantities[a]) for a, _ in requests), new_pointer)


POLICIES: dict[tuple[str, str], AllocationPolicy] = {
    (p.name, p.version): p
    for p in (
        AllocationPolicy("pro_rata", "1.0", pro_rata),
        AllocationPolicy("rotational", "1.0", rotational),
    )
}
"""Every allocation policy ever shipped, by (name, version). Old versions stay so
recorded allocations can be re-derived with the logic that produced them."""

LATEST: dict[str, str] = {}
for _name, _version in sorted(POLICIES, key=lambda k: (k[0], tuple(int(p) for p in k[1].split(".")))):
    LATEST[_name] = _version


def get_policy(name: str, version: str | None = None) -> AllocationPolicy:
    """The registered policy (latest version unless ``version`` is given)."""
    version = LATEST.get(name) if version is None else version
    policy = POLICIES.get((name, version or ""))
    if policy is None:
        known = ", ".join(f"{n} {v}" for n, v in sorted(POLICIES))
        raise KeyError(f"no allocation policy {name!r} version {version!r} (registered: {known})")
    return policy
