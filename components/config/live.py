"""The live configuration (``live.toml``): typed, frozen, defaults declared here.

The market, risk, liquidity, routing and population sections are the
sections a scenario has (``components.config.market``, ``risk``,
``population``), so a symbol or a venue means the same thing, with the same
checks, in the twin and live. Their defaults are declared there: the symbols
and venues are ``market.DEFAULT_MARKET_SYMBOLS`` and ``market.DEFAULT_VENUES``
(the default scenario, ``scenarios/trading_day.yaml``, writes the same market
out; a test keeps the two equal) and the sections take their classes'
defaults. Accounts, entitlements (grants) and API tokens are live only. With
no ``accounts``, a small population is generated from ``population`` and
``population_seed`` (deterministic, so ids are stable across restarts).

``parse_live_config`` reads TOML (``components.config.toml_reader``) and
walks it against the dataclass type hints with the walker scenarios use
(``components.config.walker``): unknown keys, wrong types and out-of-range
values raise one ``LiveConfigError`` naming the line and the dotted field,
e.g. ``live.toml:3: rate_limit.burst_size: unknown key ...``. Money is written
as decimal dollar strings ("190.00") and held as int units.

A FIX session's venue dialect (``VenueDialect``) may come from a shared dialect
file (``dialect_file``), checked on its own first so its errors name that file,
line and key, then merged under the session's own ``dialect`` keys.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Annotated, Iterator

from components.business_days import BusinessCalendar
from components.config.market import DEFAULT_MARKET_SYMBOLS, DEFAULT_VENUES, Liquidity, Routing, SymbolConfig, Venue
from components.config.population import PopulationConfig
from components.config.risk import Risk
from components.config.session import NEW_YORK
from components.config.schema import DOCUMENT, MONEY, LiveConfigError, NonEmpty, Pattern, Range, Unique
from components.config.nodes import MAPPING, SCALAR, SEQUENCE, STR, Document, Node
from components.config.toml_reader import read_toml
from components.config.walker import build

__all__ = ["AccountConfig", "BusConfig", "EventLogConfig", "FixSessionConfig", "GrantConfig", "JwtConfig", "LiveConfig",
           "LiveConfigError", "PositionConfig", "RateLimit", "SessionConfig", "TokenConfig", "VenueDialect", "VenueLinkConfig",
           "load_live_config", "parse_live_config"]

_ID = Pattern(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", "1-64 letters, digits or ._:- starting with a letter or digit")
Id = Annotated[str, _ID]
Cash = Annotated[int, MONEY, Range(ge=0, le=1_000_000_000_000 * 10_000)]
_SHA256 = re.compile(r"[0-9a-f]{64}")
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True, slots=True)
class PositionConfig:
    symbol: str
    """A configured symbol."""
    quantity: Annotated[int, Range(ge=-10_000_000_000, le=10_000_000_000)]
    """Shares held at start of day (negative is short)."""


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One client account at start of day."""

    account_id: Id
    client_id: Id
    advisor_id: Id
    """The advisor of record, entitled to trade the account."""
    client_name: str = ""
    """Screened against the sanctions list. Default empty (nothing to match)."""
    cash: Cash = 0
    """Starting cash, decimal dollars. Default 0."""
    credit_limit: Cash = 0
    """Credit line on top of cash. Default 0."""
    positions: Annotated[tuple[PositionConfig, ...], Unique("symbol")] = ()
    """Start-of-day holdings. Default none."""


@dataclass(frozen=True, slots=True)
class GrantConfig:
    """An extra entitlement: ``advisor_id`` may also act on ``account_id`` (e.g. a covering advisor)."""

    advisor_id: Id
    account_id: Id


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """An API bearer token and who it authenticates: an advisor (orders, blocks, reads on
    entitled accounts), with ``role = "operator"`` an operator (the kill switch, no
    accounts) or with ``role = "analyst"`` an analyst (reads every account, changes
    nothing), named by ``advisor_id``. Give exactly one of ``token`` (the secret itself,
    for development) or ``token_sha256`` (its SHA-256 hex digest, so the file holds no secret)."""

    advisor_id: Id
    """The advisor the token authenticates (for an operator or analyst token: their name)."""
    token: str = ""
    token_sha256: str = ""
    role: Annotated[str, Pattern(r"advisor|operator|analyst|compliance|bsa_officer",
                                 "one of advisor, operator, analyst, compliance, bsa_officer")] = "advisor"
    """advisor (default), operator, analyst (reads any order, positions and the kill switch; changes
    nothing; works surveillance and AML cases), compliance (signs and files regulatory report packages), or
    bsa_officer (the BSA officer: the only role that signs off, or declines, a requested SAR)."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if bool(self.token) == bool(self.token_sha256):
            yield "token", "give exactly one of token and token_sha256"
        elif self.token and (len(self.token) < MIN_TOKEN_LENGTH or not self.token.isprintable()
                             or any(c.isspace() for c in self.token)):
            yield "token", f"must be at least {MIN_TOKEN_LENGTH} printable characters without spaces"
        elif self.token_sha256 and not _SHA256.fullmatch(self.token_sha256):
            yield "token_sha256", "must be 64 lower-case hex digits"

    @property
    def digest(self) -> str:
        """SHA-256 hex of the token: what the server keeps and compares."""
        return self.token_sha256 or hashlib.sha256(self.token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Requests per API token: a token bucket refilled at ``rate_per_s`` up to ``burst``."""

    rate_per_s: Annotated[float, Range(gt=0.0, le=1_000_000.0)] = 50.0
    """Sustained requests per second per token. Default 50."""
    burst: Annotated[int, Range(ge=1, le=1_000_000)] = 100
    """Requests a token may make at once after being idle. Default 100."""
    unauthenticated_rate_per_s: Annotated[float, Range(gt=0.0, le=1_000_000.0)] = 1.0
    """Sustained requests per second per client address without a valid token (each answered 401 until
    the bucket is empty, then 429). Default 1."""
    unauthenticated_burst: Annotated[int, Range(ge=1, le=1_000_000)] = 20
    """Such requests a client address may make at once. Default 20."""


_ALGORITHM = Pattern(r"(RS|PS|ES)(256|384|512)|EdDSA", "an asymmetric JWS algorithm (RS256, PS256, ES256, EdDSA, ...)")
_SCOPE = Pattern(r"[!#-\[\]-~]{1,128}", "1-128 printable characters without spaces, quotes or backslashes")


@dataclass(frozen=True, slots=True)
class JwtConfig:
    """JWT bearer tokens (RFC 7519), accepted besides the static ``tokens``: signed by a key of the
    JWKS file (chosen by the token's ``kid``), within ``exp``/``nbf``, for ``audience``, from
    ``issuer``, and carrying a role scope (``scope`` claim, space-separated, or ``scp``).
    An advisor token names its advisor in ``advisor_claim``; operators, analysts and compliance officers are
    named by ``sub``."""

    jwks: str = ""
    """Path to a JWKS file (``{"keys": [...]}``, public keys only); re-read when it changes, so keys rotate
    without a restart. Default empty: JWTs are not accepted."""
    issuer: str = ""
    """Required ``iss`` (required with ``jwks``)."""
    audience: str = ""
    """Required ``aud`` (required with ``jwks``)."""
    algorithms: Annotated[tuple[Annotated[str, _ALGORITHM], ...], NonEmpty()] = ("RS256", "ES256", "EdDSA")
    """Accepted signing algorithms (asymmetric only). Default RS256, ES256, EdDSA."""
    leeway_s: Annotated[float, Range(ge=0.0, le=300.0)] = 30.0
    """Clock skew allowed on ``exp`` and ``nbf``, seconds. Default 30."""
    advisor_claim: Annotated[str, _SCOPE] = "advisor_id"
    """The claim holding an advisor token's advisor id. Default advisor_id."""
    advisor_scope: Annotated[str, _SCOPE] = "advisor"
    """The scope that makes a token an advisor's. Default advisor."""
    operator_scope: Annotated[str, _SCOPE] = "operator"
    """The scope that makes a token an operator's. Default operator."""
    analyst_scope: Annotated[str, _SCOPE] = "analyst"
    """The scope that makes a token an analyst's (read-only). Default analyst."""
    compliance_scope: Annotated[str, _SCOPE] = "compliance"
    """The scope that makes a token a compliance officer's (signs and files report packages). Default compliance."""
    bsa_officer_scope: Annotated[str, _SCOPE] = "bsa_officer"
    """The scope that makes a token the BSA officer's (signs off requested SARs). Default bsa_officer."""
    revoked: str = ""
    """Path to a file of revoked token ids (``jti``), one a line (``#`` starts a comment); re-read when it
    changes, so a token is revoked without a restart. With it, a token without a ``jti`` is refused (it could
    not be revoked). Default empty: no revocation list."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.jwks and not self.issuer:
            yield "issuer", "is required with jwks"
        if self.jwks and not self.audience:
            yield "audience", "is required with jwks"
        scopes = (self.advisor_scope, self.operator_scope, self.analyst_scope, self.compliance_scope,
                  self.bsa_officer_scope)
        if len(set(scopes)) != len(scopes):
            yield "advisor_scope", "the role scopes must differ"


@dataclass(frozen=True, slots=True)
class EventLogConfig:
    """Where the OMS stores its events: the system of record."""

    kind: Annotated[str, Pattern(r"memory|sqlite|postgres", "one of: memory, sqlite, postgres")] = "sqlite"
    """memory (lost at exit), sqlite (a file) or postgres. Default sqlite."""
    path: str = ""
    """sqlite: the events file, created if missing and appended to if present. Default: events.sqlite in the run folder."""
    durable: bool = False
    """sqlite: fsync every event (synchronous=FULL, about 3 ms per event on a plain disk) rather than
    WAL with synchronous=NORMAL (about 0.1 ms; a committed event survives a process crash, not a power cut).
    Default false."""
    dsn: str = ""
    """postgres: a libpq connection string or URL (required for postgres)."""
    schema: Annotated[str, Pattern(r"([a-z_][a-z0-9_]{0,62})?", "empty or a lower-case SQL identifier")] = ""
    """postgres: schema holding the events table, created if missing. Default: the search path's first."""
    anchor_every: Annotated[int, Range(ge=1, le=100_000_000)] = 10_000
    """sqlite, postgres: events between two anchors (keyed checkpoints of the hash chain, written to
    events.anchors next to the log, and for postgres also to its event_anchors table). Default 10000."""
    start_check: Annotated[str, Pattern(r"chain|anchors", "one of: chain, anchors")] = "chain"
    """sqlite, postgres: what a start verifies besides the anchors: chain (every record's hash recomputed, so an
    edited byte is found anywhere; query columns after the last anchor) or anchors (the chain only after the last
    anchor: faster on a long log, but a payload edited before it, its stored hash left alone, is not seen at
    start; `twin replay-log` still finds it). Default chain."""
    anchor_key_file: str = ""
    """sqlite, postgres: a file holding the anchor key (hex, or text of 16+ bytes); it must not be inside
    the run folder. Default: the TWIN_ANCHOR_KEY environment variable; with neither, anchors are unkeyed
    (they detect a cut tail, not a forgery) and start-up says so."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.kind == "postgres" and not self.dsn:
            yield "dsn", "is required when kind is postgres"


@dataclass(frozen=True, slots=True)
class BusConfig:
    """Where stored order events are published for other consumers (topic ``events``)."""

    kind: Annotated[str, Pattern(r"inprocess|nats", "one of: inprocess, nats")] = "inprocess"
    """inprocess (subscribers in this process) or nats (JetStream; published off the order path). Default inprocess."""
    url: str = "nats://127.0.0.1:4222"
    """nats: server URL. Default nats://127.0.0.1:4222."""
    stream: Annotated[str, Pattern(r"[A-Za-z0-9_-]{1,32}", "1-32 letters, digits, _ or -")] = "TWIN_LIVE"
    """nats: JetStream stream name (created if missing). Default TWIN_LIVE."""
    prefix: Annotated[str, Pattern(r"[A-Za-z0-9_-]{1,32}", "1-32 letters, digits, _ or -")] = "twin"
    """nats: subject prefix; events go to PREFIX.events. Default twin."""


_ORDER_TYPE = Pattern(r"MARKET|LIMIT", "one of: MARKET, LIMIT")
_TIF = Pattern(r"DAY|IOC", "one of: DAY, IOC")


@dataclass(frozen=True, slots=True)
class VenueDialect:
    """What one venue does differently from the FIX 4.4 our gateway speaks by default (issue 10).

    Written per session (``[[venue_link.sessions]]``'s ``dialect`` table) or in a dialect file that
    several sessions share (``dialect_file``; the session's own ``dialect`` keys override the file's).
    Every default keeps the gateway's behaviour without a dialect: strict validation, both order types
    and both times in force, market data subscribed.

    The four validation switches are written into that session's [SESSION] of the generated QuickFIX
    settings (only where they differ from QuickFIX's defaults, so a default session's file is unchanged).
    QuickFIX 1.16's Python build has no ``ValidateFieldsOutOfRange`` setting (its library names none; a
    key it does not know is ignored), so an enumerated value outside FIX44.xml is always refused by the
    dictionary: ``fix42_exec_types`` instead gives the session a copy of the dictionary that also lists
    FIX 4.2's ExecType values, and the gateway reads them as trades.
    """

    validate_user_defined_fields: bool = True
    """QuickFIX ``ValidateUserDefinedFields``: refuse tags 5000+ the dictionary does not define. Default true."""
    allow_unknown_msg_fields: bool = False
    """QuickFIX ``AllowUnknownMsgFields``: let through fields the dictionary does not define for a message
    type. Default false (such a message is refused with a session Reject and recorded)."""
    validate_fields_have_values: bool = True
    """QuickFIX ``ValidateFieldsHaveValues``: refuse a field with an empty value. Default true."""
    validate_fields_out_of_order: bool = True
    """QuickFIX ``ValidateFieldsOutOfOrder``: refuse header/body/trailer fields out of their place.
    Default true."""
    fix42_exec_types: bool = False
    """The venue sends FIX 4.2-style ExecType 1 (partial fill) and 2 (fill) instead of F: the session's data
    dictionary (a copy written to the run folder) accepts them, and the gateway reads them as F, the fill
    from LastQty (32) and LastPx (31). Default false (FIX44.xml refuses them: recorded as refused)."""
    order_types: Annotated[tuple[Annotated[str, _ORDER_TYPE], ...], NonEmpty()] = ("MARKET", "LIMIT")
    """Order types the venue takes; the router never sends it another. Default MARKET and LIMIT."""
    time_in_force: Annotated[tuple[Annotated[str, _TIF], ...], NonEmpty()] = ("DAY", "IOC")
    """Times in force the venue takes (a MARKET order goes out IOC). Default DAY and IOC."""
    market_data: bool = True
    """The venue answers MarketDataRequest (35=V). false: none is sent; the venue has no quotes, and the
    reference price comes from the other venues or the configured fallback (``/healthz`` says which).
    Default true."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        for name in ("order_types", "time_in_force"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                yield name, "lists a value twice"

    def accepts(self, order_type: str, time_in_force: str) -> bool:
        """Whether the venue takes a child of this type and time in force."""
        return order_type in self.order_types and time_in_force in self.time_in_force

    @property
    def all_orders(self) -> bool:
        """Whether the venue takes every order type and time in force (no routing restriction)."""
        return set(self.order_types) == {"MARKET", "LIMIT"} and set(self.time_in_force) == {"DAY", "IOC"}


@dataclass(frozen=True, slots=True)
class FixSessionConfig:
    """Where one venue's FIX acceptor listens, and how it speaks."""

    venue: str
    """A configured venue (its name is the session's TargetCompID)."""
    port: Annotated[int, Range(ge=1, le=65535)]
    """TCP port."""
    host: str = "127.0.0.1"
    """Host name or address. Default 127.0.0.1."""
    dialect_file: str = ""
    """A TOML file of ``VenueDialect`` keys shared by several sessions (relative paths: from the live.toml's
    folder). Its errors name the file, line and key. Default none."""
    dialect: VenueDialect = VenueDialect()
    """This venue's dialect: the dialect file's values, overridden by the keys given here. Default: plain
    FIX 4.4 (``VenueDialect()``)."""


@dataclass(frozen=True, slots=True)
class VenueLinkConfig:
    """How child orders reach the venues."""

    mode: Annotated[str, Pattern(r"embedded|fix|direct", "one of: embedded, fix, direct")] = "embedded"
    """embedded: simulated venues served over FIX on loopback inside this process, reached by the FIX gateway;
    fix: the FIX gateway to venues elsewhere (``settings`` or ``sessions``); direct: in-process simulated
    venues without FIX. Default embedded."""
    settings: str = ""
    """fix: a QuickFIX settings file (placeholders as in live/adapters/fix/initiator.cfg). Default: the shipped
    template with one [SESSION] per entry of ``sessions``."""
    sessions: Annotated[tuple[FixSessionConfig, ...], Unique("venue")] = ()
    """fix: host and port per venue (for venues the settings file has no [SESSION] for)."""
    sender_comp_id: Annotated[str, Pattern(r"[A-Za-z0-9_.-]{1,32}", "1-32 letters, digits, _ . or -")] = "BD"
    """Our SenderCompID. Default BD (what the simulated venues expect)."""
    on_disconnect: Annotated[str, Pattern(r"cancel|reroute|hold", "one of: cancel, reroute, hold")] = "cancel"
    """What becomes of child orders working at a venue whose session drops: cancel (the order is canceled,
    reason VENUE_DISCONNECTED), reroute (the leaves go to venues that are up; the venue may still hold the
    child, so this risks a double fill) or hold (they stay working up to ``hold_s``: if the session logs on
    again by then, missed reports are replayed and each child's status is asked; otherwise as cancel).
    The venue is DOWN for new orders meanwhile in every case. Default cancel."""
    hold_s: Annotated[float, Range(gt=0.0, le=3600.0)] = 30.0
    """hold: seconds children stay working at a venue whose session dropped before they are settled as with
    cancel. Default 30."""
    stuck_routed_s: Annotated[float, Range(gt=0.0, le=86400.0)] = 10.0
    """fix, embedded: seconds a child may go unacknowledged by its venue (no report of any kind) before its
    order is flagged (an OrderFlagged event, STUCK_ROUTED_NO_ACK, counted in /healthz) and its status asked
    (OrderStatusRequest). Default 10."""
    stuck_pending_cancel_s: Annotated[float, Range(gt=0.0, le=86400.0)] = 10.0
    """fix, embedded: seconds a cancel sent to a venue may go unanswered before the order is flagged
    (STUCK_PENDING_CANCEL) and its status asked. Default 10."""
    status_timeout_s: Annotated[float, Range(gt=0.0, le=3600.0)] = 10.0
    """fix, embedded: seconds a venue has to answer an OrderStatusRequest the gateway sent to reconcile an
    order (after a refused message or a stuck order) before the order is flagged for manual review
    (MANUAL_REVIEW). Default 10."""
    logon_timeout_s: Annotated[float, Range(ge=0.0, le=600.0)] = 10.0
    """Seconds start-up waits for every venue's session to log on (venues not logged on are DOWN). Default 10."""
    liquidity: bool = True
    """embedded: run the ``liquidity`` section's market makers on the served venues. Default true."""
    reference_fallback_warn_s: Annotated[float, Range(gt=0.0, le=86400.0)] = 60.0
    """fix, embedded: seconds a symbol's reference price (what risk marks orders at) may come from the configured
    fallback (no venue quote yet) before ``/healthz`` warns (``reference_warnings``) and the log says so once.
    Default 60."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.mode == "fix" and not self.settings and not self.sessions:
            yield "mode", "fix needs a settings file or [[venue_link.sessions]]"

    def dialect_of(self, venue: str) -> VenueDialect:
        """The dialect of ``venue``'s session; plain FIX 4.4 for a venue without a session entry."""
        return next((s.dialect for s in self.sessions if s.venue == venue), _PLAIN)


_PLAIN = VenueDialect()


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The trading session's close on the wall clock: New York time, every business day (Monday to Friday).

    At the close the venues this process runs (in-process, or embedded behind FIX) end their day, so
    resting DAY orders come back EXPIRED (reason END_OF_DAY), and the OMS expires the orders that never
    reached a venue, as the twin does at its session close. Venues elsewhere (``venue_link.mode = "fix"``)
    expire their own DAY orders and report it over FIX. A server started after the day's close (or on a
    weekend) waits for the next business day's close: it starts with no working orders, so closing at
    once would expire nothing and only empty the simulated venues' fresh books.
    """

    close: Annotated[str, Pattern(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?",
                                  'a 24-hour time like "16:00" or "16:00:30"')] = "16:00"
    """Session close, "HH:MM" or "HH:MM:SS", America/New_York. Default 16:00."""
    enabled: bool = True
    """false: no close is scheduled (DAY orders work until canceled; for round-the-clock demos). Default true."""

    @property
    def close_time(self) -> time:
        return time.fromisoformat(self.close)

    def next_close_ns(self, now_ns: int, calendar: BusinessCalendar = BusinessCalendar()) -> int:
        """UTC nanoseconds of the first close after ``now_ns``: today's if still ahead on a business day,
        else the next business day's (New York dates; DST follows the zone)."""
        today = datetime.fromtimestamp(now_ns // 1_000_000_000, NEW_YORK).date()
        day = today if calendar.is_business_day(today) else calendar.next_business_day(today)
        while True:
            close_ns = (datetime.combine(day, self.close_time, NEW_YORK) - _EPOCH) // timedelta(microseconds=1) * 1_000
            if close_ns > now_ns:
                return close_ns
            day = calendar.next_business_day(day)


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """Everything ``build_live`` needs besides the host and port."""

    symbols: Annotated[tuple[SymbolConfig, ...], NonEmpty("symbol"), Unique("symbol")] = DEFAULT_MARKET_SYMBOLS
    """Instruments. Default ``DEFAULT_MARKET_SYMBOLS``: AAPL, MSFT, NVDA, XOM, SPY (as the default scenario)."""
    venues: Annotated[tuple[Venue, ...], NonEmpty("venue"), Unique("name")] = DEFAULT_VENUES
    """Venues; ``latency_ms`` is the in-process venue's one-way delay. Default ``DEFAULT_VENUES``: XNAS, ARCX, BATS."""
    risk: Risk = Risk()
    """Pre-trade limits. Default: ``Risk()``'s."""
    liquidity: Liquidity = Liquidity()
    """Market makers and noise traders of the in-process venues. Default: ``Liquidity()``'s."""
    routing: Routing = Routing()
    """Smart order router settings (stale-quote threshold). Default: ``Routing()``'s."""
    settlement_days: Annotated[int, Range(ge=1, le=10)] = 1
    """Settlement cycle in business days (T+1). Default 1."""
    accounts: Annotated[tuple[AccountConfig, ...], Unique("account_id")] = ()
    """Client accounts. Default none: a population is generated instead."""
    population: PopulationConfig = PopulationConfig(advisors=3, clients_per_advisor=4, sanctioned_clients=0)
    """Generated when ``accounts`` is empty. Default 3 advisors x 4 clients, nobody sanctioned."""
    population_seed: Annotated[int, Range(ge=0, le=2**63 - 1)] = 42
    """Seed of the generated population (same seed, same accounts). Default 42."""
    grants: tuple[GrantConfig, ...] = ()
    """Extra advisor -> account entitlements. Default none."""
    tokens: tuple[TokenConfig, ...] = ()
    """API tokens. Default none: a demo token for the first advisor is made and printed at start-up."""
    rate_limit: RateLimit = RateLimit()
    """Per-token request rate limit (and per client address for requests without a valid token)."""
    jwt: JwtConfig = JwtConfig()
    """JWT bearer tokens signed by keys from a JWKS file. Default: none accepted."""
    event_log: EventLogConfig = EventLogConfig()
    """Where events are stored. Default: a SQLite file in the run folder."""
    bus: BusConfig = BusConfig()
    """Where stored events are published. Default: in process."""
    venue_link: VenueLinkConfig = VenueLinkConfig()
    """How child orders reach venues. Default: simulated venues served over FIX in this process."""
    run_dir: str = ""
    """Folder for the event log (by default), FIX settings, message stores and logs. Default: a new temporary folder."""
    max_body_bytes: Annotated[int, Range(ge=1_024, le=16 * 1024 * 1024)] = 64 * 1024
    """Largest request body accepted (413 above). Default 64 KiB."""
    session: SessionConfig = SessionConfig()
    """The session close (DAY orders expire). Default 16:00 New York, Monday to Friday."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        symbols = {s.symbol for s in self.symbols}
        known = ", ".join(sorted(symbols))
        for i, symbol in enumerate(self.risk.restricted):
            if symbol not in symbols:
                yield f"risk.restricted[{i}]", f"unknown symbol {symbol!r} (symbols: {known})"
        for i, account in enumerate(self.accounts):
            for j, position in enumerate(account.positions):
                if position.symbol not in symbols:
                    yield f"accounts[{i}].positions[{j}].symbol", f"unknown symbol {position.symbol!r} (symbols: {known})"
        venues = {v.name for v in self.venues}
        for i, session in enumerate(self.venue_link.sessions):
            if session.venue not in venues:
                yield f"venue_link.sessions[{i}].venue", f"unknown venue {session.venue!r} (venues: {', '.join(sorted(venues))})"
        link = self.venue_link
        if link.mode == "fix" and link.sessions and not link.settings:  # else found only as the stack starts
            missing = [v.name for v in self.venues if v.name not in {s.venue for s in link.sessions}]
            if missing:
                yield "venue_link.sessions", (f"no session for venue(s) {', '.join(missing)}: every venue needs a "
                                              "[[venue_link.sessions]] entry (venue, host, port), or give a "
                                              "settings file, or list only the venues you reach in [[venues]]")
        account_ids = {a.account_id for a in self.accounts}
        for i, grant in enumerate(self.grants):
            if self.accounts and grant.account_id not in account_ids:
                yield f"grants[{i}].account_id", f"unknown account {grant.account_id!r}"
        digests: dict[str, int] = {}
        for i, token in enumerate(self.tokens):
            if token.digest in digests:
                yield f"tokens[{i}]", f"the same token as tokens[{digests[token.digest]}]"
            digests[token.digest] = i
        if self.accounts:
            advisors = {a.advisor_id for a in self.accounts} | {g.advisor_id for g in self.grants}
            for i, token in enumerate(self.tokens):
                if token.role == "advisor" and token.advisor_id not in advisors:
                    yield f"tokens[{i}].advisor_id", f"advisor {token.advisor_id!r} has no account nor grant"


def parse_live_config(text: str, source: str = "<string>", base_dir: str | Path | None = None) -> LiveConfig:
    """Parse TOML text; ``source`` names it in error messages. An empty text is the defaults.

    ``base_dir`` is where relative ``dialect_file`` paths start (default: the current folder)."""
    document = read_toml(text, source, LiveConfigError)
    _merge_dialect_files(document, Path(base_dir) if base_dir is not None else Path.cwd())
    return build(LiveConfig, document)


def load_live_config(path: str | Path | None) -> LiveConfig:
    """Read ``live.toml``; ``None`` gives the embedded defaults."""
    if path is None:
        return LiveConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LiveConfigError(str(path), 1, DOCUMENT, f"not UTF-8 text: {exc.reason}") from None
    return parse_live_config(text, str(path), path.parent)


def _read_text(path: Path, source: str, line: int, field: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LiveConfigError(str(path), 1, DOCUMENT, f"not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise LiveConfigError(source, line, field, f"cannot read {str(path)!r}: {exc.strerror or exc}") from None


def _entries(node: Node | None, key: str) -> Node | None:
    if node is None or node.kind != MAPPING:
        return None
    return next((v for k, v in node.value if k.kind == SCALAR and k.text == key), None)


def _merge_dialect_files(document: Document, base_dir: Path) -> None:
    """Give each ``[[venue_link.sessions]]`` entry with a ``dialect_file`` the file's dialect keys under
    its own ``dialect`` keys (which win). The file is checked on its own first, so a mistake in it is
    named by the file's path, line and key. Edits the freshly read ``document`` in place (its node lists
    are ours); anything malformed around it is left for the walker to name."""
    sessions = _entries(_entries(document.root, "venue_link"), "sessions")
    if sessions is None or sessions.kind != SEQUENCE:
        return
    for i, session in enumerate(sessions.value):
        named = _entries(session, "dialect_file")
        if named is None or named.kind != SCALAR or named.tag != STR or not named.text:
            continue
        field_path = f"venue_link.sessions[{i}].dialect_file"
        path = Path(named.text)
        if not path.is_absolute():
            path = base_dir / path
        shared = read_toml(_read_text(path, document.source, named.line, field_path), str(path), LiveConfigError)
        build(VenueDialect, shared)  # raises naming the dialect file, line and key
        own = _entries(session, "dialect")
        own_pairs = list(own.value) if own is not None and own.kind == MAPPING else []
        given = {k.text for k, _ in own_pairs}
        from_file = [(k, v) for k, v in (shared.root.value if shared.root is not None else []) if k.text not in given]
        merged = Node(MAPPING, own.line if own is not None else named.line, from_file + own_pairs)
        if own is None:
            session.value.append((Node(SCALAR, named.line, "dialect", STR, "dialect"), merged))
        elif own.kind == MAPPING:
            session.value[:] = [(k, merged if v is own else v) for k, v in session.value]
