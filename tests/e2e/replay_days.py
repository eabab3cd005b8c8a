"""A recorded-day folder for `twin replay` tests: a synthetic two-venue day (XNAS maker-taker,
ARCX a fixed fee: frequent equal prices, so fees decide), a scenario on it and an orders file."""

from __future__ import annotations

from pathlib import Path

from venues_sim.replay_format import write_parquet
from venues_sim.synthetic_day import synthetic_day

SCENARIO = """
name: {name}
seed: {seed}
session: {{date: "2026-11-24", open: "09:30", close: "09:35"}}
symbols: [{{symbol: AAPL, reference_price: "190.00"}}]
venues:
  - {{name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030"}}
  - {{name: ARCX, fee_model: fixed, fixed_fee: "0.0005"}}
population: {{advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}}
"""

ORDERS_HEADER = "timestamp,account,symbol,side,quantity,type,limit,tif"


def two_venue_replay_folder(folder: Path, *, name: str, seed: int, day_seed: int, ticks: int,
                            orders: list[str]) -> Path:
    """``folder`` with ``day/`` (quotes and trades parquet), ``scenario.yaml`` and ``orders.csv``
    (``orders``: rows in ``ORDERS_HEADER``'s columns)."""
    (folder / "day").mkdir()
    write_parquet(synthetic_day(day_seed, ticks=ticks), folder / "day" / "quotes.parquet",
                  folder / "day" / "trades.parquet")
    (folder / "scenario.yaml").write_text(SCENARIO.format(name=name, seed=seed))
    (folder / "orders.csv").write_text("\n".join([ORDERS_HEADER, *orders]) + "\n")
    return folder


def replay_with_strategy(folder: Path, out: str, capsys) -> str:
    """`twin replay` of ``folder`` (as made above) with its orders and the ``EveryNthQuote`` strategy into
    ``folder/out``; asserts it succeeded and returns its ``policy ...`` line (fingerprint, orders, fills)."""
    from twin.cli import main

    status = main(["replay", "--market", str(folder / "day"), "--scenario", str(folder / "scenario.yaml"),
                   "--orders", str(folder / "orders.csv"), "--strategy", "twin.replay_orders:EveryNthQuote",
                   "--out", str(folder / out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return next(line for line in captured.out.splitlines() if line.startswith("policy "))


SAME_FILES = ("market_nbbo.parquet", "orders.parquet", "tca_orders.parquet", "market_prints.parquet")


def assert_same_replay(folder: Path, one: tuple[str, str], other: tuple[str, str]) -> None:
    """Two replays of ``folder`` (each ``(out, its policy line)``) recorded the same run: the same policy,
    fingerprint, orders and fills (with fills), and the same NBBO, orders, TCA and prints files."""
    import pyarrow.parquet as pq

    (out_a, line_a), (out_b, line_b) = one, other
    assert line_a.split("(")[0] == line_b.split("(")[0]  # policy, fingerprint, orders, fills
    assert "fills 0 " not in line_a
    for name in SAME_FILES:
        assert pq.read_table(folder / out_a / "fee-aware" / name).equals(
            pq.read_table(folder / out_b / "fee-aware" / name)), name
    assert pq.read_table(folder / out_a / "fee-aware" / "market_nbbo.parquet").num_rows > 1000
