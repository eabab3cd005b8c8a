"""How the live platform reaches its venues: a gateway, market data, and their lifecycle.

The bootstrap picks one of these from ``[venue_link] mode``:

* ``DirectLink``: in-process ``venues_sim`` venues on the wall clock
  (``direct_venue``), no FIX. The gateway may be replaced (benchmarks pass an
  acknowledging stub); market data still reads the in-process books.
* ``FixLink``: the FIX initiator gateway (``fix.gateway``), with venue health
  from its sessions and quotes from its FIX market data subscriptions (the
  gateway's ``quotes``, read by ``VenueMarketData``). ``embedded`` (an
  ``EmbeddedFixVenues``) serves simulated venues over FIX inside this
  process; without it the venues are remote. Either way market data comes
  over FIX: a venue that refuses it has health but no quotes (the router then
  rests orders at the venue with the best maker rebate, and risk uses the
  last good mid or the configured reference prices).

``start`` runs once the runtime exists; ``stop`` leaves working orders at
their venues (the gateway logs out; it does not cancel them).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from components.ports import VenueGateway

from live.adapters.direct_venue import InProcessVenues
from live.adapters.fix.settings import claim_embedded_sender, write_initiator_settings
from live.adapters.market_data import VenueMarketData

if TYPE_CHECKING:  # quickfix is imported only when a FIX link is built
    from live.adapters.embedded_venues import EmbeddedFixVenues
    from live.adapters.fix.gateway import FixVenueGateway

log = logging.getLogger("live")

Run = Callable[..., object]  # LiveRuntime.run: call holding the components


class DirectLink:
    """In-process venues and their market makers; ``gateway`` defaults to theirs."""

    def __init__(self, market: InProcessVenues, now_ns: Callable[[], int], gateway: VenueGateway | None = None):
        self.market = market
        self.gateway = gateway if gateway is not None else market.gateway
        self.market_data = VenueMarketData(now_ns, market.venues, market.opening_prices)

    def start(self, run: Run) -> None:
        run(self.market.start)

    def stop(self, run: Run) -> None:
        run(self.market.stop)

    def statuses(self) -> dict[str, str]:
        return self.market_data.statuses()


class FixLink:
    """The FIX gateway, its settings, and (when embedded) the venues it talks to."""

    def __init__(self, gateway: FixVenueGateway, market_data: VenueMarketData, run_dir: Path, *,
                 sender: str, settings: Path | None = None, sessions: dict[str, tuple[str, int]] | None = None,
                 embedded: EmbeddedFixVenues | None = None, logon_timeout_s: float = 10.0) -> None:
        self.gateway = gateway
        self.market_data = market_data
        self.embedded = embedded
        self._run_dir = Path(run_dir)
        self._sender = sender
        self._settings = settings
        self._sessions = dict(sessions or {})
        self._logon_timeout_s = logon_timeout_s
        self.settings_path: Path | None = None

    def start(self, _run: Run) -> None:
        """Serve the embedded venues (if any), render the settings, connect, wait for logons
        and the first market data snapshots (bounded by ``logon_timeout_s`` in all)."""
        sessions, sender = dict(self._sessions), self._sender
        if self.embedded is not None:
            # Another live stack in this process (tests) may hold our session ids: pick free ones.
            sender, claimed = claim_embedded_sender(self._sender, self.gateway.venues)
            self.embedded.start(counterparty=sender, claimed=claimed)
            sessions.update(self.embedded.sessions)
        self.settings_path = write_initiator_settings(self._run_dir / "fix" / "gateway", sender=sender,
                                                      venues=list(self.gateway.venues), sessions=sessions,
                                                      config=self._settings)
        self.gateway.start(self.settings_path)
        deadline = time.monotonic() + self._logon_timeout_s
        down = self.gateway.wait_logged_on(self._logon_timeout_s)
        if down:
            log.warning("FIX sessions not logged on after %.1f s: %s (DOWN until they log on)",
                        self._logon_timeout_s, ", ".join(down))
        # The first snapshots too, within the same time: the first orders are routed on real quotes.
        up = [v for v in self.gateway.venues if v not in down]
        silent = self.gateway.quotes.wait_answered(up, max(0.0, deadline - time.monotonic()))
        if silent:
            log.warning("no market data snapshot yet from %s (no quotes from them until one comes)",
                        ", ".join(silent))

    def stop(self, _run: Run) -> None:
        self.gateway.stop()
        if self.embedded is not None:
            self.embedded.stop()

    def statuses(self) -> dict[str, str]:
        return self.market_data.statuses()

    def quiet(self) -> bool:
        """Nothing in flight between the gateway and the embedded venues, and no report waiting."""
        if self.embedded is None:
            return self.gateway.idle
        gateway = self.gateway
        before = (dict(gateway.sent), dict(gateway.received))
        # Counts first: a report is counted once queued, so matching counts then an idle
        # pump mean it was handled; the recount catches anything the pump sent meanwhile.
        if not self.embedded.quiet(*before) or not gateway.idle:
            return False
        return (dict(gateway.sent), dict(gateway.received)) == before and self.embedded.quiet(*before)
