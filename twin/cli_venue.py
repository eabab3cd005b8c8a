"""``twin venue serve``: one simulated venue as a FIX 4.4 acceptor on loopback.

The venue's fees and the symbols' reference prices come from a scenario (the
built-in ``trading_day`` unless ``--scenario`` names another); a venue or
symbol the scenario does not list gets the scenario defaults ($0.0020 rebate,
$0.0030 fee, $100.00 reference). ``--liquidity`` adds the scenario's market
maker per symbol, requoting around a random-walk fair value on the wall clock.

The command prints one ``serving ...`` line once the port is bound, then
runs until SIGINT or SIGTERM and stops the acceptor cleanly (sessions logged
out, stores closed).
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from components.domain.money import to_units
from components.config.market import SymbolConfig, Venue
from components.config.schema import ScenarioError
from scenarios.config import builtin_scenario_path, load_scenario

from . import cli_args

_DEFAULT_REFERENCE = to_units("100.00")


def register(subparsers) -> None:
    """Add ``venue serve`` to the ``twin`` command line."""
    venue = subparsers.add_parser("venue", help="simulated venues outside the twin")
    venue_sub = venue.add_subparsers(dest="venue_command", required=True)
    serve = venue_sub.add_parser("serve", help="run a simulated venue as a FIX 4.4 acceptor on 127.0.0.1")
    serve.add_argument("--venue", required=True, help="venue name, e.g. XNAS; also the acceptor's SenderCompID")
    serve.add_argument("--port", type=int, required=True, help="TCP port to accept FIX sessions on")
    serve.add_argument("--config", default=None,
                       help="QuickFIX settings file (default: the shipped venues_sim/fix/acceptor.cfg template)")
    serve.add_argument("--symbols", default=None, help="comma-separated symbols (default: the scenario's)")
    serve.add_argument("--liquidity", action="store_true", help="run a market maker per symbol")
    serve.add_argument("--scenario", default=None, help="scenario for fees, prices, liquidity (default: trading_day)")
    serve.add_argument("--seed", type=cli_args.seed, default=None,
                       help="seed for the market makers (default: the scenario's)")
    serve.add_argument("--run-dir", default=None, help="folder for the rendered settings, stores, logs (default: temp)")
    serve.add_argument("--screen-log", action="store_true", help="log FIX traffic to stdout instead of files")
    serve.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario or builtin_scenario_path("trading_day"))
    except (ScenarioError, OSError) as exc:
        print(f"invalid scenario: {exc}", file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"--port must be 1-65535, got {args.port}", file=sys.stderr)
        return 2
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()] if args.symbols else \
        [s.symbol for s in scenario.symbols]
    if not symbols or len(set(symbols)) != len(symbols):
        print(f"--symbols must be distinct and non-empty, got {args.symbols!r}", file=sys.stderr)
        return 2
    try:
        # Imported late: quickfix is an optional dependency, and importing it
        # resets SIGINT to the default action, so handlers go in afterwards.
        import quickfix as fix

        from venues_sim.fix_acceptor import FixVenueServer, VenueFixApp
        from venues_sim.fix_config import write_acceptor_settings
    except ImportError as exc:
        print(f"quickfix is not installed ({exc}); pip install quickfix", file=sys.stderr)
        return 2
    from venues_sim.fees import fee_model_of

    venue_cfg = next((vc for vc in scenario.venues if vc.name == args.venue), Venue(name=args.venue))
    app = VenueFixApp(args.venue, fee_model_of(venue_cfg), symbols)
    makers = _market_makers(app, scenario, symbols, args.seed) if args.liquidity else []
    run_dir = Path(args.run_dir) if args.run_dir else Path(tempfile.mkdtemp(prefix=f"venue-{args.venue}-"))
    try:
        settings = write_acceptor_settings(run_dir, venue=args.venue, port=args.port,
                                           config=Path(args.config) if args.config else None)
    except (OSError, ValueError) as exc:
        print(f"bad settings: {exc}", file=sys.stderr)
        return 2
    server = FixVenueServer(app, settings, makers=makers, requote_s=scenario.liquidity.requote_s,
                            screen_log=args.screen_log)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
    except (fix.ConfigError, fix.RuntimeError) as exc:
        print(f"cannot start acceptor: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"serving venue {args.venue} FIX.4.4 on 127.0.0.1:{args.port} symbols {','.join(symbols)} "
              f"liquidity {'on' if makers else 'off'} settings {settings}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print(f"stopped venue {args.venue}", flush=True)
    return 0


def _market_makers(app, scenario, symbols: list[str], seed: int | None) -> list:
    """One market maker per symbol on ``app.venue``, each with its own seeded streams."""
    import numpy as np

    from venues_sim.liquidity import fair_value_path, standard_maker

    liq = scenario.liquidity
    refs = {s.symbol: s for s in scenario.symbols}
    root = np.random.SeedSequence(scenario.seed if seed is None else seed)
    streams = root.spawn(2 * len(symbols))
    with app.lock:
        start_ns = app.now_ns()
    makers = []
    for i, symbol in enumerate(symbols):
        ref = refs.get(symbol) or SymbolConfig(symbol=symbol, reference_price=_DEFAULT_REFERENCE)
        fair = fair_value_path(ref.reference_price, ref.daily_vol_bps, np.random.default_rng(streams[2 * i]), start_ns)
        makers.append(standard_maker(app.venue, symbol, fair, np.random.default_rng(streams[2 * i + 1]), liq))
    return makers
