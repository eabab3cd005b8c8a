"""Errors the event stores raise."""

from __future__ import annotations


class DuplicateEvent(ValueError):
    """An event with this event_id is already in the store: appends are not idempotent
    by accident; a caller that retries must check first."""

    def __init__(self, event_id: str):
        self.event_id = event_id
        super().__init__(f"event {event_id} is already stored")
