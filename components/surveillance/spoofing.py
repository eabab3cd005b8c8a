"""Spoofing / layering: orders near the touch cancelled quickly while the same owner executes on the other side.

For each order of an owner that executes (its first fill), the detector waits
until ``window_ms`` after that fill (a spoofer often cancels after the
execution) and counts that owner's orders in the same symbol on the *other*
side that were received within ``window_ms`` of the fill, rested near the touch
(limit within ``near_touch_bps`` of the reference mid at approval, see
``components.surveillance.tape``), and were cancelled by the client within
``max_lifetime_ms`` of arrival. ``min_orders`` or more raise an alert; an order
is evidence in at most one alert.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import astuple, dataclass, fields

from .model import Alert, Pattern
from .tape import BLOCK_ACCOUNT, OrderFacts

NAME = "spoofing_layering"
VERSION = "1.0"
MS = 1_000_000


@dataclass(frozen=True, slots=True)
class SpoofingParams:
    """Thresholds of the spoofing/layering detector (defaults set by hand; see docs/surveillance.md for how they score)."""

    near_touch_bps: float = 10.0
    """A resting order is 'near the touch' when its limit is within this many bps of the reference mid. Default 10."""
    max_lifetime_ms: float = 5_000.0
    """An order cancelled by the client within this many ms of arrival counts as cancelled quickly. Default 5000."""
    window_ms: float = 10_000.0
    """Cancelled orders received within this many ms of the opposite-side execution are evidence. Default 10000."""
    min_orders: int = 3
    """Alert threshold (the score): quickly-cancelled near-touch orders on the other side. Default 3."""

    def items(self) -> tuple[tuple[str, object], ...]:
        return tuple(zip((f.name for f in fields(self)), astuple(self)))


class SpoofingDetector:
    """Streaming spoofing/layering detector (see the module docstring)."""

    pattern = Pattern.SPOOFING
    name = NAME
    version = VERSION

    def __init__(self, params: SpoofingParams = SpoofingParams()) -> None:
        self.params = params
        self._window = int(params.window_ms * MS)
        self._lifetime = int(params.max_lifetime_ms * MS)
        self._cancels: dict[tuple[str, str, str], deque[OrderFacts]] = {}  # (owner, symbol, side) -> fast cancels
        self._due: list[tuple[int, str, OrderFacts]] = []  # (check at, order id, executing order)
        self._used: set[str] = set()

    def on_cancel(self, f: OrderFacts) -> None:
        if f.canceled_ns - f.received_ns > self._lifetime or f.account_id == BLOCK_ACCOUNT:
            return
        dist = f.distance_bps()
        if dist is None or abs(dist) > self.params.near_touch_bps:
            return
        q = self._cancels.get((f.owner, f.symbol, f.side))
        if q is None:
            q = self._cancels[(f.owner, f.symbol, f.side)] = deque()
        q.append(f)
        horizon = f.received_ns - 3 * self._window
        while q and q[0].received_ns < horizon:
            q.popleft()

    def on_fill(self, f: OrderFacts, qty: int, px: int) -> None:
        if f.filled_qty == qty and f.account_id != BLOCK_ACCOUNT:  # first fill of this order
            heapq.heappush(self._due, (f.first_fill_ns + self._window, f.order_id, f))

    def next_due(self) -> int:
        """When the next pending execution is decided."""
        return self._due[0][0] if self._due else 2**63 - 1

    def advance(self, now_ns: int, out: list[Alert]) -> None:
        due = self._due
        while due and due[0][0] <= now_ns:
            self._check(heapq.heappop(due)[2], out)

    def finish(self, out: list[Alert]) -> None:
        self.advance(2**63 - 1, out)

    def _check(self, f: OrderFacts, out: list[Alert]) -> None:
        other = "SELL" if f.side == "BUY" else "BUY"
        q = self._cancels.get((f.owner, f.symbol, other))
        if not q:
            return
        t, w, used = f.first_fill_ns, self._window, self._used
        spoofs = [c for c in q if abs(c.received_ns - t) <= w and c.order_id not in used]
        if len(spoofs) < self.params.min_orders:
            return
        used.update(c.order_id for c in spoofs)
        orders = (*(c.order_id for c in spoofs), f.order_id)
        events = tuple(e for c in (*spoofs, f) for e in c.event_ids)
        accounts = tuple(sorted({c.account_id for c in (*spoofs, f)}))
        out.append(Alert(Pattern.SPOOFING, NAME, VERSION, f.owner, accounts, f.symbol, t, float(len(spoofs)),
                         orders, events, self.params.items(),
                         f"{len(spoofs)} {other} orders near the touch cancelled quickly around a {f.side} execution"))
