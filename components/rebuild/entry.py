"""Restart order entry from its last snapshot plus a replay of the event log.

Order entry keeps one thing: which order each (account, client order id)
opened, so a resubmission is recognised (idempotency) and a cancel finds its
order. Every order it opened has an ``OrderReceived`` whose actor is the
advisor (a block parent, opened by the desk, has actor ``block_desk`` and is
not entry's), carrying the client order id; that is the whole replay. The
snapshot holds order ids; the ``Order`` objects come from the OMS
(``order_of``), as the live map holds the OMS's.
"""

from __future__ import annotations

from typing import Any, Callable

from ..domain.events import EventType, OrderEvent
from ..domain.orders import Order
from ..order_entry import OrderEntry

_RECEIVED = EventType.ORDER_RECEIVED


class EntryPart:
    """Order entry as a ``components.rebuild.Part``; ``order_of`` is the OMS's order by id."""

    name = "entry"
    unlogged = 0  # every order it opens is in the log

    def __init__(self, entry: OrderEntry, order_of: Callable[[str], Order]) -> None:
        self.entry = entry
        self._order_of = order_of

    def capture(self) -> dict[tuple[str, str], str]:
        return {key: order.order_id for key, order in self.entry._by_key.items()}

    def reset(self, state: dict[tuple[str, str], str] | None) -> None:
        self.entry._by_key = {key: self._order_of(order_id) for key, order_id in (state or {}).items()}

    def apply(self, event: OrderEvent) -> None:
        if event.event_type is _RECEIVED and event.actor.startswith("advisor:"):
            key = (event.account_id, event.details["client_order_id"])
            self.entry._by_key[key] = self._order_of(event.order_id)

    def dump(self) -> list[tuple[tuple[str, str], str]]:
        return list(self.capture().items())


def dump_of(entry: OrderEntry) -> Any:
    """``EntryPart.dump`` for a bare ``OrderEntry``."""
    return [(key, order.order_id) for key, order in entry._by_key.items()]
