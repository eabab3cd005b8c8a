"""The venue front's market data: MarketDataRequest parsing, W/Y building, push-on-change publishing.

No quickfix needed: the codec and the publisher work on plain data; the
publisher's messages are captured from its ``emit``.
"""

from __future__ import annotations

import threading

import pytest

from components.domain.money import to_units
from components.domain.orders import Side, TimeInForce
from components.domain.venues import Quote
from components.fix import market_data as md
from venues_sim import fix_codec as c
from venues_sim.fees import MakerTakerFees
from venues_sim.fix_market_data import MarketDataPublisher, PublishingLock
from venues_sim.venue import SimVenue

KNOWN = ["AAPL", "MSFT"]
SUBSCRIBE = {md.MD_REQ_ID: "R1", md.SUBSCRIPTION_REQUEST_TYPE: "1", md.MARKET_DEPTH: "1", md.MD_UPDATE_TYPE: "0"}
SUBSCRIPTION_ONLY = {md.MD_REQ_ID: "R1", md.SUBSCRIPTION_REQUEST_TYPE: "0", md.MARKET_DEPTH: "1"}


def refusal(changes=None, entry_types=("0", "1"), symbols=("AAPL",)) -> c.MarketDataRefusal:
    body = {**SUBSCRIBE, **(changes or {})}  # a None value removes the field
    with pytest.raises(c.MarketDataRefusal) as err:
        c.parse_market_data_request({k: v for k, v in body.items() if v is not None}, list(entry_types),
                                    list(symbols), KNOWN)
    return err.value


# -- MarketDataRequest (35=V) -------------------------------------------------------------

def test_a_subscription_request_parses_to_its_symbols_and_served_sides():
    got = c.parse_market_data_request(SUBSCRIBE, ["0", "1", "2"], ["AAPL", "MSFT", "AAPL"], KNOWN)
    assert got == c.MarketDataRequest("R1", "1", ("AAPL", "MSFT"), ("0", "1"))  # trades (2) not served: ignored
    snapshot_only = c.parse_market_data_request({**SUBSCRIPTION_ONLY, md.MARKET_DEPTH: "0"}, ["1"], ["MSFT"], KNOWN)
    assert snapshot_only == c.MarketDataRequest("R1", "0", ("MSFT",), ("1",))  # depth 0: top of book is served
    assert c.parse_market_data_request({md.MD_REQ_ID: "R1", md.SUBSCRIPTION_REQUEST_TYPE: "2"}, [], [], KNOWN) == \
        c.MarketDataRequest("R1", "2")


@pytest.mark.parametrize("changes, entry_types, symbols, reason, named", [
    ({}, ("0", "1"), ("AAPL", "TSLA"), md.REJ_UNKNOWN_SYMBOL, "Symbol (55) TSLA"),
    ({}, ("0", "1"), (), md.REJ_UNKNOWN_SYMBOL, "NoRelatedSym (146)"),
    ({}, ("0", "1"), ("",), md.REJ_UNKNOWN_SYMBOL, "Symbol (55)"),
    ({md.SUBSCRIPTION_REQUEST_TYPE: "9"}, ("0", "1"), ("AAPL",), md.REJ_UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE,
     "SubscriptionRequestType (263) '9'"),
    ({md.SUBSCRIPTION_REQUEST_TYPE: None}, ("0", "1"), ("AAPL",), md.REJ_UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE,
     "SubscriptionRequestType (263)"),
    ({md.MARKET_DEPTH: "-1"}, ("0", "1"), ("AAPL",), md.REJ_UNSUPPORTED_MARKET_DEPTH, "MarketDepth (264)"),
    ({md.MARKET_DEPTH: None}, ("0", "1"), ("AAPL",), md.REJ_UNSUPPORTED_MARKET_DEPTH, "MarketDepth (264)"),
    ({md.MD_UPDATE_TYPE: "1"}, ("0", "1"), ("AAPL",), md.REJ_UNSUPPORTED_MD_UPDATE_TYPE, "MDUpdateType (265) '1'"),
    ({}, ("2", "4"), ("AAPL",), md.REJ_UNSUPPORTED_MD_ENTRY_TYPE, "MDEntryType (269)"),
    ({}, (), ("AAPL",), md.REJ_UNSUPPORTED_MD_ENTRY_TYPE, "MDEntryType (269)"),
])
def test_a_request_the_venue_cannot_serve_is_refused_naming_the_field(changes, entry_types, symbols, reason, named):
    err = refusal(changes, entry_types, symbols)
    assert err.reason == reason and err.md_req_id == "R1"
    assert named in str(err), str(err)


def test_a_request_without_md_req_id_cannot_be_answered_with_a_reject():
    err = refusal({md.MD_REQ_ID: None})
    assert err.reason == "" and "MDReqID (262)" in str(err)
    assert refusal({md.MD_REQ_ID: "  "}).reason == ""


# -- MarketDataSnapshotFullRefresh (35=W) and MarketDataRequestReject (35=Y) ----------------

def test_a_snapshot_carries_the_top_of_book_exactly():
    quote = Quote("XNAS", "AAPL", to_units("189.9901"), 300, to_units("190.1"), 1200)
    msg_type, body = c.market_data_snapshot("R1", quote)
    assert msg_type == "W"
    assert body[:2] == [(md.MD_REQ_ID, "R1"), (55, "AAPL")]
    group = body[2]
    assert isinstance(group, md.Group) and (group.count_tag, group.delimiter) == (268, 269)
    assert group.entries == (((269, "0"), (270, "189.9901"), (271, "300")),
                             ((269, "1"), (270, "190.1000"), (271, "1200")))


def test_a_snapshot_leaves_out_an_empty_side_and_says_so_when_both_are():
    one_side = c.market_data_snapshot("R1", Quote("XNAS", "AAPL", 0, 0, to_units("190.10"), 100))[1]
    assert one_side[2].entries == (((269, "1"), (270, "190.1000"), (271, "100")),)
    offers_only = c.market_data_snapshot("R1", Quote("XNAS", "AAPL", 1, 1, 2, 2), entry_types=("1",))[1]
    assert [e[0] for e in offers_only[2].entries] == [(269, "1")]
    empty = c.market_data_snapshot("R1", Quote("XNAS", "AAPL", 0, 0, 0, 0))[1]
    assert empty == [(md.MD_REQ_ID, "R1"), (55, "AAPL"), (md.NO_MD_ENTRIES, "0")]


def test_a_reject_names_the_request_and_reason():
    msg_type, body = c.market_data_request_reject("R7", md.REJ_UNKNOWN_SYMBOL, "Symbol (55) TSLA not traded here")
    assert msg_type == "Y"
    assert body == [(262, "R7"), (281, "0"), (58, "Symbol (55) TSLA not traded here")]


# -- the publisher ------------------------------------------------------------------------

class World:
    def __init__(self) -> None:
        self.venue = SimVenue("XNAS", MakerTakerFees(20, 30), KNOWN, lambda report: None)
        self.sent: list[tuple[object, c.Outbound]] = []
        self.now = 1_700_000_000_000_000_000
        self.publisher = MarketDataPublisher(self.venue, lambda: self.now, lambda s, o: self.sent.append((s, o)))
        self.lock = PublishingLock(self.publisher.publish)
        self._n = 0

    def rest(self, symbol: str, side: Side, qty: int, price: str) -> str:
        self._n += 1
        order_id = f"S{self._n}"
        with self.lock:
            self.venue.submit_agent_order(order_id, "SEED", symbol, side, qty, to_units(price), TimeInForce.DAY,
                                          self.now)
        return order_id

    def subscribe(self, session: str, req_id: str, kind: str = "1", symbols=("AAPL",)) -> None:
        with self.lock:
            self.publisher.request(session, "7", {**SUBSCRIBE, md.MD_REQ_ID: req_id,
                                                   md.SUBSCRIPTION_REQUEST_TYPE: kind}, ["0", "1"], list(symbols))

    def take(self) -> list[tuple[object, str, list]]:
        sent, self.sent = self.sent, []
        return [(session, msg_type, body) for session, (msg_type, body) in sent]


def tops(sent) -> list[tuple]:
    return [(session, body[1][1], tuple(e for entry in (body[2].entries if len(body) > 2 and
                                                        isinstance(body[2], md.Group) else ())
                                         for e in (entry[1][1], entry[2][1])))
            for session, msg_type, body in sent if msg_type == "W"]


def test_a_subscription_gets_a_snapshot_at_once_and_one_more_per_change_of_the_top():
    world = World()
    world.rest("AAPL", Side.SELL, 100, "190.10")
    world.subscribe("S1", "R1")
    assert tops(world.take()) == [("S1", "AAPL", ("190.1000", "100"))]
    world.rest("AAPL", Side.BUY, 200, "189.90")
    assert tops(world.take()) == [("S1", "AAPL", ("189.9000", "200", "190.1000", "100"))]
    world.rest("AAPL", Side.SELL, 50, "190.50")  # behind the top: nothing new to say
    world.rest("MSFT", Side.SELL, 50, "400.00")  # another symbol, not subscribed
    assert world.take() == []
    order_id = world.rest("AAPL", Side.SELL, 70, "190.10")  # joins the best offer: its size moved
    assert tops(world.take()) == [("S1", "AAPL", ("189.9000", "200", "190.1000", "170"))]
    with world.lock:
        world.venue.cancel_agent_order(order_id)
    assert tops(world.take()) == [("S1", "AAPL", ("189.9000", "200", "190.1000", "100"))]


def test_snapshot_only_requests_are_answered_once_and_subscriptions_end_on_request_or_logout():
    world = World()
    world.subscribe("S1", "R1", kind="0")
    world.subscribe("S2", "R2")
    world.subscribe("S3", "R3")
    assert [s for s, _, _ in world.take()] == ["S1", "S2", "S3"] and world.publisher.subscriptions == 2
    world.subscribe("S2", "R2", kind="2")  # disable
    world.publisher.end_session("S3")  # logged out
    world.rest("AAPL", Side.BUY, 100, "189.00")
    assert world.take() == [] and world.publisher.subscriptions == 0


def test_duplicate_unknown_and_unservable_requests_are_refused_with_35_y():
    world = World()
    world.subscribe("S1", "R1")
    world.take()
    world.subscribe("S1", "R1")  # already live
    world.subscribe("S1", "R9", kind="2")  # nothing to disable
    world.subscribe("S1", "R2", symbols=("AAPL", "TSLA"))
    sent = world.take()
    assert [(s, t, dict(b)[md.MD_REQ_ID], dict(b)[md.MD_REQ_REJ_REASON]) for s, t, b in sent] == [
        ("S1", "Y", "R1", md.REJ_DUPLICATE_MD_REQ_ID), ("S1", "Y", "R9", md.REJ_DUPLICATE_MD_REQ_ID),
        ("S1", "Y", "R2", md.REJ_UNKNOWN_SYMBOL)]
    assert "TSLA" in dict(sent[2][2])[58] and world.publisher.subscriptions == 1
    with world.lock:  # no MDReqID: a BusinessMessageReject referring to the message instead
        world.publisher.request("S1", "12", {md.SUBSCRIPTION_REQUEST_TYPE: "1"}, ["0"], ["AAPL"])
    (session, msg_type, body), = world.take()
    assert msg_type == "j" and dict(body)[45] == "12" and dict(body)[372] == "V" and "MDReqID (262)" in dict(body)[58]


def test_the_lock_publishes_once_as_its_outermost_holder_lets_go():
    calls: list[int] = []
    lock = PublishingLock(lambda: calls.append(threading.get_ident()))
    with lock:
        with lock:
            assert calls == []
        assert calls == []
    assert calls == [threading.get_ident()]
    assert lock.acquire(blocking=False)
    lock.release()
    assert len(calls) == 2


def test_a_failing_publication_does_not_break_the_lock(caplog):
    lock = PublishingLock(lambda: 1 / 0)
    with lock:
        pass
    other = threading.Thread(target=lambda: lock.acquire() and lock.release())
    other.start()
    other.join(timeout=2)
    assert not other.is_alive() and "release hook failed" in caplog.text
