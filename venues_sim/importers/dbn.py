"""Databento DBN files (format ``dbn``): MBP-1 and TBBO (quotes, and their trades) and TRADES.

Read with the ``databento-dbn`` package for what it is good at (the metadata
header: schema, dataset, symbol mappings; publisher names) and with numpy
for the records themselves: a DBN file of one schema is an array of
fixed-size little-endian C structs, so ``np.frombuffer`` with the record's
layout reads a day of records without a Python object per record. The
layouts below are checked against the package's own decoder in the tests.
Zstandard-compressed files (``.dbn.zst``) are refused with a hint to run
``zstd -d`` first: the package decompresses only into per-record Python
objects, and the standard library of Python 3.11 has no zstd.

* time: ``ts_recv`` (when Databento received it; the order the file is in),
  falling back to ``ts_event`` when undefined.
* prices: int64 in units of 1e-9 dollars -> our 1e-4 units; a price finer
  than $0.0001 is refused; ``UNDEF_PRICE`` (or size 0) is an empty side.
* symbol: the metadata's symbol mappings (instrument_id -> raw symbol), or
  ``--symbol`` when the file has a single instrument and no mapping.
* venue: the record's publisher (e.g. ``XNAS.ITCH.XNAS`` -> ``XNAS``; the
  package's publisher names), or ``--venue`` for every record.
* MBP-1 and TBBO: a quote row per record whose top of book changed; a trade
  for each record whose action is ``T``. TRADES: trades only.
"""

from __future__ import annotations

import re
from pathlib import Path

import databento_dbn as dbn
import numpy as np

from ..replay_format import ReplayFormatError
from .cleaning import Counts, Policy, kept, two_sided
from .common import Options, keep_mask, select
from .tables import Columns, Imported

_HEADER = [("length", "u1"), ("rtype", "u1"), ("publisher_id", "<u2"), ("instrument_id", "<u4"),
           ("ts_event", "<u8")]
_TRADE_BODY = [("price", "<i8"), ("size", "<u4"), ("action", "S1"), ("side", "S1"), ("flags", "u1"),
               ("depth", "u1"), ("ts_recv", "<u8"), ("ts_in_delta", "<i4"), ("sequence", "<u4")]
TRADE = np.dtype(_HEADER + _TRADE_BODY)  # 48 bytes, rtype 0x00 (MBP_0)
MBP1 = np.dtype(_HEADER + _TRADE_BODY + [("bid_px", "<i8"), ("ask_px", "<i8"), ("bid_sz", "<u4"),
                                         ("ask_sz", "<u4"), ("bid_ct", "<u4"), ("ask_ct", "<u4")])  # 80, 0x01
_SCHEMAS = {"mbp-1": (1, MBP1), "tbbo": (1, MBP1), "trades": (0, TRADE)}
_SCALE = 10**9 // 10**4  # DBN 1e-9 dollars per our 1e-4 unit
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_UNDEF_TS = 2**64 - 1


def import_dbn(paths: list[Path], options: Options, policy: Policy) -> tuple[Imported, Counts]:
    """One or more DBN files (mbp-1, tbbo, trades) -> quotes and trades."""
    counts = Counts()
    quote_parts, trade_parts, venues, symbols = [], [], [], []
    for path in paths:
        schema, records, symbol_of = _read(path, options)
        venue_names = _venues(path, records["publisher_id"], options)
        time = np.where(records["ts_recv"] != _UNDEF_TS, records["ts_recv"], records["ts_event"]).astype(np.int64)
        back = np.flatnonzero(np.diff(time) < 0)
        if back.size:
            raise ReplayFormatError(path, int(back[0]) + 2, "ts_recv",
                                    "time goes backwards; a DBN file is in time order")
        ids = records["instrument_id"]
        unique_ids = np.unique(ids)
        names = [symbol_of.get(int(i)) for i in unique_ids]
        missing = [int(i) for i, n in zip(unique_ids, names) if n is None]
        if missing:
            raise ReplayFormatError(path, int(np.flatnonzero(ids == missing[0])[0]) + 1, "instrument_id",
                                    f"instrument {missing[0]} has no symbol mapping in the metadata; give --symbol")
        base_v, base_s = len(venues), len(symbols)
        venue_code = np.searchsorted(np.array(sorted(venue_names)), records["publisher_id"]) + base_v
        venues.extend(venue_names[p] for p in sorted(venue_names))
        symbol_code = np.searchsorted(unique_ids, ids) + base_s
        symbols.extend(names)
        is_trade = (records["action"] == b"T") if schema != "trades" else np.ones(len(records), dtype=bool)
        price = _units(path, np.where(is_trade, records["price"], 0), "price")  # only a trade's price is used
        bad = np.flatnonzero(is_trade & ((records["size"] == 0) | (price <= 0)))
        if bad.size:
            raise ReplayFormatError(path, int(bad[0]) + 1, "price" if price[bad[0]] <= 0 else "size",
                                    "a trade needs price and size > 0")
        trade_parts.append((time[is_trade], venue_code[is_trade], symbol_code[is_trade], price[is_trade],
                            records["size"][is_trade].astype(np.int64)))
        if schema != "trades":
            bid, ask = _units(path, records["bid_px"], "bid_px"), _units(path, records["ask_px"], "ask_px")
            bid_size, ask_size = records["bid_sz"].astype(np.int64), records["ask_sz"].astype(np.int64)
            bid_size, ask_size = np.where(bid > 0, bid_size, 0), np.where(ask > 0, ask_size, 0)
            bid, ask = np.where(bid_size > 0, bid, 0), np.where(ask_size > 0, ask, 0)
            quote_parts.append((time, venue_code, symbol_code, bid, bid_size, ask, ask_size))
    venue_names_all, venue_map = _dedupe(venues)
    symbol_names_all, symbol_map = _dedupe(symbols)
    quotes = _quotes(quote_parts, venue_map, symbol_map, venue_names_all, symbol_names_all, options, policy, counts)
    trades = _trades(trade_parts, venue_map, symbol_map, venue_names_all, symbol_names_all, options, counts)
    source = {"format": "dbn", "files": [str(p) for p in paths], "per_venue_quotes": True,
              "notes": ["time is ts_recv; venue from the record's publisher" + (
                  f" (overridden: {options.venue})" if options.venue else "")]}
    return Imported(quotes, trades, source), counts


def _read(path: Path, options: Options) -> tuple[str, np.ndarray, dict[int, str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReplayFormatError(path, None, None, f"cannot read: {exc.strerror}") from None
    if data[:4] == _ZSTD_MAGIC:  # the package decompresses only into per-record Python objects
        raise ReplayFormatError(path, None, None, "zstd-compressed DBN: decompress it first (zstd -d FILE)")
    if len(data) < 8 or data[:3] != b"DBN":
        raise ReplayFormatError(path, None, None, "not a DBN file (no DBN header)" if data else "empty file")
    length = int.from_bytes(data[4:8], "little")
    try:
        meta = dbn.Metadata.decode(data[:8 + length])
    except Exception as exc:  # the package raises its own error types for a bad header
        raise ReplayFormatError(path, None, None, f"unreadable DBN metadata: {exc}") from None
    schema = str(meta.schema) if meta.schema is not None else ""
    if schema not in _SCHEMAS:
        raise ReplayFormatError(path, None, "schema", f"must be mbp-1, tbbo or trades, got {schema or 'mixed'}")
    rtype, dtype = _SCHEMAS[schema]
    body = memoryview(data)[8 + length:]
    if len(body) % dtype.itemsize:
        raise ReplayFormatError(path, len(body) // dtype.itemsize + 1, None,
                                f"truncated: {len(body)} record bytes is not a whole number of "
                                f"{dtype.itemsize}-byte {schema} records")
    records = np.frombuffer(body, dtype=dtype)
    bad = np.flatnonzero((records["rtype"] != rtype) | (records["length"] != dtype.itemsize // 4))
    if bad.size:
        raise ReplayFormatError(path, int(bad[0]) + 1, "rtype",
                                f"expected only {schema} records (rtype {rtype}), got rtype {records['rtype'][bad[0]]}")
    symbol_of: dict[int, str] = {}
    for raw, intervals in meta.mappings.items():
        for interval in intervals:
            if str(interval["symbol"]).isdigit():
                symbol_of[int(interval["symbol"])] = raw
    single = len(np.unique(records["instrument_id"])) == 1
    if len(options.symbols) == 1 and not symbol_of and single:
        symbol_of[int(records["instrument_id"][0])] = options.symbols[0]
    return schema, records, symbol_of


def _units(path: Path, px: np.ndarray, column: str) -> np.ndarray:
    """DBN prices (1e-9 dollars) to units; UNDEF_PRICE -> 0; refused if finer than $0.0001 or negative."""
    undefined = px == dbn.UNDEF_PRICE
    bad = np.flatnonzero(~undefined & ((px % _SCALE != 0) | (px < 0)))
    if bad.size:
        problem = "must not be negative" if px[bad[0]] < 0 else "is finer than $0.0001"
        raise ReplayFormatError(path, int(bad[0]) + 1, column, f"{problem}, got {px[bad[0]]} (1e-9 dollars)")
    return np.where(undefined, 0, px // _SCALE).astype(np.int64)


def _venues(path: Path, publisher: np.ndarray, options: Options) -> dict[int, str]:
    """publisher_id -> venue code: the package's publisher name (its last part), or ``--venue``."""
    result = {}
    for pid in np.unique(publisher).tolist():
        if options.venue:
            result[pid] = options.venue
            continue
        probe = dbn.TradeMsg(publisher_id=pid, instrument_id=0, ts_event=0, price=0, size=0,
                             action=dbn.Action.TRADE, side=dbn.Side.NONE, depth=0, ts_recv=0)
        match = re.search(r"publisher_id=([A-Z0-9.]+)\.([A-Z0-9]+) \(", repr(probe))
        if match is None:
            raise ReplayFormatError(path, int(np.flatnonzero(publisher == pid)[0]) + 1, "publisher_id",
                                    f"unknown publisher {pid}; give --venue")
        result[pid] = match[2]
    return result


def _dedupe(names: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    unique = sorted(set(names))
    return tuple(unique), np.array([unique.index(n) for n in names] or [0], dtype=np.int32)


def _quotes(parts, venue_map, symbol_map, venues, symbols, options, policy, counts) -> Columns:
    empty = np.zeros(0, dtype=np.int64)
    if not parts:
        return Columns(empty, empty.astype(np.int32), empty.astype(np.int32),
                       {k: empty for k in ("bid", "bid_size", "ask", "ask_size")}, venues, symbols)
    time, venue, symbol, bid, bid_size, ask, ask_size = (np.concatenate([p[k] for p in parts]) for k in range(7))
    venue, symbol = venue_map[venue], symbol_map[symbol]
    keep = keep_mask(time, symbol, symbols, options, counts)
    time, venue, symbol, bid, bid_size, ask, ask_size = select(keep, time, venue, symbol, bid, bid_size, ask,
                                                               ask_size)
    group = symbol.astype(np.int64) * max(len(venues), 1) + venue
    order = np.lexsort((time, group))
    time, venue, symbol, group = time[order], venue[order], symbol[order], group[order]
    bid, bid_size, ask, ask_size = bid[order], bid_size[order], ask[order], ask_size[order]
    changed = np.ones(time.size, dtype=bool)
    changed[1:] = ((group[1:] != group[:-1]) | (bid[1:] != bid[:-1]) | (ask[1:] != ask[:-1])
                   | (bid_size[1:] != bid_size[:-1]) | (ask_size[1:] != ask_size[:-1]))
    counts.add("records_without_top_of_book_change", int((~changed).sum()))
    time, venue, symbol, group = time[changed], venue[changed], symbol[changed], group[changed]
    bid, bid_size, ask, ask_size = bid[changed], bid_size[changed], ask[changed], ask_size[changed]
    book = two_sided(group, bid, bid_size, ask, ask_size, time, policy, counts)
    return kept(book, time, venue, symbol, venues, symbols)


def _trades(parts, venue_map, symbol_map, venues, symbols, options, counts) -> Columns:
    time, venue, symbol, price, size = (np.concatenate([p[k] for p in parts]) for k in range(5))
    venue, symbol = venue_map[venue], symbol_map[symbol]
    keep = keep_mask(time, symbol, symbols, options, counts)
    time, venue, symbol, price, size = select(keep, time, venue, symbol, price, size)
    return Columns(time, venue, symbol, {"price": price, "size": size},
                   venues, symbols)
