"""Stored events the bus never got are published at the next start (``EventPublisher.catch_up``).

The event log is the record; the NATS stream must end up holding every stored
event once, in log order, even when an earlier process stored events and
stopped before publishing them.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.money import to_units  # noqa: E402
from components.domain.orders import Side  # noqa: E402
from components.eventstore.sqlite import SqliteEventStore  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import parse_live_config  # noqa: E402
from live.adapters.event_bus import EventPublisher  # noqa: E402
from live.adapters.nats_bus import BlockingNatsBus  # noqa: E402
from tests.live_configs import one_venue_market  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from twin.scripted import AgentOrder, Submit  # noqa: E402

BASE = one_venue_market() + """
[session]
enabled = false
"""


def flow(client_order_id: str) -> list:
    return [AgentOrder(0, "XNAS", "AAPL", Side.SELL, 500, to_units("190.05")),
            Submit(0, {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": 100,
                       "order_type": "MARKET", "time_in_force": "DAY", "advisor_id": "ADV-1",
                       "client_order_id": client_order_id})]


def live_config(run_dir: Path, bus: str) -> str:
    return f'run_dir = "{run_dir}"\n' + BASE + bus


def nats_bus(server) -> str:
    return f'[bus]\nkind = "nats"\nurl = "{server.url}"\nstream = "CATCH"\nprefix = "cu"\n'


def run(text: str, client_order_id: str | None = None) -> None:
    live = build_live(parse_live_config(text, "test"))
    try:
        live.start()
        if client_order_id:
            LiveScript(live).run(flow(client_order_id))
    finally:
        live.close()


def stored_ids(run_dir: Path) -> list[str]:
    with SqliteEventStore(run_dir / "events.sqlite", read_only=True) as store:
        return [e.event_id for e in store.read()]


def stream_ids(server, expected: int) -> list[str]:
    got: list[str] = []
    arrived = threading.Event()

    def on_event(event) -> None:
        got.append(event.event_id)
        if len(got) >= expected:
            arrived.set()

    with BlockingNatsBus(server.url, stream="CATCH", prefix="cu", publish_deadline_s=10.0) as bus:
        bus.subscribe("events", on_event)
        arrived.wait(20.0)
        assert bus.last_msg_id("events") == (got[-1] if got else None)
    return got


def test_events_stored_by_a_process_without_the_bus_are_published_at_the_next_start(nats_server, tmp_path):
    run(live_config(tmp_path, ""), "C-1")  # in-process bus: the stream never saw these
    first = stored_ids(tmp_path)
    assert len(first) >= 7
    run(live_config(tmp_path, nats_bus(nats_server)))  # starts, catches up, stops
    assert stream_ids(nats_server, len(first)) == first


def test_only_the_missing_tail_is_published_and_nothing_twice(nats_server, tmp_path):
    run(live_config(tmp_path, ""), "C-1")
    stored = SqliteEventStore(tmp_path / "events.sqlite", read_only=True)
    with stored, BlockingNatsBus(nats_server.url, stream="CATCH", prefix="cu") as bus:
        events = list(stored.read())
        for event in events[:3]:  # an earlier process got this far
            bus.publish("events", event)
        publisher = EventPublisher(bus)
        assert publisher.catch_up(stored) == len(events) - 3
        assert publisher.catch_up(stored) == 0  # the stream is now level with the log
    run(live_config(tmp_path, nats_bus(nats_server)), "C-2")  # a new order, published as it happens
    everything = stored_ids(tmp_path)
    assert len(everything) > len(events)
    assert stream_ids(nats_server, len(everything)) == everything


def test_a_stream_from_another_log_is_left_alone(nats_server, tmp_path):
    run(live_config(tmp_path / "a", ""), "C-1")
    run(live_config(tmp_path / "b", ""), "C-1")
    with SqliteEventStore(tmp_path / "a" / "events.sqlite", read_only=True) as a, \
            SqliteEventStore(tmp_path / "b" / "events.sqlite", read_only=True) as b, \
            BlockingNatsBus(nats_server.url, stream="CATCH", prefix="cu") as bus:
        publisher = EventPublisher(bus)
        assert publisher.catch_up(a) > 0
        assert publisher.catch_up(b) == 0  # the newest event on the stream is not in b: nothing guessed
