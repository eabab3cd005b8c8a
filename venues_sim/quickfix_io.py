"""Codec bodies <-> QuickFIX messages, for both ends of a session (this module imports quickfix).

The codecs (``venues_sim.fix_codec``, ``live.adapters.fix.messages``)
build messages as plain data: ``(msg_type, body)`` where the body holds
``(tag, text)`` fields and ``market_data.Group`` repeating groups. The two
QuickFIX shells (``venues_sim.fix_acceptor``, ``live.adapters.fix.gateway``)
turn them into ``quickfix.Message`` objects here, and read repeating groups
of received messages back into plain dicts. Kept apart from ``wire`` and
``market_data`` so those stay importable without quickfix.
"""

from __future__ import annotations

from typing import Iterable

import quickfix as fix

from components.fix.market_data import Group
from components.fix.wire import MSG_TYPE


def to_message(msg_type: str, body: Iterable) -> fix.Message:
    """A QuickFIX message of ``msg_type`` holding ``body``'s fields and groups (delimiter first)."""
    message = fix.Message()
    message.getHeader().setField(MSG_TYPE, msg_type)
    for item in body:
        if isinstance(item, Group):
            for entry in item.entries:
                group = fix.Group(item.count_tag, item.delimiter)
                for tag, value in entry:
                    group.setField(tag, value)
                message.addGroup(group)
        else:
            message.setField(*item)
    return message


def group_entries(message: fix.Message, count_tag: int, delimiter: int, tags: Iterable[int]) -> list[dict[int, str]]:
    """Each entry of ``message``'s repeating group ``count_tag`` as ``{tag: text}`` (only ``tags``
    that are set); [] when the group is absent. ValueError if the count is not a number."""
    if not message.isSetField(count_tag):
        return []
    count_text = message.getField(count_tag)
    try:
        count = int(count_text)
    except ValueError:
        raise ValueError(f"tag {count_tag}: group count {count_text!r} is not a number") from None
    tags = tuple(tags)
    group = fix.Group(count_tag, delimiter)
    entries = []
    for i in range(1, count + 1):
        message.getGroup(i, group)
        entries.append({tag: group.getField(tag) for tag in tags if group.isSetField(tag)})
    return entries
