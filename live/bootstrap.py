"""The live bootstrap: the one place that chooses the live adapters.

``build_live(config)`` chooses the live ports (the wall clock, uuid ids, an
event log, a venue link with its gateway and market data) and the accounts
(the configured ``accounts``, converted in one place, or a population
generated as the twin does), and hands them with the configuration to
``components.kernel.build_platform``, the wiring the twin bootstrap calls too.
Around the platform it adds what only a live process has: the runtime that
dispatches its messages, a bus for the stored events, the API's order views,
token registry, rate limiter and masker, and the session close on the wall
clock (``live.session_close``). Nothing else decides that the platform is
live, nor which live adapters it runs on:

* ``[event_log]``: memory, SQLite (default: events.sqlite in the run folder)
  or PostgreSQL (``stores``);
* ``[bus]``: in process (default) or NATS JetStream (``event_bus``);
* ``[venue_link]``: simulated venues served over FIX in this process and the
  FIX gateway (default), the FIX gateway to venues elsewhere, or in-process
  venues without FIX (``venue_link``).

Building opens the event log, verifies it and its anchors before anything reads
it (``_proven_log``, ``live.adapters.anchoring``: a tampered log raises
``TamperedLog`` unless the process is built ``read_only``, which accepts no
change) and makes the run folder; sockets, sessions and
threads start with ``LiveApp.start``. A log that already holds events (a
restart on the same SQLite file or PostgreSQL schema) is replayed into the
components at build, and ``start`` closes the child orders it left working
before the venues come up (``recovery``). Adapters may be passed in (``log``,
``gateway``): tests and benchmarks use that; a ``gateway`` implies in-process
venues for market data.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from components.config.live import AccountConfig, BusConfig, LiveConfig, LiveConfigError
from components.kernel import build_platform
from components.memory import InProcessBus, SeededStreams
from components.observability.metrics import PlatformMetrics
from components.platform import Platform, Refusals
from components.ports import EventLog, MessageBus, RandomSource, VenueGateway
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList, default_sanctions_list, sdn_individual_names

from live.adapters.clock import WallClock
from live.adapters.direct_venue import InProcessVenues
from live.adapters.event_bus import EventPublisher
from live.adapters.ids import EntropyStreams, UuidIds
from live.adapters.market_data import VenueMarketData
from components.eventstore.anchorlog import anchor_path, read_lines, resolve_key
from components.eventstore.anchors import AnchorKeyError
from live.adapters import anchoring
from live.adapters.anchoring import (AnchoredLog, AnchorSink, ChainOnRead, Integrity, ReadOnlyLog, TamperedLog,
                                     anchor_lines, check_start, finish_start)
from live.adapters.stores import describe as describe_event_log
from live.adapters.stores import open_event_log, sqlite_path
from live.adapters.venue_link import DirectLink, FixLink
from live.recovery import Restored, close_orphans
from live.recovery import rebuild as rebuild_from_log
from live.run_lock import RunFolderLock
from live.runtime import LiveRuntime
from live.security import Masker, RateLimiter, TokenRegistry
from live.session_close import SessionCloser, end_venue_days
from live.venue_health import SourcedMarketData, venue_capabilities
from live.views import OrderViews


REFUSALS_KEPT = 1_000
"""Refused requests a live process remembers (the API answers each as it happens; counts are kept whole)."""

@dataclass
class LiveApp:
    """The live platform, built and wired; ``start`` it (on an event loop, for timers)."""

    config: LiveConfig
    clock: WallClock
    ids: UuidIds
    log: EventLog
    runtime: LiveRuntime
    platform: Platform
    gateway: VenueGateway
    link: DirectLink | FixLink
    market_data: VenueMarketData
    accounts: AccountDirectory
    tokens: TokenRegistry
    limiter: RateLimiter
    views: OrderViews
    masker: Masker
    symbols: frozenset[str]
    run_dir: Path
    bus: MessageBus
    publisher: EventPublisher
    demo_token: str | None = None
    """Made at start-up when the config has no tokens; printed, never logged."""
    demo_advisor: str | None = None
    session_close: SessionCloser | None = None
    """Closes the session every business day (None when ``[session] enabled = false``)."""
    restored: Restored = field(default_factory=Restored)
    """What was rebuilt from an event log that already held events (``recovery``)."""
    metrics: PlatformMetrics = field(default_factory=PlatformMetrics)
    """What ``GET /metrics`` serves (``components.observability``), fed by the OMS and the runtime."""
    sanctions: SanctionsList | None = None
    """The sanctions list the platform's risk engine screens with; the live AML transfer desk screens transfers
    against the same list (``live.aml_desk``)."""
    integrity: Integrity = field(default_factory=Integrity)
    """The verified start's findings and the anchors (``live.adapters.anchoring``); ``integrity.read_only``
    non-empty means nothing may change: no order, block, cancel or trading-state change."""
    lock: RunFolderLock | None = None
    """This process's hold on ``run_dir`` (``live.run_lock``; None when read-only), let go by ``close``."""
    _started: bool = field(default=False, repr=False)
    _orphans_closed: bool = field(default=False, repr=False)
    _closed: bool = field(default=False, repr=False)

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Bind the clock to ``loop`` (default: the running loop, if any), start publishing
        (first the stored events an earlier process never published), close the
        child orders an earlier process left working (``recovery.close_orphans``),
        then bring up the venue link (venues quote; FIX sessions log on)."""
        if self.read_only:
            # For investigation only: no timer fires (settlement, session close), no stored event is
            # published, no orphan closed, no venue reached: nothing could append to the log.
            self._started = True
            return
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None  # no loop: timers are held (benchmarks drive the platform directly)
        if loop is not None:
            self.clock.bind(loop)
        self.publisher.catch_up(self.log)
        if self.restored.events and not self._orphans_closed:
            # After the catch-up (the bus gets the log in order), before the venues are up.
            self._close_orphans()
        self.publisher.start()
        self.link.start(self.runtime.run)
        if self.session_close is not None:
            self.session_close.arm()  # here, not at build: ``stop`` cancels every timer of the clock
        self._started = True

    def _close_orphans(self) -> None:
        """Close the children the previous process left working (``recovery.close_orphans``)."""
        self._orphans_closed = True
        link = self.link
        remote = isinstance(link, FixLink) and link.embedded is None
        adopt = link.gateway.adopt_orphans if remote else None
        close_orphans(self.restored, self.platform, self.runtime, self.clock.now_ns, remote=remote, adopt=adopt)

    @property
    def read_only(self) -> str:
        """Why this process accepts no change (empty when it does)."""
        return self.integrity.read_only

    def stop(self) -> None:
        """Stop the venue link (working orders stay at their venues), publish what is queued, stop timers."""
        if not self._started:
            return
        self._started = False
        if self.read_only:
            return
        self.link.stop(self.runtime.run)
        self.publisher.stop()
        self.clock.close()

    def close(self) -> None:
        """``stop``, then close the event log and the bus connection."""
        if self._closed:
            return
        self.stop()
        self._closed = True
        if isinstance(self.log, AnchoredLog):
            self.log.anchor("stop")  # a clean stop: whatever follows this anchor was not written by us
        for resource in (self.log, self.bus):
            close = getattr(resource, "close", None)
            if close is not None:
                close()
        if self.lock is not None:  # last: nothing of ours writes to the folder any more
            self.lock.release()

    def venue_statuses(self) -> dict[str, str]:
        """Each configured venue: "UP" or "DOWN" as the router sees it."""
        return self.link.statuses()

    def describe(self) -> list[str]:
        """Where things are, for the start-up banner."""
        lines = [f"event log: {describe_event_log(self.config.event_log, self.run_dir)}",
                 f"bus: {self.config.bus.kind}" + (f" {self.config.bus.url}" if self.config.bus.kind == "nats" else "")]
        if isinstance(self.link, FixLink):
            embedded = self.link.embedded
            where = ", ".join(f"{v} 127.0.0.1:{p}" for v, p in embedded.ports.items()) if embedded else "remote"
            lines.append(f"venues: FIX 4.4 ({where}); settings {self.link.settings_path}")
        else:
            lines.append("venues: in process (no FIX)")
        session = self.config.session
        lines.append(f"session close: {session.close} New York, Monday to Friday" if session.enabled
                     else "session close: off (DAY orders work until canceled)")
        lines.extend(self.integrity.describe())
        lines.append(self.restored.describe())
        lines.append(f"trading state: {self.platform.risk.trading_state.value}")  # a restart keeps a halt
        lines.append(f"run folder: {self.run_dir}")
        return lines


def account_of(config: AccountConfig) -> Account:
    """A configured account (``[[accounts]]``) as the platform's start-of-day ``Account``."""
    return Account(config.account_id, config.client_id, config.client_name, config.advisor_id, config.cash,
                   config.credit_limit, tuple((p.symbol, p.quantity) for p in config.positions))


def _accounts(config: LiveConfig) -> list[Account]:
    """The configured accounts, or else the population the twin would generate from the same section and seed."""
    if config.accounts:
        return [account_of(a) for a in config.accounts]
    # Imported here: the twin's scenario model and generator (yaml, chaos, faker) cost ~0.25 s per start.
    from scenarios.config import Scenario
    from scenarios.population import build_population

    scenario = Scenario(name="live", symbols=config.symbols, venues=config.venues, population=config.population)
    planted = list(sdn_individual_names(config.population.sanctioned_clients))
    population = build_population(scenario, SeededStreams(config.population_seed).stream("population"), planted)
    return list(population.accounts)


def _run_dir(config: LiveConfig) -> Path:
    if config.run_dir:
        path = Path(config.run_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="twin-live-"))


def _bus(config: BusConfig) -> tuple[MessageBus, EventPublisher]:
    if config.kind == "nats":
        from live.adapters.nats_bus import BlockingNatsBus  # nats-py only when asked for

        bus = BlockingNatsBus(config.url, stream=config.stream, prefix=config.prefix)
        return bus, EventPublisher(bus, background=True)
    bus = InProcessBus()
    return bus, EventPublisher(bus)


def _venue_link(config: LiveConfig, clock: WallClock, streams: RandomSource, run_dir: Path,
                gateway: VenueGateway | None) -> DirectLink | FixLink:
    link = config.venue_link
    if gateway is not None or link.mode == "direct":
        market = InProcessVenues(clock, streams, config.symbols, config.venues, config.liquidity)
        return DirectLink(market, clock.now_ns, gateway)
    from live.adapters.embedded_venues import EmbeddedFixVenues  # quickfix only when FIX is asked for
    from live.adapters.fix.gateway import FixVenueGateway

    names = [v.name for v in config.venues]
    opening = {s.symbol: s.reference_price for s in config.symbols}
    fix_gateway = FixVenueGateway(names, now_ns=clock.now_ns, on_disconnect=link.on_disconnect,
                                  symbols=[s.symbol for s in config.symbols], hold_s=link.hold_s,
                                  stuck_after_s={"ROUTED": link.stuck_routed_s,
                                                 "PENDING_CANCEL": link.stuck_pending_cancel_s},
                                  status_timeout_s=link.status_timeout_s,
                                  dialects={s.venue: s.dialect for s in link.sessions})
    embedded = None
    if link.mode == "embedded":
        embedded = EmbeddedFixVenues(config.symbols, config.venues, run_dir / "fix" / "venues", streams,
                                     config.liquidity if link.liquidity else None)
    # Embedded or remote, quotes come over FIX: the gateway's market data subscriptions.
    market_data = SourcedMarketData(clock.now_ns, {}, opening, names=names, connected=fix_gateway.is_logged_on,
                                    feed=fix_gateway.quotes, fallback_warn_s=link.reference_fallback_warn_s)
    return FixLink(fix_gateway, market_data, run_dir, sender=link.sender_comp_id,
                   settings=Path(link.settings) if link.settings else None,
                   sessions={s.venue: (s.host, s.port) for s in link.sessions}, embedded=embedded,
                   logon_timeout_s=link.logon_timeout_s)


def _tokens(config: LiveConfig, accounts: list[Account]) -> tuple[TokenRegistry, str | None, str | None]:
    """The token registry (static tokens, and JWTs when ``[jwt] jwks`` is set), plus a demo token
    (and its advisor) when neither is configured."""
    advisors = {a.advisor_id for a in accounts} | {g.advisor_id for g in config.grants}
    for i, token in enumerate(config.tokens):
        if token.role == "advisor" and token.advisor_id not in advisors:
            raise LiveConfigError("<config>", 1, f"tokens[{i}].advisor_id",
                                  f"advisor {token.advisor_id!r} has no account nor grant")
    entries = [(t.digest, t.advisor_id, t.role) for t in config.tokens]
    if config.jwt.jwks:
        from live.jwt_auth import JwksError, JwtVerifier  # PyJWT only when JWTs are configured
        try:
            return TokenRegistry(entries, jwt=JwtVerifier(config.jwt)), None, None
        except JwksError as exc:
            raise LiveConfigError("<config>", 1, exc.field, str(exc)) from None
    if entries or not accounts:
        return TokenRegistry(entries), None, None
    demo_advisor = min(a.advisor_id for a in accounts)
    demo = secrets.token_urlsafe(24)
    registry = TokenRegistry([(TokenRegistry.digest(demo), demo_advisor, "advisor")])
    return registry, demo, demo_advisor


def _proven_log(config: LiveConfig, run_dir: Path, clock: WallClock, read_only: bool,
                adopt_anchor_key: bool = False) -> tuple[EventLog, Integrity]:
    """Open the configured event log and verify it before anything reads it (the verified start).

    A durable log (SQLite, PostgreSQL) is checked with its anchors; a finding raises
    ``TamperedLog`` unless ``read_only``, which gets the log with appends refused and only
    its verified records replayed. Otherwise the log comes back anchoring itself, with a
    start anchor at its head."""
    settings = config.event_log
    store = open_event_log(settings, run_dir)
    if settings.kind == "memory":
        integrity = Integrity(anchors="off", read_only="started with --read-only" if read_only else "")
        return (ReadOnlyLog(store, 0, integrity.read_only) if read_only else store), integrity
    try:
        key, source = resolve_key(settings.anchor_key_file or None, run_dir)
        table = None
        if settings.kind == "postgres":
            from live.adapters.postgres_store import PostgresAnchorTable

            table = PostgresAnchorTable(store)
            path = run_dir / "events.anchors"
        else:
            path = anchor_path(sqlite_path(settings, run_dir))
        started = time.perf_counter()
        check = check_start(store, anchor_lines(path, table), key, adopt_anchor_key,
                            from_anchor=settings.start_check == "anchors", table=table,
                            file_lines=read_lines(path) if table is not None else None,
                            defer_chain=anchoring.ONE_PASS_START and not read_only)
    except AnchorKeyError as exc:
        store.close()
        raise LiveConfigError("<config>", 1, "event_log.anchor_key_file", str(exc)) from None
    except BaseException:
        store.close()
        raise
    integrity = Integrity(anchors="keyed" if key is not None else "unkeyed", key_source=source, check=check,
                          verify_ms=(time.perf_counter() - started) * 1000,
                          notes=[n for n in check.notes if key is not None or not n.startswith("anchors are unkeyed")])
    if key is None:
        integrity.notes.insert(0, "no anchor key (TWIN_ANCHOR_KEY, [event_log] anchor_key_file or "
                                  "--anchor-key-file): anchors are unkeyed SHA-256, they detect a cut tail "
                                  "but not a forgery")
    if not check.ok:
        if not read_only:
            store.close()
            raise TamperedLog(check)
        integrity.read_only = f"the event log failed verification at {check.finding}"
        return ReadOnlyLog(store, check.verified, integrity.read_only), integrity
    if read_only:
        integrity.read_only = "started with --read-only (the event log verified)"
        return ReadOnlyLog(store, len(store), integrity.read_only), integrity
    if check.ok and check.verified == 0 and check.records:  # the chain is checked by the rebuild's read
        return AnchoredLog(ChainOnRead(store, check.columns_from), AnchorSink(path, key, table),
                           settings.anchor_every, clock.now_ns), integrity  # start anchor: finish_start
    anchored = AnchoredLog(store, AnchorSink(path, key, table), settings.anchor_every, clock.now_ns)
    anchored.anchor("start")
    return anchored, integrity


def build_live(config: LiveConfig | None = None, *, log: EventLog | None = None,
               gateway: VenueGateway | None = None, streams: RandomSource | None = None,
               read_only: bool = False, adopt_anchor_key: bool = False) -> LiveApp:
    """Build the live platform as ``config`` says (default: the embedded defaults).

    ``log`` replaces the configured event log (not verified, not anchored); ``gateway``
    replaces the venue link's gateway and implies in-process venues for market data.
    The configured log is verified first (``_proven_log``): ``TamperedLog`` if it fails,
    unless ``read_only``, which builds a process that accepts no change. ``adopt_anchor_key``
    accepts unkeyed anchors before the first keyed one (the start that adopts a key).
    """
    config = config or LiveConfig()
    clock = WallClock()
    ids = UuidIds()
    streams = streams or EntropyStreams()
    run_dir = _run_dir(config)
    lock = None if read_only else RunFolderLock(run_dir)  # RunFolderInUse: another process serves this folder
    try:
        app = _build(config, clock, ids, streams, run_dir, log, gateway, read_only, adopt_anchor_key)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    app.lock = lock
    return app


def _build(config: LiveConfig, clock: WallClock, ids: UuidIds, streams: RandomSource, run_dir: Path,
           log: EventLog | None, gateway: VenueGateway | None, read_only: bool, adopt_anchor_key: bool) -> LiveApp:
    """``build_live``'s work once the run folder is held."""
    integrity = Integrity()
    if log is None:
        log, integrity = _proven_log(config, run_dir, clock, read_only, adopt_anchor_key)
    for note in integrity.notes:
        logging.getLogger("live").warning("event log: %s", note)
    account_list = _accounts(config)
    accounts = AccountDirectory(account_list, ((g.advisor_id, g.account_id) for g in config.grants))
    link = _venue_link(config, clock, streams, run_dir, gateway)
    market_data = link.market_data
    venue_gateway = link.gateway
    symbols = frozenset(s.symbol for s in config.symbols)

    sanctions = default_sanctions_list()
    platform = build_platform(
        clock=clock, ids=ids, log=log, gateway=venue_gateway, market_data=market_data, accounts=accounts,
        sanctions=sanctions, symbols=symbols, venues=config.venues, risk=config.risk,
        routing=config.routing, settlement_days=config.settlement_days, refused=Refusals(keep=REFUSALS_KEPT),
    )
    # Venues whose dialect takes only some order types or times in force get only those (none: unchanged).
    platform.router.restrict(venue_capabilities({s.venue: s.dialect for s in config.venue_link.sessions}))
    oms = platform.oms
    views = OrderViews()
    oms.subscribe(views.on_event)
    bus, publisher = _bus(config.bus)
    oms.subscribe(publisher.on_event)  # after the views: published events are already visible in the API
    runtime = LiveRuntime(platform.handle)
    metrics = PlatformMetrics()  # /metrics: every stored event and each handler's wall time (~2 us/message)
    oms.subscribe(metrics.on_event)
    runtime.set_observer(metrics.on_handled)
    clock.set_invoker(runtime.run)  # timers touch components: same critical section as messages
    venue_gateway.connect(runtime.dispatch)

    # Before anything can append: the state an earlier process left in this log (recovery). Here, not at
    # start, so whatever holds a LiveApp (the API, benchmarks driving the platform directly) sees it.
    restored = rebuild_from_log(log, platform, views, clock)
    try:
        finish_start(log, integrity)  # the chain, checked during that read: one pass over the log
    except TamperedLog:
        for resource in (log, bus):
            close = getattr(resource, "close", None)
            if close is not None:
                close()
        raise

    session_close = None
    if config.session.enabled:
        session_close = SessionCloser(clock, runtime.dispatch, end_venue_days(link), config.session.next_close_ns)
    tokens, demo_token, demo_advisor = _tokens(config, account_list)
    masker = Masker([i for a in account_list for i in (a.account_id, a.client_id)],
                    [a.client_name for a in account_list])
    return LiveApp(
        config=config, clock=clock, ids=ids, log=log, runtime=runtime, platform=platform, metrics=metrics,
        gateway=venue_gateway, link=link, market_data=market_data, accounts=accounts, tokens=tokens,
        limiter=RateLimiter(clock, config.rate_limit.rate_per_s, config.rate_limit.burst), views=views,
        masker=masker, symbols=symbols, run_dir=run_dir, bus=bus, publisher=publisher, demo_token=demo_token,
        demo_advisor=demo_advisor, session_close=session_close, restored=restored, integrity=integrity,
        sanctions=sanctions,
    )
