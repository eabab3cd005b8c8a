"""The risk engine against a plain model: random sequences of orders, fills, completions, price
moves, clock jumps and kill-switch flips, each check compared with the verdicts the registry's
policies give on a ``RiskContext`` built freshly (with the named constructor) from the model's state.

The engine builds its context and decision tuples on a fast path (``tuple.__new__``, the duplicate
lookup folded into ``_enter``); this proves that path computes exactly what the policies say on the
plain inputs, in the same order, with the same reservation record, and still asks the market for
the order's symbol and then every other symbol the account holds (the asks move the market data's
last good mid, so none may be skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from components.aml.screening import Outcome as ScreeningOutcome
from components.domain.events import Outcome, PolicyDecision
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList, sdn_individual_names
from components.risk import POLICIES, RiskContext, RiskDecision, RiskEngine, RiskLimits, TradingState
from components.risk.engine import NS_PER_DAY, RESERVATION, RESERVATION_VERSION

D = PRICE_SCALE
SEC = 1_000_000_000
T0 = 20_000 * NS_PER_DAY + 23 * 3_600 * SEC  # 23:00 UTC: clock jumps cross midnight
SYMBOLS = ("AAPL", "MSFT", "ZZZZ")  # ZZZZ starts with no reference price
ACCOUNT_IDS = ("A1", "A1", "A1", "A2", "A2", "BAD", "GHOST")  # GHOST is unknown to the directory


def directory() -> AccountDirectory:
    return AccountDirectory([
        Account("A1", "C1", "Jane Client", "ADV1", cash=50_000 * D, positions=(("AAPL", 300), ("MSFT", 40))),
        Account("A2", "C2", "Bob Small", "ADV2", cash=5_000 * D, credit_limit=1_000 * D),
        Account("BAD", "C3", sdn_individual_names(1)[0], "ADV1", cash=10_000 * D),
    ])  # fmt: skip


class Prices:
    """The reference price port, moved by the test."""

    def __init__(self) -> None:
        self.prices = {"AAPL": 100 * D, "MSFT": 200 * D}
        self.asked: list[str] = []

    def reference_price(self, symbol: str) -> int:
        self.asked.append(symbol)
        return self.prices.get(symbol, 0)


@dataclass
class Book:
    """The model's state of one account."""

    account: Account | None
    cash: int
    credit: int
    positions: dict[str, int]
    reserved: int = 0
    day: int = -1
    day_notional: int = 0
    open_buy: dict[str, int] = field(default_factory=dict)
    open_sell: dict[str, int] = field(default_factory=dict)
    approvals: list[tuple[int, tuple, str, str]] = field(default_factory=list)  # (now, key, coid, order id)


@dataclass
class Held:
    account_id: str
    symbol: str
    is_buy: bool
    qty_left: int
    unit_price: int
    reserved_left: int
    decision: RiskDecision


class Model:
    """The engine's rules written plainly: state kept in full, the context built from scratch."""

    def __init__(self, limits: RiskLimits, accounts: AccountDirectory, prices: Prices, engine: RiskEngine) -> None:
        self.limits, self.accounts, self.prices, self.engine = limits, accounts, prices, engine
        self.books: dict[str, Book] = {}
        self.open: dict[str, Held] = {}
        self.state = TradingState.ACTIVE

    def book(self, account_id: str, create: bool) -> Book | None:
        if account_id not in self.books:
            account = self.accounts.get(account_id)
            if account is None and not create:
                return None
            self.books[account_id] = Book(account, account.cash if account else 0,
                                          account.credit_limit if account else 0,
                                          dict(account.positions) if account else {})  # fmt: skip
        return self.books[account_id]

    def check(self, order_id: str, spec: OrderSpec, now: int) -> RiskDecision:
        if order_id in self.open:
            return self.open[order_id].decision
        price_of = self.prices.prices
        reference = price_of.get(spec.symbol, 0)
        is_limit = spec.order_type is OrderType.LIMIT and spec.limit_price is not None
        unit_price = spec.limit_price if is_limit else reference
        notional = spec.quantity * unit_price
        is_buy = spec.side is Side.BUY
        book = self.book(spec.account_id, create=False)
        key = (spec.symbol, spec.quantity, is_buy, is_limit, spec.limit_price)
        if book is None:
            ctx = RiskContext(spec, order_id, now, reference, notional, None, False, 0, 0, 0, 0, 0, 0,
                              self.limits, self.engine.restricted, None, None, self.state, None)  # fmt: skip
        else:
            if now // NS_PER_DAY != book.day:
                book.day, book.day_notional = now // NS_PER_DAY, 0
            cutoff = now - self.limits.duplicate_window_ns
            latest = [a for a in book.approvals if a[1] == key]
            duplicate_of = None
            if latest and latest[-1][0] >= cutoff and latest[-1][2] != spec.client_order_id:
                duplicate_of = latest[-1][3]
            account = book.account
            screening = self.engine.screening(spec.account_id) if account is not None else None
            hit = None if screening is None else screening.hit
            matched = hit.listed_name if hit is not None and screening.outcome is ScreeningOutcome.BLOCK else None
            ctx = RiskContext(
                spec=spec, order_id=order_id, now_ns=now, reference_price=reference, notional=notional,
                account=account,
                entitled=account is not None and (account.advisor_id == spec.advisor_id
                                                  or self.accounts.entitled(spec.advisor_id, spec.account_id)),
                cash_available=book.cash + book.credit - book.reserved,
                day_notional=book.day_notional,
                position_qty=book.positions.get(spec.symbol, 0),
                open_buy_qty=book.open_buy.get(spec.symbol, 0),
                open_sell_qty=book.open_sell.get(spec.symbol, 0),
                account_value=book.cash + sum(q * price_of.get(s, 0) for s, q in book.positions.items()),
                limits=self.limits, restricted=self.engine.restricted, sanctioned_match=matched,
                duplicate_of=duplicate_of, trading_state=self.state, sanctions_hit=hit,
            )  # fmt: skip
        decisions = tuple(policy.check(ctx) for policy in POLICIES)
        if any(d.outcome is not Outcome.PASS for d in decisions):
            return RiskDecision(False, decisions, notional, reference)
        params = (("notional", notional), ("reference_price", reference), ("client_order_id", spec.client_order_id))
        result = RiskDecision(True, decisions + (PolicyDecision(RESERVATION, RESERVATION_VERSION, Outcome.PASS, "",
                                                                params),), notional, reference)  # fmt: skip
        if book is not None:
            book.day_notional += notional
            if is_buy:
                book.reserved += notional
                book.open_buy[spec.symbol] = book.open_buy.get(spec.symbol, 0) + spec.quantity
            else:
                book.open_sell[spec.symbol] = book.open_sell.get(spec.symbol, 0) + spec.quantity
            self.open[order_id] = Held(spec.account_id, spec.symbol, is_buy, spec.quantity, unit_price,
                                       notional if is_buy else 0, result)  # fmt: skip
            book.approvals.append((now, key, spec.client_order_id, order_id))
        return result

    def _release(self, held: Held, qty: int, amount: int) -> None:
        owner = self.books[held.account_id]
        counts = owner.open_buy if held.is_buy else owner.open_sell
        counts[held.symbol] -= qty
        if counts[held.symbol] <= 0:
            del counts[held.symbol]
        owner.reserved -= amount
        held.reserved_left -= amount

    def on_fill(self, order_id: str, account_id: str, symbol: str, side: Side, qty: int, price: int) -> None:
        book = self.book(account_id, create=True)
        signed = qty if side is Side.BUY else -qty
        book.positions[symbol] = book.positions.get(symbol, 0) + signed
        book.cash -= signed * price
        held = self.open.get(order_id)
        if held is None:
            return
        used = min(qty, held.qty_left)
        held.qty_left -= used
        if held.is_buy and held.qty_left:
            self._release(held, used, min(held.reserved_left, used * held.unit_price))
        else:
            self._release(held, used, held.reserved_left)
        if held.qty_left == 0:
            del self.open[order_id]

    def on_order_done(self, order_id: str) -> None:
        held = self.open.pop(order_id, None)
        if held is not None:
            self._release(held, held.qty_left, held.reserved_left)


ORDER = st.tuples(st.just("order"), st.sampled_from(ACCOUNT_IDS), st.sampled_from(SYMBOLS),
                  st.sampled_from(Side), st.sampled_from((1, 10, 50, 100, 150, 299, 400)),
                  st.one_of(st.none(), st.integers(80, 230).map(lambda p: p * D)),
                  st.sampled_from(("own", "own", "own", "own", "ADV9")), st.integers(0, 3))  # fmt: skip
FILL = st.tuples(st.just("fill"), st.integers(0, 50), st.integers(1, 300), st.integers(80, 230))
DONE = st.tuples(st.just("done"), st.integers(0, 50))
PRICE = st.tuples(st.just("price"), st.sampled_from(SYMBOLS), st.sampled_from((0, 90, 100, 150, 200, 210)))
CLOCK = st.tuples(st.just("clock"), st.sampled_from((0, 1, SEC // 2, 3 * SEC, 2 * 3_600 * SEC)))
STATE = st.tuples(st.just("state"), st.sampled_from((TradingState.ACTIVE, TradingState.ACTIVE, TradingState.ACTIVE,
                                                     TradingState.REDUCING, TradingState.HALTED)))
RECHECK = st.tuples(st.just("recheck"), st.integers(0, 50))


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.one_of(ORDER, ORDER, ORDER, ORDER, FILL, FILL, DONE, PRICE, CLOCK, RECHECK, STATE),
                      min_size=10, max_size=80),
       limits=st.builds(RiskLimits, max_order_notional=st.sampled_from((20_000 * D, 1_000_000 * D)),
                        max_daily_notional_per_account=st.sampled_from((60_000 * D, 5_000_000 * D)),
                        concentration_max_bps=st.sampled_from((2_500, 10_000, 100_000)),
                        duplicate_window_ns=st.sampled_from((0, 2 * SEC))))  # fmt: skip
def test_engine_matches_the_plain_model(steps, limits: RiskLimits) -> None:
    prices = Prices()
    engine = RiskEngine(limits, directory(), prices, SanctionsList(sdn_individual_names(1)))
    model = Model(limits, directory(), prices, engine)
    now = T0
    placed: list[tuple[str, OrderSpec]] = []
    for step in steps:
        kind = step[0]
        if kind == "order":
            _, account_id, symbol, side, qty, limit, advisor, coid = step
            if advisor == "own":
                advisor = "ADV2" if account_id == "A2" else "ADV1"
            order_type = OrderType.MARKET if limit is None else OrderType.LIMIT
            spec = OrderSpec(account_id, symbol, side, qty, order_type, limit, TimeInForce.DAY, advisor, f"c{coid}")
            order_id = f"O{len(placed)}"
            placed.append((order_id, spec))
            prices.asked.clear()
            got = engine.check(order_id, spec, now)
            asked = list(prices.asked)
            assert got == model.check(order_id, spec, now)
            assert type(got) is RiskDecision and got.approved is (got.first_failure is None)
            # The market is asked for the order's symbol, then each other held symbol (its side effects stay).
            book = model.books.get(account_id)
            held = [] if book is None else [s for s, q in book.positions.items() if q and s != symbol]
            assert asked == [symbol] + held
        elif kind in ("fill", "done", "recheck") and placed:
            order_id, spec = placed[step[1] % len(placed)]
            if kind == "fill":
                qty, price = step[2], step[3] * D
                engine.on_fill(order_id, spec.account_id, spec.symbol, spec.side, qty, price)
                model.on_fill(order_id, spec.account_id, spec.symbol, spec.side, qty, price)
            elif kind == "done":
                engine.on_order_done(order_id)
                model.on_order_done(order_id)
            else:
                assert engine.check(order_id, spec, now) == model.check(order_id, spec, now)
        elif kind == "price":
            prices.prices[step[1]] = step[2] * D
        elif kind == "clock":
            now += step[1]
        elif kind == "state":
            engine.set_trading_state(step[1])
            model.state = step[1]
        for account_id, book in model.books.items():
            assert (engine.cash(account_id), engine.reserved(account_id), engine.day_notional(account_id)) == (
                book.cash, book.reserved, book.day_notional)
            for symbol in SYMBOLS:
                assert engine.position(account_id, symbol) == book.positions.get(symbol, 0)
        assert engine.open_order_count() == len(model.open)
