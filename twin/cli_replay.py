"""``twin replay``: best-execution replay of a recorded day, once per routing policy (counterfactual).

``twin replay --market DAY (--orders ORDERS | --strategy pkg.mod:name) [--policy P ...] [--out DIR]``
replays the recorded day in folder ``DAY`` (``quotes.parquet|csv`` and
``trades.parquet|csv``, ``docs/replay_format.md``) with the client orders of
an orders file and/or a strategy fed by the replayed quotes
(``twin.replay_orders``), through the production order entry, risk engine,
smart order router and OMS (``twin.runner.run_scenario``) and the replay
venue's fill model (``docs/fill_model.md``). Each ``--policy`` is one run of
the same orders on the same day, written to ``DIR/<policy>/`` (a normal run
folder); ``DIR/comparison.html`` and ``comparison.json`` compare them, with
what became of the orders (final states, reasons, how many reached a venue:
a replay whose orders were mostly blocked is warned about) and why the
policies cannot differ when the venues' fees are alike. Every order is
checked against the day and order entry's rules before it is sent.
User guide: ``docs/replay.md``.

Routing policies are the router's fee views (``components.routing``): the
production router ranks venues by price plus taker fee and rests at the best
maker rebate (``Venue.routing_schedule``); ``fee-blind`` hands it a zero fee
schedule, so it ranks by displayed price and size only and rests by venue
name, while the venues still charge their real fees.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from components.config.market import Venue
from components.config.schema import ScenarioError
from components.config.session import NEW_YORK
from components.domain.commands import SubmitOrder
from components.domain.events import EventType, OrderEvent
from components.domain.money import CENT, format_price
from components.domain.venues import FeeSchedule, Quote
from components.memory import SequentialIds
from components.order_entry import OrderRequestError, parse_order_request
from components.routing import SmartOrderRouter
from scenarios.config import Scenario, load_scenario, parse_scenario
from scenarios.config_market import Replay
from venues_sim.replay_format import ReplayFormatError

from . import cli_args
from .replay_orders import OrdersFileError, RecordedOrder, StrategyOrder, load_strategy, quote_listener, read_orders
from .run_folders import out_folder

if TYPE_CHECKING:  # annotations only: the run modules import pandas and pyarrow, which `twin --help` must not pay for
    from .run_result import RunResult
    from .world import TwinWorld


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """A named routing policy: the fee schedule the router ranks each venue by."""

    name: str
    description: str
    schedule: Callable[[Venue], FeeSchedule]


POLICIES: dict[str, RoutingPolicy] = {p.name: p for p in (
    RoutingPolicy("fee-aware", "production router: price plus taker fee, rests at the best maker rebate",
                  Venue.routing_schedule),
    RoutingPolicy("fee-blind", "displayed price and size only, rests by venue name; fees still charged",
                  lambda venue: FeeSchedule(maker_rebate=0, taker_fee=0)),
)}


def why_policies_agree(venues: tuple[Venue, ...], policies: list[RoutingPolicy], scenario_given: bool) -> str | None:
    """Why ``policies`` must make the same routing decisions on ``venues`` whatever the orders, or None.

    Every policy ranks venues by price plus its view of the taker fee, then size, then name, and rests at
    its view of the best maker rebate, then name (``SmartOrderRouter``). When each policy sees one schedule
    at every venue, its fees shift all venues alike, so all policies rank and rest by price, size and name.
    """
    if len(policies) < 2:
        return None
    names = " and ".join(p.name for p in policies)
    if len(venues) == 1:
        return f"the replay has one venue ({venues[0].name}), so {names} cannot differ"
    if any(len({p.schedule(v) for v in venues}) > 1 for p in policies):
        return None
    fees = venues[0].routing_schedule()
    fix = ("set different fees per venue in the --scenario" if scenario_given
           else "give --scenario with a fee schedule per venue")
    return (f"the venues' fees are identical ({', '.join(sorted(v.name for v in venues))}: maker rebate "
            f"{_dollars(fees.maker_rebate)}, taker fee {_dollars(fees.taker_fee)} a share), so {names} "
            f"cannot differ; {fix}")


def _dollars(units: int) -> str:
    return f"{'-' if units < 0 else ''}${format_price(abs(units))}"


def install_policy(world: TwinWorld, policy: RoutingPolicy) -> None:
    """Give the platform a router with ``policy``'s fee view (before the run: no child id issued yet,
    so a fresh id source gives the same child ids the kernel's router would)."""
    venues = world.scenario.venues
    world.platform.router = SmartOrderRouter(
        {v.name: policy.schedule(v) for v in venues}, world.market_data, SequentialIds(), world.clock,
        max_quote_age_ns=int(world.scenario.routing.max_quote_age_ms * 1_000_000),
        position=world.platform.risk.position)


# ------------------------------------------------------------------ the day and the scenario


def day_files(day: Path) -> tuple[Path, Path]:
    """``(quotes, trades)`` files of a recorded-day folder (parquet preferred over CSV)."""
    if not day.is_dir():
        raise ReplayFormatError(day, None, None, "not a folder (want one holding quotes.parquet|csv and "
                                                 "trades.parquet|csv)")
    found = []
    for table in ("quotes", "trades"):
        candidates = [day / f"{table}.{ext}" for ext in ("parquet", "csv") if (day / f"{table}.{ext}").exists()]
        if not candidates:
            raise ReplayFormatError(day, None, None, f"no {table}.parquet or {table}.csv in the folder")
        found.append(candidates[0])
    return found[0], found[1]


DEFAULT_SCENARIO = """
name: replay
seed: 1
session: {{date: "{date}", open: "09:30", close: "16:00"}}
symbols: [{symbols}]
venues: [{venues}]
population: {{advisors: 1, clients_per_advisor: 10, sanctioned_clients: 0}}
order_flow: {{orders: 0}}
"""


def replay_scenario(quotes: Path, trades: Path, scenario_path: str | None) -> Scenario:
    """The scenario a replay runs: ``scenario_path``'s venues, fees, risk and accounts, or defaults
    drawn from the day (its date, symbols at their first mid, its venues at default fees); the day
    as its market and no generated order flow."""
    if scenario_path is not None:
        scenario = load_scenario(scenario_path, replay_files=False)  # its replay section is replaced below
    else:
        import pyarrow.compute as pc  # here, not at the top: every `twin` command imports this module

        from venues_sim.replay_columns import load_recorded

        day = load_recorded(quotes, trades)  # columns: a large day is not turned into row objects
        times = day.quote_span_ns()
        if times is None:
            raise ReplayFormatError(quotes, None, None, "no quotes: nothing to replay")
        date = datetime.fromtimestamp(times[0] // 1_000_000_000, NEW_YORK).date()
        two_sided = day.quotes.filter(pc.and_(pc.greater(day.quotes.column("bid"), 0),
                                              pc.greater(day.quotes.column("ask"), 0)))
        first: dict[str, int] = {}  # symbol -> its first two-sided mid, whole cents
        for symbol in sorted(pc.unique(two_sided.column("symbol")).to_pylist()):
            row = two_sided.slice(pc.index(two_sided.column("symbol"), symbol).as_py(), 1).to_pylist()[0]
            first[symbol] = max(CENT, (row["bid"] + row["ask"]) // 2 // CENT * CENT)
        symbols = ", ".join(f'{{symbol: {s}, reference_price: "{format_price(p)}"}}' for s, p in first.items())
        venues = ", ".join(f"{{name: {v}}}" for v in sorted(day.quote_venues()))
        scenario = parse_scenario(DEFAULT_SCENARIO.format(date=date.isoformat(), symbols=symbols, venues=venues),
                                  "<twin replay default>")
    return replace(scenario, replay=Replay(str(quotes), str(trades)),
                   order_flow=replace(scenario.order_flow, orders=0))


def recorded_symbols(quotes: Path) -> list[str] | None:
    """The symbols quoted in a recorded day's quotes file, sorted; reads only that column (cheap beside the
    replay's own read). None if it cannot be read that way: the replay's full read then names the problem."""
    import pyarrow as pa  # here, not at the top: every `twin` command imports this module
    import pyarrow.compute as pc

    try:
        if quotes.suffix == ".parquet":
            import pyarrow.parquet as pq

            column = pq.read_table(quotes, columns=["symbol"]).column("symbol")
        else:
            import pyarrow.csv as pcsv

            column = pcsv.read_csv(quotes, convert_options=pcsv.ConvertOptions(
                include_columns=["symbol"], column_types={"symbol": pa.string()})).column("symbol")
    except (pa.ArrowException, OSError, KeyError):
        return None
    return sorted(str(s) for s in pc.unique(column).to_pylist() if s)


# ------------------------------------------------------------------ order flow into the world


class OrderFeed:
    """Sends recorded and strategy orders to the platform as advisor requests, and notes each order's
    arrival NBBO (read from the venue books when the client sent it) for the comparison."""

    def __init__(self, world: TwinWorld, day_symbols: list[str] | None = None):
        """``day_symbols``: the recorded day's symbols when the scenario's are not simply those (--scenario);
        None when they are (the default scenario) or are unknown."""
        self.world = world
        self.arrival: dict[str, tuple[int, int]] = {}  # client order id -> (bid, ask) at arrival
        self._strategy_sent = 0
        self._symbols = [s.symbol for s in world.scenario.symbols]  # the venues' books and order entry's
        self._known = frozenset(self._symbols).__contains__
        self._day_symbols = self._symbols if day_symbols is None else day_symbols
        self._on_day = frozenset(self._day_symbols).__contains__

    def account(self, order: StrategyOrder, where: str):
        """The order's account, or the one-line error naming ``where`` (file:row, or the strategy)."""
        account = self.world.accounts.get(order.account)
        if account is None:
            known = sorted(a.account_id for a in self.world.accounts)
            raise OrdersFileError(where, None, "account", f"unknown account {order.account!r} (the replay's "
                                  f"accounts are {known[0]} to {known[-1]}; set them with --scenario)")
        return account

    def request(self, order: StrategyOrder, client_order_id: str, where: str) -> dict:
        """The order entry request for ``order``, checked as order entry will check it; else the one-line
        error naming ``where``. Order entry refuses a bad request without an order or a trace in the
        comparison, and the venue books know only the replay's symbols: both are refused here instead."""
        account = self.account(order, where)
        if not self._on_day(order.symbol):  # no venue book for it, or one never quoted: it could not trade
            raise OrdersFileError(where, None, "symbol",
                                  f"{order.symbol!r} is not on the recorded day (it has {_some(self._day_symbols)})")
        if not self._known(order.symbol):
            raise OrdersFileError(where, None, "symbol", f"{order.symbol!r} is not one of the --scenario's "
                                  f"symbols ({_some(self._symbols)})")
        body = {"account_id": order.account, "symbol": order.symbol, "side": order.side.value,
                "quantity": order.quantity, "order_type": order.order_type.value,
                "time_in_force": order.time_in_force.value, "advisor_id": account.advisor_id,
                "client_order_id": client_order_id}
        if order.limit_price is not None:
            body["limit_price"] = format_price(order.limit_price)
        try:
            parse_order_request(body, self._known)
        except OrderRequestError as exc:
            first = exc.errors[0]
            raise OrdersFileError(where, None, REQUEST_COLUMNS.get(first.field, first.field), first.problem) from None
        return body

    def send(self, order: StrategyOrder, client_order_id: str, where: str) -> None:
        self._submit(self.request(order, client_order_id, where))

    def _submit(self, body: dict) -> None:
        """Send a checked request (``request``) now, noting the arrival NBBO."""
        world = self.world
        self.arrival[body["client_order_id"]] = self._nbbo(body["symbol"])
        world.network.send("advisor", SubmitOrder(body, world.clock.now_ns()))

    def _nbbo(self, symbol: str) -> tuple[int, int]:
        bid = ask = 0
        for venue in self.world.venues.values():
            b, _, a, _ = venue.book(symbol).top()
            bid = max(bid, b)
            if a and (ask == 0 or a < ask):
                ask = a
        return bid, ask

    def schedule(self, orders: list[RecordedOrder], source: str) -> None:
        session = self.world.scenario.session
        start, close = self.world.clock.now_ns(), session.close_ns()
        for o in orders:
            if not start <= o.timestamp_ns < close:
                raise OrdersFileError(source, o.row, "timestamp", f"{o.timestamp_ns} is outside the replayed "
                                      f"session ({session.date.isoformat()} {session.open}-{session.close} New York)")
            body = self.request(o.order, f"R{o.row:07d}", f"{source}:{o.row}")  # refused before the run, not in it
            self.world.clock.call_at(o.timestamp_ns, lambda body=body: self._submit(body))

    def attach(self, strategy: Callable[[Quote], object], spec: str) -> None:
        def on_quote(quote: Quote) -> None:
            for order in strategy(quote) or ():
                self._strategy_sent += 1
                self.send(order, f"S{self._strategy_sent:07d}", f"strategy {spec}")

        listener = quote_listener(on_quote, strategy)  # with the strategy's bulk form, if it has one
        for venue in self.world.venues.values():
            venue.listen(listener)


SYMBOLS_SHOWN = 10
"""Symbols a bad-symbol error lists at most."""

def _some(symbols: list[str]) -> str:
    """The first ``SYMBOLS_SHOWN`` symbols, and how many in all if more: a day of thousands is not one line's worth."""
    shown = symbols[:SYMBOLS_SHOWN]
    return ", ".join(shown) + (f", ... {len(symbols):,} in all" if len(symbols) > len(shown) else "")


REQUEST_COLUMNS = {"account_id": "account", "order_type": "type", "limit_price": "limit", "time_in_force": "tif"}
"""Order entry's request fields that the orders file names otherwise (the rest are the same)."""


_ROUTED = EventType.ORDER_ROUTED
_ENDS_WITH_REASON = frozenset({EventType.ORDER_BLOCKED, EventType.ORDER_REJECTED, EventType.ORDER_CANCELED,
                               EventType.ORDER_EXPIRED})


class OrderOutcomes:
    """An OMS listener noting what the comparison needs beyond the orders' final states: how many orders
    were routed to a venue, and the reason each blocked, rejected, canceled or expired order gives."""

    KINDS = (_ROUTED, *sorted(_ENDS_WITH_REASON))

    def __init__(self) -> None:
        self.routed = 0
        self.reasons: dict[str, str] = {}  # order id -> reason of its ending event

    def __call__(self, event: OrderEvent, order: object) -> None:
        kind = event.event_type  # other types reach here too (``Oms.subscribe``): ignored
        if kind is _ROUTED:
            self.routed += 1
        elif kind in _ENDS_WITH_REASON and event.details and event.details.get("reason"):
            self.reasons[event.order_id] = str(event.details["reason"])


# ------------------------------------------------------------------ running


@dataclass
class PolicyRun:
    """One policy's run, the arrival NBBO of each client order and the orders' outcomes."""

    policy: RoutingPolicy
    result: RunResult
    arrival: dict[str, tuple[int, int]]
    outcomes: OrderOutcomes


def run_policy(scenario: Scenario, policy: RoutingPolicy, orders: list[RecordedOrder], orders_name: str,
               strategy: str | None, seed: int, out_dir: Path | None,
               day_symbols: list[str] | None = None) -> PolicyRun:
    """One replay of the day with ``policy``: same scenario, orders and seed give the same fingerprint.
    ``day_symbols``: as ``OrderFeed``'s."""
    from venues_sim.replay_columns import release_unused_memory

    from .runner import run_scenario

    feeds: list[OrderFeed] = []
    outcomes = OrderOutcomes()

    def setup(world: TwinWorld) -> None:
        # The day's Arrow tables are garbage once the venues hold their columns: hand the pool's free
        # pages back now, or a million-quote day's read stays in the run's peak memory to the end.
        release_unused_memory()
        install_policy(world, policy)
        world.platform.oms.subscribe(outcomes, OrderOutcomes.KINDS)  # observes only: the run is unchanged
        feed = OrderFeed(world, day_symbols)
        feed.schedule(orders, orders_name)
        if strategy is not None:
            feed.attach(load_strategy(strategy), strategy)
        feeds.append(feed)

    result = run_scenario(scenario, seed, out_dir, setup=setup)
    return PolicyRun(policy, result, feeds[0].arrival, outcomes)


def replay_fingerprint(runs: list[PolicyRun]) -> str:
    """SHA-256 over each policy's name and run fingerprint, in the order run."""
    digest = hashlib.sha256()
    for run in runs:
        digest.update(f"{run.policy.name}={run.result.fingerprint}\n".encode())
    return digest.hexdigest()


def _cmd_replay(args: argparse.Namespace) -> int:
    from reports.replay_compare import outcome_line, policy_figures, replay_warnings, tca_figures, write_comparison

    from .invariants import InvariantViolation

    started = time.perf_counter()
    if args.orders is None and args.strategy is None:
        print("twin replay: give --orders FILE and/or --strategy pkg.mod:name", file=sys.stderr)
        return 2
    policies = list(dict.fromkeys(args.policy or ["fee-aware"]))  # a policy named twice runs once
    out = out_folder(args.out, f"replay-{Path(args.market).name}")
    try:
        quotes, trades = day_files(Path(args.market))
        scenario = replay_scenario(quotes, trades, args.scenario)
        orders = read_orders(args.orders) if args.orders else []
        if args.strategy:
            load_strategy(args.strategy)  # a bad name fails now, not after the day is loaded
        seed = scenario.seed if args.seed is None else args.seed
        day_symbols = None if args.scenario is None else recorded_symbols(quotes)  # else the scenario's are the day's
        runs, figures = [], []
        for name in policies:
            run = run_policy(scenario, POLICIES[name], orders, str(args.orders), args.strategy, seed, out / name,
                             day_symbols)
            runs.append(run)
            r = run.result
            phases = ", ".join(f"{k} {v:.2f}s" for k, v in r.phase_seconds.items())
            print(f"policy {name}  fingerprint {r.fingerprint}  orders {len(r.world.platform.oms.orders)}  "
                  f"fills {len(r.world.gateway.venue_fills)}  ({phases})")
            figures.append(policy_figures(name, run.policy.description, r.world, run.arrival,
                                          run.outcomes.reasons, run.outcomes.routed))
            print(f"  outcomes: {outcome_line(figures[-1])}")
    except (ReplayFormatError, ScenarioError, ValueError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except InvariantViolation as exc:
        print(f"FAILED: {exc}\nevidence written to {out}", file=sys.stderr)
        return 1
    figures = [{**f, **tca_figures(out / run.policy.name)} for f, run in zip(figures, runs)]
    agree = why_policies_agree(scenario.venues, [run.policy for run in runs], args.scenario is not None)
    if agree:
        print(f"note: {agree}")
    for warning in replay_warnings(figures):
        print(f"warning: {warning}", file=sys.stderr)
    write_comparison(figures, replay_fingerprint(runs), out, same_because=agree)
    print(f"replay fingerprint {replay_fingerprint(runs)}")
    print(f"comparison: {out / 'comparison.html'}  wall {time.perf_counter() - started:.2f}s")
    return 0


def register(sub) -> None:
    """Add ``twin replay`` to the ``twin`` command line."""
    p = sub.add_parser("replay", help="best-execution replay of a recorded day, per routing policy")
    p.add_argument("--market", required=True, help="recorded-day folder: quotes.parquet|csv and trades.parquet|csv")
    p.add_argument("--orders", default=None, help="client orders file (.csv or .parquet; docs/replay.md)")
    p.add_argument("--strategy", default=None, help="pkg.mod:name called with each replayed quote (docs/replay.md)")
    p.add_argument("--policy", action="append", choices=sorted(POLICIES),
                   help="routing policy; repeat to compare policies on the same orders (default fee-aware)")
    p.add_argument("--scenario", default=None, help="scenario YAML for venues, fees, risk limits and accounts "
                                                    "(its replay section and order flow are replaced)")
    p.add_argument("--seed", type=cli_args.seed, default=None, help="seed (default: the scenario's)")
    p.add_argument("--out", default=None, help="output folder (default reports/out/replay-DAY)")
    p.set_defaults(func=_cmd_replay)
