"""Fit a scenario's agent population to a recorded day's stylised facts (``twin calibrate-market``).

The method of simulated moments: the moments are the facts of
``reports.fact_distance`` (kurtosis, return and |return| ACFs, volatility,
spread, depth, trades per minute, volume profile), computed for the recorded
day once and for the simulated day of every candidate parameter vector; the
objective is their weighted mean squared scaled distance. A candidate is
simulated on the same seeds as every other one (common random numbers: each
agent draws from its own named stream, so a change of one parameter moves the
day smoothly instead of drawing a new one), its facts averaged over the
seeds, and scipy's optimiser (Nelder-Mead, or differential evolution with a
fixed seed) searches the parameters in a unit box (log scale where the
parameter is a rate or a size). Same inputs and seeds, same fitted values.

A candidate's day is the scenario's own world (``twin.bootstrap.build_twin``:
the venues, market rules, SIP and ``scenarios.agents.build_agents``) run by
``twin.runner.simulate`` without client orders and without outputs; its facts
come from the run's market recorder (top of book every second at the primary
venue, and the agents' trade tape) through ``reports.stylized_facts.day_facts``,
exactly as a ``twin run`` folder's would.

Parameters are read and set through the scenario's typed config
(``dataclasses.replace`` on ``scenarios.config_agents``' frozen sections), never
by touching agent code. ``PARAMETERS`` lists those that can be fitted and
their default bounds; ``DEFAULT_PARAMETERS`` is the subset fitted unless told.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from components.config.post_trade import Blocks
from reports.fact_distance import MOMENTS, MomentFit, fact_values, fit, mean_values, noise_weights, objective
from reports.stylized_facts import Tape, TopOfBook, day_facts
from scenarios.config import Scenario
from scenarios.config_bad_actors import BadActors
from scenarios.config_faults import Crashes

from .bootstrap import build_twin
from .runner import simulate


class CalibrationError(ValueError):
    """Input the calibration cannot use: one line naming the field, file or value and the problem."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """One fittable field of the ``agents`` section: ``section.field``, its type, default bounds, whether
    it is searched on a log scale, and the facts it mostly moves (for the docs and ``--list``)."""

    name: str
    integer: bool
    lower: float
    upper: float
    log: bool
    moves: str

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.name.split(".", 1)[1]


PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("noise.mean_wake_s", False, 600.0, 86_400.0, True, "kurtosis, return ACF (weak: few noise orders)"),
    Parameter("noise.market_fraction", False, 0.05, 0.95, False, "trades per minute, spread"),
    Parameter("value.mean_wake_s", False, 10.0, 3_600.0, True, "trades per minute, spread"),
    Parameter("value.observation_noise_bps", False, 0.1, 100.0, True, "volatility, |return| ACF"),
    Parameter("value.horizon_s", False, 10.0, 20_000.0, True, "1-min std, return ACF, kurtosis"),
    Parameter("fundamental.half_life_min", False, 1.0, 10_000.0, True, "return ACF (mean reversion)"),
    Parameter("momentum.mean_wake_s", False, 1.0, 3_600.0, True, "return ACF"),
    Parameter("momentum.short_window", True, 2, 200, True, "return ACF (trend)"),
    Parameter("momentum.long_window", True, 3, 1_000, True, "trades per minute, return ACF"),
    Parameter("market_makers.min_spread_ticks", True, 1, 20, True, "median spread (measured: none at 1-3 ticks)"),
    Parameter("market_makers.pov", False, 0.001, 0.5, True, "top depth (measured: hardly anything)"),
    Parameter("market_makers.min_size", True, 1, 10_000, True, "top depth, kurtosis, return ACF"),
    Parameter("market_makers.mean_wake_s", False, 1.0, 3_600.0, True, "spread, depth"),
    # issue 18's realism settings (another change adds them to the agents; not yet measured here)
    Parameter("fundamental.shock_vol_boost", False, 0.0, 100.0, False, "|return| ACF (volatility clustering)"),
    Parameter("market_makers.fair_value_weight", False, 0.0, 1.0, False, "return ACF"),
)}
"""What ``--param`` may name, with default bounds (inclusive); ``moves`` is what ``--sensitivity`` showed on
``rmsc_like`` cut to one hour (docs/market_calibration.md)."""

DEFAULT_PARAMETERS: tuple[str, ...] = ("value.mean_wake_s", "value.horizon_s", "momentum.long_window",
                                       "market_makers.min_size")
"""Fitted when no ``--param`` is given: the value agents' arrival rate and mean-reversion horizon, the
momentum agents' long window and the makers' size, the four that moved the facts most beyond their
seed-to-seed noise on ``rmsc_like`` (docs/market_calibration.md, "Identifiability")."""

METHODS = ("nelder-mead", "differential-evolution")
WEIGHTINGS = ("variance", "fixed")


# ------------------------------------------------------------------------------------------ the scenario


def market_only(scenario: Scenario) -> Scenario:
    """The scenario's market alone: no client orders or blocks, no crashes, faults, kill-switch flips,
    bad actors, regions, advisors or money movement (none of them changes what the agents do, all of
    them cost time). Venues, symbols, market rules, the SIP and the agents stay as they are."""
    if scenario.agents is None:
        raise CalibrationError(f"scenario {scenario.name}: no agents section (nothing to calibrate)")
    if scenario.replay is not None:
        raise CalibrationError(f"scenario {scenario.name}: replays a recorded day (its market has no agents)")
    return replace(scenario, order_flow=replace(scenario.order_flow, orders=0), blocks=Blocks(), crashes=Crashes(),
                   trading_state=(), faults=(), bad_actors=BadActors(), regions=None, advisors=None, money=None)


def values_of(scenario: Scenario, names: Sequence[str]) -> dict[str, float]:
    """The scenario's current value of each named parameter."""
    agents = scenario.agents
    return {n: float(getattr(getattr(agents, PARAMETERS[n].section), PARAMETERS[n].field)) for n in names}


def with_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """``scenario`` with the named agent parameters set (integers rounded). Where the config requires an
    order it would otherwise refuse, the partner that is not fitted moves: a fitted momentum long window
    not above the short one takes the short one down to long - 1 (a fitted short one takes the long one
    up to short + 1; with both fitted the long one moves), and a maker's max_size (max_spread_ticks) is
    raised to a fitted min_size (min_spread_ticks) above it."""
    agents = scenario.agents
    sections: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        p = PARAMETERS[name]
        sections.setdefault(p.section, {})[p.field] = int(round(value)) if p.integer else float(value)
    # Pairs the config requires in order: the partner follows the fitted value instead of refusing it.
    for section, low, high, gap in (("momentum", "short_window", "long_window", 1),
                                    ("market_makers", "min_size", "max_size", 0),
                                    ("market_makers", "min_spread_ticks", "max_spread_ticks", 0)):
        kv = sections.get(section)
        if kv and (low in kv or high in kv):
            lo = kv.get(low, getattr(getattr(agents, section), low))
            hi = kv.get(high, getattr(getattr(agents, section), high))
            if hi < lo + gap:  # the fitted one stays; with both fitted, the upper one gives way
                if high in kv and low not in kv:
                    kv[low] = hi - gap
                else:
                    kv[high] = lo + gap
    changed = {s: replace(getattr(agents, s), **kv) for s, kv in sections.items()}
    return replace(scenario, agents=replace(agents, **changed))


# ------------------------------------------------------------------------------------------ one day


def simulated_facts(scenario: Scenario, seed: int, symbol: str | None = None) -> dict[str, Any]:
    """The stylised facts (``day_facts``) of ``symbol`` (default: the scenario's first) on the market-only
    day of ``scenario`` with ``seed``."""
    scenario = market_only(scenario)
    symbol = symbol or scenario.symbols[0].symbol
    world = build_twin(scenario, seed)
    simulate(world, record_market=False)
    recorder = world.market_recorder
    rows = recorder.samples[symbol]
    book = TopOfBook(*(np.frombuffer(rows[k], dtype=np.int64) if len(rows[k]) else np.zeros(0, np.int64)
                       for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")))
    prints = recorder.trades().get(symbol) or {"t_ns": [], "price": [], "qty": [], "orders": 0}
    tape = Tape(*(np.asarray(prints[k], dtype=np.int64) for k in ("t_ns", "price", "qty")))
    session = scenario.session
    return day_facts(book, tape, session.open_ns(), session.close_ns(), orders=int(prints["orders"]) or None)


# ------------------------------------------------------------------------------------------ the search


@dataclass(frozen=True, slots=True)
class Bounds:
    """The search interval of one parameter (inclusive)."""

    lower: float
    upper: float


def parse_bound(text: str) -> tuple[str, Bounds]:
    """``"noise.mean_wake_s=600:60000"`` -> the name and its bounds; ``CalibrationError`` naming the problem."""
    name, sep, rest = text.partition("=")
    lo_text, sep2, hi_text = rest.partition(":")
    if not sep or not sep2:
        raise CalibrationError(f"--bounds {text!r}: expected NAME=LOWER:UPPER, e.g. noise.mean_wake_s=600:60000")
    check_names([name.strip()], "--bounds")
    try:
        lower, upper = float(lo_text), float(hi_text)
    except ValueError:
        raise CalibrationError(f"--bounds {text!r}: LOWER and UPPER must be numbers") from None
    return name.strip(), Bounds(lower, upper)


def check_names(names: Sequence[str], flag: str = "--param") -> None:
    """Every name must be a known parameter, once."""
    for n in names:
        if n not in PARAMETERS:
            raise CalibrationError(f"{flag}: unknown parameter {n!r} (known: {', '.join(PARAMETERS)})")
    if len(set(names)) != len(names):
        raise CalibrationError(f"{flag}: a parameter is named twice ({', '.join(names)})")


def resolve_bounds(names: Sequence[str], given: Mapping[str, Bounds]) -> dict[str, Bounds]:
    """Each parameter's bounds: ``given`` or its defaults. Refuses non-finite bounds, lower >= upper,
    bounds outside the parameter's allowed range, a non-positive lower bound on a log-scale
    parameter, integer bounds holding no integer, and bounds for a parameter not fitted."""
    for name in given:
        if name not in names:
            raise CalibrationError(f"--bounds {name}: not a fitted parameter (fitted: {', '.join(names)})")
    out = {}
    for n in names:
        p = PARAMETERS[n]
        b = given.get(n, Bounds(p.lower, p.upper))
        where = f"--bounds {n}={b.lower:g}:{b.upper:g}"
        if not (math.isfinite(b.lower) and math.isfinite(b.upper)):
            raise CalibrationError(f"{where}: bounds must be finite")
        if b.lower >= b.upper:
            raise CalibrationError(f"{where}: lower must be below upper")
        if b.lower < p.lower or b.upper > p.upper:
            raise CalibrationError(f"{where}: outside the allowed range {p.lower:g}:{p.upper:g}")
        if p.integer and math.floor(b.upper) < math.ceil(b.lower):
            raise CalibrationError(f"{where}: no integer between the bounds")
        out[n] = b
    return out


@dataclass(frozen=True, slots=True)
class Space:
    """The unit box the optimiser searches: coordinate i in [0, 1] maps to parameter i's bounds, on a log
    scale for log parameters; integers are rounded (so the objective is flat between them)."""

    names: tuple[str, ...]
    bounds: tuple[Bounds, ...]

    def decode(self, u: Sequence[float]) -> dict[str, float]:
        out = {}
        for name, b, x in zip(self.names, self.bounds, u):
            p, x = PARAMETERS[name], min(1.0, max(0.0, float(x)))
            value = b.lower * (b.upper / b.lower) ** x if p.log else b.lower + x * (b.upper - b.lower)
            out[name] = float(min(max(round(value), math.ceil(b.lower)), math.floor(b.upper))) if p.integer \
                else value
        return out

    def encode(self, values: Mapping[str, float]) -> list[float]:
        out = []
        for name, b in zip(self.names, self.bounds):
            v = min(max(values[name], b.lower), b.upper)
            x = math.log(v / b.lower) / math.log(b.upper / b.lower) if PARAMETERS[name].log \
                else (v - b.lower) / (b.upper - b.lower)
            out.append(x)
        return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One simulated candidate: its number, parameter values, objective, the best objective so far and
    the process CPU seconds it took."""

    index: int
    values: dict[str, float]
    objective: float
    best: float
    cpu_s: float


@dataclass(frozen=True)
class CalibrationResult:
    """What ``calibrate_market`` found: the start and fitted values, the fit of each moment at both, every
    evaluation in order, and how the search was set up."""

    names: tuple[str, ...]
    bounds: dict[str, Bounds]
    start: dict[str, float]
    fitted: dict[str, float]
    start_objective: float
    objective: float
    start_fit: list[MomentFit]
    fit: list[MomentFit]
    target: dict[str, Any]
    evaluations: list[Evaluation]
    method: str
    seeds: tuple[int, ...]
    weights: dict[str, float] = field(default_factory=dict)
    weighting: str = "fixed"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, for ``calibration.json``."""
        return {
            "method": self.method, "weighting": self.weighting, "seeds": list(self.seeds), "parameters": list(self.names),
            "bounds": {n: [b.lower, b.upper] for n, b in self.bounds.items()},
            "start": self.start, "fitted": self.fitted,
            "objective": {"start": _finite(self.start_objective), "fitted": _finite(self.objective)},
            "weights": {m.name: self.weights.get(m.name, m.weight) for m in MOMENTS},
            "fit": [r.as_dict() for r in self.fit], "start_fit": [r.as_dict() for r in self.start_fit],
            "evaluations": [{"index": e.index, "values": e.values, "objective": _finite(e.objective),
                             "cpu_s": round(e.cpu_s, 3)} for e in self.evaluations],
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def candidate_values(scenario: Scenario, seeds: Sequence[int], symbol: str | None = None) -> dict[str, Any]:
    """The moments of ``scenario``'s simulated day, averaged over ``seeds``."""
    return mean_values([fact_values(simulated_facts(scenario, s, symbol)) for s in seeds])


def calibrate_market(scenario: Scenario, target_facts: Mapping[str, Any], names: Sequence[str], *,
                     bounds: Mapping[str, Bounds] | None = None, seeds: Sequence[int] = (1,),
                     method: str = "nelder-mead", max_evals: int = 60, weights: Mapping[str, float] | None = None,
                     symbol: str | None = None, search_seed: int = 0, weighting: str = "variance",
                     noise_days: int = 4, on_eval: Callable[[Evaluation], None] | None = None) -> CalibrationResult:
    """Fit ``names`` of ``scenario``'s agents so its simulated day's moments match ``target_facts``
    (a ``day_facts`` dict). Every candidate runs on the same ``seeds``; ``search_seed`` seeds differential
    evolution (Nelder-Mead draws nothing). ``max_evals`` caps the simulated candidates (each is
    ``len(seeds)`` simulated days; a candidate seen before, as integers round to it, is not run again).

    ``weighting``: "variance" (default) simulates the starting candidate on ``noise_days`` seeds (the
    calibration seeds first, then the next ones) and weighs each moment by the inverse of its seed-to-seed
    variance (``reports.fact_distance.noise_weights``), times ``weights``; "fixed" uses the moments' own
    weights and scales, times ``weights``."""
    from scipy.optimize import differential_evolution, minimize

    names = tuple(names)
    check_names(names)
    if method not in METHODS:
        raise CalibrationError(f"--method: expected one of {', '.join(METHODS)}, got {method!r}")
    if max_evals < 2:
        raise CalibrationError(f"--max-evals: must be >= 2, got {max_evals}")
    if not seeds:
        raise CalibrationError("--seeds: at least one seed")
    if weighting not in WEIGHTINGS:
        raise CalibrationError(f"--weighting: expected one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if weighting == "variance" and noise_days < 2:
        raise CalibrationError(f"--noise-days: must be >= 2 with variance weighting, got {noise_days}")
    scenario = market_only(scenario)
    resolved = resolve_bounds(names, bounds or {})
    space = Space(names, tuple(resolved[n] for n in names))
    target = fact_values(target_facts)
    start = {n: min(max(v, resolved[n].lower), resolved[n].upper) for n, v in values_of(scenario, names).items()}
    x0 = np.array(space.encode(start))
    given = {m.name: (weights or {}).get(m.name, m.weight) for m in MOMENTS}
    if weighting == "variance":  # the start candidate on noise_days seeds: the calibration seeds, then the next
        noise_seeds = [*seeds, *(max(seeds) + 1 + i for i in range(max(0, noise_days - len(seeds))))]
        start_day = with_values(scenario, space.decode(x0))
        days = [fact_values(simulated_facts(start_day, s, symbol)) for s in noise_seeds]
        weights = noise_weights(days, base=given)
        known = {tuple(space.decode(x0)[n] for n in names): mean_values(days[:len(seeds)])}  # not run twice
    else:
        weights, known = given, {}
    cache: dict[tuple[float, ...], tuple[float, list[MomentFit]]] = {}
    evaluations: list[Evaluation] = []

    def evaluate(values: dict[str, float]) -> tuple[float, list[MomentFit]]:
        key = tuple(values[n] for n in names)
        if key not in cache:
            started = time.process_time()
            simulated = known.pop(key) if key in known else candidate_values(with_values(scenario, values), seeds,
                                                                             symbol)
            rows = fit(simulated, target, MOMENTS, weights)
            value = objective(rows)
            cache[key] = (value, rows)
            best = min([value, *(e.objective for e in evaluations)])
            evaluations.append(Evaluation(len(evaluations) + 1, values, value, best, time.process_time() - started))
            if on_eval is not None:
                on_eval(evaluations[-1])
        return cache[key]

    def f(u: np.ndarray) -> float:
        if len(cache) >= max_evals:  # the cap: later points are not simulated and never win
            key = tuple(space.decode(u)[n] for n in names)
            return cache[key][0] if key in cache else math.inf
        value = evaluate(space.decode(u))[0]
        return value if math.isfinite(value) else 1e12

    start_objective, start_fit = evaluate(space.decode(x0))
    unit = [(0.0, 1.0)] * len(names)
    if method == "nelder-mead":
        simplex = [x0] + [x0 + np.eye(len(names))[i] * (-0.25 if x0[i] > 0.5 else 0.25) for i in range(len(names))]
        minimize(f, x0, method="Nelder-Mead", bounds=unit,
                 options={"initial_simplex": np.array(simplex), "maxfev": 4 * max_evals, "xatol": 1e-3,
                          "fatol": 1e-9})
    else:
        popsize = max(5, 15 // len(names))  # scipy's popsize is per dimension: about 15 candidates a generation
        generation = popsize * len(names)
        differential_evolution(f, unit, seed=search_seed, popsize=popsize, x0=x0, polish=False, tol=1e-6,
                               maxiter=max(1, max_evals // generation), updating="immediate", init="latinhypercube")
    best_key = min(cache, key=lambda k: (cache[k][0], k))
    fitted = dict(zip(names, best_key))
    return CalibrationResult(names, resolved, space.decode(x0), fitted, start_objective, cache[best_key][0],
                             start_fit, cache[best_key][1], target, evaluations, method, tuple(seeds), weights,
                             weighting)


def sensitivity(scenario: Scenario, names: Sequence[str], *, seeds: Sequence[int] = (1, 2, 3, 4),
                factor: float = 1.2, symbol: str | None = None) -> dict[str, dict[str, float]]:
    """How identifiable each parameter is on this scenario's day: for each seed, the scenario's own day
    is the target, and the objective (variance weights from the seeds' days) is taken at the parameter
    times ``factor`` and divided by it, every other parameter and the seed held (common random numbers).
    Returns, per parameter, the mean objective over seeds at ``xfactor`` and ``/factor``: a parameter the
    facts pin down within ``factor`` scores well above 1 (a moment's seed-to-seed noise scores about 1)."""
    check_names(names)
    scenario = market_only(scenario)
    base = {s: fact_values(simulated_facts(scenario, s, symbol)) for s in seeds}
    weights = noise_weights(list(base.values()))
    start = values_of(scenario, names)
    out = {}
    for name in names:
        row = {}
        for label, f in ((f"x{factor:g}", factor), (f"/{factor:g}", 1 / factor)):
            moved = with_values(scenario, {name: start[name] * f})
            row[label] = float(np.mean([objective(fit(fact_values(simulated_facts(moved, s, symbol)), base[s],
                                                      MOMENTS, weights)) for s in seeds]))
        out[name] = row
    return out


# ------------------------------------------------------------------------------------------ files


def simulated_recorded_day(scenario: Scenario, seed: int, folder: Path, symbol: str | None = None) -> Path:
    """Write ``scenario``'s market-only day with ``seed`` as a recorded day in the replay format
    (``folder/quotes.parquet``, ``folder/trades.parquet``, ``docs/replay_format.md``): one quote per
    second (the market recorder's samples at the primary venue) and the agents' trades. A day made from
    known parameters, to check that calibration recovers them (and a stand-in where no recorded day
    is at hand). Returns ``folder``."""
    from venues_sim.replay_format import RecordedDay, RecordedQuote, RecordedTrade, write_parquet

    scenario = market_only(scenario)
    symbol = symbol or scenario.symbols[0].symbol
    venue = scenario.venues[0].name
    world = build_twin(scenario, seed)
    simulate(world, record_market=False)
    recorder = world.market_recorder
    rows = recorder.samples[symbol]
    quotes = [RecordedQuote(t, venue, symbol, b, bs if b else 0, a, as_ if a else 0)
              for t, b, bs, a, as_ in zip(*(rows[k] for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")))]
    prints = recorder.trades().get(symbol) or {"t_ns": [], "price": [], "qty": []}
    trades = [RecordedTrade(t, venue, symbol, p, q) for t, p, q in zip(prints["t_ns"], prints["price"], prints["qty"])]
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(RecordedDay(tuple(quotes), tuple(trades)), folder / "quotes.parquet", folder / "trades.parquet")
    return folder


def write_fitted_scenario(source: Path, scenario: Scenario, result: CalibrationResult, out: Path,
                          header: Sequence[str] = (), text: str | None = None) -> Scenario:
    """Write the scenario file ``source`` with the fitted agent parameters to ``out`` (YAML; comments of
    the source are not kept, ``header`` lines are written as comments on top), named
    ``NAME_calibrated``. The written file is loaded back and must give exactly the fitted scenario, else
    ``CalibrationError``. ``text``: the source file's text as read when ``scenario`` was loaded (default:
    read it now; a calibration takes minutes, and the file may have been edited since). Returns the
    loaded scenario."""
    import yaml

    from scenarios.config import load_scenario

    doc = yaml.safe_load(source.read_text(encoding="utf-8") if text is None else text)
    name = f"{scenario.name}_calibrated"[:64]
    doc["name"] = name
    agents = doc.setdefault("agents", {}) or {}
    doc["agents"] = agents
    for n, value in result.fitted.items():
        p = PARAMETERS[n]
        section = agents.get(p.section) or {}
        agents[p.section] = section
        section[p.field] = int(value) if p.integer else float(value)
    expected = with_values(scenario, result.fitted)
    for section_name in ("momentum", "market_makers"):  # partners moved by with_values are written too
        moved = getattr(expected.agents, section_name)
        for f in fields(moved):
            if getattr(moved, f.name) != getattr(getattr(scenario.agents, section_name), f.name):
                agents[section_name] = agents.get(section_name) or {}
                agents[section_name][f.name] = getattr(moved, f.name)
    if doc.get("service_times"):  # relative to the scenario file: keep pointing at the same profile
        doc["service_times"] = str((source.parent / doc["service_times"]).resolve())
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"# {line}\n" for line in header) + yaml.safe_dump(doc, sort_keys=False, width=110)
    out.write_text(text)
    loaded = load_scenario(out)
    again = replace(loaded, name=scenario.name, service_times=scenario.service_times)
    differ = [f.name for f in fields(again) if getattr(again, f.name) != getattr(expected, f.name)]
    if differ:
        raise CalibrationError(f"{out}: the written scenario does not load back as the fitted one "
                               f"(section {differ[0]} differs: a value of {source} that YAML re-reads differently?)")
    return loaded
