"""Restart order entry from its last snapshot plus a replay of the event log.

Order entry keeps one thing: which order each (account, client order id)
opened, so a resubmission is recognised (idempotency) and a cancel finds its
order, and which orders joined a block (a resubmission must join the same
one). Every order it opened has an ``OrderReceived`` whose actor is the
advisor (a block parent, opened by the desk, has actor ``block_desk`` and is
not entry's), carrying the client order id and the block it joined; that is
the whole replay. The
snapshot holds order ids; the ``Order`` objects come from the OMS
(``order_of``), as the live map holds the OMS's.
"""

from __future__ import annotations

from typing import Callable

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

    def capture(self) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
        return {key: order.order_id for key, order in self.entry.known()}, dict(self.entry.block_of)

    def reset(self, state: tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]] | None) -> None:
        by_key, block_of = state or ({}, {})
        self.entry.forget()
        for (account_id, client_order_id), order_id in by_key.items():
            self.entry.remember(account_id, client_order_id, self._order_of(order_id))
        self.entry.block_of = dict(block_of)

    def apply(self, event: OrderEvent) -> None:
        if event.event_type is _RECEIVED and event.actor.startswith("advisor:"):
            client_order_id = event.details["client_order_id"]
            self.entry.remember(event.account_id, client_order_id, self._order_of(event.order_id))
            if event.details.get("block_ref"):
                self.entry.block_of[(event.account_id, client_order_id)] = event.details["block_ref"]

    def dump(self) -> tuple[list[tuple[tuple[str, str], str]], list[tuple[tuple[str, str], str]]]:
        by_key, block_of = self.capture()
        return list(by_key.items()), list(block_of.items())

