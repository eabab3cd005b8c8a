"""The MessageBus port on NATS JetStream: at-least-once transport, exactly-once effect.

``NatsBus`` is the asyncio core. Every topic is a subject under one file-backed
stream. ``publish`` sends the message's wire bytes (``bus_codec``) with header
``Nats-Msg-Id`` set to a stable id, and retries until JetStream acknowledges
it: a retry of a message the server already stored is dropped by the server's
de-duplication window (the ack says ``duplicate``). ``subscribe`` runs a
durable pull consumer: the handler is called, and the message acked only after
the handler returns; a message the server redelivers (the ack was lost, the
subscriber or the server crashed) is recognised by its id in ``seen`` and acked
without calling the handler again. For that to hold across a subscriber crash,
``seen`` must be as durable as the handler's effects (ideally written in the
same transaction); the default is an in-memory, bounded set.

The nats client reconnects by itself (forever); publish and fetch errors while
the server is away are retried with a short back-off.

``BlockingNatsBus`` is the thin synchronous adapter for the ``MessageBus``
protocol: it owns an event loop on one thread; handlers run on that thread.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Protocol

import nats
import nats.errors
import nats.js.errors
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from live.adapters.bus_codec import WireCodec, default_codec, message_id

log = logging.getLogger(__name__)

MSG_ID = "Nats-Msg-Id"
TYPE = "Twin-Type"
# Worth retrying: the server is away, restarting, or JetStream is not ready yet.
_TRANSIENT = (asyncio.TimeoutError, nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError,
              nats.js.errors.ServiceUnavailableError, nats.errors.StaleConnectionError,
              nats.errors.OutboundBufferLimitError, nats.errors.ConnectionReconnectingError)


class SeenIds(Protocol):
    """Ids whose handler has already taken effect (the consumer-side de-duplication)."""

    def __contains__(self, msg_id: object) -> bool: ...

    def add(self, msg_id: str) -> None: ...


class BoundedSeen:
    """The most recent ``capacity`` ids, in memory (forgotten on restart)."""

    def __init__(self, capacity: int = 1_000_000):
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, msg_id: object) -> bool:
        return msg_id in self._ids

    def add(self, msg_id: str) -> None:
        self._ids[msg_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)


Handler = Callable[[object], Awaitable[None] | None]


class NatsBus:
    """Async publish/subscribe on one JetStream stream (``stream``, subjects ``prefix.>``)."""

    def __init__(self, servers: str | list[str], *, stream: str = "TWIN", prefix: str = "twin",
                 codec: WireCodec | None = None, duplicate_window_s: float = 120.0, ack_wait_s: float = 5.0,
                 request_timeout_s: float = 2.0, publish_deadline_s: float = 30.0, connect_timeout_s: float = 10.0):
        self.servers, self.stream, self.prefix = servers, stream, prefix
        self.codec = codec or default_codec()
        self.duplicate_window_s, self.ack_wait_s = duplicate_window_s, ack_wait_s
        self.request_timeout_s, self.publish_deadline_s = request_timeout_s, publish_deadline_s
        self.connect_timeout_s = connect_timeout_s
        self._nc: Any = None
        self._js: Any = None
        self._subscribers: list[Subscriber] = []

    async def connect(self) -> "NatsBus":
        self._nc = await asyncio.wait_for(nats.connect(
            self.servers, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.1,
            connect_timeout=2, error_cb=_log_error, disconnected_cb=_log_disconnect,
            reconnected_cb=_log_reconnect), self.connect_timeout_s)
        self._js = self._nc.jetstream(timeout=self.request_timeout_s)
        await self._retrying(self._ensure_stream, self.connect_timeout_s)
        return self

    async def _ensure_stream(self) -> None:
        config = StreamConfig(name=self.stream, subjects=[f"{self.prefix}.>"], storage=StorageType.FILE,
                              duplicate_window=self.duplicate_window_s)
        try:
            await self._js.add_stream(config)
        except nats.js.errors.BadRequestError:  # exists with another config: bring it to ours
            await self._js.update_stream(config)

    def subject(self, topic: str) -> str:
        return f"{self.prefix}.{topic}"

    async def publish(self, topic: str, message: object, msg_id: str | None = None) -> Any:
        """Publish until JetStream acknowledges; returns the PubAck (``.duplicate``
        is True when the server already had this id)."""
        name, data = self.codec.encode(message)
        headers = {MSG_ID: msg_id or message_id(message, name, data), TYPE: name}
        subject = self.subject(topic)
        return await self._retrying(lambda: self._js.publish(subject, data, headers=dict(headers)),
                                    self.publish_deadline_s)

    async def last_msg_id(self, topic: str) -> str | None:
        """The ``Nats-Msg-Id`` of the newest message on ``topic``'s subject, None if there is none."""
        async def attempt() -> str | None:
            try:
                last = await self._js.get_last_msg(self.stream, self.subject(topic))
            except nats.js.errors.NotFoundError:
                return None
            return (last.headers or {}).get(MSG_ID)

        return await self._retrying(attempt, self.publish_deadline_s)

    async def _retrying(self, attempt: Callable[[], Awaitable[Any]], deadline_s: float) -> Any:
        loop = asyncio.get_running_loop()
        give_up, pause = loop.time() + deadline_s, 0.05
        while True:
            try:
                return await attempt()
            except _TRANSIENT as error:
                if loop.time() + pause > give_up:
                    raise TimeoutError(f"NATS did not answer within {deadline_s}s: {error!r}") from error
                log.debug("retrying after %r", error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)

    async def subscribe(self, topic: str, handler: Handler, durable: str | None = None,
                        seen: SeenIds | None = None, batch: int = 64) -> "Subscriber":
        """Start a durable pull consumer on ``topic``; ``durable`` names it (one per
        logical subscriber: a restarted subscriber with the same name resumes)."""
        durable = durable or f"{self.stream}_{topic}".replace(".", "_").replace("*", "_").replace(">", "_")
        config = ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait_s,
                                deliver_policy=DeliverPolicy.ALL)
        subject = self.subject(topic)
        psub = await self._retrying(
            lambda: self._js.pull_subscribe(subject, durable=durable, stream=self.stream, config=config),
            self.connect_timeout_s)
        subscriber = Subscriber(self, psub, handler, seen if seen is not None else BoundedSeen(), batch)
        self._subscribers.append(subscriber)
        subscriber.start()
        return subscriber

    async def close(self) -> None:
        for subscriber in list(self._subscribers):
            await subscriber.stop()
        if self._nc is not None:
            try:
                await asyncio.wait_for(self._nc.close(), 5.0)
            except asyncio.TimeoutError:
                log.warning("NATS connection did not close within 5s")
            except (OSError, nats.errors.Error) as error:  # the server is gone: nothing left to flush to
                log.warning("NATS connection closed without a goodbye (%r)", error)
            self._nc = None

    @property
    def connected(self) -> bool:
        """Whether the client holds a live connection now (False while it reconnects)."""
        return self._nc is not None and self._nc.is_connected


class Subscriber:
    """One durable pull consumer's fetch-handle-ack loop (an asyncio task)."""

    def __init__(self, bus: NatsBus, psub: Any, handler: Handler, seen: SeenIds, batch: int):
        self.bus, self.seen = bus, seen
        self._psub, self._handler, self._batch = psub, handler, batch
        self._task: asyncio.Task | None = None
        self._fetching = False
        self._stopping = False
        self.handled = 0  # handler calls that returned
        self.skipped = 0  # redeliveries recognised by id and not handled again

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="nats-subscriber")

    async def _run(self) -> None:
        while not self._stopping:
            try:
                self._fetching = True
                messages = await self._psub.fetch(self._batch, timeout=1.0)
            except asyncio.TimeoutError:  # nothing to fetch (or the server is away): ask again
                continue
            except nats.errors.Error as error:  # reconnecting, consumer not loaded yet...
                log.debug("fetch failed: %r", error)
                await asyncio.sleep(0.1)
                continue
            finally:
                self._fetching = False
            for message in messages:
                await self._handle(message)

    async def _handle(self, message: Any) -> None:
        headers = message.headers or {}
        msg_id = headers.get(MSG_ID) or f"seq:{message.metadata.sequence.stream}"
        if msg_id in self.seen:
            self.skipped += 1
            await self._settle(message.ack)
            return
        try:
            decoded = self.bus.codec.decode(headers.get(TYPE, ""), message.data)
        except Exception:  # cannot ever succeed: tell the server to stop redelivering
            log.exception("undecodable message %s on %s: terminated", msg_id, message.subject)
            await self._settle(message.term)
            return
        try:
            result = self._handler(decoded)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("handler failed on %s; the server will redeliver it", msg_id)
            await self._settle(lambda: message.nak(delay=0.5))
            return
        self.seen.add(msg_id)
        self.handled += 1
        await self._settle(message.ack)

    async def _settle(self, send: Callable[[], Awaitable[None]]) -> None:
        # A lost ack only means a redelivery after ack_wait, which ``seen`` absorbs.
        try:
            await send()
        except (nats.errors.Error, asyncio.TimeoutError) as error:
            log.debug("ack not sent: %r", error)

    async def stop(self, timeout: float = 5.0) -> None:
        """Finish the message in hand, then stop fetching (the durable consumer stays)."""
        self._stopping = True
        if self._task is not None:
            if self._fetching:
                self._task.cancel()  # waiting on the server: nothing in hand to lose
            try:
                await asyncio.wait_for(self._task, timeout)
            except (asyncio.CancelledError, asyncio.TimeoutError):
                pass
        try:
            await asyncio.wait_for(self._psub.unsubscribe(), timeout)
        except (nats.errors.Error, asyncio.TimeoutError, ValueError):
            pass
        if self in self.bus._subscribers:
            self.bus._subscribers.remove(self)


class BlockingNatsBus:
    """The synchronous ``MessageBus`` port over ``NatsBus``; its loop runs on a daemon thread."""

    def __init__(self, servers: str | list[str], **options: Any):
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_log_loop_error)
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-bus", daemon=True)
        self._pending: set = set()  # calls in flight: ``close`` cancels them rather than wait out their retries
        self._thread.start()
        self.core = NatsBus(servers, **options)
        self._timeout = self.core.publish_deadline_s + self.core.connect_timeout_s + 5.0
        try:
            self._call(self.core.connect())
        except BaseException:
            self._stop_loop()
            raise

    def _call(self, coroutine: Awaitable[Any], timeout: float | None = None) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        self._pending.add(future)
        try:
            return future.result(self._timeout if timeout is None else timeout)
        except TimeoutError:
            future.cancel()
            raise
        finally:
            self._pending.discard(future)

    def publish(self, topic: str, message: object, msg_id: str | None = None) -> Any:
        return self._call(self.core.publish(topic, message, msg_id))

    @property
    def connected(self) -> bool:
        """Whether the bus holds a live connection now (``EventPublisher.stop`` does not wait on a dead one)."""
        return self.core.connected

    def last_msg_id(self, topic: str) -> str | None:
        return self._call(self.core.last_msg_id(topic))

    def subscribe(self, topic: str, handler: Callable[[object], None], durable: str | None = None,
                  seen: SeenIds | None = None) -> Subscriber:
        return self._call(self.core.subscribe(topic, handler, durable, seen))

    def close(self, timeout: float = 8.0) -> None:
        """Cancel the calls in flight (a publish retrying against an unreachable server), close the
        connection (bounded by ``timeout``; a dead server is a warning, not an error), stop the loop."""
        for future in list(self._pending):
            future.cancel()
        try:
            self._call(self.core.close(), timeout)
        except Exception as error:  # noqa: BLE001 - shutting down: say so in one line, never a traceback
            log.warning("NATS bus did not close cleanly: %r", error)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> "BlockingNatsBus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


async def _log_error(error: Exception) -> None:
    log.debug("nats: %r", error)


def _log_loop_error(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    # The nats client's own tasks end with connection errors once the server is gone; one line each.
    log.debug("nats loop: %s %r", context.get("message"), context.get("exception"))


async def _log_disconnect() -> None:
    log.info("nats: disconnected; reconnecting")


async def _log_reconnect() -> None:
    log.info("nats: reconnected")
