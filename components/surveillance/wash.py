"""Wash trades: the same or a linked beneficial owner buying and selling the same symbol within a window.

On the first fill of each order, the detector looks back ``window_s`` for an
order of the same owner group (``Linkage``: one client's accounts, accounts
sharing an identifier) in the same symbol on the other side that also
executed, at a price within ``max_price_diff_bps``. The score is the quantity
match (smaller / larger order quantity); ``min_qty_match`` or more raises an
alert ``settle_s`` later, unless the client cancelled either order by then (a
partly filled layer of a spoofer is not a wash leg) or, with
``exclude_layering``, the owner cancelled orders in that symbol within the
window (layering is the spoofing detector's; one behaviour, one alert). An
owner's matches are held until it has made ``min_round_trips`` of them, then
all are raised (a single quick round trip is common in ordinary client flow;
a wash trader repeats). Each order is evidence in at most one alert.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import astuple, dataclass, fields

from .model import Alert, Pattern
from .tape import BLOCK_ACCOUNT, OrderFacts

NAME = "wash_trade"
VERSION = "1.0"
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class WashParams:
    """Thresholds of the wash-trade detector (defaults set by hand; see docs/surveillance.md for how they score)."""

    window_s: float = 30.0
    """Both sides must first execute within this many seconds of each other. Default 30."""
    max_price_diff_bps: float = 25.0
    """Execution prices of the two sides at most this many bps apart. Default 25."""
    min_qty_match: float = 0.8
    """Alert threshold (the score): smaller / larger order quantity. Default 0.8."""

    settle_s: float = 10.0
    """Seconds a match waits before it is raised; a client cancel of either order meanwhile drops it. Default 10."""

    exclude_layering: bool = True
    """Drop a match when the owner client-cancelled orders in the symbol within ``window_s`` of it. Default true."""

    min_round_trips: int = 2
    """Round trips an owner must make (in any symbols, over the stream) before its matches are raised; the
    earlier ones are raised then, late. Default 2: a single round trip is common in ordinary flow."""

    def items(self) -> tuple[tuple[str, object], ...]:
        return tuple(zip((f.name for f in fields(self)), astuple(self)))


class WashTradeDetector:
    """Streaming wash-trade detector (see the module docstring)."""

    pattern = Pattern.WASH_TRADE
    name = NAME
    version = VERSION

    def __init__(self, params: WashParams = WashParams()) -> None:
        self.params = params
        self._window = int(params.window_s * NS)
        self._recent: dict[tuple[str, str], deque[OrderFacts]] = {}  # (owner, symbol) -> executed orders
        self._used: set[str] = set()
        self._pending: list[tuple[int, int, OrderFacts, OrderFacts, float]] = []  # (due, seq, first, second, score)
        self._seq = 0
        self._cancelled: dict[tuple[str, str], int] = {}  # (owner, symbol) -> last client cancel
        self._held: dict[str, list[Alert | None]] = {}  # owner -> round trips so far (None once raised)

    def on_fill(self, f: OrderFacts, qty: int, px: int) -> None:
        if f.filled_qty != qty or f.account_id == BLOCK_ACCOUNT:  # first fill only; the firm account owns nobody
            return
        key = (f.owner, f.symbol)
        q = self._recent.get(key)
        if q is None:
            q = self._recent[key] = deque()
        t = f.first_fill_ns
        while q and q[0].first_fill_ns < t - self._window:
            q.popleft()
        best, best_score = None, -1.0
        for o in q:
            if o.side == f.side or o.order_id in self._used or not o.last_px:
                continue
            if abs(o.last_px - px) * 10_000 > self.params.max_price_diff_bps * px:
                continue
            score = min(o.quantity, f.quantity) / max(o.quantity, f.quantity)
            if score > best_score:
                best, best_score = o, score
        q.append(f)
        if best is None or best_score < self.params.min_qty_match:
            return
        self._used.update((best.order_id, f.order_id))
        self._seq += 1
        heapq.heappush(self._pending, (t + int(self.params.settle_s * NS), self._seq, best, f, best_score))

    def next_due(self) -> int:
        """When the next held match settles."""
        return self._pending[0][0] if self._pending else 2**63 - 1

    def on_cancel(self, f: OrderFacts) -> None:
        self._cancelled[(f.owner, f.symbol)] = f.canceled_ns

    def advance(self, now_ns: int, out: list[Alert]) -> None:
        pending = self._pending
        while pending and pending[0][0] <= now_ns:
            _, _, first, f, score = heapq.heappop(pending)
            if first.canceled_ns or f.canceled_ns:
                continue
            t = f.first_fill_ns
            cancelled = self._cancelled.get((f.owner, f.symbol), -2**62)
            if self.params.exclude_layering and abs(cancelled - t) <= self._window:
                continue
            accounts = tuple(sorted({first.account_id, f.account_id}))
            alert = Alert(Pattern.WASH_TRADE, NAME, VERSION, f.owner, accounts, f.symbol, t, score,
                          (first.order_id, f.order_id), (*first.event_ids, *f.event_ids), self.params.items(),
                          f"{first.side} {first.quantity} and {f.side} {f.quantity} by one owner "
                          f"{(t - first.first_fill_ns) / NS:.1f}s apart")
            held = self._held.setdefault(f.owner, [])
            held.append(alert)
            if len(held) >= self.params.min_round_trips:  # the owner's earlier round trips are raised with it
                out.extend(a for a in held if a is not None)
                held[:] = [None] * len(held)

    def finish(self, out: list[Alert]) -> None:
        self.advance(2**63 - 1, out)
