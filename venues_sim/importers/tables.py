"""The importers' in-memory result: numpy columns of quotes and trades, and what to say about them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Columns:
    """A table as numpy columns plus the names its string codes stand for."""

    time: np.ndarray
    venue: np.ndarray  # int codes into venues
    symbol: np.ndarray  # int codes into symbols
    values: dict[str, np.ndarray]  # the price/size columns
    venues: tuple[str, ...]
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Imported:
    """An importer's result: quotes and trades ready to write, and what it wants said about them."""

    quotes: Columns
    trades: Columns
    source: dict  # format, files, notes (e.g. per_venue_quotes false and why)
