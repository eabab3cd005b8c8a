"""``tape: {own_fills: true}`` on a whole run (issue 18): without agents it prints every taker fill of ours
and changes no event (smoke keeps its fingerprint); the default prints nothing."""

from __future__ import annotations

from dataclasses import replace

from components.domain.venues import Liquidity
from scenarios.config import load_scenario
from scenarios.config_market import Tape
from tests.conftest import SCENARIOS
from twin.runner import run_scenario


def test_smoke_prints_each_of_our_taker_fills_and_keeps_its_fingerprint():
    smoke = load_scenario(SCENARIOS / "smoke.yaml")
    plain = run_scenario(smoke, seed=smoke.seed)
    printed = run_scenario(replace(smoke, tape=Tape(own_fills=True)), seed=smoke.seed)
    assert printed.fingerprint == plain.fingerprint
    assert plain.world.gateway.own_prints is None
    takers = [f for f in printed.world.gateway.venue_fills if f.liquidity is Liquidity.TAKER]
    rows = printed.world.gateway.own_prints.rows
    assert len(takers) > 0 and printed.world.gateway.own_prints.printed == len(takers)
    assert sum(sum(r["qty"]) for r in rows.values()) == sum(f.last_qty for f in takers)



def test_tca_counts_our_taker_fills_once_when_the_prints_already_hold_them(tmp_path):
    """With ``own_fills`` the prints file holds our taker fills (and says so in its metadata), so TCA must
    not add them again from the events: its per-order figures equal the plain run's, which adds them itself."""
    import pyarrow.parquet as pq

    smoke = load_scenario(SCENARIOS / "smoke.yaml")
    tables = {}
    for name, scenario in (("plain", smoke), ("printed", replace(smoke, tape=Tape(own_fills=True)))):
        run_scenario(scenario, seed=smoke.seed, out_dir=tmp_path / name)
        tables[name] = pq.read_table(tmp_path / name / "tca_orders.parquet").to_pandas()
    prints = pq.read_table(tmp_path / "printed" / "market_prints.parquet")
    assert prints.schema.metadata[b"twin.prints_include_own_fills"] == b"true" and prints.num_rows > 0
    plain, printed = tables["plain"], tables["printed"]
    assert len(plain) > 0 and plain["market_vwap"].notna().any()
    assert printed.equals(plain)
