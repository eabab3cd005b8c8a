"""The live runtime's parts: dispatcher, wall clock, venue link, config, bootstrap, log masking."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import logging
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from components.settlement_time import settlement_calendar
from live.bootstrap import build_live
from live.adapters.clock import WallClock
from components.config.live import LiveConfig, LiveConfigError, load_live_config, parse_live_config
from live.adapters.direct_venue import FifoLink
from live.adapters.ids import UuidIds
from components.domain.outcomes import DONE, Handled
from live.runtime import LiveRuntime
from live.security import Masker, MaskingFilter, RateLimiter
from components.memory import ManualClock
from components.config.session import NEW_YORK
from live.entrypoints.serve import main as serve_main

ROOT = Path(__file__).resolve().parents[2]
MS = 1_000_000


# -- LiveRuntime --------------------------------------------------------------------------------

def test_dispatch_runs_follow_ups_breadth_first_before_returning():
    graph = {"a": ["b", "c"], "b": ["d"], "c": ["e"], "d": [], "e": []}
    seen: list[str] = []
    runtime = LiveRuntime(lambda m: seen.append(m) or Handled(f"outcome of {m}", graph[m]))
    assert runtime.dispatch("a") == "outcome of a"  # the outcome of the message given, not of a follow-up
    assert seen == ["a", "b", "c", "d", "e"] and runtime.idle and runtime.handled == 5


def test_a_dispatch_from_inside_a_handler_is_queued_behind_it():
    seen: list[str] = []
    depth = [0]

    def handle(message):
        depth[0] += 1
        assert depth[0] == 1, "handlers never nest"
        seen.append(message)
        if message == "send":
            assert runtime.dispatch("report") is None  # a venue answering synchronously inside send: queued
        depth[0] -= 1
        return Handled(DONE, ["next"] if message == "send" else [])

    runtime = LiveRuntime(handle)
    assert runtime.dispatch("send") is DONE
    assert seen == ["send", "report", "next"]


def test_messages_from_many_threads_never_overlap():
    inside = threading.Event()
    count = [0]

    def handle(message):
        assert not inside.is_set(), "two handlers ran at once"
        inside.set()
        value = count[0]
        time.sleep(0)  # invite a thread switch mid-update
        count[0] = value + 1
        inside.clear()
        return Handled(DONE)

    runtime = LiveRuntime(handle)
    threads = [threading.Thread(target=lambda: [runtime.dispatch(i) for i in range(300)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count[0] == 2400 == runtime.handled


def test_a_failing_handler_is_recorded_and_the_queue_goes_on(caplog):
    seen = []

    def handle(message):
        if message == "bad":
            raise RuntimeError("boom")
        seen.append(message)
        return Handled(DONE, ["bad", "good"] if message == "start" else [])

    runtime = LiveRuntime(handle)
    with caplog.at_level(logging.ERROR, logger="live"):
        runtime.dispatch("start")
        assert runtime.dispatch("bad") is None  # no outcome: the handler raised
    assert seen == ["start", "good"]
    assert runtime.failures == [("str", "RuntimeError('boom')")] * 2
    assert "handler failed" in caplog.text


def test_the_observer_sees_each_handler_time():
    timings = []
    runtime = LiveRuntime(lambda m: Handled(DONE), observe=lambda m, ns: timings.append((m, ns)))
    runtime.dispatch("x")
    assert [m for m, _ in timings] == ["x"] and timings[0][1] >= 0


# -- WallClock ----------------------------------------------------------------------------------

def test_wall_clock_fires_timers_in_time_order_through_the_invoker():
    fired: list[str] = []
    invoked = []

    async def scenario():
        clock = WallClock(invoke=lambda cb: (invoked.append(1), cb()))
        clock.bind()
        now = clock.now_ns()
        clock.call_at(now + 30 * MS, lambda: fired.append("late"))
        clock.call_at(now + 5 * MS, lambda: fired.append("soon"))
        clock.call_at(now - 1_000 * MS, lambda: fired.append("overdue"))
        await asyncio.sleep(0.1)
        return clock

    clock = asyncio.run(scenario())
    assert fired == ["overdue", "soon", "late"] and len(invoked) == 3 and clock.pending == 0


def test_wall_clock_now_is_utc_epoch_nanoseconds():
    assert abs(WallClock().now_ns() - time.time_ns()) < 1_000 * MS


def test_timers_asked_for_before_a_loop_are_held_until_bind():
    fired = []
    clock = WallClock()
    clock.call_at(clock.now_ns(), lambda: fired.append(threading.get_ident()))
    assert clock.pending == 1 and not fired

    async def scenario():
        clock.bind()
        await asyncio.sleep(0.02)

    asyncio.run(scenario())
    assert fired == [threading.get_ident()]


def test_call_at_from_another_thread_hops_onto_the_loop():
    fired = []

    async def scenario():
        clock = WallClock()
        clock.bind()
        loop_thread = threading.get_ident()
        worker = threading.Thread(target=lambda: clock.call_at(clock.now_ns(), lambda: fired.append(threading.get_ident())))
        worker.start()
        worker.join()
        await asyncio.sleep(0.05)
        return loop_thread

    loop_thread = asyncio.run(scenario())
    assert fired == [loop_thread]


def test_close_cancels_pending_timers():
    fired = []

    async def scenario():
        clock = WallClock()
        clock.bind()
        clock.call_at(clock.now_ns() + 20 * MS, lambda: fired.append(1))
        clock.close()
        clock.call_at(clock.now_ns(), lambda: fired.append(2))
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert fired == []


# -- FifoLink -----------------------------------------------------------------------------------

def test_the_venue_link_keeps_posting_order_and_its_delay():
    clock = ManualClock(1_000 * MS)
    link = FifoLink(clock, 2 * MS)
    ran: list[tuple[str, int]] = []
    for name in ("send", "cancel", "send2"):
        link.post(lambda name=name: ran.append((name, clock.now_ns())))
    clock.advance_to(1_001 * MS)
    assert ran == [] and len(link) == 3
    clock.advance_to(1_010 * MS)
    assert [n for n, _ in ran] == ["send", "cancel", "send2"]
    assert all(at == 1_002 * MS for _, at in ran)


# -- ids, calendar, rate limit ------------------------------------------------------------------

def test_uuid_ids_are_unique_and_prefixed():
    ids = UuidIds()
    made = {ids.next_id("ORD") for _ in range(1000)}
    assert len(made) == 1000 and all(i.startswith("ORD-") and len(i) == 36 for i in made)
    assert all(uuid.UUID(hex=i[4:]).version == 4 for i in made)


def test_a_friday_trade_settles_monday_at_nine_new_york():
    friday_afternoon = datetime(2026, 11, 27, 15, 0, tzinfo=NEW_YORK)
    settle_ns = settlement_calendar(1)(int(friday_afternoon.timestamp()) * 1_000_000_000)
    settle = datetime.fromtimestamp(settle_ns / 1e9, NEW_YORK)
    assert (settle.year, settle.month, settle.day, settle.hour) == (2026, 11, 30, 9)


def test_the_token_bucket_allows_the_burst_then_refills_at_the_rate():
    clock = ManualClock(0)
    limiter = RateLimiter(clock, rate_per_s=2.0, burst=3)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.5)
    assert limiter.acquire("other") == 0.0
    clock.advance_to(500 * MS)
    assert limiter.acquire("k") == 0.0
    assert RateLimiter.retry_after(0.2) == "1" and RateLimiter.retry_after(2.01) == "3"


# -- configuration ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, field, line", [
    ("colour = 1", "colour", 1),
    ("[risk]\ncolar_bps = 1", "risk.colar_bps", 2),
    ("[risk]\ncollar_bps = 'wide'", "risk.collar_bps", 2),
    ("[rate_limit]\nburst = 0", "rate_limit.burst", 2),
    ("[[accounts]]\naccount_id = 'A1'\nclient_id = 'C1'", "accounts[0].advisor_id", 1),  # the table missing it
    ("[[accounts]]\naccount_id = 'A1'\nclient_id = 'C1'\nadvisor_id = 'V'\ncash = 'lots'", "accounts[0].cash", 5),
    ("[[accounts]]\naccount_id = 'A1'\nclient_id = 'C1'\nadvisor_id = 'V'\nbalance = 1", "accounts[0].balance", 5),
    ("[[tokens]]\nadvisor_id = 'V'\ntoken = 'short'", "tokens[0].token", 3),
    ("[[tokens]]\nadvisor_id = 'V'", "tokens[0].token", 1),  # not given: the token's table
    ("[[tokens]]\nadvisor_id = 'V'\ntoken_sha256 = 'abc'", "tokens[0].token_sha256", 3),
    ("event_log = 'sqlite'", "event_log", 1),
    ("[risk]\nrestricted = ['TSLA']", "risk.restricted[0]", 2),
    ("[[symbols]]\nsymbol = 'AAPL'", "symbols[0].reference_price", 1),
    ("symbols = 3", "symbols", 1),
    ("x = ", "<document>", 1),
    ("# live\n\n[rate_limit]\nrate_per_s = 5.0\nburst_size = 5", "rate_limit.burst_size", 5),
])
def test_config_problems_name_the_line_and_field(text, field, line):
    with pytest.raises(LiveConfigError) as caught:
        parse_live_config(text, "live.toml")
    assert (caught.value.field, caught.value.line) == (field, line), caught.value
    assert str(caught.value).startswith(f"live.toml:{line}: {field}: ")


def test_an_empty_config_is_the_defaults_and_the_example_file_parses():
    assert parse_live_config("") == LiveConfig() == load_live_config(None)
    example = load_live_config(ROOT / "docs" / "live.example.toml")
    assert [s.symbol for s in example.symbols] == ["AAPL", "MSFT"]
    assert [t.role for t in example.tokens] == ["advisor", "advisor", "operator", "bsa_officer"]
    assert example.accounts[0].cash == 250_000 * 10_000  # money is exact integer units
    assert example.risk.collar_bps == 500 and example.liquidity.noise_traders == 2


def test_a_partial_section_keeps_the_defaults_of_the_rest():
    config = parse_live_config("[risk]\ncollar_bps = 100\n")
    assert config.risk.collar_bps == 100
    assert config.risk.max_order_notional == LiveConfig().risk.max_order_notional


def test_serve_refuses_a_bad_config_naming_the_key(tmp_path, capsys):
    bad = tmp_path / "live.toml"
    bad.write_text("[rate_limit]\nburst_size = 5\n")
    assert serve_main(["--config", str(bad)]) == 2
    assert f"{bad}:2: rate_limit.burst_size: unknown key" in capsys.readouterr().err


def test_twin_serve_hands_over_to_the_live_runtime(tmp_path):
    """``twin serve`` runs ``python -m live`` in its place: same options, same exit status."""
    bad = tmp_path / "live.toml"
    bad.write_text("[rate_limit]\nburst_size = 5\n")
    done = subprocess.run([sys.executable, "-m", "twin.cli", "serve", "--config", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "rate_limit.burst_size: unknown key" in done.stderr


# -- bootstrap ----------------------------------------------------------------------------------

def test_with_no_config_a_demo_token_is_made_for_the_first_advisor():
    live = build_live()
    assert live.demo_token and live.demo_advisor == "ADV-001"
    who = live.tokens.authenticate(live.demo_token)
    assert who is not None and who.advisor_id == "ADV-001"
    assert who.key != live.demo_token  # only the digest is kept
    assert live.tokens.authenticate("nope") is None and live.tokens.authenticate(None) is None
    assert len(live.accounts) > 0 and live.platform.oms is not None


def test_the_live_bootstrap_builds_the_twins_components():
    from components.ledger import Ledger
    from components.oms import Oms
    from components.order_entry import OrderEntry
    from components.post_trade import PostTrade
    from components.risk.engine import RiskEngine
    from components.routing import SmartOrderRouter

    p = build_live().platform
    for attr, kind in (("oms", Oms), ("entry", OrderEntry), ("risk", RiskEngine), ("router", SmartOrderRouter),
                       ("post_trade", PostTrade), ("ledger", Ledger)):
        assert isinstance(getattr(p, attr), kind), attr


# -- log masking --------------------------------------------------------------------------------

def test_the_masker_hides_ids_by_context_and_known_ids_anywhere():
    m = Masker(["ACCT-1001", "CLNT-9"], ["Ada Lovelace"])
    assert m("account_id=ZZ-123456 client_id='Q-77'") == "account_id=***56 client_id='***77'"
    assert m("GET /v1/accounts/ACCT-5555/positions") == "GET /v1/accounts/***55/positions"
    assert m("advisor X is not entitled to account ACCT-1001") == "advisor X is not entitled to account ***01"
    assert m("Ada Lovelace (CLNT-9) paid") == "***ce (***-9) paid"
    assert m("Authorization: Bearer abc.def-123") == "Authorization: Bearer [REDACTED]"
    assert m("client_order_id=C-1 order_id=ORD-1") == "client_order_id=C-1 order_id=ORD-1"


def test_the_access_log_keeps_its_argument_tuple():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", "/v1/accounts/ACCT-1001/positions", "1.1", 200), None)
    assert MaskingFilter(Masker()).filter(record)
    assert record.args[2] == "/v1/accounts/***01/positions" and record.args[4] == 200


# -- in-process venues --------------------------------------------------------------------------

def _venues(clock, noise_traders=2):
    from live.adapters.direct_venue import InProcessVenues
    from live.adapters.ids import EntropyStreams
    from components.config.market import Liquidity, SymbolConfig, Venue

    return InProcessVenues(clock, EntropyStreams(), [SymbolConfig("AAPL", 1_900_000)],
                           [Venue("XNAS", latency_ms=1.0), Venue("BATS", latency_ms=2.0)],
                           Liquidity(noise_traders=noise_traders, noise_rate_per_s=5.0, requote_s=1.0))


def test_in_process_venues_keep_two_sided_books_on_their_timers():
    clock = ManualClock(1_000_000 * 1_000 * MS)
    market = _venues(clock)
    market.start()
    for venue in market.venues.values():
        quote = venue.quote("AAPL", clock.now_ns())
        assert 0 < quote.bid < quote.ask and quote.bid_size and quote.ask_size
    clock.advance_to(clock.now_ns() + 30_000 * MS)  # 30 s of requotes and noise trading
    for venue in market.venues.values():
        quote = venue.quote("AAPL", clock.now_ns())
        assert 0 < quote.bid < quote.ask
    market.stop()
    market.start()  # a restart does not double the participants
    assert len(market.makers) == 2 and len(market.noise) == 2


def test_the_direct_gateway_delivers_after_the_latency_and_reports_in_order():
    from components.domain.orders import OrderType, Side, TimeInForce
    from components.domain.venues import ChildOrder

    clock = ManualClock(1_000_000 * 1_000 * MS)
    market = _venues(clock, noise_traders=0)
    market.start()
    reports = []
    market.gateway.connect(reports.append)
    child = ChildOrder("CH-1", "ORD-1", "BATS", "AAPL", Side.BUY, 700, OrderType.MARKET, None, TimeInForce.IOC)
    market.gateway.send(child)
    clock.advance_to(clock.now_ns() + 1 * MS)
    assert reports == [] and market.gateway.in_flight == 1  # BATS is 2 ms away
    clock.advance_to(clock.now_ns() + 2 * MS)
    kinds = [r.kind.value for r in reports]
    assert kinds[0] == "ACK" and "FILL" in kinds and market.gateway.in_flight == 0
    assert sum(r.last_qty for r in reports if r.kind.value == "FILL") + \
        sum(r.last_qty for r in reports if r.kind.value == "CANCELED") == 700
