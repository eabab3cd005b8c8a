"""What every agent population member offers the twin's scheduler.

An agent is woken at the times it asks for: ``first_wake(start_ns)`` gives the
first, and each ``wake(now_ns)`` acts and returns the next. Agents draw their
own gaps (exponential, Poisson arrivals) from their own stream, so adding an
agent never changes another agent's draws. Nothing here reads a clock.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from components.domain.orders import Side, TimeInForce

_DAY = TimeInForce.DAY  # read at every order an agent sends


class Agent(Protocol):
    owner: str

    def first_wake(self, start_ns: int) -> int:
        """Time of the first wake-up, at or after ``start_ns``."""
        ...

    def wake(self, now_ns: int) -> int:
        """Act at ``now_ns``; return the time of the next wake-up (> ``now_ns``)."""
        ...


def next_arrival(rng: np.random.Generator, now_ns: int, mean_gap_ns: float) -> int:
    """``now_ns`` plus an exponential gap of mean ``mean_gap_ns`` (at least 1 ns)."""
    return now_ns + int(rng.exponential(mean_gap_ns)) + 1


def two_sided_top(book) -> tuple[int, int, int, int] | None:
    """``(bid, bid size, ask, ask size)`` if the book has both sides, else None."""
    top = book.top()
    if top[0] and top[2]:
        return top
    return None


class PoissonWaking:
    """Wakes at exponential gaps of mean ``mean_gap_ns``, drawn from ``_rng``,
    and does ``act(now_ns)`` at each wake. Subclasses set both and define ``act``."""

    mean_gap_ns: float
    _rng: np.random.Generator

    def act(self, now_ns: int) -> object:
        raise NotImplementedError

    def first_wake(self, start_ns: int) -> int:
        return next_arrival(self._rng, start_ns, self.mean_gap_ns)

    def wake(self, now_ns: int) -> int:
        self.act(now_ns)
        return next_arrival(self._rng, now_ns, self.mean_gap_ns)


class AgentOrders:
    """An agent's DAY limit orders at one venue front, on one symbol: ids
    ``OWNER-1``, ``OWNER-2``, ... and, for agents that keep at most one order
    working, which one is resting.

    Over the network (``scenarios.agents.network``) a send's result is pending:
    the order is taken as resting until its ack (``listen``) says it never
    rested, and then forgotten (no cancel is sent for it)."""

    def __init__(self, venue, owner: str, symbol: str):
        self.venue = venue
        self.owner = owner
        self.symbol = symbol
        self.sent = 0
        self.resting: str | None = None
        self._listening = False

    def _acked(self, order_id: str, result) -> None:
        """The venue's outcome of ``order_id`` has arrived: forget it if none of it rested."""
        if not result.rested_qty and self.resting == order_id:
            self.resting = None

    def send(self, side: Side, qty: int, price: int, now_ns: int):
        """Send one DAY limit order; returns its id and the venue's ``AddResult``."""
        self.sent += 1
        order_id = f"{self.owner}-{self.sent}"
        return order_id, self.venue.submit_agent_order(order_id, self.owner, self.symbol, side, qty, price,
                                                       _DAY, now_ns)

    def cancel_resting(self) -> None:
        """Cancel the resting order, if there is one."""
        if self.resting is not None:
            self.venue.cancel_agent_order(self.resting)
            self.resting = None

    def replace(self, side: Side, qty: int, price: int, now_ns: int):
        """Cancel the resting order and send a new one, which rests if the venue keeps any of it."""
        if not self._listening:  # only agents that track a resting order need acks (a network front's)
            self._listening = True
            listen = getattr(self.venue, "listen", None)
            if listen is not None:
                listen(self._acked)
        self.cancel_resting()
        order_id, result = self.send(side, qty, price, now_ns)
        if result.rested_qty:
            self.resting = order_id
        return result
