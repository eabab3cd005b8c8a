"""The risk engine: all policies recorded, reservations, fills, kill switch, duplicates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.events import Outcome
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList, default_sanctions_list, sdn_individual_names
from components.risk import POLICIES, RiskEngine, RiskLimits, TradingState

D = PRICE_SCALE
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 20_000 * DAY + 14 * 3_600 * SEC  # some UTC day, 14:00


class Prices:
    """Reference prices by symbol; 0 when unknown (the MarketData contract)."""

    def __init__(self, **prices: int) -> None:
        self.prices = dict(prices)

    def reference_price(self, symbol: str) -> int:
        return self.prices.get(symbol, 0)


def accounts() -> AccountDirectory:
    return AccountDirectory(
        [
            Account("A1", "C1", "Jane Client", "ADV1", cash=100_000 * D, positions=(("AAPL", 100),)),
            Account("A2", "C2", "Bob Small", "ADV1", cash=1_000 * D, credit_limit=500 * D),
            Account("BAD", "C3", sdn_individual_names(1)[0], "ADV2", cash=100_000 * D),
        ]
    )


def engine(limits: RiskLimits | None = None, **kw) -> RiskEngine:
    return RiskEngine(
        limits or RiskLimits(),
        accounts(),
        Prices(AAPL=100 * D, MSFT=200 * D),
        kw.pop("sanctions", None) or default_sanctions_list(),
        **kw,
    )


_coid = iter(range(10**9))


def order(
    side: Side = Side.BUY,
    qty: int = 10,
    limit: int | None = 100 * D,
    symbol: str = "AAPL",
    account: str = "A1",
    advisor: str = "ADV1",
    coid: str | None = None,
) -> OrderSpec:
    order_type = OrderType.MARKET if limit is None else OrderType.LIMIT
    return OrderSpec(account, symbol, side, qty, order_type, limit, TimeInForce.DAY, advisor,
                     coid or f"c-{next(_coid)}")  # fmt: skip


def codes(decision) -> list[str]:
    return [d.reason_code for d in decision.decisions if not d.passed]


# ---------------------------------------------------------------- decisions


def test_approval_records_every_policy_in_registry_order() -> None:
    spec = order()
    r = engine().check("O1", spec, T0)
    assert r.approved
    assert [d.policy for d in r.policy_decisions] == [p.name for p in POLICIES]
    assert all(d.outcome is Outcome.PASS for d in r.decisions)
    assert r.first_failure is None
    # After the verdicts, what a restart needs to rebuild the reservation exactly.
    assert r.decisions[-1].policy == "reservation"
    assert dict(r.decisions[-1].params) == {"notional": r.notional, "reference_price": 100 * D,
                                            "client_order_id": spec.client_order_id}  # fmt: skip
    assert r.notional == 10 * 100 * D and r.reference_price == 100 * D


def test_block_records_all_decisions_and_first_failure() -> None:
    r = engine(restricted=["AAPL"]).check("O1", order(side=Side.SELL, qty=500), T0)
    assert not r.approved
    assert len(r.decisions) == len(POLICIES)
    assert codes(r) == ["RESTRICTED_SYMBOL", "INSUFFICIENT_POSITION"]
    assert r.first_failure.reason_code == "RESTRICTED_SYMBOL"
    assert [d.reason_code for d in r.failures] == codes(r)


def test_market_order_notional_uses_reference_price() -> None:
    r = engine().check("O1", order(qty=7, limit=None, symbol="MSFT"), T0)
    assert r.approved and r.notional == 7 * 200 * D


def test_no_reference_price_blocks() -> None:
    r = engine().check("O1", order(symbol="ZZZZ", limit=None), T0)
    assert not r.approved
    assert r.first_failure.reason_code == "NO_REFERENCE_PRICE"


def test_unknown_account_and_unentitled_advisor() -> None:
    e = engine()
    assert e.check("O1", order(account="NOPE"), T0).first_failure.reason_code == "UNKNOWN_ACCOUNT"
    r = e.check("O2", order(advisor="ADV9"), T0)
    assert r.first_failure.reason_code == "ADVISOR_NOT_ENTITLED"
    assert e.reserved("A1") == 0


def test_sanctioned_client_is_blocked() -> None:
    r = engine().check("O1", order(account="BAD", advisor="ADV2"), T0)
    assert not r.approved
    d = r.first_failure
    assert d.policy == "sanctioned_party" and d.reason_code == "SANCTIONED_PARTY"
    assert dict(d.params) == {"matched": sdn_individual_names(1)[0]}


def test_set_sanctions_rescreens_known_accounts() -> None:
    e = engine(sanctions=SanctionsList(["nobody at all"]))
    assert e.check("O1", order(coid="x"), T0).approved
    e.set_sanctions(SanctionsList(["CLIENT, Jane"]))
    assert e.check("O2", order(coid="y", qty=11), T0).first_failure.reason_code == "SANCTIONED_PARTY"


def test_restricted_list_can_be_replaced() -> None:
    e = engine()
    e.set_restricted({"AAPL"})
    assert e.restricted == frozenset({"AAPL"})
    assert e.check("O1", order(), T0).first_failure.reason_code == "RESTRICTED_SYMBOL"
    e.set_restricted(())
    assert e.check("O2", order(), T0).approved


# ---------------------------------------------------------------- kill switch


def test_kill_switch_states() -> None:
    e = engine()
    assert e.trading_state is TradingState.ACTIVE
    e.set_trading_state(TradingState.HALTED)
    assert e.trading_state is TradingState.HALTED
    r = e.check("O1", order(side=Side.SELL, qty=1), T0)
    assert r.first_failure.reason_code == "TRADING_HALTED"
    e.set_trading_state("REDUCING")
    assert e.trading_state is TradingState.REDUCING
    assert e.check("O2", order(side=Side.BUY, qty=1), T0).first_failure.reason_code == (
        "TRADING_REDUCING_ONLY"
    )
    assert e.check("O3", order(side=Side.SELL, qty=60), T0).approved
    # The open sell of 60 already reduces; 41 more would flip the account short.
    r = e.check("O4", order(side=Side.SELL, qty=41), T0)
    assert r.first_failure.reason_code == "TRADING_REDUCING_ONLY"
    assert e.check("O5", order(side=Side.SELL, qty=40), T0).approved
    e.set_trading_state(TradingState.ACTIVE)
    assert e.check("O6", order(side=Side.BUY, qty=1), T0).approved


# ---------------------------------------------------------------- reservations


def test_buy_reservation_blocks_second_buy_until_released() -> None:
    # A2 has $1,000 cash + $500 credit: $1,500 of buying power. It holds only
    # cash, so any buy is 100% of it: lift the concentration limit.
    e = engine(RiskLimits(concentration_max_bps=100_000))
    assert e.check("O1", order(account="A2", qty=10), T0).approved
    assert e.reserved("A2") == 1_000 * D
    r = e.check("O2", order(account="A2", qty=6), T0)
    assert r.first_failure.reason_code == "INSUFFICIENT_BUYING_POWER"
    assert dict(r.first_failure.params) == {"limit": 500 * D, "value": 600 * D}
    e.on_order_done("O1")
    assert e.reserved("A2") == 0
    assert not e.is_open("O1")
    assert e.check("O3", order(account="A2", qty=6), T0).approved


def test_partial_and_full_fills_move_cash_position_and_release() -> None:
    e = engine()
    assert e.check("O1", order(qty=10, limit=101 * D), T0).approved
    assert e.reserved("A1") == 1_010 * D
    e.on_fill("O1", "A1", "AAPL", Side.BUY, 4, 100 * D)
    assert e.position("A1", "AAPL") == 104
    assert e.cash("A1") == 100_000 * D - 400 * D
    assert e.reserved("A1") == 6 * 101 * D  # released at the reserved price per share
    e.on_fill("O1", "A1", "AAPL", "BUY", 6, 101 * D)
    assert e.position("A1", "AAPL") == 110
    assert e.cash("A1") == 100_000 * D - 400 * D - 606 * D
    assert e.reserved("A1") == 0
    assert not e.is_open("O1") and e.open_order_count() == 0
    e.on_order_done("O1")  # after a full fill: a no-op
    assert e.reserved("A1") == 0


def test_market_buy_filled_above_reference_releases_everything() -> None:
    e = engine()
    assert e.check("O1", order(qty=10, limit=None), T0).approved
    assert e.reserved("A1") == 1_000 * D
    e.on_fill("O1", "A1", "AAPL", Side.BUY, 5, 102 * D)
    assert e.reserved("A1") == 500 * D
    e.on_fill("O1", "A1", "AAPL", Side.BUY, 5, 103 * D)
    assert e.reserved("A1") == 0
    assert e.cash("A1") == 100_000 * D - 510 * D - 515 * D


def test_sell_reserves_position_until_done() -> None:
    e = engine()
    assert e.check("O1", order(side=Side.SELL, qty=80), T0).approved
    r = e.check("O2", order(side=Side.SELL, qty=30), T0)
    assert r.first_failure.reason_code == "INSUFFICIENT_POSITION"
    assert dict(r.first_failure.params) == {"limit": 20, "value": 30}
    e.on_fill("O1", "A1", "AAPL", Side.SELL, 50, 100 * D)
    assert e.position("A1", "AAPL") == 50
    assert e.cash("A1") == 100_000 * D + 5_000 * D
    e.on_order_done("O1")  # 30 unfilled released
    assert e.check("O3", order(side=Side.SELL, qty=50), T0).approved
    assert e.reserved("A1") == 0


def test_check_is_idempotent_for_an_open_order() -> None:
    e = engine()
    s = order()
    first = e.check("O1", s, T0)
    assert e.check("O1", s, T0 + 1) is first
    assert e.reserved("A1") == 1_000 * D
    assert e.day_notional("A1") == 1_000 * D


# ---------------------------------------------------------------- day notional


def test_day_notional_counts_approvals_and_rolls_over_at_utc_midnight() -> None:
    e = engine(RiskLimits(max_daily_notional_per_account=2_500 * D))
    assert e.check("O1", order(qty=10), T0).approved
    e.on_order_done("O1")  # canceled: still counted, the notional was approved
    assert e.check("O2", order(qty=15), T0).approved
    assert e.day_notional("A1") == 2_500 * D
    r = e.check("O3", order(qty=1), T0)
    assert r.first_failure.reason_code == "DAILY_NOTIONAL_EXCEEDED"
    assert dict(r.first_failure.params) == {
        "limit": 2_500 * D, "value": 2_600 * D, "day_notional": 2_500 * D
    }  # fmt: skip
    assert e.check("O4", order(qty=1), T0 - T0 % DAY + DAY).approved  # next UTC day
    assert e.day_notional("A1") == 100 * D


# ---------------------------------------------------------------- duplicates


def test_duplicate_inside_window_is_blocked_outside_is_not() -> None:
    window = RiskLimits().duplicate_window_ns
    e = engine()
    assert e.check("O1", order(qty=5, coid="a"), T0).approved
    r = e.check("O2", order(qty=5, coid="b"), T0 + window)
    assert not r.approved
    assert r.first_failure.reason_code == "DUPLICATE_ORDER_SUSPECTED"
    assert dict(r.first_failure.params) == {"duplicate_of": "O1", "window_ns": window}
    # The blocked order is not remembered; the approved one ages out of the window.
    assert e.check("O3", order(qty=5, coid="c"), T0 + window + 1).approved


def test_duplicate_requires_identical_order_and_different_client_id() -> None:
    e = engine()
    assert e.check("O1", order(qty=5, coid="a"), T0).approved
    assert e.check("O2", order(qty=6, coid="b"), T0).approved  # quantity differs
    assert e.check("O3", order(qty=5, limit=99 * D, coid="c"), T0).approved  # price differs
    assert e.check("O4", order(qty=5, side=Side.SELL, coid="d"), T0).approved  # side differs
    assert e.check("O5", order(qty=5, limit=None, coid="e"), T0).approved  # type differs
    assert e.check("O6", order(qty=5, symbol="MSFT", limit=200 * D, coid="f"), T0).approved
    assert e.check("O7", order(qty=5, coid="a"), T0).approved  # same client id: a resend
    r = e.check("O8", order(qty=5, coid="z"), T0)
    assert r.first_failure.reason_code == "DUPLICATE_ORDER_SUSPECTED"


def test_concentration_uses_marked_account_value() -> None:
    e = engine(RiskLimits(concentration_max_bps=2_500))
    # A1: $100,000 cash + 100 AAPL @ $100 = $110,000; 25% = $27,500 = 275 sh total.
    assert e.check("O1", order(qty=175), T0).approved
    r = e.check("O2", order(qty=1), T0)
    assert r.first_failure.reason_code == "CONCENTRATION_LIMIT"
    assert dict(r.first_failure.params) == {
        "limit_bps": 2_500, "position_value": 276 * 100 * D, "account_value": 110_000 * D
    }  # fmt: skip


# ---------------------------------------------------------------- properties


_ops = st.lists(
    st.tuples(
        st.sampled_from(["check", "check", "check", "fill", "done", "state"]),
        st.sampled_from(["A1", "A2", "BAD", "NOPE"]),
        st.sampled_from(["AAPL", "MSFT", "ZZZZ"]),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(1, 400),
        st.one_of(st.none(), st.integers(50, 250).map(lambda p: p * D)),
        st.sampled_from(list(TradingState)),
        st.integers(0, 3 * SEC),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(_ops)
def test_every_policy_recorded_once_and_approved_iff_all_pass(ops) -> None:
    e = engine(restricted=["MSFT"] if len(ops) % 2 else ())
    now = T0
    approved: list[tuple[str, OrderSpec]] = []
    names = [p.name for p in POLICIES]
    for n, (op, acct, sym, side, qty, limit, state, dt) in enumerate(ops):
        now += dt
        if op == "check":
            spec = order(side, qty, limit, sym, acct, "ADV2" if acct == "BAD" else "ADV1")
            r = e.check(f"O{n}", spec, now)
            assert [d.policy for d in r.policy_decisions] == names
            assert r.approved == all(d.outcome is Outcome.PASS for d in r.decisions)
            assert (r.first_failure is None) == r.approved
            for d in r.decisions:
                assert (d.reason_code == "") == d.passed
                assert all(type(v) in (int, str) for _, v in d.params)
            if r.approved:
                assert acct not in ("BAD", "NOPE") and e.trading_state is not TradingState.HALTED
                approved.append((f"O{n}", spec))
        elif op == "fill" and approved:
            oid, spec = approved[qty % len(approved)]
            e.on_fill(oid, spec.account_id, spec.symbol, spec.side, 1 + qty % spec.quantity,
                      spec.limit_price or 100 * D)  # fmt: skip
        elif op == "done" and approved:
            e.on_order_done(approved.pop(qty % len(approved))[0])
        elif op == "state":
            e.set_trading_state(state)
        for a in ("A1", "A2"):
            assert e.reserved(a) >= 0
    for oid, _ in approved:
        e.on_order_done(oid)
    assert e.open_order_count() == 0
    assert e.reserved("A1") == e.reserved("A2") == 0


def test_custom_policy_registry_fresh_pass_and_fail() -> None:
    from components.domain.events import PolicyDecision
    from components.risk.policies import Policy

    fresh_pass = Policy("always", "9", lambda ctx: PolicyDecision("always", "9", Outcome.PASS))
    assert fresh_pass.passed == PolicyDecision("always", "9", Outcome.PASS)
    e = engine(policies=(fresh_pass,))
    r = e.check("O1", order(), T0)
    assert r.approved and [d.policy for d in r.policy_decisions] == ["always"]
    never = Policy("never", "1", lambda ctx: PolicyDecision("never", "1", Outcome.FAIL, "NOPE"))
    r = engine(policies=(fresh_pass, never)).check("O1", order(), T0)
    assert not r.approved and r.first_failure.reason_code == "NOPE"
