"""Front-running of client blocks: an account tied to the advisor trades the block's symbol and side just ahead.

When the first member order of an advisor's block arrives (its
``OrderReceived`` carries ``block_ref``), the detector looks back
``lead_window_s`` for orders, in the same symbol and on the same side, from
accounts tied to that advisor personally (``Linkage.advisor_linked``: an
advisor's own or related account) that are not members of a block. The score
is the front order's quantity over the member's; ``min_size_ratio`` or more
makes the front order a candidate. With ``require_exit`` (the default) the
alert is raised when the same account then trades the other side of that
symbol within ``exit_window_s`` of the block (the round trip that takes the
profit); without it, at once. One alert per front order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import astuple, dataclass, fields

from .model import Alert, Linkage, Pattern
from .tape import OrderFacts

NAME = "front_running_blocks"
VERSION = "1.0"
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class FrontRunningParams:
    """Thresholds of the front-running detector (defaults set by hand; see docs/surveillance.md for how they score)."""

    lead_window_s: float = 120.0
    """Orders this many seconds or less ahead of the block count. Default 120."""
    min_size_ratio: float = 0.1
    """Alert threshold (the score): front order quantity / block member quantity. Default 0.1."""

    require_exit: bool = True
    """Alert only when the tied account trades out (the other side) after the block. Default true."""
    exit_window_s: float = 300.0
    """The exit must arrive within this many seconds after the block. Default 300."""

    def items(self) -> tuple[tuple[str, object], ...]:
        return tuple(zip((f.name for f in fields(self)), astuple(self)))


class FrontRunningDetector:
    """Streaming front-running detector (see the module docstring)."""

    pattern = Pattern.FRONT_RUNNING
    name = NAME
    version = VERSION

    def __init__(self, linkage: Linkage, params: FrontRunningParams = FrontRunningParams()) -> None:
        self.params = params
        self._linkage = linkage
        self._lead = int(params.lead_window_s * NS)
        self._recent: dict[tuple[str, str], deque[OrderFacts]] = {}  # (account, symbol) -> recent orders
        self._blocks_seen: set[str] = set()
        self._used: set[str] = set()
        self._out: list[Alert] = []
        self._exits: dict[tuple[str, str], list[tuple[int, OrderFacts, OrderFacts, float]]] = {}
        # (account, symbol) -> waiting candidates: (deadline, front order, block member, score)

    def on_new(self, f: OrderFacts) -> None:
        if not f.block_ref:
            key = (f.account_id, f.symbol)
            if key in self._exits:
                self._exit(f, key)
            q = self._recent.get(key)
            if q is None:
                q = self._recent[key] = deque(maxlen=64)
            q.append(f)
            return
        if f.block_ref in self._blocks_seen:
            return
        self._blocks_seen.add(f.block_ref)
        t = f.received_ns
        for account in sorted(self._linkage.advisor_linked(f.advisor_id)):
            for o in self._recent.get((account, f.symbol), ()):
                if o.side != f.side or o.order_id in self._used or not (t - self._lead <= o.received_ns <= t):
                    continue
                score = o.quantity / f.quantity if f.quantity else 0.0
                if score < self.params.min_size_ratio:
                    continue
                self._used.add(o.order_id)
                if self.params.require_exit:
                    deadline = t + int(self.params.exit_window_s * NS)
                    self._exits.setdefault((o.account_id, o.symbol), []).append((deadline, o, f, round(score, 6)))
                else:
                    self._raise(o, f, round(score, 6), None)

    def _exit(self, x: OrderFacts, key: tuple[str, str]) -> None:
        waiting = [w for w in self._exits[key] if w[0] >= x.received_ns]
        hit = [w for w in waiting if w[1].side != x.side]
        for _, o, member, score in hit:
            self._raise(o, member, score, x)
        waiting = [w for w in waiting if w not in hit]
        if waiting:
            self._exits[key] = waiting
        else:
            del self._exits[key]

    def _raise(self, o: OrderFacts, f: OrderFacts, score: float, exit_: OrderFacts | None) -> None:
        orders = (o.order_id, f.order_id) + ((exit_.order_id,) if exit_ else ())
        events = (*o.event_ids, *f.event_ids, *(exit_.event_ids if exit_ else ()))
        out = f" and out {(exit_.received_ns - f.received_ns) / NS:.0f}s after" if exit_ else ""
        self._out.append(Alert(
            Pattern.FRONT_RUNNING, NAME, VERSION, o.owner, (o.account_id,), f.symbol, o.received_ns, score, orders,
            events, self.params.items(), f"{o.side} {o.quantity} {f.symbol} "
                                         f"{(f.received_ns - o.received_ns) / NS:.1f}s ahead of block {f.block_ref} "
                                         f"of advisor {f.advisor_id}{out}"))

    def next_due(self) -> int:
        """Now when an alert waits to be handed out, else never."""
        return 0 if self._out else 2**63 - 1

    def advance(self, now_ns: int, out: list[Alert]) -> None:
        if self._out:
            out.extend(self._out)
            self._out.clear()

    def finish(self, out: list[Alert]) -> None:
        self.advance(0, out)
