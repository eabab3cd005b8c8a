"""The scenario runner: schedule a day's activity, run it, check it, record it.

``run_scenario`` drives a built ``TwinWorld``: market makers requote, noise
traders trade (or the agent populations wake at the times they ask for),
the market recorder samples the primary venue, client requests arrive at
their times, the session closes
(venues cancel resting DAY orders, the OMS expires what never reached one),
and the simulation runs on to the settlement date. Then the invariants are
checked and the run folder is written. A broken invariant raises
``InvariantViolation`` after the outputs are written, so the evidence is kept.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable

from components.domain.commands import CancelOrder, SetTradingState, SubmitBlock, SubmitOrder
from components.domain.money import CENT
from components.domain.orders import Side
from components.platform import close_session
from scenarios.agents import AdaptiveMarketMaker
from scenarios.arrivals import OrderIntent
from scenarios.block_flow import BlockIntent
from scenarios.config import Scenario

from .bootstrap import build_twin, settlement_horizon_ns
from .world import TwinWorld
from .fault_target import fault_evidence, schedule_faults
from .market_recorder import MarketTimeline
from .service_timeseries import start_sampling
from .run_result import RunResult
from .run_timing import RunClock, peak_rss_bytes
from .fingerprint import fingerprint
from .invariants import InvariantViolation, RunEvidence, check_all, first_violation

NS = 1_000_000_000
Progress = Callable[[float], None]  # fraction of simulated time done, 0..1


def limit_price_for(intent: OrderIntent, world: TwinWorld) -> int:
    """The advisor's limit: ``limit_offset_bps`` through the touch (positive = more aggressive)."""
    md = world.market_data
    buy = Side(intent.side) is Side.BUY
    best = 0
    for venue in world.venues:
        quote = md.quote(venue, intent.symbol)
        if quote is None:
            continue
        price = quote.ask if buy else quote.bid
        if price and (best == 0 or (price < best if buy else price > best)):
            best = price
    touch = best or md.reference_price(intent.symbol)
    sign = 1 if buy else -1
    raw = Decimal(touch) * (Decimal(10_000 + sign * intent.limit_offset_bps) / Decimal(10_000)) / CENT
    return max(CENT, int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * CENT)


def request_body(intent: OrderIntent, world: TwinWorld) -> dict:
    body = {
        "account_id": intent.account_id,
        "symbol": intent.symbol,
        "side": Side(intent.side).value,
        "quantity": intent.quantity,
        "order_type": intent.order_type,
        "time_in_force": intent.time_in_force,
        "advisor_id": intent.advisor_id,
        "client_order_id": intent.client_order_id,
    }
    if intent.order_type == "LIMIT":
        price = limit_price_for(intent, world)
        body["limit_price"] = f"{Decimal(price) / 10_000:.2f}"
    return body


def _schedule_client_flow(world: TwinWorld, extra: tuple[OrderIntent, ...] = ()) -> None:
    """Client requests at their times; ``extra`` are more intents (the bad actors') sent the same way."""
    clock, network = world.clock, world.network
    bodies: dict[str, dict] = {}  # client_order_id -> the body first sent (for retries)

    def arrive(intent: OrderIntent) -> None:
        now = clock.now_ns()
        if intent.kind == "cancel":
            network.send("advisor", CancelOrder(intent.account_id, intent.ref_client_order_id, now))
            return
        if intent.kind == "resubmit" and intent.ref_client_order_id in bodies:
            body = bodies[intent.ref_client_order_id]
        else:
            body = request_body(intent, world)
            bodies[intent.client_order_id] = body
        network.send("advisor", SubmitOrder(body, now))

    # one in simpy's heap at a time, in the order (and with the ids) scheduling each now would give
    clock.deliver_all_at(((intent.submit_ns, intent) for intent in (*world.intents, *extra)), arrive)

    def arrive_block(block: BlockIntent) -> None:
        limit = None
        if block.order_type == "LIMIT":
            limit = f"{Decimal(limit_price_for(block, world)) / 10_000:.2f}"  # type: ignore[arg-type]
        network.send("advisor", SubmitBlock(block.advisor_id, block.symbol, block.side, block.lines, block.policy,
                                            block.block_ref, clock.now_ns(), block.order_type, limit))  # fmt: skip

    for block in world.block_intents:
        clock.call_at(block.submit_ns, lambda block=block: arrive_block(block))


def _schedule_liquidity(world: TwinWorld, close_ns: int) -> None:
    """Each market maker requotes every ``requote_s`` (from a random first moment) and each noise trader
    acts at exponential gaps, until the close: one timer per wake-up. Each was a simpy process; timers
    started where those processes started (``call_first``) keep every event's order and id, at about half
    the kernel's cost per wake-up (1.7 against 3.3 us: the process's resume and ``Timeout`` are gone; a
    finished process's completion entry, which nothing waits for, is not made)."""
    clock = world.clock
    liq = world.scenario.liquidity
    requote_ns = int(liq.requote_s * NS)
    call_later, now_ns = clock.call_later, clock.now_ns

    def start_maker(maker, rng) -> Callable[[], None]:
        def wake() -> None:
            now = now_ns()
            if now < close_ns:
                maker.requote(now)
                call_later(requote_ns, wake)

        return lambda: call_later(int(rng.integers(0, max(1, requote_ns))), wake)

    def start_noise(trader, rng, mean_gap_ns: float) -> Callable[[], None]:
        def wake() -> None:
            now = now_ns()
            if now < close_ns:
                trader.act(now)
                call_later(int(rng.exponential(mean_gap_ns)) + 1, wake)

        return lambda: call_later(int(rng.exponential(mean_gap_ns)) + 1, wake)

    for maker in world.makers:
        clock.call_first(start_maker(maker, world.streams.stream(f"schedule:{maker.owner}")))
    if liq.noise_rate_per_s > 0:
        for trader in world.noise:
            clock.call_first(start_noise(trader, world.streams.stream(f"schedule:{trader.owner}"),
                                         NS / liq.noise_rate_per_s))


def _schedule_agents(world: TwinWorld, close_ns: int) -> None:
    """Wake each agent when it asks, until the close: one bare timer per wake-up.

    Adaptive market makers also requote, after their reaction delay, when a
    side of their ladder has been used up.
    """
    population = world.agents
    if population is None:
        return
    clock = world.clock
    schedule, now_ns = clock.schedule, clock.now_ns
    if population.network is not None:  # agents.mode: network: their messages and wake-ups run through it
        population.network.start(schedule, now_ns, close_ns)
        return
    counts = population.messages  # direct mode: wake-ups only (no messages), for the summary

    def fire(timer) -> None:
        agent = timer.value
        now = now_ns()
        counts.wakeups += 1
        nxt = agent.wake(now)
        if nxt < close_ns:
            schedule(nxt - now, fire, agent)

    def refill(timer) -> None:
        now = now_ns()
        if now < close_ns:
            counts.wakeups += 1
            timer.value.requote(now)

    def on_side_empty(maker: AdaptiveMarketMaker) -> None:
        schedule(maker.refill_delay_ns, refill, maker)

    start = now_ns()
    for agent, first in zip(population.agents, population.first_wakes):
        if isinstance(agent, AdaptiveMarketMaker) and agent.refill_delay_ns is not None:
            agent.on_side_empty = on_side_empty
        if first < close_ns:
            schedule(max(0, first - start), fire, agent)


def _schedule_close(world: TwinWorld, close_ns: int) -> None:
    reopens_ns = settlement_horizon_ns(world.scenario)  # a twin run is one session: nothing reopens

    def end_venue_days(now: int) -> None:
        for venue in world.venues.values():
            venue.end_of_day(now, reopens_ns)

    def close() -> None:
        close_session(world.clock.now_ns(), end_venue_days, world.network.services["oms"].deliver)

    world.clock.call_at(close_ns, close)


def _schedule_trading_state(world: TwinWorld) -> None:
    """The scenario's kill-switch flips, sent by the operator to the risk service."""
    session = world.scenario.session
    for change in world.scenario.trading_state:
        def flip(change=change) -> None:
            world.network.send("operator", SetTradingState(change.state, f"operator:{change.operator}",
                                                           change.reason, world.clock.now_ns()))

        world.clock.call_at(session.at_ns(change.at), flip)


def _bad_actor_intents(world: TwinWorld) -> tuple[OrderIntent, ...]:
    """Plan the scenario's bad actors (off by default: no stream drawn, the run unchanged); the plan is
    kept on the world as ``bad_actor_plan`` for ``twin.outputs`` (labels.json, links.json)."""
    if not world.scenario.bad_actors.active:
        return ()
    from scenarios.bad_actors import plan_bad_actors

    plan = plan_bad_actors(world.scenario, world.population, world.block_intents, world.streams.stream("bad-actors"))
    world.bad_actor_plan = plan
    return plan.intents


def read_out(log) -> list:
    """The log's events as a list of their own for the checks and outputs. The log keeps its columns (a
    columnar log's are ~30 bytes an event, the list's objects ~730), so the outputs can let the list go
    once written (``twin.outputs.write_run``), before their largest steps."""
    return list(log.read())


def evidence_of(world: TwinWorld) -> RunEvidence:
    platform = world.platform
    return RunEvidence(
        events=read_out(world.log),
        orders=platform.oms.orders,
        child_sends=world.gateway.child_sends,
        venue_fills=world.gateway.venue_fills,
        sanctioned_accounts=world.sanctioned_accounts,
        opening_cash=world.opening_cash,
        opening_positions=world.opening_positions,
        live_ledger=platform.ledger,
        risk_position=platform.risk.position,
        extra=fault_evidence(world) | ({} if world.regions is None else {"regions": world.regions.evidence()})
        | ({} if world.money is None else world.money.evidence()),  # transfers: twin.money_movement
    )


def simulate(world: TwinWorld, progress: Progress | None = None, chunks: int = 200,
             record_market: bool = True) -> float:
    """Run the world from pre-open to after settlement; return simulated seconds. ``record_market``:
    keep the NBBO and prints timeline behind the run's TCA (only the run folder's outputs read it)."""
    session = world.scenario.session
    close_ns = session.close_ns()
    end_ns = settlement_horizon_ns(world.scenario) + 3600 * NS  # settlement retries run on later days
    _schedule_liquidity(world, close_ns)
    _schedule_agents(world, close_ns)
    if world.market_recorder is not None:
        world.market_recorder.sample_venues(world.venues)  # every venue's top too (market_samples.parquet)
        world.market_recorder.start(world.clock, session.open_ns(), close_ns)
        if record_market:  # NBBO changes and prints, for TCA: a check after every order, so only when written
            world.market_recorder.timeline = MarketTimeline.attach(world)
    if record_market:  # services' queues and utilisation on a coarse grid, for the report (no event changes)
        start_sampling(world.clock, world.network.services, session.open_ns(), close_ns)
    _schedule_client_flow(world, _bad_actor_intents(world))
    if world.scenario.advisors is not None:  # the trade-execution agent and its advisors (twin.advisor_agents)
        from .advisor_agents import install_advisor_agents

        world.advisor_agents = install_advisor_agents(world)
    if world.scenario.money is not None:  # transfers through the transfer desk: the run lasts their window
        from .money_movement import schedule_money_movement

        end_ns = max(end_ns, schedule_money_movement(world))
    _run_replay_ahead(world)
    _schedule_close(world, close_ns)
    _schedule_trading_state(world)
    schedule_faults(world)  # the scenario's crashes and faults (twin.fault_target)
    end = world.clock.to_sim(end_ns)
    step = max(1, end // chunks)
    at = 0
    with _long_lived_heap():
        while at < end:
            at = min(end, at + step)
            world.clock.run(at)  # env.run(until=at), in one loop over simpy's heap (twin.clock.run_until)
            if progress:
                progress(at / end)
    return end / NS


def _run_replay_ahead(world: TwinWorld) -> None:
    """Let replayed venues apply their next recorded event at once when the clock holds nothing due
    before it (``ReplayVenue.run_ahead``): the same events in the same order, without a scheduler round
    trip per recorded quote. The clock moves by setting simpy's ``_now`` after reading its ``_queue``
    (private attributes of simpy 4; ``Timer`` already relies on that queue's layout), only forward and
    only across a stretch where nothing is queued."""
    env, epoch = world.env, world.clock.epoch_ns
    queue = env._queue  # simpy's heap of (time, priority, id, event), the list ``peek`` reads (once per quote)

    def idle_until(when_ns: int) -> bool:
        t = when_ns - epoch
        if t >= env._now and (not queue or queue[0][0] > t):  # strictly before anything queued: nothing
            env._now = t                                      # else could run in between
            return True
        return False

    # when the clock's next queued thing is due (None: nothing): where a run of quotes in bulk must end
    idle_until.horizon_ns = lambda: queue[0][0] + epoch if queue else None  # type: ignore[attr-defined]

    for venue in world.venues.values():
        if hasattr(venue, "run_ahead"):
            venue.run_ahead(idle_until)


@contextmanager
def _long_lived_heap():
    """Tune the garbage collector for a run's simulation, and again for its checks and outputs: the
    event log only grows, so the default thresholds make the collector rescan millions of live
    objects (about a fifth of the CPU of a 100,000-order run). Freeze what was built, collect young
    objects less often, and restore the settings afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_scenario(scenario: Scenario, seed: int | None = None, out_dir: Path | None = None,
                 progress: Progress | None = None, check: bool = True,
                 tamper: Callable[[RunEvidence], None] | None = None,
                 setup: Callable[[TwinWorld], None] | None = None) -> RunResult:
    """Build, run, check and (when ``out_dir`` is given) record one run.

    ``tamper`` edits the evidence before the invariant checks; the tests use
    it to prove each invariant can fail. ``setup`` is called on the built world
    before it runs (``twin replay`` schedules its recorded orders and chooses
    the routing policy there).
    """
    seed = scenario.seed if seed is None else seed
    clock = RunClock.for_run()  # phases back to back, from the process's start (twin.run_timing)
    clock.mark("load")
    started = time.perf_counter()
    world = build_twin(scenario, seed)
    if setup is not None:
        setup(world)
    clock.mark("build")
    sim_seconds = simulate(world, progress, record_market=out_dir is not None)
    clock.mark("simulate")
    wall = time.perf_counter() - started
    with _long_lived_heap():  # checking and writing only add to the run's heap, as simulating did
        evidence = evidence_of(world)
        if tamper:
            tamper(evidence)
        results = check_all(evidence)
        if world.advisor_agents is not None:  # agent orders approved first, none after its kill switch
            results += world.advisor_agents.check(evidence.events)
        result = RunResult(world, fingerprint(evidence.events), results, wall, sim_seconds, clock=clock)
        clock.mark("invariants")
        if out_dir is not None:
            from .outputs import write_run

            result.out_dir = write_run(result, out_dir, evidence.events)  # which empties the list
            if "outputs" not in clock.seconds:  # write_run marks it before summary.json's last write
                clock.mark("outputs")
    result.phase_seconds = dict(clock.seconds)
    result.peak_memory_bytes = peak_rss_bytes()
    violation = first_violation(results)
    if check and violation is not None:
        raise InvariantViolation(seed, violation)
    return result
