"""``components.risk.policies.params_text``: a risk decision's parameters as a reader sees them, money in
dollars where the reason says the parameter is money (``limit`` is dollars of buying power, but shares of a
position), and every other parameter as recorded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from components.domain.money import to_units
from components.risk import policies as p


def test_money_follows_the_reason_not_the_name():
    assert p.params_text("buying_power", p.INSUFFICIENT_BUYING_POWER,
                         {"limit": to_units("75250.00"), "value": to_units("80000.50")}) == \
        "{limit=75250.0000, value=80000.5000}"
    assert p.params_text("buying_power", p.INSUFFICIENT_POSITION, {"limit": 0, "value": 120}) == "{limit=0, value=120}"


def test_the_reservation_shows_its_notional_and_reference_price_in_dollars():
    text = p.params_text(p.RESERVATION, "", {"notional": 32256650, "reference_price": 1897450,
                                             "client_order_id": "CO-000004"})
    assert text == "{client_order_id=CO-000004, notional=3225.6650, reference_price=189.7450}"


def test_collar_and_concentration_keep_their_basis_points():
    assert p.params_text("price_collar", p.PRICE_OUTSIDE_COLLAR, {"reference": 1897450, "limit": 2000000,
                                                                 "collar_bps": 500, "deviation_bps": 541}) == \
        "{collar_bps=500, deviation_bps=541, limit=200.0000, reference=189.7450}"
    assert "limit_bps=6000" in p.params_text("concentration", p.CONCENTRATION_LIMIT, {"limit_bps": 6000})


@given(reason=st.sampled_from([p.SANCTIONED_PARTY, p.DUPLICATE_ORDER_SUSPECTED, p.TRADING_HALTED, "", "OTHER"]),
       params=st.dictionaries(st.sampled_from(["limit", "value", "notional", "window_ns", "matched"]),
                              st.one_of(st.integers(), st.text(max_size=5)), max_size=4))
def test_a_reason_with_no_money_shows_every_parameter_as_recorded(reason, params):
    assert p.params_text("some_policy", reason, params) == \
        "{" + ", ".join(f"{k}={v}" for k, v in sorted(params.items())) + "}"
