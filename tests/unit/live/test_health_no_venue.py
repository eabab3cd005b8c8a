"""``/healthz`` says "degraded" while no venue is UP: the process lives, but every new order would be
rejected NO_VENUE_AVAILABLE, and a monitor reading "ok" would think the service healthy."""

from __future__ import annotations

from components.config.live import parse_live_config
from components.domain.venues import VenueStatus
from live.bootstrap import build_live
from live.entrypoints.service import OrderService
from tests.live_configs import IN_PROCESS, account, symbols

CONFIG = (symbols(AAPL="190.00") + IN_PROCESS + '\n[[venues]]\nname = "XNAS"\n\n[[venues]]\nname = "ARCX"\n'
          + account("ACCT-1", "CL-1", "ADV-1") + "\n[session]\nenabled = false\n")


def test_degraded_only_while_every_venue_is_down():
    live = build_live(parse_live_config(CONFIG, "test"))
    try:
        health = OrderService(live).health
        venues = live.link.market.venues
        assert health().body["status"] == "ok"
        venues["XNAS"].set_status(VenueStatus.DOWN)
        assert health().body["status"] == "ok"  # ARCX still routes
        venues["ARCX"].set_status(VenueStatus.DOWN)
        body = health().body
        assert body["status"] == "degraded" and body["venues"] == {"XNAS": "DOWN", "ARCX": "DOWN"}
        assert body["degraded_venues"] == []  # no venue misbehaved: none can be reached
        venues["ARCX"].set_status(VenueStatus.UP)
        assert health().body["status"] == "ok"
    finally:
        live.close()
