"""`twin replay`: order rows the recorded day or order entry cannot take are one-line errors (exit 2),
found before the simulation, never a traceback or an order silently dropped."""

from __future__ import annotations

import pytest

from tests.e2e.replay_days import ORDERS_HEADER, two_venue_replay_folder
from twin.cli import main
from venues_sim.synthetic_day import DEFAULT_START_NS

NS = 1_000_000_000
AT = DEFAULT_START_NS + 2 * NS + 1  # inside the day's session
GOOD = f"{AT},AC-00001,AAPL,BUY,100,MARKET,,DAY"


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A small AAPL-only two-venue day (no scenario given to the commands below: the defaults)."""
    return two_venue_replay_folder(tmp_path_factory.mktemp("replay_day_errors"), name="day_errors", seed=1,
                                   day_seed=11, ticks=300, orders=[GOOD])


def replay(day, capsys, tmp_path, *extra: str) -> tuple[int, str, str]:
    status = main(["replay", "--market", str(day / "day"), "--out", str(tmp_path / "out"), *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("row, expected", [
    # a symbol the day lacks: was a KeyError traceback from the venue books, exit 1
    (f"{AT},AC-00001,MSFT,BUY,100,MARKET,,DAY",
     "orders.csv:3: symbol: 'MSFT' is not on the recorded day (it has AAPL)"),
    (f"{AT},AC-00001,aapl,BUY,100,MARKET,,DAY",
     "orders.csv:3: symbol: 'aapl' is not on the recorded day (it has AAPL)"),
    # order entry's own rules: these rows were silently refused by the platform ("orders 0", "fills 0")
    (f"{AT},AC-00001,AAPL,BUY,2000000,MARKET,,DAY", "orders.csv:3: quantity: must be at most 1000000"),
    (f"{AT},AC-00001,AAPL,BUY,100,LIMIT,190.0125,DAY", "orders.csv:3: limit: "),
    (f"{AT},AC-00001,AAPL,BUY,100,LIMIT,1000000,IOC", "orders.csv:3: limit: "),
])
def test_an_order_the_day_or_order_entry_cannot_take_is_a_row_error(day, capsys, tmp_path, row, expected):
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join([ORDERS_HEADER, GOOD, row]) + "\n")
    status, out, err = replay(day, capsys, tmp_path, "--orders", str(orders),
                              "--policy", "fee-aware", "--policy", "fee-blind")
    assert status == 2, (out, err)
    assert expected in err and "Traceback" not in err and err.count("\n") == 1, err
    assert "policy " not in out  # refused before any policy ran


class OtherSymbol:
    """A strategy that sends one order for a symbol the day does not have."""

    def __init__(self) -> None:
        self.sent = False

    def __call__(self, quote):
        from components.domain.orders import Side
        from twin.replay_orders import StrategyOrder

        if self.sent:
            return ()
        self.sent = True
        return (StrategyOrder("AC-00001", "MSFT", Side.BUY, 100),)


def test_a_strategy_order_for_a_symbol_the_day_lacks_is_one_line(day, capsys, tmp_path):
    status, _, err = replay(day, capsys, tmp_path, "--strategy", f"{__name__}:OtherSymbol")
    assert status == 2
    assert (f"strategy {__name__}:OtherSymbol: symbol: 'MSFT' is not on the recorded day (it has AAPL)" in err
            and "Traceback" not in err and err.count("\n") == 1), err


TWO_SYMBOLS = """
name: two_symbols
seed: 1
session: {date: "2026-11-24", open: "09:30", close: "09:35"}
symbols: [{symbol: AAPL, reference_price: "190.00"}, {symbol: MSFT, reference_price: "400.00"}]
venues: [{name: XNAS}, {name: ARCX}]
population: {advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}
"""


@pytest.mark.parametrize("market, scenario, symbol, expected", [
    # the scenario lists MSFT but the day has no quote for it: its orders could never trade
    ("day", "two_symbols.yaml", "MSFT", "orders.csv:2: symbol: 'MSFT' is not on the recorded day (it has AAPL)"),
    # the day has MSFT but the scenario does not (nor do the venue books or order entry, then)
    ("two_symbol_day", "scenario.yaml", "MSFT", "orders.csv:2: symbol: 'MSFT' is not one of the --scenario's "
                                                "symbols (AAPL)"),
    ("two_symbol_day", "scenario.yaml", "IBM", "orders.csv:2: symbol: 'IBM' is not on the recorded day "
                                               "(it has AAPL, MSFT)"),
])
def test_with_a_scenario_a_symbol_must_be_on_the_day_and_in_the_scenario(day, capsys, tmp_path, market, scenario,
                                                                         symbol, expected):
    from venues_sim.replay_format import write_csv
    from venues_sim.synthetic_day import synthetic_day

    (day / "two_symbols.yaml").write_text(TWO_SYMBOLS)
    if not (day / "two_symbol_day").exists():  # a CSV day: its symbols are read the CSV way
        (day / "two_symbol_day").mkdir()
        write_csv(synthetic_day(5, prices={"AAPL": 1_900_000, "MSFT": 4_000_000}, ticks=50),
                  day / "two_symbol_day" / "quotes.csv", day / "two_symbol_day" / "trades.csv")
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join([ORDERS_HEADER, GOOD.replace("AAPL", symbol)]) + "\n")
    status = main(["replay", "--market", str(day / market), "--scenario", str(day / scenario),
                   "--orders", str(orders), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert expected in err and err.count("\n") == 1, err
