"""The market timeline's outputs are written from the recorded buffers in place (issue 19's memory work),
and are what the former code wrote:

* ``MarketTimeline.print_columns`` (numpy) / ``prints`` give the rows, order and sale conditions of the
  former Python-list merge (kept below as the reference), on sources of every shape: prints outside the
  session, ties in time across sources, symbols the timeline does not record;
* ``write_market_timeline`` writes the same parquet data and schema as the former concatenating code, and
  the NBBO columns it returns are the timeline's own ``array('q')`` buffers (no copy);
* ``write_market_samples`` writes the same file as the former concatenating code."""

from __future__ import annotations

from array import array
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.market_files import NBBO_FILE, PRINTS_FILE, SAMPLES_FILE, write_market_samples, write_market_timeline
from twin.market_recorder import REGULAR, SAMPLE_COLUMNS, MarketTimeline
from venues_sim.prints import SaleCondition, TapePrint

OPEN, CLOSE = 1_000, 2_000
SYMBOLS = ["AAA", "BBB"]


def reference_prints(timeline: MarketTimeline, recorder) -> dict:
    """The former ``MarketTimeline.prints`` (Python lists, sorted by ``(t, position)``)."""
    out = {s: {"t_ns": [], "price": [], "qty": []} for s in timeline.symbols}
    conditions = {s: [] for s in timeline.symbols}
    sources = [{s: {"t_ns": t.times, "price": t.prices, "qty": t.quantities} for s, t in tapes.items()}
               for tapes in timeline._tapes]
    if recorder is not None:
        sources.append(recorder.trades())
    if timeline.own is not None:
        sources.append(timeline.own.rows)
    auctions: dict = {}
    for p in timeline.reopening_prints():
        rows = auctions.setdefault(p.symbol, {"t_ns": [], "price": [], "qty": [], "sale_condition": []})
        for key, value in (("t_ns", p.t_ns), ("price", p.price), ("qty", p.qty), ("sale_condition", p.condition.value)):
            rows[key].append(value)
    sources.append(auctions)
    for source in sources:
        for symbol, rows in source.items():
            if symbol in out:
                for key in ("t_ns", "price", "qty"):
                    out[symbol][key].extend(int(v) for v in rows[key])
                conditions[symbol].extend(rows.get("sale_condition") or [REGULAR] * len(rows["t_ns"]))
    for symbol, rows in out.items():
        rows["sale_condition"] = conditions[symbol]
        keep = sorted((t, i) for i, t in enumerate(rows["t_ns"]) if timeline.open_ns <= t <= timeline.close_ns)
        out[symbol] = {k: [rows[k][i] for _, i in keep] for k in ("t_ns", "price", "qty", "sale_condition")}
    return out


def reference_table(data: dict, symbols: list, columns: tuple, with_conditions: bool) -> pa.Table:
    """The former table building of ``write_market_timeline`` (columns concatenated), without metadata."""
    counts = [len(data[s]["t_ns"]) for s in symbols]
    arrays = {"symbol": pa.array([s for s, n in zip(symbols, counts) for _ in range(n)], pa.string())}
    for column in columns:
        arrays[column] = pa.array([int(v) for s in symbols for v in data[s][column]], pa.int64())
    if with_conditions:
        arrays["sale_condition"] = pa.array([c for s in symbols for c in data[s]["sale_condition"]], pa.string())
    return pa.table(arrays)


rows_st = st.lists(st.tuples(st.integers(OPEN - 300, CLOSE + 300), st.integers(1, 10**7), st.integers(1, 10**4)),
                   max_size=12)
symbol_st = st.sampled_from([*SYMBOLS, "ZZZ"])  # ZZZ: a symbol the timeline does not record
source_st = st.dictionaries(symbol_st, rows_st, max_size=3)


def _columns(rows, kind):
    t, p, q = (list(c) for c in zip(*rows)) if rows else ([], [], [])
    return (array("q", t), array("q", p), array("q", q)) if kind == "array" else (t, p, q)


def _timeline(tapes, trades, own, auctions) -> tuple[MarketTimeline, object]:
    timeline = MarketTimeline({}, SYMBOLS, OPEN, CLOSE)
    timeline._tapes = [{s: SimpleNamespace(**dict(zip(("times", "prices", "quantities"), _columns(r, "array"))))
                        for s, r in tape.items()} for tape in tapes]
    if own is not None:
        timeline.own = SimpleNamespace(rows={s: dict(zip(("t_ns", "price", "qty"), _columns(r, "list")))
                                             for s, r in own.items()})
    timeline.venues = {"X": SimpleNamespace(reopening_prints=[
        TapePrint(s, "X", t, p, q, SaleCondition.REOPENING if k % 2 else SaleCondition.REGULAR)
        for k, (s, t, p, q) in enumerate(auctions)])}
    recorder = None if trades is None else SimpleNamespace(
        trades=lambda: {s: dict(zip(("t_ns", "price", "qty"), _columns(r, "list"))) for s, r in trades.items()},
        source="recorded", tapes={})
    return timeline, recorder


timeline_st = st.tuples(
    st.lists(source_st, max_size=2), st.none() | source_st, st.none() | source_st,
    st.lists(st.tuples(symbol_st, st.integers(OPEN - 10, CLOSE + 10), st.integers(1, 10**7), st.integers(1, 10**4)),
             max_size=4))


@settings(max_examples=150, deadline=None)
@given(timeline_st)
def test_print_columns_are_the_former_merge(parts):
    timeline, recorder = _timeline(*parts)
    expected = reference_prints(timeline, recorder)
    assert timeline.prints(recorder) == expected
    columns = timeline.print_columns(recorder)
    assert list(columns) == SYMBOLS
    for symbol, rows in columns.items():
        assert all(rows[k].dtype == np.int64 for k in ("t_ns", "price", "qty"))
        assert {k: v.tolist() for k, v in rows.items()} == expected[symbol]


@settings(max_examples=60, deadline=None)
@given(timeline_st, st.lists(rows_st, min_size=2, max_size=2))
def test_write_market_timeline_writes_the_former_files(tmp_path_factory, parts, nbbo_rows):
    out = tmp_path_factory.mktemp("timeline")
    timeline, recorder = _timeline(*parts)
    for symbol, rows in zip(SYMBOLS, nbbo_rows):
        t, b, bs = _columns(sorted(rows), "array")
        for key, values in zip(("t_ns", "bid", "bid_size", "ask", "ask_size"), (t, b, bs, b, bs)):
            timeline.nbbo[symbol][key].extend(values)
    written = write_market_timeline(timeline, recorder, out)
    expected = {NBBO_FILE: reference_table(timeline.nbbo, SYMBOLS, ("t_ns", "bid", "bid_size", "ask", "ask_size"), False),
                PRINTS_FILE: reference_table(reference_prints(timeline, recorder), SYMBOLS, ("t_ns", "price", "qty"),
                                             True)}
    for name, table in expected.items():
        on_disk = pq.read_table(out / name)
        assert on_disk.schema.metadata == written[name].schema.metadata
        assert on_disk.replace_schema_metadata(None).equals(table)
        assert written[name].replace_schema_metadata(None).equals(table)


def test_the_returned_nbbo_columns_are_the_timelines_own_buffers(tmp_path):
    timeline, _ = _timeline([], None, None, [])
    for k, symbol in enumerate(SYMBOLS):
        for key in ("t_ns", "bid", "bid_size", "ask", "ask_size"):
            timeline.nbbo[symbol][key].extend([OPEN + k, OPEN + 5 + k])
    written = write_market_timeline(timeline, None, tmp_path)
    for key in ("t_ns", "bid", "ask_size"):
        chunks = written[NBBO_FILE].column(key).chunks
        assert len(chunks) == len(SYMBOLS)
        for chunk, symbol in zip(chunks, SYMBOLS):
            buffer = timeline.nbbo[symbol][key]
            assert chunk.buffers()[1].address == buffer.buffer_info()[0]  # the very memory: no copy


def reference_samples(recorder) -> pa.Table:
    """The former ``write_market_samples`` table (string per row, columns concatenated), without metadata."""
    views = {**recorder.venue_samples, "NBBO": recorder.national_samples()}
    keys = [(v, s) for v in views for s in recorder.samples]
    counts = [len(views[v][s]["t_ns"]) for v, s in keys]
    arrays = {"symbol": pa.array([s for (_, s), n in zip(keys, counts) for _ in range(n)], pa.string()),
              "venue": pa.array([v for (v, _), n in zip(keys, counts) for _ in range(n)], pa.string())}
    for column in SAMPLE_COLUMNS:
        arrays[column] = pa.array([int(x) for v, s in keys for x in views[v][s][column]], pa.int64())
    return pa.table(arrays)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["XNAS", "ARCX", "BATS"]), min_size=1, max_size=3, unique=True),
       st.lists(st.integers(0, 5), min_size=len(SYMBOLS), max_size=len(SYMBOLS)))
def test_write_market_samples_writes_the_former_file(tmp_path_factory, venues, lengths):
    out = tmp_path_factory.mktemp("samples")

    def columns(n: int, base: int) -> dict:
        return {k: array("q", [base + 10 * i + j for i in range(n)]) for j, k in enumerate(SAMPLE_COLUMNS)}

    samples = {s: columns(n, k) for k, (s, n) in enumerate(zip(SYMBOLS, lengths))}
    venue_samples = {v: {s: columns(n, 100 * (i + 1) + k) for k, (s, n) in enumerate(zip(SYMBOLS, lengths))}
                     for i, v in enumerate(venues)}
    national = {s: columns(n, 7) for s, n in zip(SYMBOLS, lengths)}
    recorder = SimpleNamespace(samples=samples, venue_samples=venue_samples, national_samples=lambda: national,
                               venue=SimpleNamespace(name=venues[0]), interval_ns=1_000)
    path = write_market_samples(recorder, out)
    assert pq.read_table(path).replace_schema_metadata(None).equals(reference_samples(recorder))
    assert path.name == SAMPLES_FILE


def test_release_empties_the_written_nbbo_but_not_a_column_still_viewed(tmp_path):
    timeline, _ = _timeline([], None, None, [])
    for symbol in SYMBOLS:
        for key in ("t_ns", "bid", "bid_size", "ask", "ask_size"):
            timeline.nbbo[symbol][key].extend(range(OPEN, OPEN + 100))
    written = write_market_timeline(timeline, None, tmp_path)
    before = pq.read_table(tmp_path / NBBO_FILE)
    view = np.frombuffer(timeline.nbbo["BBB"]["ask"], dtype=np.int64)  # something still reads this one
    del written
    assert timeline.release() == (2 * 5 - 1) * 100 * 8
    assert [len(c) for c in timeline.nbbo["AAA"].values()] == [0] * 5
    assert len(timeline.nbbo["BBB"]["ask"]) == 100 and view.tolist() == list(range(OPEN, OPEN + 100))
    assert pq.read_table(tmp_path / NBBO_FILE).equals(before)  # the file was written before: untouched


def test_a_released_timeline_refuses_to_be_written_again(tmp_path):
    timeline, _ = _timeline([], None, None, [])
    for key in ("t_ns", "bid", "bid_size", "ask", "ask_size"):
        timeline.nbbo["AAA"][key].extend(range(OPEN, OPEN + 10))
    write_market_timeline(timeline, None, tmp_path)
    assert not timeline.released
    timeline.release()
    assert timeline.released
    with pytest.raises(ValueError, match="released"):  # not an empty NBBO written without a word
        write_market_timeline(timeline, None, tmp_path / "again")
