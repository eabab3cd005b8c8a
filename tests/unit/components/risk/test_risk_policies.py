"""Each pre-trade policy on its own: PASS, and FAIL with its reason code and params."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.domain.events import Outcome, PolicyDecision
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.reference.accounts import Account
from components.risk import policies as P
from components.risk.policies import POLICIES, RiskContext, RiskLimits, TradingState

D = PRICE_SCALE  # one dollar in units
REF = 100 * D


def spec(side: Side = Side.BUY, qty: int = 10, order_type: OrderType = OrderType.LIMIT,
         limit: int | None = REF, symbol: str = "AAPL") -> OrderSpec:  # fmt: skip
    return OrderSpec("A1", symbol, side, qty, order_type, limit, TimeInForce.DAY, "ADV1", "c-1")


ACCOUNT = Account("A1", "C1", "Jane Client", "ADV1", cash=1_000_000 * D, positions=(("AAPL", 100),))


def ctx(s: OrderSpec | None = None, **kw) -> RiskContext:
    s = s or spec()
    price = s.limit_price if s.order_type is OrderType.LIMIT else REF
    base = dict(
        spec=s,
        order_id="O-1",
        now_ns=1_000,
        reference_price=REF,
        notional=s.quantity * price,
        account=ACCOUNT,
        entitled=True,
        cash_available=1_000_000 * D,
        day_notional=0,
        position_qty=100,
        open_buy_qty=0,
        open_sell_qty=0,
        account_value=1_000_000 * D + 100 * REF,
        limits=RiskLimits(),
        restricted=frozenset(),
        sanctioned_match=None,
        duplicate_of=None,
        trading_state=TradingState.ACTIVE,
    )
    base.update(kw)
    return RiskContext(**base)


def passes(decision: PolicyDecision) -> None:
    assert decision.outcome is Outcome.PASS
    assert decision.reason_code == ""
    assert decision.params == ()


def fails(decision: PolicyDecision, code: str, **params) -> None:
    assert decision.outcome is Outcome.FAIL
    assert decision.reason_code == code
    assert dict(decision.params) == params
    for key, value in decision.params:
        assert isinstance(key, str) and type(value) in (int, str)


# ---------------------------------------------------------------- registry


def test_registry_names_versions_unique_and_in_order() -> None:
    names = [p.name for p in POLICIES]
    assert names == [
        "trading_state",
        "account_access",
        "sanctioned_party",
        "restricted_list",
        "buying_power",
        "max_order_notional",
        "max_daily_notional",
        "price_collar",
        "duplicate_order",
        "concentration",
    ]
    for p in POLICIES:
        assert p.version
        d = p.check(ctx())
        assert (d.policy, d.version) == (p.name, p.version)
        passes(d)


def test_pass_decisions_are_shared_constants() -> None:
    for p in POLICIES:
        assert p.check(ctx()) is p.check(ctx())


# ---------------------------------------------------------------- kill switch


def test_trading_state_active_passes() -> None:
    passes(P.check_trading_state(ctx()))


def test_trading_state_halted_fails_everything() -> None:
    for s in (spec(Side.BUY), spec(Side.SELL, qty=1)):
        fails(P.check_trading_state(ctx(s, trading_state=TradingState.HALTED)),
              "TRADING_HALTED", state="HALTED")  # fmt: skip


def test_trading_state_reducing_allows_only_reducing_orders() -> None:
    red = TradingState.REDUCING
    passes(P.check_trading_state(ctx(spec(Side.SELL, qty=100), trading_state=red)))
    fails(
        P.check_trading_state(ctx(spec(Side.SELL, qty=101), trading_state=red)),
        "TRADING_REDUCING_ONLY", state="REDUCING", quantity=101, reducible=100,
    )  # fmt: skip
    # Open sells already reduce the position.
    fails(
        P.check_trading_state(ctx(spec(Side.SELL, qty=50), trading_state=red, open_sell_qty=60)),
        "TRADING_REDUCING_ONLY", state="REDUCING", quantity=50, reducible=40,
    )  # fmt: skip
    # A buy on a long position increases it.
    fails(
        P.check_trading_state(ctx(spec(Side.BUY, qty=1), trading_state=red)),
        "TRADING_REDUCING_ONLY", state="REDUCING", quantity=1, reducible=0,
    )  # fmt: skip
    # A buy covering a short reduces it.
    passes(P.check_trading_state(ctx(spec(Side.BUY, qty=30), trading_state=red, position_qty=-30)))
    fails(
        P.check_trading_state(ctx(spec(Side.BUY, qty=31), trading_state=red, position_qty=-30)),
        "TRADING_REDUCING_ONLY", state="REDUCING", quantity=31, reducible=30,
    )  # fmt: skip


# ---------------------------------------------------------------- access, lists


def test_account_access() -> None:
    passes(P.check_account_access(ctx()))
    fails(P.check_account_access(ctx(account=None)), "UNKNOWN_ACCOUNT", account_id="A1")
    fails(P.check_account_access(ctx(entitled=False)), "ADVISOR_NOT_ENTITLED",
          advisor_id="ADV1", account_id="A1")  # fmt: skip


def test_sanctioned_party() -> None:
    passes(P.check_sanctioned_party(ctx()))
    fails(P.check_sanctioned_party(ctx(sanctioned_match="NORIEGA, Manuel Antonio")),
          "SANCTIONED_PARTY", matched="NORIEGA, Manuel Antonio")  # fmt: skip


def test_restricted_list() -> None:
    passes(P.check_restricted_list(ctx(restricted=frozenset({"MSFT"}))))
    fails(P.check_restricted_list(ctx(restricted=frozenset({"AAPL"}))),
          "RESTRICTED_SYMBOL", symbol="AAPL")  # fmt: skip


# ---------------------------------------------------------------- money


def test_buying_power_buys() -> None:
    passes(P.check_buying_power(ctx(cash_available=10 * REF)))  # exactly enough
    fails(P.check_buying_power(ctx(cash_available=10 * REF - 1)), "INSUFFICIENT_BUYING_POWER",
          limit=10 * REF - 1, value=10 * REF)  # fmt: skip


def test_buying_power_sells_need_the_position() -> None:
    passes(P.check_buying_power(ctx(spec(Side.SELL, qty=100), cash_available=0)))
    fails(P.check_buying_power(ctx(spec(Side.SELL, qty=101))), "INSUFFICIENT_POSITION",
          limit=100, value=101)  # fmt: skip
    fails(P.check_buying_power(ctx(spec(Side.SELL, qty=50), open_sell_qty=80)),
          "INSUFFICIENT_POSITION", limit=20, value=50)  # fmt: skip
    fails(P.check_buying_power(ctx(spec(Side.SELL, qty=1), position_qty=0)),
          "INSUFFICIENT_POSITION", limit=0, value=1)  # fmt: skip


def test_max_order_notional() -> None:
    limits = RiskLimits(max_order_notional=10 * REF)
    passes(P.check_max_order_notional(ctx(limits=limits)))
    fails(P.check_max_order_notional(ctx(spec(qty=11), limits=limits)),
          "NOTIONAL_EXCEEDS_MAX_PER_ORDER", limit=10 * REF, value=11 * REF)  # fmt: skip
    fails(P.check_max_order_notional(ctx(spec(Side.SELL, qty=11), limits=limits)),
          "NOTIONAL_EXCEEDS_MAX_PER_ORDER", limit=10 * REF, value=11 * REF)  # fmt: skip


def test_max_daily_notional() -> None:
    limits = RiskLimits(max_daily_notional_per_account=50 * REF)
    passes(P.check_max_daily_notional(ctx(limits=limits, day_notional=40 * REF)))
    fails(P.check_max_daily_notional(ctx(limits=limits, day_notional=40 * REF + 1)),
          "DAILY_NOTIONAL_EXCEEDED", limit=50 * REF, value=50 * REF + 1,
          day_notional=40 * REF + 1)  # fmt: skip


# ---------------------------------------------------------------- price


def test_price_collar_limit_orders() -> None:
    limits = RiskLimits(collar_bps=500)
    # 5% through on each side is inside; passive prices are never collared.
    passes(P.check_price_collar(ctx(spec(Side.BUY, limit=105 * D), limits=limits)))
    passes(P.check_price_collar(ctx(spec(Side.SELL, limit=95 * D), limits=limits)))
    passes(P.check_price_collar(ctx(spec(Side.BUY, limit=50 * D), limits=limits)))
    passes(P.check_price_collar(ctx(spec(Side.SELL, limit=500 * D), limits=limits)))
    fails(P.check_price_collar(ctx(spec(Side.BUY, limit=105 * D + 1), limits=limits)),
          "PRICE_OUTSIDE_COLLAR", reference=REF, limit=105 * D + 1, collar_bps=500,
          deviation_bps=501)  # fmt: skip
    fails(P.check_price_collar(ctx(spec(Side.SELL, limit=90 * D), limits=limits)),
          "PRICE_OUTSIDE_COLLAR", reference=REF, limit=90 * D, collar_bps=500,
          deviation_bps=1000)  # fmt: skip


def test_price_collar_market_orders_and_missing_reference() -> None:
    passes(P.check_price_collar(ctx(spec(order_type=OrderType.MARKET, limit=None))))
    for s in (spec(), spec(order_type=OrderType.MARKET, limit=None)):
        fails(P.check_price_collar(ctx(s, reference_price=0)), "NO_REFERENCE_PRICE", symbol="AAPL")


# ---------------------------------------------------------------- behaviour


def test_duplicate_order() -> None:
    passes(P.check_duplicate_order(ctx()))
    fails(P.check_duplicate_order(ctx(duplicate_of="O-0")), "DUPLICATE_ORDER_SUSPECTED",
          duplicate_of="O-0", window_ns=RiskLimits().duplicate_window_ns)  # fmt: skip


def test_concentration() -> None:
    limits = RiskLimits(concentration_max_bps=2_500)
    # Account worth $100,000; AAPL at $100.
    value = 100_000 * D
    passes(P.check_concentration(ctx(spec(qty=150), position_qty=100, account_value=value,
                                     limits=limits)))  # fmt: skip  # 250 sh = $25,000 = 25%
    fails(P.check_concentration(ctx(spec(qty=151), position_qty=100, account_value=value,
                                    limits=limits)),
          "CONCENTRATION_LIMIT", limit_bps=2_500, position_value=251 * REF,
          account_value=value)  # fmt: skip
    # Open buys count toward the position.
    fails(P.check_concentration(ctx(spec(qty=1), position_qty=100, open_buy_qty=150,
                                    account_value=value, limits=limits)),
          "CONCENTRATION_LIMIT", limit_bps=2_500, position_value=251 * REF,
          account_value=value)  # fmt: skip
    # Sells are never blocked for concentration.
    passes(P.check_concentration(ctx(spec(Side.SELL, qty=1), position_qty=10_000,
                                     account_value=value)))  # fmt: skip
    # A buy that only covers part of a short leaves no long position to concentrate.
    passes(P.check_concentration(ctx(spec(qty=10), position_qty=-20, account_value=0)))


# ---------------------------------------------------------------- limits


def test_limits_defaults_and_validation() -> None:
    lim = RiskLimits()
    assert lim.max_order_notional == 1_000_000 * D
    assert lim.max_daily_notional_per_account == 5_000_000 * D
    assert (lim.collar_bps, lim.concentration_max_bps) == (500, 2_500)
    assert lim.duplicate_window_ns == 2_000_000_000
    with pytest.raises(TypeError, match="collar_bps"):
        RiskLimits(collar_bps=5.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_order_notional"):
        RiskLimits(max_order_notional=-1)
    assert replace(lim, collar_bps=100).collar_bps == 100


def test_every_reason_code_is_declared() -> None:
    codes = {v for k, v in vars(P).items() if k.isupper() and isinstance(v, str) and v == k}
    assert codes == P.REASON_CODES
