"""The live bootstrap: one place that builds the platform on live adapters.

``build_live(config)`` creates the same component objects as
``twin.bootstrap.build_twin`` (OrderEntry, Oms, RiskEngine, SmartOrderRouter,
PostTrade, Ledger, Platform) and wires them to the wall clock, uuid ids, an
event log, a venue gateway and market data, plus the live runtime that
dispatches their messages, the API's order views, token registry and rate
limiter. Nothing else decides that the platform is live.

Adapters may be passed in (``log``, ``gateway``): tests and benchmarks use
that, and so will the FIX gateway and the SQLite/PostgreSQL event stores.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from components.domain.venues import FeeSchedule
from components.ledger import Ledger
from components.memory import InMemoryEventLog, SeededStreams
from components.oms import Oms
from components.order_entry import OrderEntry
from components.platform import Platform
from components.ports import EventLog, RandomSource, VenueGateway
from components.post_trade import PostTrade
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import default_sanctions_list, sdn_individual_names
from components.risk.engine import RiskEngine
from components.risk.policies import RiskLimits
from components.routing import SmartOrderRouter
from scenarios.config import NEW_YORK, Risk, Scenario, Session
from scenarios.population import build_population

from .clock import WallClock
from .config import LiveConfig, LiveConfigError
from .direct_venue import InProcessVenues
from .ids import EntropyStreams, UuidIds
from .market_data import VenueMarketData
from .runtime import LiveRuntime
from .security import Masker, RateLimiter, TokenRegistry
from .views import OrderViews


@dataclass
class LiveApp:
    """The live platform, built and wired; ``start`` it on an event loop."""

    config: LiveConfig
    clock: WallClock
    ids: UuidIds
    log: EventLog
    runtime: LiveRuntime
    platform: Platform
    gateway: VenueGateway
    market: InProcessVenues
    market_data: VenueMarketData
    accounts: AccountDirectory
    tokens: TokenRegistry
    limiter: RateLimiter
    views: OrderViews
    masker: Masker
    symbols: frozenset[str]
    demo_token: str | None = None
    """Made at start-up when the config has no tokens; printed, never logged."""
    demo_advisor: str | None = None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Bind the clock to ``loop`` (default: the running loop, if any), then
        let the venues quote and start their timers."""
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None  # no loop: timers are held (benchmarks drive the platform directly)
        if loop is not None:
            self.clock.bind(loop)
        self.runtime.run(self.market.start)

    def stop(self) -> None:
        self.runtime.run(self.market.stop)
        self.clock.close()


def risk_limits(risk: Risk) -> RiskLimits:
    """The scenario-schema ``risk`` section as the engine's limits (same as the twin's)."""
    return RiskLimits(
        max_order_notional=risk.max_order_notional,
        max_daily_notional_per_account=risk.max_daily_notional_per_account,
        collar_bps=risk.collar_bps,
        concentration_max_bps=risk.concentration_max_bps,
        duplicate_window_ns=int(round(risk.duplicate_window_s * 1e9)),
    )


def settlement_calendar(days: int) -> Callable[[int], int]:
    """trade time -> 09:00 New York, ``days`` business days after the New York trade date."""
    def settlement_ns(trade_ns: int) -> int:
        trade_date = datetime.fromtimestamp(trade_ns // 1_000_000_000, NEW_YORK).date()
        return Session(date=trade_date, settlement_days=days).settlement_ns()

    return settlement_ns


def _accounts(config: LiveConfig) -> list[Account]:
    if config.accounts:
        return [Account(a.account_id, a.client_id, a.client_name, a.advisor_id, a.cash, a.credit_limit,
                        tuple((p.symbol, p.quantity) for p in a.positions)) for a in config.accounts]
    scenario = Scenario(name="live", symbols=config.symbols, venues=config.venues, population=config.population)
    planted = list(sdn_individual_names(config.population.sanctioned_clients))
    population = build_population(scenario, SeededStreams(config.population_seed).stream("population"), planted)
    return [Account(a.account_id, a.client_id, a.client_name, a.advisor_id, a.cash, a.credit_limit, a.positions)
            for a in population.accounts]


def _event_log(kind: str) -> EventLog:
    if kind == "memory":
        return InMemoryEventLog()
    raise LiveConfigError("<config>", "event_log", f"unknown event log {kind!r}")  # parsing refuses it first


def _tokens(config: LiveConfig, accounts: list[Account]) -> tuple[TokenRegistry, str | None, str | None]:
    """The token registry, plus a demo token (and its advisor) when none is configured."""
    advisors = {a.advisor_id for a in accounts} | {g.advisor_id for g in config.grants}
    for i, token in enumerate(config.tokens):
        if token.advisor_id not in advisors:
            raise LiveConfigError("<config>", f"tokens[{i}].advisor_id",
                                  f"advisor {token.advisor_id!r} has no account nor grant")
    pairs = [(t.digest, t.advisor_id) for t in config.tokens]
    if pairs or not accounts:
        return TokenRegistry(pairs), None, None
    demo_advisor = min(a.advisor_id for a in accounts)
    demo = secrets.token_urlsafe(24)
    registry = TokenRegistry([(TokenRegistry.digest(demo), demo_advisor)])
    return registry, demo, demo_advisor


def build_live(config: LiveConfig | None = None, *, log: EventLog | None = None,
               gateway: VenueGateway | None = None, streams: RandomSource | None = None) -> LiveApp:
    """Build the live platform. ``gateway`` defaults to the in-process venues'."""
    config = config or LiveConfig()
    clock = WallClock()
    ids = UuidIds()
    streams = streams or EntropyStreams()
    log = log if log is not None else _event_log(config.event_log)
    account_list = _accounts(config)
    accounts = AccountDirectory(account_list, ((g.advisor_id, g.account_id) for g in config.grants))
    market = InProcessVenues(clock, streams, config.symbols, config.venues, config.liquidity)
    market_data = VenueMarketData(clock.now_ns, market.venues, market.opening_prices)
    venue_gateway = gateway if gateway is not None else market.gateway
    symbols = frozenset(s.symbol for s in config.symbols)

    oms = Oms(clock, ids, log)
    platform = Platform(
        clock=clock,
        oms=oms,
        entry=OrderEntry(symbols.__contains__, accounts.entitled, oms.create),
        risk=RiskEngine(risk_limits(config.risk), accounts, market_data, default_sanctions_list(),
                        config.risk.restricted),
        router=SmartOrderRouter({v.name: FeeSchedule(v.maker_rebate, v.taker_fee) for v in config.venues},
                                market_data, ids),
        venues=venue_gateway,
        post_trade=PostTrade(oms, clock, settlement_calendar(config.settlement_days)),
        ledger=Ledger({a.account_id: a.cash for a in account_list},
                      {a.account_id: dict(a.positions) for a in account_list if a.positions}),
        account_known=lambda account_id: accounts.get(account_id) is not None,
    )
    views = OrderViews()
    oms.subscribe(views.on_event)
    runtime = LiveRuntime(platform.handle)
    clock.set_invoker(runtime.run)  # timers touch components: same critical section as messages
    venue_gateway.connect(runtime.dispatch)

    tokens, demo_token, demo_advisor = _tokens(config, account_list)
    masker = Masker([i for a in account_list for i in (a.account_id, a.client_id)],
                    [a.client_name for a in account_list])
    return LiveApp(
        config=config, clock=clock, ids=ids, log=log, runtime=runtime, platform=platform,
        gateway=venue_gateway, market=market, market_data=market_data, accounts=accounts, tokens=tokens,
        limiter=RateLimiter(clock, config.rate_limit.rate_per_s, config.rate_limit.burst), views=views,
        masker=masker, symbols=symbols, demo_token=demo_token, demo_advisor=demo_advisor,
    )
