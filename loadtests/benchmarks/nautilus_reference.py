"""NautilusTrader run on THIS machine on bench_replay's workload: the reference issue 12's speed target is set against.

Issue 12's target is "the whole process, from reading the day to the last
output written, at least 2x faster than NautilusTrader's whole process on the
same workload, with peak memory below its". The issue quotes NautilusTrader's
figures from a run on another (faster or quieter) machine; this script measures
them here, in the same conditions as ``bench_replay.py``.

It creates once (and then reuses) a virtualenv of its own, ``.venv-nautilus/``
in the repository root (git-ignored), with ``nautilus_trader==1.221.0`` from
the package registry. NautilusTrader is never a dependency of the project: its
venv and pyproject.toml are untouched, and nothing here imports it outside that
venv. Then, in a child process of that venv (this same file, ``--child``), it
backtests exactly bench_replay's workload:

- the same parquet day (``bench_replay.write_day``: top-of-book quotes for AAPL
  on XNAS, random-walk bid in whole cents from 190.00, one-cent spread, evenly
  over 09:30-16:00 New York), read with pyarrow and turned into QuoteTicks
  with ``QuoteTick.from_raw_arrays_to_list`` (the Cython bulk builder the
  QuoteTickDataWrangler also uses, without the pandas round trip);
- one simulated venue (``BacktestEngine.add_venue``: XNAS, NETTING, MARGIN
  account, USD 10,000,000, L1 book) and the US equity ``TestInstrumentProvider.equity``
  gives (zero maker and taker fees, so the default fee model charges nothing);
- a Strategy that sends a 100-share MARKET order every ``every``-th quote,
  alternating buy and sell, the first a buy (as ``twin.replay_orders.EveryNthQuote``).

The child times, from the inside: its imports, the data preparation (reading
the parquet day and building the ticks), the engine setup (venue, instrument,
``add_data``, which sorts and validates the ticks, and the strategy) and
``engine.run()``, and prints them with the fills it saw as one JSON line
(``LINE_TAG``). The parent measures the whole child process as bench_replay
measures ours: wall time from spawn to exit, CPU time (user + system) and peak
RSS from ``wait4``. The run checks that every order sent was filled
(10,000 orders and 10,000 fills at 1,000,000 quotes): the workload really ran.

    python loadtests/benchmarks/nautilus_reference.py [--quotes N] [--every K] [--day DIR]

``--day DIR`` uses an existing day (DIR/quotes.parquet, as bench_replay writes
it) instead of writing one. ``bench_replay.py --nautilus`` runs this right after
our own run, on the same day file. See docs/nautilus_reference.md.

This file imports only the standard library at the top: the same file runs in
the project's venv (the parent) and in ``.venv-nautilus`` (the child).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-nautilus"
VERSION = "1.221.0"
PACKAGE = f"nautilus_trader=={VERSION}"
LINE_TAG = "NAUTILUS-REFERENCE "
"""The child's result line on stdout: this tag, then one JSON object (``ReferenceRun``'s fields)."""
ORDER_QUANTITY = 100
STARTING_USD = 10_000_000  # far above 100 shares at ~190: the account never limits the orders
PRICE_SCALE = 10_000  # the day's prices are integer 1/10,000 dollars (the project's price unit)


@dataclasses.dataclass(frozen=True, slots=True)
class ReferenceRun:
    """One NautilusTrader run of the workload: counts, phase times (s) and whole-process figures.

    ``whole_s``, ``cpu_s`` and ``peak_mib`` are the whole child process as the parent saw it (spawn to
    exit wall time, user + system CPU and peak RSS from ``wait4``), like bench_replay's figures for ours;
    in the child's own line they are its own view (wall from its first line, so without interpreter start).
    """

    version: str
    quotes: int
    quotes_seen: int
    orders: int
    fills: int
    filled_shares: int
    fills_at_touch: int
    imports_s: float
    prep_s: float
    setup_s: float
    run_s: float
    whole_s: float
    cpu_s: float
    peak_mib: float

    @property
    def workload_ran(self) -> bool:
        """Every quote reached the strategy and every order sent was filled in full."""
        return (self.orders > 0 and self.quotes_seen == self.quotes and self.fills == self.orders
                and self.filled_shares == self.orders * ORDER_QUANTITY)


_NUMBERS = {field.name: field.type for field in dataclasses.fields(ReferenceRun) if field.name != "version"}


def parse_line(text: str) -> ReferenceRun:
    """The ``ReferenceRun`` in the child's output (the line starting ``LINE_TAG``).

    Raises ``ValueError`` with a one-line message naming the missing line, the bad JSON or the bad field.
    """
    line = next((line for line in text.splitlines() if line.startswith(LINE_TAG)), None)
    if line is None:
        raise ValueError(f"nautilus_reference: no {LINE_TAG.strip()!r} line in the child's output")
    try:
        values = json.loads(line[len(LINE_TAG):])
    except json.JSONDecodeError as error:
        raise ValueError(f"nautilus_reference: the {LINE_TAG.strip()} line is not JSON ({error.msg}, "
                         f"column {error.colno})") from None
    if not isinstance(values, dict):
        raise ValueError(f"nautilus_reference: the {LINE_TAG.strip()} line is not a JSON object")
    fields: dict[str, object] = {}
    for name in ("version", *_NUMBERS):
        if name not in values:
            raise ValueError(f"nautilus_reference: field {name!r} missing from the {LINE_TAG.strip()} line")
        value = values[name]
        if name == "version":
            ok = isinstance(value, str)
        elif _NUMBERS[name] == "int":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")
        if not ok:
            kind = "a string" if name == "version" else f"a non-negative {_NUMBERS[name]}"
            raise ValueError(f"nautilus_reference: field {name!r} must be {kind}, got {value!r}")
        fields[name] = value if name == "version" or _NUMBERS[name] == "int" else float(value)
    return ReferenceRun(**fields)  # type: ignore[arg-type]


def format_table(run: ReferenceRun, every: int) -> str:
    """The run as a small table: workload and its check, the phases, and the whole-process figures."""
    ran = "the workload ran" if run.workload_ran else "MISMATCH: the workload did not run as specified"
    rows = [
        f"NautilusTrader {run.version}, measured in this run on this machine",
        f"  workload            {run.quotes:,} quotes ({run.quotes_seen:,} seen by the strategy), "
        f"{run.orders:,} MARKET orders (every {every}th quote), {run.fills:,} fills of "
        f"{run.filled_shares:,} shares: {ran}",
        f"  fills at the touch  {run.fills_at_touch:,} of {run.fills:,} (a buy at the ask, a sell at the bid of "
        f"the quote that sent it)",
        f"  imports             {run.imports_s:7.2f} s",
        f"  data prep           {run.prep_s:7.2f} s (read the parquet day, build the QuoteTicks)",
        f"  engine setup        {run.setup_s:7.2f} s (venue, instrument, add_data sorts the ticks, strategy)",
        f"  run()               {run.run_s:7.2f} s",
        f"  whole process       {run.whole_s:7.2f} s wall, {run.cpu_s:.2f} s CPU (user+sys), "
        f"peak RSS {run.peak_mib:,.0f} MiB",
    ]
    return "\n".join(rows)


def venv_python(venv: Path = VENV) -> Path:
    """The NautilusTrader venv's interpreter (it may not exist yet)."""
    return venv / "bin" / "python"


def installed_version(venv: Path = VENV) -> str | None:
    """The nautilus_trader version installed in ``venv``, or None when there is no venv or no package."""
    python = venv_python(venv)
    if not python.exists():
        return None
    done = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('nautilus_trader'))"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(venv: Path = VENV) -> Path:
    """``venv`` with ``nautilus_trader==VERSION`` in it (created and installed once, then reused): its python."""
    if installed_version(venv) == VERSION:
        return venv_python(venv)
    print(f"nautilus_reference: installing {PACKAGE} into {venv} (once; it is reused afterwards)", file=sys.stderr)
    steps = [[str(venv_python(venv)), "-m", "pip", "install", "--quiet", PACKAGE]]
    if not venv_python(venv).exists():
        # venv makes it over the base interpreter: the new venv does not see the project's packages.
        steps.insert(0, [sys.executable, "-m", "venv", str(venv)])
    for step in steps:
        if subprocess.run(step).returncode != 0:
            raise RuntimeError(f"nautilus_reference: {' '.join(step[1:])} failed (see above)")
    if installed_version(venv) != VERSION:
        raise RuntimeError(f"nautilus_reference: {venv} has no {PACKAGE} after installing it")
    return venv_python(venv)


def measure(day: Path, every: int = 100, venv: Path = VENV) -> ReferenceRun:
    """NautilusTrader on ``day`` (a folder with quotes.parquet) in a child process of ``venv``.

    The venv must exist (``ensure_venv``). The whole-process figures are the child's, from ``wait4``.
    """
    python = venv_python(venv)
    if not python.exists():
        raise FileNotFoundError(f"nautilus_reference: {python} not found (run ensure_venv first)")
    command = [str(python), str(Path(__file__).resolve()), "--child", str(day / "quotes.parquet"),
               "--every", str(every)]
    with tempfile.TemporaryDirectory(prefix="nautilus_reference_") as tmp:
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            started = time.perf_counter()
            # cwd: anything the engine might write lands in the temporary folder; env: no project path.
            child = subprocess.Popen(command, cwd=tmp, stdout=out, stderr=err, env={"PATH": "/usr/bin:/bin"})
            _, status, usage = os.wait4(child.pid, 0)
            whole = time.perf_counter() - started
        stdout, stderr = out_path.read_text(), err_path.read_text()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        last = (stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"nautilus_reference: the NautilusTrader child exited with {code}: {last}")
    run = parse_line(stdout)
    return dataclasses.replace(run, whole_s=whole, cpu_s=usage.ru_utime + usage.ru_stime,
                               peak_mib=usage.ru_maxrss / 1024)


def write_day(day: Path, quotes: int) -> None:
    """bench_replay's day, written by bench_replay in a process of its own (keeps this process small)."""
    subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_replay.py"), "--write-day",
                    str(day), "--quotes", str(quotes)], check=True,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def child(quotes_path: Path, every: int) -> int:
    """The backtest, inside ``.venv-nautilus``: prints the ``LINE_TAG`` line and returns 0."""
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    import numpy as np
    import pyarrow.parquet as pq
    from nautilus_trader.backtest.config import BacktestEngineConfig
    from nautilus_trader.backtest.engine import BacktestEngine
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.config import StrategyConfig
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.data import QuoteTick
    from nautilus_trader.model.enums import AccountType
    from nautilus_trader.model.enums import OmsType
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.identifiers import InstrumentId
    from nautilus_trader.model.identifiers import Venue
    from nautilus_trader.model.objects import Money
    from nautilus_trader.model.objects import Quantity
    from nautilus_trader.test_kit.providers import TestInstrumentProvider
    from nautilus_trader.trading.strategy import Strategy
    import nautilus_trader

    class EveryNthConfig(StrategyConfig, frozen=True):
        """The instrument and the order rate."""

        instrument_id: InstrumentId
        every: int = 100

    class EveryNth(Strategy):
        """A 100-share MARKET order every ``every``-th quote, alternating buy and sell (first a buy)."""

        def __init__(self, config: EveryNthConfig) -> None:
            super().__init__(config)
            self.seen = self.sent = self.fills = self.filled_shares = self.fills_at_touch = 0
            self.quantity = Quantity.from_int(ORDER_QUANTITY)
            self.touch: dict[object, object] = {}  # order id -> the opposite side's price when it was sent

        def on_start(self) -> None:
            self.subscribe_quote_ticks(self.config.instrument_id)

        def on_quote_tick(self, tick: QuoteTick) -> None:
            self.seen += 1
            if self.seen % self.config.every:
                return
            buy = self.sent % 2 == 0
            self.sent += 1
            order = self.order_factory.market(self.config.instrument_id, OrderSide.BUY if buy else OrderSide.SELL,
                                              self.quantity)
            self.touch[order.client_order_id] = tick.ask_price if buy else tick.bid_price
            self.submit_order(order)

        def on_order_filled(self, event) -> None:
            self.fills += 1
            self.filled_shares += int(event.last_qty.as_double())
            self.fills_at_touch += event.last_px == self.touch.pop(event.client_order_id, None)

    imported = time.perf_counter()

    instrument = TestInstrumentProvider.equity(symbol="AAPL", venue="XNAS")  # zero maker and taker fees
    table = pq.read_table(quotes_path, columns=["timestamp_ns", "bid", "bid_size", "ask", "ask_size"])
    ts = table.column("timestamp_ns").to_numpy().astype(np.uint64)
    ticks = QuoteTick.from_raw_arrays_to_list(  # takes prices and sizes as float64 (not fixed-point raws)
        instrument.id, instrument.price_precision, instrument.size_precision,
        table.column("bid").to_numpy() / PRICE_SCALE, table.column("ask").to_numpy() / PRICE_SCALE,
        table.column("bid_size").to_numpy().astype(np.float64), table.column("ask_size").to_numpy().astype(np.float64),
        ts, ts)
    quotes = len(ticks)
    del table, ts
    prepared = time.perf_counter()

    # Logging at ERROR: NautilusTrader would otherwise log every order event (our run logs no lines either).
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(Venue("XNAS"), oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                     starting_balances=[Money(STARTING_USD, USD)], base_currency=USD)
    engine.add_instrument(instrument)
    engine.add_data(ticks)
    del ticks  # the engine holds its own sorted copy
    strategy = EveryNth(EveryNthConfig(instrument_id=instrument.id, every=every))
    engine.add_strategy(strategy)
    set_up = time.perf_counter()

    engine.run()
    ran = time.perf_counter()

    usage = resource.getrusage(resource.RUSAGE_SELF)
    run = ReferenceRun(
        version=nautilus_trader.__version__, quotes=quotes, quotes_seen=strategy.seen, orders=strategy.sent,
        fills=strategy.fills, filled_shares=strategy.filled_shares, fills_at_touch=strategy.fills_at_touch,
        imports_s=imported - started_wall,
        prep_s=prepared - imported, setup_s=set_up - prepared, run_s=ran - set_up,
        whole_s=ran - started_wall, cpu_s=time.process_time() - started_cpu, peak_mib=usage.ru_maxrss / 1024)
    print(LINE_TAG + json.dumps(dataclasses.asdict(run)), flush=True)
    # Skip NautilusTrader's teardown (engine.dispose, garbage collection of a million ticks): the process is done.
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=1_000_000, help="quotes in the day (default 1,000,000)")
    parser.add_argument("--every", type=int, default=100, help="an order every K-th quote (default 100)")
    parser.add_argument("--day", default=None, help="an existing day folder (quotes.parquet) instead of a new one")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)  # internal: the run inside the venv
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}")
    if args.child:
        return child(Path(args.child), args.every)
    if args.day and not (Path(args.day) / "quotes.parquet").is_file():
        parser.error(f"--day {args.day}: no quotes.parquet in it")
    try:
        ensure_venv()
        with tempfile.TemporaryDirectory(prefix="nautilus_day_") as tmp:
            day = Path(args.day) if args.day else Path(tmp)
            if not args.day:
                write_day(day, args.quotes)
            run = measure(day, args.every)
    except (RuntimeError, ValueError, FileNotFoundError) as error:  # each says what failed in one line
        print(error, file=sys.stderr)
        return 1
    print(format_table(run, args.every))
    print(LINE_TAG + json.dumps(dataclasses.asdict(run)))
    return 0 if run.workload_ran else 1


if __name__ == "__main__":
    sys.exit(main())
