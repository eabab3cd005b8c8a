"""The pre-trade risk engine: per-account state plus the policy registry.

``RiskEngine.check`` builds one ``RiskContext`` for an order, runs every
registered policy in order and records every verdict in a ``RiskDecision``.
On approval it reserves what the order may consume (buy notional against
buying power, quantity against the position) and adds its notional to the
account's day total. Fills and order completion (``on_fill``,
``on_order_done``) move positions and cash and release reservations.

Every approval also records a ``reservation`` entry after the policy verdicts
(``RESERVATION``: not a policy, always PASS) with the notional reserved and
counted, the reference price it was marked at and the client order id, so a
restarted engine rebuilds its state exactly from the RISK_APPROVED events
(``components.rebuild.risk``): a MARKET order's notional depends on the
reference price at approval time, which no other event holds. The envelope's
``event_version`` is unchanged: the entry is additive, and versioned on its own
(``RESERVATION_VERSION``).

Synchronous and deterministic: time arrives as ``now_ns``, prices from the
``MarketData`` port, and nothing iterates an unordered collection where order
matters. Day totals roll over at UTC midnight (a U.S. equity session lies
inside one UTC day). Fees are not booked here; cash moves by quantity * price.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Mapping, NamedTuple, Protocol, Sequence

from ..aml.onboarding import screen_accounts
from ..aml.screening import Outcome as ScreeningOutcome
from ..aml.screening import NameScreener, ScreeningResult, screener_for
from ..domain.events import EventType, Outcome, PolicyDecision
from ..domain.orders import OrderSpec, OrderType, Side
from ..reference.accounts import Account, AccountDirectory
from ..reference.sanctions import SanctionsList
from .policies import POLICIES, RESERVATION, Policy, RiskContext, RiskLimits, TradingState

NS_PER_DAY = 86_400 * 1_000_000_000

_BUY = Side.BUY  # enum members bound once: Enum attribute access is slow on 3.11
_LIMIT = OrderType.LIMIT
_PASS = Outcome.PASS
_BLOCK = ScreeningOutcome.BLOCK

DONE_FOR_RISK = frozenset({EventType.ORDER_FILLED, EventType.ORDER_CANCELED, EventType.ORDER_EXPIRED,
                           EventType.ORDER_REJECTED})
"""Events after which an order will fill no further: the engine releases what it holds for it
(``on_order_done``), live and on replay."""

RESERVATION_VERSION = "1.0"
"""The version of the reservation record (``RESERVATION``, named in ``components.risk.policies``)."""

# A ``typing.NamedTuple``'s own ``__new__`` is a Python function taking every field; the hot path
# builds its tuples (``RiskContext``, ``RiskDecision``) with ``tuple.__new__`` directly: the same value,
# one Python frame less per order. The field order is the class's (a test checks the fields).
_tuple_new = tuple.__new__


class ReferencePrices(Protocol):
    """The part of the ``MarketData`` port the risk engine uses."""

    def reference_price(self, symbol: str) -> int:
        """Units; 0 if unknown."""


class RiskDecision(NamedTuple):
    """The engine's answer for one order: every policy's verdict, in registry order.

    A ``typing.NamedTuple`` (one per order on the hot path; cheaper to build
    than a frozen dataclass, equally immutable, same fields).
    """

    approved: bool
    decisions: tuple[PolicyDecision, ...]
    notional: int = 0
    """Units: quantity * (limit price, or the reference price for MARKET)."""
    reference_price: int = 0
    """Units; 0 if there was none."""

    @property
    def policy_decisions(self) -> tuple[PolicyDecision, ...]:
        """The policies' verdicts only (without an approval's ``reservation`` record)."""
        if self.decisions and self.decisions[-1].policy == RESERVATION:
            return self.decisions[:-1]
        return self.decisions

    @property
    def first_failure(self) -> PolicyDecision | None:
        """The first failing decision in registry order; None if approved."""
        for decision in self.decisions:
            if not decision.passed:
                return decision
        return None

    @property
    def failures(self) -> tuple[PolicyDecision, ...]:
        return tuple(d for d in self.decisions if not d.passed)


class _Book:
    """One account's intraday risk state."""

    __slots__ = (
        "account",
        "cash",
        "credit_limit",
        "positions",
        "reserved",
        "day",
        "day_notional",
        "open_buy",
        "open_sell",
        "recent",
        "recent_by_key",
        "sanctioned_match",
        "sanctions_hit",
    )

    def __init__(self, account: Account | None, screening: ScreeningResult | None) -> None:
        self.account = account
        self.cash = account.cash if account is not None else 0
        self.credit_limit = account.credit_limit if account is not None else 0
        self.positions: dict[str, int] = dict(account.positions) if account is not None else {}
        self.reserved = 0  # notional held by open approved buys
        self.day = -1  # UTC day index of day_notional
        self.day_notional = 0
        self.open_buy: dict[str, int] = {}  # symbol -> qty of open approved buys
        self.open_sell: dict[str, int] = {}
        # Approved orders for duplicate detection: (now_ns, key) oldest first,
        # and the latest (now_ns, client_order_id, order_id) per key.
        self.recent: deque[tuple[int, tuple]] = deque()
        self.recent_by_key: dict[tuple, tuple[int, str, str]] = {}
        self.sanctioned_match: str | None = None  # the listed name a blocking hit matched
        self.sanctions_hit = None  # the hit when the client screened BLOCK or REVIEW
        self.screened(screening)

    def screened(self, screening: ScreeningResult | None) -> None:
        """Take the account holder's (new) screening result."""
        hit = None if screening is None else screening.hit
        self.sanctions_hit = hit
        self.sanctioned_match = hit.listed_name if hit is not None and screening.outcome is _BLOCK else None

    def copy(self) -> "_Book":
        """A copy sharing nothing mutable (the account is immutable reference data)."""
        other = _Book.__new__(_Book)
        for name in ("account", "cash", "credit_limit", "reserved", "day", "day_notional", "sanctioned_match",
                     "sanctions_hit"):
            setattr(other, name, getattr(self, name))
        other.positions = dict(self.positions)
        other.open_buy = dict(self.open_buy)
        other.open_sell = dict(self.open_sell)
        other.recent = deque(self.recent)
        other.recent_by_key = dict(self.recent_by_key)
        return other


class _Open:
    """What an approved, unfinished order holds."""

    __slots__ = ("book", "symbol", "is_buy", "qty_left", "unit_price", "reserved_left", "decision")

    def __init__(
        self,
        book: _Book,
        symbol: str,
        is_buy: bool,
        qty: int,
        unit_price: int,
        reserved: int,
        decision: RiskDecision,
    ) -> None:
        self.book = book
        self.symbol = symbol
        self.is_buy = is_buy
        self.qty_left = qty
        self.unit_price = unit_price
        self.reserved_left = reserved
        self.decision = decision


def _decrement(counts: dict[str, int], symbol: str, qty: int) -> None:
    left = counts.get(symbol, 0) - qty
    if left > 0:
        counts[symbol] = left
    else:
        counts.pop(symbol, None)


class RiskEngine:
    """Pre-trade risk checks with reservations, day totals and a kill switch."""

    def __init__(
        self,
        limits: RiskLimits,
        accounts: AccountDirectory,
        market_data: ReferencePrices,
        sanctions: SanctionsList,
        restricted: Iterable[str] = (),
        policies: Sequence[Policy] = POLICIES,
    ) -> None:
        self._limits = limits
        self._accounts = accounts
        self._reference_price = market_data.reference_price
        # Live market data also names each price's source (venue quotes or the configured fallback): it goes
        # into each approval's record. The twin's has none, so its records (and fingerprints) are unchanged.
        self._reference_source: Callable[[str], str] | None = getattr(market_data, "reference_source", None)
        self._sanctions = sanctions
        # (list, its screener, every loaded account's onboarding result): rebuilt when the list
        # object changes (``set_sanctions``, or a rebuild restoring another list).
        self._screened: tuple[SanctionsList, NameScreener, Mapping[str, ScreeningResult]] | None = None
        self._screening_of(None)  # onboarding: screen every loaded account now
        self._restricted: frozenset[str] = frozenset(restricted)
        self._policies: tuple[Policy, ...] = tuple(policies)
        self._checks = tuple(p.check for p in self._policies)
        self._all_pass = tuple(p.passed for p in self._policies)
        self._books: dict[str, _Book] = {}
        self._open: dict[str, _Open] = {}
        # symbol -> the ("reference_price", price) pair of its last approval: every approval record holds
        # one, the price seldom moves between two approvals, and a shared equal pair is ~56 bytes less
        # per approval kept in the event log.
        self._reference_pairs: dict[str, tuple[str, int]] = {}
        self._state = TradingState.ACTIVE
        self.unlogged = 0
        """Changes made through the setters below: operator actions no event records."""

    # ------------------------------------------------------------------ config

    @property
    def limits(self) -> RiskLimits:
        return self._limits

    @property
    def policies(self) -> tuple[Policy, ...]:
        return self._policies

    @property
    def trading_state(self) -> TradingState:
        return self._state

    def set_trading_state(self, state: TradingState | str) -> None:
        """Flip the kill switch (ACTIVE, REDUCING, HALTED). The platform's ``SetTradingState``
        records each flip (``TradingStateChanged``), which is what a rebuild replays."""
        self._state = TradingState(state)

    @property
    def restricted(self) -> frozenset[str]:
        return self._restricted

    def set_restricted(self, symbols: Iterable[str]) -> None:
        """Replace the restricted list."""
        self._restricted = frozenset(symbols)
        self.unlogged += 1

    def set_sanctions(self, sanctions: SanctionsList) -> None:
        """Replace the sanctions list and re-screen every known account."""
        self._sanctions = sanctions
        self.unlogged += 1
        for book in self._books.values():
            if book.account is not None:
                book.screened(self._screening_of(book.account))

    def screening(self, account_id: str) -> ScreeningResult | None:
        """The account holder's sanctions screening result under the current list (the onboarding
        screen; evidence for a block or a review flag); None for an unknown account."""
        account = self._accounts.get(account_id)
        return None if account is None else self._screening_of(account)

    def _screening_of(self, account: Account | None) -> ScreeningResult | None:
        screened = self._screened
        if screened is None or screened[0] is not self._sanctions:
            screener = screener_for(self._sanctions)
            screened = self._screened = (self._sanctions, screener, screen_accounts(self._accounts, screener))
        if account is None:
            return None
        result = screened[2].get(account.account_id)
        if result is None or result.name != account.client_name:  # not loaded at onboarding
            result = screened[1].screen(account.client_name)
        return result

    # ------------------------------------------------------------------ checks

    def check(self, order_id: str, spec: OrderSpec, now_ns: int) -> RiskDecision:
        """Run every policy for one order; on approval reserve and count it.

        Idempotent per order id while the order is open: a redelivered check
        returns the original decision without reserving twice.
        """
        held = self._open.get(order_id)
        if held is not None:
            return held.decision
        symbol = spec.symbol
        reference = self._reference_price(symbol)
        limit_price = spec.limit_price
        is_limit = spec.order_type == _LIMIT and limit_price is not None
        unit_price = limit_price if is_limit else reference
        notional = spec.quantity * unit_price
        is_buy = spec.side == _BUY
        book = self._books.get(spec.account_id) or self._book(spec.account_id)

        if book is None:
            key = None
            ctx = _tuple_new(RiskContext, (
                spec, order_id, now_ns, reference, notional, None, False, 0, 0, 0, 0, 0, 0,
                self._limits, self._restricted, None, None, self._state, None,
            ))  # fmt: skip
        else:
            key, duplicate_of = self._enter(book, spec, is_buy, is_limit, now_ns)
            positions = book.positions
            account_value = book.cash
            if positions:
                ref = self._reference_price
                for held_symbol, qty in positions.items():
                    if qty:
                        account_value += qty * (reference if held_symbol == symbol else ref(held_symbol))
            account = book.account
            ctx = _tuple_new(RiskContext, (
                spec,
                order_id,
                now_ns,
                reference,
                notional,
                account,
                account is not None
                and (
                    account.advisor_id == spec.advisor_id
                    or self._accounts.entitled(spec.advisor_id, spec.account_id)
                ),
                book.cash + book.credit_limit - book.reserved,
                book.day_notional,
                positions.get(symbol, 0),
                book.open_buy.get(symbol, 0),
                book.open_sell.get(symbol, 0),
                account_value,
                self._limits,
                self._restricted,
                book.sanctioned_match,
                duplicate_of,
                self._state,
                book.sanctions_hit,
            ))

        decisions = tuple([check(ctx) for check in self._checks])
        # Passing policies return their shared PASS constant, so this is an
        # identity comparison in C; a FAIL never equals a PASS. A flagged PASS
        # (a sanctions review) differs too, and is still an approval.
        if decisions != self._all_pass and any(d.outcome is not _PASS for d in decisions):
            return _tuple_new(RiskDecision, (False, decisions, notional, reference))
        pair = self._reference_pairs.get(symbol)
        if pair is None or pair[1] != reference or type(pair[1]) is not type(reference):
            pair = self._reference_pairs[symbol] = ("reference_price", reference)
        params = (("notional", notional), pair, ("client_order_id", spec.client_order_id))
        if self._reference_source is not None:
            params += (("reference_source", self._reference_source(symbol)),)
        result = _tuple_new(RiskDecision, (
            True, decisions + (PolicyDecision(RESERVATION, RESERVATION_VERSION, _PASS, "", params),), notional,
            reference))  # fmt: skip
        if book is not None:
            self._hold(book, order_id, spec, key, is_buy, unit_price, notional, now_ns, result)
        return result

    def replay_check(self, order_id: str, spec: OrderSpec, now_ns: int, result: RiskDecision) -> None:
        """Apply a check recorded earlier (its ``result``, at ``now_ns``) without running the
        policies: the same day roll-over, duplicate-window pruning and, for an approval, the
        same reservation as ``check`` made. For a restart (``components.rebuild.risk``)."""
        if order_id in self._open:
            return
        book = self._books.get(spec.account_id) or self._book(spec.account_id)
        if book is None:
            return
        is_limit = spec.order_type == _LIMIT and spec.limit_price is not None
        is_buy = spec.side == _BUY
        key, _ = self._enter(book, spec, is_buy, is_limit, now_ns)
        if result.approved:
            unit_price = spec.limit_price if is_limit else result.reference_price
            self._hold(book, order_id, spec, key, is_buy, unit_price, result.notional, now_ns, result)

    def _enter(self, book: _Book, spec: OrderSpec, is_buy: bool, is_limit: bool,
               now_ns: int) -> tuple[tuple, str | None]:  # fmt: skip
        """An order reaches its account's book: roll the day total over at UTC midnight; return
        the order's duplicate key and the approved order it duplicates, if any."""
        day = now_ns // NS_PER_DAY
        if day != book.day:
            book.day = day
            book.day_notional = 0
        # Duplicate key: what makes two orders "identical" (account is the book).
        key = (spec.symbol, spec.quantity, is_buy, is_limit, spec.limit_price)
        recent = book.recent
        if not recent:
            return key, None
        # The latest approved order with the same key, a different client order id, inside the
        # window; expired entries are pruned on the way.
        by_key = book.recent_by_key
        cutoff = now_ns - self._limits.duplicate_window_ns
        while recent and recent[0][0] < cutoff:
            _, old_key = recent.popleft()
            entry = by_key.get(old_key)
            if entry is not None and entry[0] < cutoff:
                del by_key[old_key]
        entry = by_key.get(key)
        if entry is None or entry[0] < cutoff or entry[1] == spec.client_order_id:
            return key, None
        return key, entry[2]

    def _hold(self, book: _Book, order_id: str, spec: OrderSpec, key: tuple, is_buy: bool, unit_price: int,
              notional: int, now_ns: int, result: RiskDecision) -> None:  # fmt: skip
        """An approval: count its notional for the day, reserve what it may consume, and
        remember it for duplicate detection."""
        symbol, quantity = spec.symbol, spec.quantity
        book.day_notional += notional
        if is_buy:
            book.reserved += notional
            book.open_buy[symbol] = book.open_buy.get(symbol, 0) + quantity
            self._open[order_id] = _Open(book, symbol, True, quantity, unit_price, notional, result)
        else:
            book.open_sell[symbol] = book.open_sell.get(symbol, 0) + quantity
            self._open[order_id] = _Open(book, symbol, False, quantity, unit_price, 0, result)
        book.recent_by_key[key] = (now_ns, spec.client_order_id, order_id)
        book.recent.append((now_ns, key))

    # ------------------------------------------------------------ lifecycle

    def on_fill(
        self, order_id: str, account_id: str, symbol: str, side: Side | str, qty: int, price: int
    ) -> None:
        """Book a fill of ``qty`` at ``price`` (units): position and cash move, and
        the part of the order's reservation it consumed is released. The caller
        delivers each fill once (dedupe by exec id upstream)."""
        book = self._books.get(account_id) or self._book(account_id, create=True)
        assert book is not None
        positions = book.positions
        signed = qty if side == _BUY else -qty
        positions[symbol] = positions.get(symbol, 0) + signed
        book.cash -= signed * price
        held = self._open.get(order_id)
        if held is None:
            return
        used = min(qty, held.qty_left)
        held.qty_left -= used
        owner = held.book
        if held.is_buy:
            if held.qty_left:
                release = min(held.reserved_left, used * held.unit_price)
            else:
                release = held.reserved_left
            held.reserved_left -= release
            owner.reserved -= release
            _decrement(owner.open_buy, held.symbol, used)
        else:
            _decrement(owner.open_sell, held.symbol, used)
        if held.qty_left == 0:
            del self._open[order_id]

    def on_order_done(self, order_id: str) -> None:
        """The order will fill no further (canceled, expired, rejected or filled):
        release whatever it still holds. Unknown or finished ids are ignored."""
        held = self._open.pop(order_id, None)
        if held is None:
            return
        owner = held.book
        if held.is_buy:
            owner.reserved -= held.reserved_left
            _decrement(owner.open_buy, held.symbol, held.qty_left)
        else:
            _decrement(owner.open_sell, held.symbol, held.qty_left)
        held.reserved_left = 0
        held.qty_left = 0

    # ------------------------------------------------------------ queries

    # A query never opens a book (only checks and fills do), so the set of books is
    # exactly what the event log implies and a rebuilt engine equals the live one.

    def position(self, account_id: str, symbol: str) -> int:
        book = self._books.get(account_id)
        if book is not None:
            return book.positions.get(symbol, 0)
        account = self._accounts.get(account_id)
        return 0 if account is None else dict(account.positions).get(symbol, 0)

    def cash(self, account_id: str) -> int:
        book = self._books.get(account_id)
        if book is not None:
            return book.cash
        account = self._accounts.get(account_id)
        return 0 if account is None else account.cash

    def reserved(self, account_id: str) -> int:
        """Notional held by the account's open approved buys."""
        book = self._books.get(account_id)
        return 0 if book is None else book.reserved

    def day_notional(self, account_id: str) -> int:
        """Notional approved for the account on the current day so far (0 before its first order)."""
        book = self._books.get(account_id)
        return 0 if book is None else book.day_notional

    def is_open(self, order_id: str) -> bool:
        """Approved and still holding a reservation."""
        return order_id in self._open

    def open_order_count(self) -> int:
        return len(self._open)

    # ------------------------------------------------------------ internals

    def _book(self, account_id: str, create: bool = False) -> _Book | None:
        book = self._books.get(account_id)
        if book is None:
            account = self._accounts.get(account_id)
            if account is None and not create:
                return None
            book = _Book(account, self._screening_of(account) if account is not None else None)
            self._books[account_id] = book
        return book
