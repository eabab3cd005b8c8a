"""The NATS JetStream bus against a real nats-server: round trips, de-duplication,
durable resumption, and a server crash in the middle of a stream.

Each test gets its own server (``nats_server`` fixture) and runs its asyncio
part under one overall timeout, so nothing here can hang.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from components.domain.commands import (
    CancelOrder,
    CheckRisk,
    ExpireDay,
    ProcessPostTrade,
    RouteOrder,
    SetTradingState,
    SubmitBlock,
    SubmitOrder,
    ValidateOrder,
)
from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.domain.venues import ExecKind, ExecutionReport, Liquidity
from live.adapters.bus_codec import default_codec
from live.adapters.nats_bus import BlockingNatsBus, NatsBus

TIMEOUT = 60.0  # seconds for any one test's async part


def run(coroutine, timeout: float = TIMEOUT):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def until(predicate, timeout: float = 15.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not predicate():
        if loop.time() > give_up:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def event(n: int) -> OrderEvent:
    return OrderEvent(
        event_type=EventType.ORDER_RISK_APPROVED, event_id=f"EV-{n:06d}", trace_id="TRC-1", timestamp_utc=1_000 + n,
        recorded_at=1_001 + n, order_id=f"ORD-{n}", stream_seq=3, account_id="A1", symbol="AAPL", side="BUY",
        quantity=100, order_type="LIMIT", limit_price=1_900_000, time_in_force="DAY", actor="risk",
        policy_decisions=(PolicyDecision("max_notional", "1.0", Outcome.PASS, "", (("limit", 5),)),),
        details={"n": n},
    )


def one_of_each() -> list[object]:
    return [
        event(1),
        ExecutionReport(ExecKind.FILL, "XNAS", "CH-1", "ORD-1", 5_000, 40, 1_901_000, 60, Liquidity.TAKER, 12, "",
                        "EX-1"),
        ExecutionReport(ExecKind.REJECTED, "XNYS", "CH-2", "ORD-2", 6_000, reason="halted"),
        SubmitOrder({"account_id": "AC-1", "quantity": 100, "limit_price": "190.25"}, 7_000),
        ValidateOrder("ORD-1"),
        CheckRisk("ORD-1"),
        RouteOrder("ORD-1", frozenset({"XNYS", "ARCX"})),
        CancelOrder("AC-1", "C-1", 8_000),
        ProcessPostTrade("ORD-1"),
        ExpireDay(),
        SubmitBlock("ADV-1", "AAPL", "BUY", (("AC-1", 100), ("AC-2", 50)), "pro_rata", "B-1", 9_000, "LIMIT", "190.25"),
        SetTradingState("HALTED", "operator:sre", "drill", 10_000),
    ]


def bus(server, **options) -> NatsBus:
    return NatsBus(server.url, **{"ack_wait_s": 1.0, **options})


def test_every_message_type_makes_the_round_trip(nats_server):
    sent = one_of_each()
    assert {default_codec().encode(m)[0] for m in sent} == set(default_codec().names)

    async def scenario():
        got: list[object] = []
        b = await bus(nats_server).connect()
        try:
            await b.subscribe("orders.all", got.append)
            for message in sent:
                await b.publish("orders.all", message)
            await until(lambda: len(got) == len(sent), what="every message")
            return got
        finally:
            await b.close()

    assert run(scenario()) == sent  # equal field by field, in publish order


def test_a_duplicate_publish_is_dropped_by_the_server_and_handled_once(nats_server):
    async def scenario():
        got: list[object] = []
        b = await bus(nats_server).connect()
        try:
            sub = await b.subscribe("dup", got.append)
            first = await b.publish("dup", event(7))
            again = await b.publish("dup", event(7))  # same event_id
            command = await b.publish("dup", ValidateOrder("ORD-7"), msg_id="validate-ORD-7")
            command_again = await b.publish("dup", ValidateOrder("ORD-7"), msg_id="validate-ORD-7")
            await until(lambda: len(got) == 2, what="two messages")
            await asyncio.sleep(0.5)  # room for a wrong third delivery
            return first, again, command, command_again, got, sub
        finally:
            await b.close()

    first, again, command, command_again, got, sub = run(scenario())
    assert not first.duplicate and again.duplicate and again.seq == first.seq
    assert not command.duplicate and command_again.duplicate
    assert got == [event(7), ValidateOrder("ORD-7")] and sub.handled == 2


def test_a_durable_consumer_resumes_where_it_stopped(nats_server):
    async def scenario():
        effects: list[str] = []
        publisher = await bus(nats_server).connect()
        try:
            first = await bus(nats_server).connect()
            await first.subscribe("audit", lambda e: effects.append(e.event_id), durable="auditor")
            for n in range(30):
                await publisher.publish("audit", event(n))
            await until(lambda: len(effects) == 30, what="the first 30")
            await first.close()  # the subscriber goes away; the durable consumer stays
            for n in range(30, 60):
                await publisher.publish("audit", event(n))
            second = await bus(nats_server).connect()
            await second.subscribe("audit", lambda e: effects.append(e.event_id), durable="auditor")
            await until(lambda: len(effects) == 60, what="the next 30")
            await asyncio.sleep(0.5)
            await second.close()
            return effects
        finally:
            await publisher.close()

    effects = run(scenario())
    # Every message takes effect exactly once. Order is not asserted across the hand-over:
    # a pull request the first subscriber left pending at the server may take a message
    # that the server redelivers to the second subscriber only after ack_wait.
    assert len(effects) == 60 and sorted(effects) == [f"EV-{n:06d}" for n in range(60)]
    assert effects[:30] == [f"EV-{n:06d}" for n in range(30)]


def test_a_subscriber_crash_before_its_acks_does_not_repeat_effects(nats_server):
    """The effect and its id are recorded together (``seen`` stands for a table written
    in the handler's transaction); the crash loses the acks, the server redelivers,
    and the restarted subscriber recognises every redelivered id."""

    async def scenario():
        effects: list[str] = []
        seen: set[str] = set()  # survives the "crash", like a database table would
        publisher = await bus(nats_server).connect()
        crashing = await bus(nats_server).connect()

        async def handle_then_crash(e):
            effects.append(e.event_id)
            if e.event_id == "EV-000010":
                await crashing._nc.close()  # the connection dies before this (and later) acks

        try:
            for n in range(30):
                await publisher.publish("crash", event(n))
            await crashing.subscribe("crash", handle_then_crash, durable="worker", seen=seen)
            await until(lambda: "EV-000010" in effects, what="the crash")
            await crashing.close()
            restarted = await bus(nats_server).connect()
            sub = await restarted.subscribe("crash", lambda e: effects.append(e.event_id), durable="worker", seen=seen)
            await until(lambda: len(effects) == 30 and sub.skipped > 0, what="redeliveries recognised")
            await restarted.close()
            return effects, sub
        finally:
            await publisher.close()

    effects, sub = run(scenario())
    assert effects == [f"EV-{n:06d}" for n in range(30)] and sub.skipped >= 1


def test_every_message_takes_effect_once_when_the_server_is_killed_mid_stream(nats_server):
    total = 200

    async def scenario():
        effects: list[str] = []
        publisher = await bus(nats_server).connect()
        consumer = await bus(nats_server).connect()
        published = duplicates = killed_at = 0
        try:
            sub = await consumer.subscribe("stream", lambda e: effects.append(e.event_id), durable="counter")

            async def publish_all():
                nonlocal published, duplicates
                for n in range(total):
                    ack = await publisher.publish("stream", event(n))  # retries while the server is away
                    duplicates += bool(ack.duplicate)
                    published += 1
                    await asyncio.sleep(0.002)  # spread the stream over the crash

            async def crash():
                nonlocal killed_at
                await until(lambda: published >= total // 3, what="a third published")
                killed_at = published
                nats_server.kill()
                await asyncio.sleep(0.5)
                await asyncio.to_thread(nats_server.restart)  # same port, same store dir

            await asyncio.gather(publish_all(), crash())
            await until(lambda: len(set(effects)) == total, timeout=30, what="all 200 handled")
            await asyncio.sleep(1.5)  # past ack_wait: any redelivery has arrived by now
            return effects, sub, duplicates, killed_at
        finally:
            await consumer.close()
            await publisher.close()

    effects, sub, duplicates, killed_at = run(scenario(), timeout=90)
    print(f"killed after {killed_at} published; {duplicates} publish retries were duplicates; "
          f"{sub.skipped} redeliveries skipped by id")
    assert 0 < killed_at < total
    assert len(set(effects)) == total and len(effects) == total, (len(set(effects)), len(effects))
    assert sorted(effects) == [f"EV-{n:06d}" for n in range(total)]


def test_the_blocking_adapter_serves_the_sync_port(nats_server):
    got: list[object] = []
    arrived = threading.Event()

    def handler(message):
        got.append(message)
        if len(got) == 2:
            arrived.set()

    with BlockingNatsBus(nats_server.url, ack_wait_s=1.0, publish_deadline_s=10.0) as b:
        b.subscribe("sync", handler)
        b.publish("sync", CheckRisk("ORD-9"))
        b.publish("sync", event(9))
        assert arrived.wait(15.0)
    assert got == [CheckRisk("ORD-9"), event(9)]


@pytest.mark.parametrize("message", one_of_each(), ids=lambda m: type(m).__name__)
def test_the_wire_codec_round_trips_without_a_server(message):
    codec = default_codec()
    assert codec.decode(*codec.encode(message)) == message
