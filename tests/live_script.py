"""Drive the live stack with a twin script (``twin.scripted`` steps), step by step.

For parity tests, recorded sessions and kill tests: the live app must run
its venues embedded (``[venue_link] mode = "embedded"``), so participant
orders can be entered on their books and the runner can tell when nothing
is in flight. Requests go through the live runtime exactly as the HTTP
service sends them (``SubmitOrder`` / ``CancelOrder`` / ``SubmitBlock`` dispatched with the
wall-clock time). After each step the runner waits until the system is
quiet: no FIX message in flight either way, no report waiting in the
gateway, nothing queued in the runtime. Every wait has a timeout.
"""

from __future__ import annotations

import time
from typing import Iterable

from components.domain.commands import CancelOrder, SubmitOrder
from live.bootstrap import LiveApp
from live.adapters.venue_link import FixLink
from twin.scripted import AgentOrder, Block, Cancel, Step, Submit, agent_order_id, ordered

QUIET_TIMEOUT = 15.0


class LiveScript:
    def __init__(self, live: LiveApp) -> None:
        if not isinstance(live.link, FixLink) or live.link.embedded is None:
            raise ValueError("the live app must serve its venues embedded ([venue_link] mode = \"embedded\")")
        self.live = live
        self.link: FixLink = live.link

    def apply(self, index: int, step: Step) -> None:
        live = self.live
        if isinstance(step, Submit):
            live.runtime.dispatch(SubmitOrder(dict(step.body), live.clock.now_ns()))
        elif isinstance(step, Cancel):
            live.runtime.dispatch(CancelOrder(step.account_id, step.client_order_id, live.clock.now_ns()))
        elif isinstance(step, Block):
            live.runtime.dispatch(step.command(live.clock.now_ns()))
        elif isinstance(step, AgentOrder):
            app = self.link.embedded.apps[step.venue]
            with app.lock:  # the venue's own lock: its acceptor threads use the book too
                app.venue.submit_agent_order(agent_order_id(step, index), step.owner, step.symbol, step.side,
                                             step.quantity, step.price, step.time_in_force, app.now_ns())
        else:
            raise TypeError(f"not a script step: {step!r}")

    def quiet(self) -> bool:
        return self.live.runtime.idle and self.link.quiet()

    def wait_quiet(self, timeout: float = QUIET_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        calm = 0
        while calm < 2:  # twice in a row, a few ms apart
            if time.monotonic() > deadline:
                g = self.link.gateway
                raise TimeoutError(f"live stack not quiet after {timeout}s (gateway sent {g.sent} received "
                                   f"{g.received} idle {g.idle}; runtime idle {self.live.runtime.idle})")
            calm = calm + 1 if self.quiet() else 0
            time.sleep(0.005)

    def run(self, steps: Iterable[Step], timeout_per_step: float = QUIET_TIMEOUT, paced: bool = False) -> None:
        """Apply every step in script order, waiting for quiet after each; ``paced`` also waits
        until each step's offset has passed on the wall clock (a session with real gaps)."""
        started = time.monotonic()
        for index, step in ordered(steps):
            if paced:
                time.sleep(max(0.0, started + step.at_ns / 1e9 - time.monotonic()))
            self.apply(index, step)
            self.wait_quiet(timeout_per_step)
