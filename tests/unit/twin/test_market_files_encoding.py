"""``twin.market_files.write_columns``: the market files' parquet encoding (integer columns
``DELTA_BINARY_PACKED``, the rest dictionary-encoded) reads back as the very table written, whatever the
integers (nulls, extremes whose deltas overflow, unsorted), and keeps the schema's metadata."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.market_files import write_columns

INT64 = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.integers(-5, 5))
INT32 = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(INT64, INT32, st.sampled_from(["AAPL", "MSFT", "NBBO"]), st.booleans()),
                     max_size=300))
def test_what_is_written_reads_back_equal(tmp_path_factory, rows):
    table = pa.table({
        "t_ns": pa.array([r[0] for r in rows], pa.int64()),
        "qty": pa.array([r[1] for r in rows], pa.int32()),
        "symbol": pa.array([r[2] for r in rows], pa.string()),
        "crossed": pa.array([r[3] for r in rows], pa.bool_()),
    }).replace_schema_metadata({b"twin.units": b"prices in units"})
    path = tmp_path_factory.mktemp("enc") / "t.parquet"
    write_columns(table, path)
    assert pq.read_table(path).equals(table, check_metadata=True)


def test_integers_are_delta_encoded_and_labels_dictionary_encoded(tmp_path):
    n = 10_000
    table = pa.table({"symbol": pa.array(["AAPL"] * n), "t_ns": pa.array(range(0, 7 * n, 7), pa.int64())})
    write_columns(table, tmp_path / "t.parquet")
    group = pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(group.num_columns)}
    assert "DELTA_BINARY_PACKED" in encodings["t_ns"] and "RLE_DICTIONARY" not in encodings["t_ns"]
    assert "RLE_DICTIONARY" in encodings["symbol"]


def test_a_table_of_integers_only_or_of_no_rows_is_written(tmp_path):
    for i, table in enumerate([pa.table({"t_ns": pa.array([], pa.int64())}),
                               pa.table({"t_ns": pa.array([3, 1, 2], pa.int64())})]):
        write_columns(table, tmp_path / f"{i}.parquet")
        assert pq.read_table(tmp_path / f"{i}.parquet").equals(table)
