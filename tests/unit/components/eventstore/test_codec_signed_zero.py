"""A decision parameter of -0.0 reads back as -0.0 after one of 0.0 was read (they are equal and hash alike, but
are written differently: the decoded-decision cache must not hand one for the other)."""

from __future__ import annotations

import math

import pytest

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.eventstore import decode, encode
from components.eventstore.codec import from_record


def event(value: float, n: int) -> OrderEvent:
    decision = PolicyDecision("collar", "1.0", Outcome.PASS, "", (("bps", value),))
    return OrderEvent(EventType.ORDER_RISK_APPROVED, f"EV-{n}", "T-1", n, n, "ORD-1", n, "A-1", "AAPL", "BUY", 1,
                      "MARKET", None, "DAY", "risk", (decision,), {}, "1.0")


@pytest.mark.parametrize("first, second", [(0.0, -0.0), (-0.0, 0.0)])
def test_signed_zeros_keep_their_sign_through_the_codec(first, second):
    for n, value in enumerate((first, second)):
        data = encode(event(value, n))
        back = decode(data)
        (read,) = back.policy_decisions
        assert math.copysign(1.0, read.params[0][1]) == math.copysign(1.0, value)
        assert encode(back) == data
        record = from_record(event(value, n).to_record())
        assert math.copysign(1.0, record.policy_decisions[0].params[0][1]) == math.copysign(1.0, value)


@pytest.mark.parametrize("first, second", [(0.0, -0.0), (-0.0, 0.0)])
def test_signed_zeros_keep_their_sign_in_the_packed_format(first, second):
    from components.eventstore.packed import pack, unpack

    for n, value in enumerate((first, second)):
        data = pack(event(value, n))
        assert data is not None  # a plain decision packs
        (read,) = unpack(data).policy_decisions
        assert math.copysign(1.0, read.params[0][1]) == math.copysign(1.0, value)
