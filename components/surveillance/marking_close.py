"""Marking the close: one owner takes a large share of the volume in the last minutes, at prices away from the touch.

Per symbol, the detector adds up executed quantity in the last
``window_minutes`` before the session close: street volume (every fill but the
allocation fills of block members, which repeat their parent's street fills)
and each owner's volume. After the close it scores each owner with the share
of that volume (``min_share`` or more), requiring ``min_away_orders`` of the
owner's orders in the window to be priced at least ``away_bps`` through the
reference mid (aggressive: a buy far above, a sell far below). ``min_days``
asks for the pattern on that many sessions (live mode runs across days; a twin
run is one session, so the default is 1).

The volume is the firm's own executed volume as the event log shows it; the
consolidated tape is not on the log (said in docs/surveillance.md).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

from .model import Alert, Pattern
from .tape import BLOCK_ACCOUNT, OrderFacts

NAME = "marking_the_close"
VERSION = "1.0"
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class MarkingCloseParams:
    """Thresholds of the marking-the-close detector (defaults set by hand; see docs/surveillance.md for how they score)."""

    window_minutes: float = 5.0
    """The closing window: this many minutes before the close. Default 5."""
    away_bps: float = 30.0
    """An order is 'away from the touch' when its limit is this many bps through the reference mid. Default 30."""
    min_away_orders: int = 2
    """Orders away from the touch the owner must have in the window. Default 2."""
    min_share: float = 0.1
    """Alert threshold (the score): the owner's share of the symbol's volume in the window. Default 0.1."""
    min_days: int = 1
    """Sessions on which the pattern must recur (a twin run is one session). Default 1."""

    def items(self) -> tuple[tuple[str, object], ...]:
        return tuple(zip((f.name for f in fields(self)), astuple(self)))


class _Window:
    __slots__ = ("street", "owner_qty", "owner_orders")

    def __init__(self) -> None:
        self.street = 0
        self.owner_qty: dict[str, int] = {}
        self.owner_orders: dict[str, dict[str, OrderFacts]] = {}


class MarkingCloseDetector:
    """Streaming marking-the-close detector; ``new_session`` moves it to the next close."""

    pattern = Pattern.MARKING_THE_CLOSE
    name = NAME
    version = VERSION

    def __init__(self, session_close_ns: int, params: MarkingCloseParams = MarkingCloseParams()) -> None:
        self.params = params
        self._days: dict[tuple[str, str], int] = {}  # (owner, symbol) -> sessions flagged so far
        self.new_session(session_close_ns)

    def new_session(self, close_ns: int) -> None:
        """Start watching the session that closes at ``close_ns``."""
        self._close = close_ns
        self._start = close_ns - int(self.params.window_minutes * 60 * NS)
        self._by_symbol: dict[str, _Window] = {}
        self._evaluated = False

    @property
    def session_close_ns(self) -> int:
        """The close this detector is watching."""
        return self._close

    def on_fill(self, f: OrderFacts, qty: int, px: int) -> None:
        t = f.first_fill_ns if f.filled_qty == qty else self._start  # later fills: order already in the window
        if t < self._start or t >= self._close or f.block_ref:
            return
        w = self._by_symbol.get(f.symbol)
        if w is None:
            w = self._by_symbol[f.symbol] = _Window()
        w.street += qty
        if f.account_id == BLOCK_ACCOUNT:
            return
        w.owner_qty[f.owner] = w.owner_qty.get(f.owner, 0) + qty
        w.owner_orders.setdefault(f.owner, {})[f.order_id] = f

    def next_due(self) -> int:
        """When the closing window is evaluated (a minute after the close), or never once it was."""
        return 2**63 - 1 if self._evaluated else self._close + 60 * NS

    def advance(self, now_ns: int, out: list[Alert]) -> None:
        if not self._evaluated and now_ns >= self._close + 60 * NS:  # a minute's grace for late reports
            self._evaluate(out)

    def finish(self, out: list[Alert]) -> None:
        if not self._evaluated:
            self._evaluate(out)

    def _evaluate(self, out: list[Alert]) -> None:
        self._evaluated = True
        p = self.params
        for symbol in sorted(self._by_symbol):
            w = self._by_symbol[symbol]
            for owner in sorted(w.owner_qty):
                share = w.owner_qty[owner] / w.street if w.street else 0.0
                orders = list(w.owner_orders[owner].values())
                away = [o for o in orders if (o.distance_bps() or 0.0) >= p.away_bps]
                if share < p.min_share or len(away) < p.min_away_orders:
                    continue
                days = self._days[(owner, symbol)] = self._days.get((owner, symbol), 0) + 1
                if days < p.min_days:
                    continue
                accounts = tuple(sorted({o.account_id for o in orders}))
                out.append(Alert(Pattern.MARKING_THE_CLOSE, NAME, VERSION, owner, accounts, symbol,
                                 max(o.first_fill_ns for o in orders), round(share, 6),
                                 tuple(o.order_id for o in orders), tuple(e for o in orders for e in o.event_ids),
                                 p.items(), f"{share:.0%} of the last {p.window_minutes:g} minutes' volume, "
                                            f"{len(away)} orders >= {p.away_bps:g} bps through the mid"))
