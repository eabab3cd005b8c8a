"""``MarketRecorder``'s primary venue shares its rows with ``samples`` while it publishes its book's top
(a one-venue day sampled its only venue twice): the rows it keeps, and ``market_samples.parquet``, are
those of reading every venue's published top at every sample, as before; the first sample where the
primary publishes anything else (DOWN, a stale book) splits its rows off."""

from __future__ import annotations

from array import array

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from twin.market_files import write_market_samples
from twin.market_recorder import SAMPLE_COLUMNS, MarketRecorder, _top_reader
from venues_sim.fees import MakerTakerFees
from venues_sim.stress import StaleBook
from venues_sim.venue import SimVenue

DAY = TimeInForce.DAY
SYMBOLS = ["XYZ", "ABC"]


def make_venues(names: tuple[str, ...]) -> dict[str, SimVenue]:
    return {n: SimVenue(n, MakerTakerFees(20, 30), SYMBOLS, lambda r: None) for n in names}


def reference_rows(venues: dict[str, SimVenue], reads: list[dict]) -> None:
    """What the recorder kept before the sharing: every venue's published top, read at each sample."""
    for name, venue in venues.items():
        for s in SYMBOLS:
            reads.append({"name": name, "symbol": s, "read": _top_reader(venue, s),
                          "rows": {k: array("q") for k in SAMPLE_COLUMNS}})


def read_all(reads: list[dict], now: int) -> None:
    for r in reads:
        r["rows"]["t_ns"].append(now)
        for key, value in zip(SAMPLE_COLUMNS[1:], r["read"](now)):
            r["rows"][key].append(value)


# one step: ("order", venue index, symbol index, side, price offset, qty) | ("down"/"up"/"stale"/"fresh", venue)
steps = st.lists(st.one_of(
    st.tuples(st.just("order"), st.integers(0, 1), st.integers(0, 1), st.booleans(), st.integers(-3, 3),
              st.integers(1, 300)),
    st.tuples(st.sampled_from(["down", "up", "stale", "fresh"]), st.integers(0, 1)),
    st.just(("sample",))), max_size=40)


@settings(max_examples=60, deadline=None)
@given(steps=steps, two_venues=st.booleans())
def test_shared_rows_equal_reading_every_venue_at_every_sample(steps, two_venues, tmp_path_factory):
    names = ("XNAS", "BATS") if two_venues else ("XNAS",)
    venues = make_venues(names)
    recorder = MarketRecorder(venues["XNAS"], SYMBOLS)
    recorder.sample_venues(venues)
    reads: list[dict] = []
    reference_rows(venues, reads)
    stale: dict[str, StaleBook] = {}
    now, ids = 0, 0
    for step in steps:
        now += 10
        kind = step[0]
        if kind == "order":
            _, vi, si, buy, offset, qty = step
            ids += 1
            venue = venues[names[vi % len(names)]]
            venue.submit_agent_order(f"o{ids}", "MM", SYMBOLS[si], Side.BUY if buy else Side.SELL, qty,
                                     1_000_000 + offset * 100, DAY, now)
        elif kind == "sample":
            recorder.sample(now)
            read_all(reads, now)
        else:
            venue = venues[names[step[1] % len(names)]]
            if kind in ("down", "up"):
                venue.set_status(VenueStatus.DOWN if kind == "down" else VenueStatus.UP)
            elif kind == "stale" and venue.name not in stale:
                stale[venue.name] = StaleBook()
                venue.add_condition(stale[venue.name], now)
            elif kind == "fresh" and venue.name in stale:
                venue.remove_condition(stale.pop(venue.name), now)
    recorder.sample(now + 10)
    read_all(reads, now + 10)
    for r in reads:
        kept = recorder.venue_samples[r["name"]][r["symbol"]]
        assert {k: list(v) for k, v in kept.items()} == {k: list(v) for k, v in r["rows"].items()}
    # the primary's own rows (what the realism summary reads) are its book's top at each sample, as before
    primary = {s: recorder.samples[s] for s in SYMBOLS}
    assert all(len(primary[s]["t_ns"]) == len(reads[0]["rows"]["t_ns"]) for s in SYMBOLS)
    path = write_market_samples(recorder, tmp_path_factory.mktemp("samples"))
    table = pq.read_table(path).to_pylist()
    assert len(table) == (len(names) + 1) * len(SYMBOLS) * len(reads[0]["rows"]["t_ns"])  # + the NBBO rows


def test_a_down_primary_splits_its_rows_off_at_that_sample():
    venues = make_venues(("XNAS",))
    xnas = venues["XNAS"]
    xnas.submit_agent_order("b", "MM", "XYZ", Side.BUY, 100, 1_000_000, DAY, 0)
    recorder = MarketRecorder(xnas, SYMBOLS)
    recorder.sample_venues(venues)
    recorder.sample(10)
    assert recorder.venue_samples["XNAS"]["XYZ"] is recorder.samples["XYZ"]  # shared while it publishes its top
    xnas.set_status(VenueStatus.DOWN)
    recorder.sample(20)
    published = recorder.venue_samples["XNAS"]["XYZ"]
    assert published is not recorder.samples["XYZ"]
    assert list(published["bid"]) == [1_000_000, 0]  # a DOWN venue publishes nothing...
    assert list(recorder.samples["XYZ"]["bid"]) == [1_000_000, 1_000_000]  # ...its book is still there
    xnas.set_status(VenueStatus.UP)
    recorder.sample(30)
    assert list(published["bid"]) == [1_000_000, 0, 1_000_000] and list(published["t_ns"]) == [10, 20, 30]
