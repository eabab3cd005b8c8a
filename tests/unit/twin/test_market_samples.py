"""``MarketRecorder``'s every-venue view: each venue's published top at each sample, their national best,
and ``market_samples.parquet``; the primary's own ``samples`` (what the realism summary reads) unchanged."""

from __future__ import annotations

import pyarrow.parquet as pq

from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from twin.market_files import write_market_samples
from twin.market_recorder import MarketRecorder
from venues_sim.fees import MakerTakerFees
from venues_sim.venue import SimVenue

DAY = TimeInForce.DAY


def venues() -> dict[str, SimVenue]:
    out = {n: SimVenue(n, MakerTakerFees(20, 30), ["XYZ"], lambda r: None) for n in ("XNAS", "BATS")}
    out["XNAS"].submit_agent_order("x-b", "MM", "XYZ", Side.BUY, 100, 1_000_000, DAY, 0)
    out["XNAS"].submit_agent_order("x-a", "MM", "XYZ", Side.SELL, 100, 1_002_000, DAY, 0)
    out["BATS"].submit_agent_order("b-b", "MM", "XYZ", Side.BUY, 40, 1_000_000, DAY, 0)
    out["BATS"].submit_agent_order("b-a", "MM", "XYZ", Side.SELL, 70, 1_001_000, DAY, 0)
    return out


def test_every_venue_is_sampled_with_the_primary_and_their_national_best():
    table = venues()
    recorder = MarketRecorder(table["XNAS"], ["XYZ"])
    recorder.sample_venues(table)
    recorder.sample(10)
    table["BATS"].set_status(VenueStatus.DOWN)  # a DOWN venue publishes nothing
    recorder.sample(20)
    assert list(recorder.samples["XYZ"]["ask"]) == [1_002_000, 1_002_000]  # the primary's, as before
    bats = recorder.venue_samples["BATS"]["XYZ"]
    assert [list(bats[k]) for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")] == [
        [10, 20], [1_000_000, 0], [40, 0], [1_001_000, 0], [70, 0]]
    national = recorder.national_samples()["XYZ"]
    assert list(national["bid_size"]) == [140, 100]  # both venues at 100.00, then XNAS alone
    assert list(national["ask"]) == [1_001_000, 1_002_000] and list(national["ask_size"]) == [70, 100]


def test_market_samples_parquet_holds_each_venue_and_the_national_best(tmp_path):
    table = venues()
    recorder = MarketRecorder(table["XNAS"], ["XYZ"])
    assert write_market_samples(recorder, tmp_path) is None  # no venues sampled: nothing written
    recorder.sample_venues(table)
    recorder.sample(10)
    path = write_market_samples(recorder, tmp_path)
    rows = pq.read_table(path).to_pylist()
    assert [(r["venue"], r["bid"], r["bid_size"], r["ask"]) for r in rows] == [
        ("XNAS", 1_000_000, 100, 1_002_000), ("BATS", 1_000_000, 40, 1_001_000), ("NBBO", 1_000_000, 140, 1_001_000)]
    meta = pq.read_table(path).schema.metadata
    assert meta[b"twin.primary_venue"] == b"XNAS" and meta[b"twin.price_scale"] == b"10000"
