"""Simulated venues served over FIX inside the live process (the embedded default).

``EmbeddedFixVenues`` runs one ``venues_sim`` venue per configured venue, each
behind its own ``FixVenueServer`` (a QuickFIX acceptor) on a free loopback
port, so a new user gets the whole live stack, FIX sessions included, from
one ``twin serve``. With ``liquidity`` each venue gets a market maker per
symbol requoting on its server's timer thread; makers of one symbol share a
fair value path across venues (``SharedFairValue``) so the venues quote the
same market. The live MarketData gets their quotes over FIX, as from any
remote venue (MarketDataRequest / snapshots, see ``venues_sim.fix_market_data``).

``stop_venue`` / ``restart_venue`` take one venue away and bring a fresh one
back on the same port, as a crashed and restarted venue process would: its
book starts empty. Each venue counts the FIX application messages it
received and sent in the current logon (resends of earlier ones aside), so ``quiet`` can tell when nothing is in flight between
the venues and the gateway (tests and scripted sessions wait on it).
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Iterable

import quickfix as fix

from components.ports import RandomSource

from live.adapters.fix.settings import release_sessions
from components.config.market import Liquidity, SymbolConfig, Venue
from venues_sim.fees import fee_model_of
from venues_sim.fix_acceptor import FixVenueServer, VenueFixApp
from venues_sim.fix_config import format_settings, render_acceptor_settings, template_path
from venues_sim.liquidity import FairValue, MarketMaker, fair_value_path, standard_maker

log = logging.getLogger("live.fix")

LOOPBACK = "127.0.0.1"
_BIND_ATTEMPTS = 5


def free_port() -> int:
    """A TCP port free on loopback right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class SharedFairValue:
    """A ``FairValue`` several venues' makers ask from their own threads.

    Serialized by a lock, and asked for a never-decreasing time: each venue's
    clock is monotonic but two venues' readings interleave, and ``FairValue``
    refuses to go back.
    """

    def __init__(self, fair: FairValue) -> None:
        self._fair = fair
        self._lock = threading.Lock()
        self._last_ns = 0
        self.tick = fair.tick

    def at(self, now_ns: int) -> int:
        with self._lock:
            self._last_ns = max(self._last_ns, now_ns)
            return self._fair.at(self._last_ns)


class CountingVenueFixApp(VenueFixApp):
    """A ``VenueFixApp`` that counts the application messages it processed and sent."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.received = 0
        self.sent = 0
        self._logon_seq = 0

    def onLogon(self, sessionID):  # noqa: N802, N803 - QuickFIX names
        self.received = self.sent = 0  # counted per logon, as the gateway counts
        super().onLogon(sessionID)

    def fromAdmin(self, message, sessionID):  # noqa: N802, N803
        try:
            if message.getHeader().getField(35) == "A":
                self._logon_seq = int(message.getHeader().getField(34))
        except Exception:  # pragma: no cover - must not escape into QuickFIX
            log.exception("fromAdmin failed")
        super().fromAdmin(message, sessionID)

    def fromApp(self, message, sessionID):  # noqa: N802, N803
        try:
            seq = int(message.getHeader().getField(34))
        except Exception:  # pragma: no cover - QuickFIX always sets it
            seq = self._logon_seq + 1
        try:
            super().fromApp(message, sessionID)
        finally:
            # After the venue acted on it and queued its answers. A message from an earlier
            # logon, resent now (it went missing), was counted by the gateway back then.
            if seq > self._logon_seq:
                self.received += 1

    def send_pending(self, timeout: float) -> bool:
        sent = super().send_pending(timeout)
        if sent:
            self.sent += 1
        return sent


class EmbeddedFixVenues:
    """``venues`` served over FIX on loopback, started with ``start``."""

    def __init__(self, symbols: Iterable[SymbolConfig], venues: Iterable[Venue], run_dir: Path,
                 streams: RandomSource, liquidity: Liquidity | None = None) -> None:
        self._symbols = tuple(symbols)
        self._venue_configs = {v.name: v for v in venues}
        self._run_dir = Path(run_dir)
        self._streams = streams
        self._liquidity = liquidity
        self.counterparty = "BD"  # the gateway's SenderCompID, set by ``start``
        self._claimed: list[str] = []
        self._fair: dict[str, SharedFairValue] = {}
        self.ports: dict[str, int] = {}
        self.apps: dict[str, CountingVenueFixApp] = {}
        self.servers: dict[str, FixVenueServer] = {}
        self.venues: dict = {}  # name -> the SimVenue serving now (replaced on restart)
        self.locks: dict[str, threading.RLock] = {}
        self._restarts: dict[str, int] = {}

    @property
    def names(self) -> list[str]:
        return list(self._venue_configs)

    @property
    def sessions(self) -> dict[str, tuple[str, int]]:
        """venue -> (host, port) for the gateway's settings."""
        return {name: (LOOPBACK, port) for name, port in self.ports.items()}

    def start(self, counterparty: str = "BD", claimed: Iterable[str] = ()) -> None:
        """Serve every venue to the gateway ``counterparty``; ``claimed`` are the session ids
        reserved for them (``fix.settings.claim_embedded_sender``), released at ``stop``."""
        self.counterparty = counterparty
        self._claimed = list(claimed)
        for name in self._venue_configs:
            if name not in self.servers:
                self._serve(name, None)

    def stop(self) -> None:
        for name in list(self.servers):
            self.stop_venue(name)
        release_sessions(self._claimed)  # every acceptor is destroyed by now
        self._claimed = []

    def stop_venue(self, name: str) -> None:
        """Stop one venue's acceptor (its sessions are logged out); the port stays reserved for it."""
        server = self.servers.pop(name, None)
        if server is not None:
            server.stop()
            log.info("embedded venue %s stopped", name)

    def restart_venue(self, name: str) -> None:
        """Serve ``name`` again on its port, with a fresh (empty) book."""
        self.stop_venue(name)
        self._serve(name, self.ports.get(name))

    # -- internals ------------------------------------------------------------------
    def _serve(self, name: str, port: int | None) -> None:
        config = self._venue_configs[name]
        app = CountingVenueFixApp(name, fee_model_of(config), [s.symbol for s in self._symbols])
        makers = self._makers(app) if self._liquidity is not None else []
        restarts = self._restarts[name] = self._restarts.get(name, -1) + 1
        attempts = 1 if port is not None else _BIND_ATTEMPTS  # a chosen port may be taken by the time we bind
        for attempt in range(attempts):
            chosen = port if port is not None else free_port()
            settings = self._settings(name, chosen, self._run_dir / name / str(restarts))
            server = FixVenueServer(app, settings, makers=makers,
                                    requote_s=self._liquidity.requote_s if self._liquidity else 1.0)
            try:
                server.start()
            except fix.RuntimeError:
                if attempt + 1 == attempts:
                    raise
                continue
            break
        self.ports[name], self.apps[name], self.servers[name] = chosen, app, server
        self.venues[name], self.locks[name] = app.venue, app.lock
        log.info("embedded venue %s serving FIX.4.4 on %s:%d (liquidity %s)", name, LOOPBACK, chosen,
                 "on" if makers else "off")

    def _settings(self, name: str, port: int, run_dir: Path) -> Path:
        """The shipped acceptor template for ``name`` on ``port``, accepting our gateway's SenderCompID."""
        sections = render_acceptor_settings(template_path().read_text(encoding="utf-8"), venue=name, port=port,
                                            run_dir=run_dir)
        for section, values in sections:
            if section == "SESSION":
                values["TargetCompID"] = self.counterparty
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / "acceptor.cfg"
        path.write_text(format_settings(sections), encoding="utf-8")
        return path

    def _makers(self, app: CountingVenueFixApp) -> list[MarketMaker]:
        liq = self._liquidity
        with app.lock:
            start_ns = app.now_ns()
        makers = []
        for s in self._symbols:
            fair = self._fair.get(s.symbol)
            if fair is None:
                fair = self._fair[s.symbol] = SharedFairValue(fair_value_path(
                    s.reference_price, s.daily_vol_bps, self._streams.stream(f"fair:{s.symbol}"), start_ns))
            makers.append(standard_maker(app.venue, s.symbol, fair,
                                         self._streams.stream(f"mm:{app.venue.name}:{s.symbol}"), liq))
        return makers

    def quiet(self, sent: dict[str, int], received: dict[str, int]) -> bool:
        """Nothing in flight with the gateway whose per-venue counts are ``sent``/``received``:
        every venue processed all it was sent and every answer it queued reached the gateway."""
        for name, app in self.apps.items():
            if name not in self.servers:
                continue  # stopped: nothing can be in flight
            if not app.outbox_empty() or app.received != sent.get(name, 0) or app.sent != received.get(name, 0):
                return False
        return True
