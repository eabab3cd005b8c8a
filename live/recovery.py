"""Start-up recovery: a live process started on an event log that already holds events.

The event log is the system of record, so a new process rebuilds what the
last one held in memory from it, with the twin's crash-recovery code
(``components.rebuild``): the OMS (``OmsPart``), order entry's idempotency
map (``EntryPart``), the risk engine's books, reservations and day notional
(``RiskPart``), post-trade's settlement runs (``PostTradePart``) and the block
desk (``DeskPart``), plus the ledger (``Ledger.apply``, the same projection
the platform feeds) and the API's order views (``OrderViews.on_event``). No
snapshot store exists yet, so every part starts from its opening state and
the whole log is replayed once (``recover_all``); the cost grows with the log.

Two steps, because they belong to different moments:

* ``rebuild`` (from ``build_live``): state only, nothing appended, no venue
  touched. Settlement runs get their wall-clock timers again (the old ones
  died with the old process; they fire once the clock is bound at start).
* ``close_orphans`` (from ``LiveApp.start``, after the bus caught up and
  before the venue link starts): every child the rebuild thinks is still
  working is closed through the OMS's normal path, a CANCELED venue report,
  so its order ends (canceled, its fills kept; a partly filled order goes to
  post-trade like any order done for the day). What the venue may still hold
  depends on the link:

  - embedded FIX venues and in-process (direct) venues restarted empty with
    this process: the children no longer exist anywhere. Reason
    ``VENUE_RESTARTED``. Their exec ids start again from 1, so the OMS
    forgets the old ones (``forget_exec_ids``), or a new fill could be taken
    for a duplicate of an old one.
  - remote FIX venues (``mode = "fix"``) may still hold them: they are closed
    as after a dropped session with ``on_disconnect = "cancel"`` (reason
    ``VENUE_DISCONNECTED``, whatever ``on_disconnect`` says: the venues are
    not up yet, so nothing could be rerouted) and adopted by the gateway as
    orphans, which asks each venue to cancel them after its logon
    (``FixVenueGateway.adopt_orphans``). A fill the venue made meanwhile is
    logged as an error for booking by hand, as after a disconnect.

What the log cannot restore:

* a block the desk cannot re-form: a formed block is in the log (its
  parent's ``block_members_approved`` decision, which ``DeskPart`` replays),
  so one working at the restart is allocated when its parent closes; but a
  log written before that decision carried the members' accounts and the
  policy (version 1.0) cannot say how to allocate. Then its children are
  closed like any others, its parent's fills stay in the firm's
  average-price account for allocation by hand, and its members are
  canceled with reason ``BLOCK_NOT_RECOVERED``.
* an order caught between two steps (NEW, VALIDATED, or RISK_APPROVED with
  no child) when the old process died: the follow-up message was lost with
  it. Such orders are counted and left as they are; the session close
  expires them (``ExpireDay``).

A client cancel sent to a venue but not yet confirmed is in the log
(``OrderCancelRequested``), so such an order is closed as the client asked
(CLIENT_REQUEST), keeping its fills.

No I/O here beyond reading the log the bootstrap opened.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from components.block_desk import BLOCK_ACCOUNT
from components.domain.events import EventType, OrderEvent
from components.domain.lifecycle import WORKING
from components.domain.orders import OrderStatus, OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport
from components.ledger import Ledger
from components.oms import child_of_plan
from components.rebuild.oms import OmsPart, forget_exec_ids
from components.platform import Platform
from components.ports import Clock, EventLog
from components.rebuild import recover_all
from components.rebuild.desk import DeskPart
from components.rebuild.entry import EntryPart
from components.rebuild.post_trade import PostTradePart, rearm
from components.rebuild.risk import RiskPart

from live.runtime import LiveRuntime
from live.views import OrderViews

log = logging.getLogger("live")

VENUE_RESTARTED = "VENUE_RESTARTED"
"""Why a child working before the restart was closed when its venue restarted with this process."""
VENUE_DISCONNECTED = "VENUE_DISCONNECTED"
"""Why it was closed when its venue is remote (as ``fix.messages.VENUE_DISCONNECTED``, no quickfix import)."""
BLOCK_NOT_RECOVERED = "BLOCK_NOT_RECOVERED"
"""Why a member of a block working at the restart was canceled."""

_ROUTING = frozenset({EventType.ORDER_ROUTED, EventType.ORDER_REROUTED})
_MID_PIPELINE = frozenset({OrderStatus.NEW, OrderStatus.VALIDATED, OrderStatus.RISK_APPROVED})


@dataclass
class Restored:
    """What the start-up recovery did (``LiveApp.describe`` prints it)."""

    events: int = 0
    """Events replayed from the log."""
    orders: int = 0
    """Orders restored into the OMS."""
    working: int = 0
    """Of those, orders still working when the log ended."""
    stalled: int = 0
    """Of those, orders caught between two steps (left to the session close)."""
    rebuild_ms: float = 0.0
    settlement_runs: int = 0
    """Settlement runs whose timers were booked again."""
    children_closed: int = 0
    close_reason: str = ""
    blocks_not_recovered: int = 0
    plans: dict[str, ChildOrder] = field(default_factory=dict, repr=False)
    """Every child routed in the log, as sent (for cancels at remote venues)."""
    block_members: dict[str, list[str]] = field(default_factory=dict, repr=False)
    """Block parent id -> member order ids, from the members' routing events."""

    def describe(self) -> str:
        if not self.events:
            return "recovery: empty event log, nothing to rebuild"
        line = (f"recovery: {self.events} events replayed in {self.rebuild_ms:.0f} ms; {self.orders} orders "
                f"restored ({self.working} working); {self.children_closed} working child order(s) closed")
        if self.children_closed:
            line += f" ({self.close_reason})"
        if self.blocks_not_recovered:
            line += f"; {self.blocks_not_recovered} working block(s) not recovered ({BLOCK_NOT_RECOVERED})"
        if self.stalled:
            line += f"; {self.stalled} order(s) caught between steps, left to the session close"
        return line


class _Routing:
    """A replay part of this module's own: the children as routed and the blocks' members."""

    name = "routing"
    unlogged = 0

    def __init__(self, restored: Restored) -> None:
        self._restored = restored

    def reset(self, state: object) -> None:
        self._restored.plans, self._restored.block_members = {}, {}

    def apply(self, event: OrderEvent) -> None:
        if event.event_type not in _ROUTING:
            return
        d = event.details or {}
        if d.get("block_id"):
            self._restored.block_members.setdefault(d["block_id"], []).append(event.order_id)
        for c in d.get("children", ()):
            self._restored.plans[c["child_id"]] = child_of_plan(
                event.order_id, event.symbol, Side(event.side), OrderType(event.order_type),
                TimeInForce(event.time_in_force), c)


class _Projection:
    """An event projection (ledger, order views) replayed as a part: opening state is the host's."""

    unlogged = 0

    def __init__(self, name: str, apply: Callable[[OrderEvent], None]) -> None:
        self.name, self.apply = name, apply

    def reset(self, state: object) -> None:
        pass  # built fresh by the bootstrap, with opening balances the log does not hold


def rebuild(event_log: EventLog, platform: Platform, views: OrderViews, clock: Clock) -> Restored:
    """Rebuild every component of ``platform`` and ``views`` from the whole of ``event_log``.

    Call once, right after building, before any message is handled: the
    components must be fresh and nothing may append meanwhile. An empty log
    changes nothing.
    """
    restored = Restored()
    if len(event_log) == 0:
        return restored
    started = time.perf_counter()
    oms = platform.oms
    ledger: Ledger = platform.ledger
    parts = [OmsPart(oms), EntryPart(platform.entry, oms.get),  # the OMS first: entry reads its orders
             RiskPart(platform.risk), PostTradePart(platform.post_trade),
             DeskPart(platform.desk, lambda order_id: oms.orders[order_id].status),
             _Projection("ledger", ledger.apply), _Projection("views", views.on_event), _Routing(restored)]
    restored.events = recover_all(parts, event_log)
    restored.settlement_runs = rearm(platform.post_trade, clock)
    restored.rebuild_ms = (time.perf_counter() - started) * 1000
    restored.orders = len(oms.orders)
    working = [o for o in oms.orders.values() if o.status in WORKING]
    restored.working = len(working)
    restored.stalled = sum(1 for o in working if o.status in _MID_PIPELINE and not o.open_children)
    log.info("rebuilt from the event log: %d events in %.0f ms, %d orders (%d working)", restored.events,
             restored.rebuild_ms, restored.orders, restored.working)
    return restored


def close_orphans(restored: Restored, platform: Platform, runtime: LiveRuntime,
                  now_ns: Callable[[], int], *, remote: bool,
                  adopt: Callable[[list[ChildOrder]], None] | None = None) -> int:
    """Close every child still working in the rebuilt OMS (see the module docstring); returns how many.

    Reports go through ``runtime`` (each one's follow-ups, post-trade
    included, run before it returns); ``remote`` says the venues did not
    restart with us, and ``adopt`` hands the children to the gateway to
    cancel at their venues after logon. Call before the venue link starts.
    """
    oms = platform.oms
    reason = VENUE_DISCONNECTED if remote else VENUE_RESTARTED
    open_children = [(order.order_id, child_id) for order in oms.orders.values()
                     for child_id in order.open_children]  # fmt: skip
    if adopt is not None and open_children:
        adopt([restored.plans[child_id] for _, child_id in open_children if child_id in restored.plans])
    for order_id, child_id in open_children:
        order = oms.orders[order_id]
        # The leaves the venue would report as removed: what the rebuild holds open for the child.
        leaves = order.open_children.get(child_id, 0)
        runtime.dispatch(ExecutionReport(ExecKind.CANCELED, oms.child_venue[child_id], child_id, order_id, now_ns(),
                                 last_qty=leaves, reason=reason))
    restored.children_closed, restored.close_reason = len(open_children), reason
    runtime.run(_close_unrecovered_blocks, restored, platform)  # the components' lock, as any handler
    if not remote:
        forget_exec_ids(oms)  # the venues that issued them are gone; their successors count from 1 again
    if open_children:
        log.warning("closed %d child order(s) left working by the previous process (%s)", len(open_children), reason)
    return len(open_children)


def _close_unrecovered_blocks(restored: Restored, platform: Platform) -> None:
    """Members of blocks the desk could not re-form (a pre-1.1 log): canceled, the parent's fills
    left in the firm's account (see the module docstring)."""
    oms, desk = platform.oms, platform.desk
    for parent_id, members in restored.block_members.items():
        if desk.is_parent(parent_id) or not any(oms.orders[m].status in WORKING for m in members):
            continue  # re-formed from the log, or allocated and closed before the restart
        restored.blocks_not_recovered += 1
        log.error("block %s was working at the restart and its formation is not in the event log; "
                  "members canceled (%s), the parent's fills stay in %s for allocation by hand",
                  parent_id, BLOCK_NOT_RECOVERED, BLOCK_ACCOUNT)
        for member_id in members:
            if oms.orders[member_id].status in WORKING:
                oms.close_block_member(member_id, False, BLOCK_NOT_RECOVERED)
