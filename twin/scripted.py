"""A scripted order flow, run through a built twin world instead of generated intents.

A script is a list of steps, each at an offset from its start:

* ``Submit``: an advisor's order request body (as ``POST /v1/orders`` takes it);
* ``Cancel``: a client's cancel of an order it knows by client order id;
* ``Block``: an advisor's block (``SubmitBlock``: the statement's accounts and
  quantities, the allocation policy, the block ref);
* ``AgentOrder``: a simulated market participant's order entered straight at
  a venue, to seed its book before the flow or to trade with resting orders.

The same script drives the live stack (``tests/live_script.py``) so the two
runtimes can be compared event by event (``twin.diff_live.compare``), and
``twin diff-live`` replays a live session's order flow as a script.

``run_script`` schedules only the script: no generated client flow, no
market maker timers (unless ``liquidity``), no noise, no close, no
settlement; the world runs until ``settle_ns`` after the last step. Nothing
here touches the runner's day schedule, so a scripted run is quick and every
fill comes from the books the script built.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from components.domain.commands import CancelOrder, SubmitBlock, SubmitOrder
from components.domain.orders import Side, TimeInForce

from .world import TwinWorld

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Submit:
    at_ns: int
    """Offset from the start of the script."""
    body: Mapping[str, Any]
    """The order request, e.g. {"account_id", "symbol", "side", "quantity", "order_type", ...}."""


@dataclass(frozen=True, slots=True)
class Cancel:
    at_ns: int
    account_id: str
    client_order_id: str


@dataclass(frozen=True, slots=True)
class AgentOrder:
    at_ns: int
    venue: str
    symbol: str
    side: Side
    quantity: int
    price: int | None
    """Units; None for a market order."""
    time_in_force: TimeInForce = TimeInForce.DAY
    owner: str = "SCRIPT"
    order_id: str = ""
    """Book order id; default ``<owner>-<step index>`` (the same in every runtime)."""


@dataclass(frozen=True, slots=True)
class Block:
    at_ns: int
    block: SubmitBlock
    """The block as submitted (its ``submitted_ns`` is set when the step runs)."""

    def command(self, now_ns: int) -> SubmitBlock:
        return replace(self.block, submitted_ns=now_ns)


Step = Submit | Cancel | Block | AgentOrder


def agent_order_id(step: AgentOrder, index: int) -> str:
    """The book id of the ``index``-th step's participant order."""
    return step.order_id or f"{step.owner}-{index}"


def ordered(steps: Iterable[Step]) -> list[tuple[int, Step]]:
    """Steps with their script index, in time order (stable: equal times keep script order)."""
    return sorted(enumerate(steps), key=lambda pair: pair[1].at_ns)


def start_ns(world: TwinWorld) -> int:
    """Where a script starts in the twin: the session open."""
    return world.scenario.session.open_ns()


def run_script(world: TwinWorld, steps: Iterable[Step], *, settle_ns: int = 5 * NS,
               liquidity: bool = False) -> TwinWorld:
    """Run ``steps`` through ``world`` (built by ``build_twin``) and return it.

    ``liquidity`` lets the scenario's market makers quote and requote on their
    timer (for a replay against a model market rather than scripted books).
    """
    steps = list(steps)
    begin = start_ns(world)
    clock, network = world.clock, world.network
    if liquidity:
        _schedule_makers(world, begin)

    def apply(index: int, step: Step) -> None:
        now = clock.now_ns()
        if isinstance(step, Submit):
            network.send("advisor", SubmitOrder(dict(step.body), now))
        elif isinstance(step, Cancel):
            network.send("advisor", CancelOrder(step.account_id, step.client_order_id, now))
        elif isinstance(step, Block):
            network.send("advisor", step.command(now))
        else:
            world.venues[step.venue].submit_agent_order(agent_order_id(step, index), step.owner, step.symbol,
                                                        step.side, step.quantity, step.price,
                                                        step.time_in_force, now)

    for index, step in ordered(steps):
        clock.call_at(begin + step.at_ns, lambda index=index, step=step: apply(index, step))
    last = max((s.at_ns for s in steps), default=0)
    world.env.run(until=clock.to_sim(begin + last + settle_ns))
    return world


def _schedule_makers(world: TwinWorld, begin: int) -> None:
    """Market makers quote at the start and every ``requote_s`` (no noise traders)."""
    every = int(world.scenario.liquidity.requote_s * NS)

    def requote() -> None:
        now = world.clock.now_ns()
        for maker in world.makers:
            maker.requote(now)
        world.clock.call_at(now + every, requote)

    world.clock.call_at(begin - 1, requote)  # before a step at offset 0
