"""Bad actors: labelled abusive episodes planned into a day's client flow.

``plan_bad_actors`` turns a scenario's ``bad_actors`` section, its population
and its block intents into a :class:`BadActorPlan`: the order and cancel
intents to send (the twin runner sends them like any client request, through
the whole platform), the labelled :class:`Episode` records (written to
``labels.json``) and the reference links surveillance needs (``links.json``:
shared identifiers between accounts, accounts tied to an advisor).

Each actor draws from its own child stream of the ``bad-actors`` stream, in a
fixed order, so turning one on does not change another's episodes; the
ordinary flow (``order-flow``, ``blocks`` streams) is untouched.

Feasibility: episodes use accounts that can pass pre-trade risk (sells only
out of held positions, buys within cash); a scenario that wants every episode
to reach the venues should also loosen ``risk.concentration_max_bps``, as
``surveillance_day.yaml`` does. An episode whose orders risk still refuses
stays labelled: the backtest then counts it as missed, as it would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from components.domain.orders import Side
from components.reference.accounts import Account

from .arrivals import OrderIntent
from .block_flow import BlockIntent
from .config import Scenario
from .population import Population

MS = 1_000_000
NS = 1_000_000_000

PATTERN_OF = {"spoofer": "spoofing", "wash_trader": "wash_trade", "closer": "marking_the_close",
              "front_runner": "front_running"}
"""Actor name -> the pattern its episodes are labelled with (``components.surveillance.Pattern`` values)."""


@dataclass(frozen=True, slots=True)
class Episode:
    """One labelled abusive episode."""

    episode_id: str
    actor: str
    pattern: str
    accounts: tuple[str, ...]
    symbol: str
    start_ns: int
    end_ns: int
    client_order_ids: tuple[str, ...]

    def to_record(self) -> dict[str, Any]:
        return {"episode_id": self.episode_id, "actor": self.actor, "pattern": self.pattern,
                "accounts": list(self.accounts), "symbol": self.symbol, "start_ns": self.start_ns,
                "end_ns": self.end_ns, "client_order_ids": list(self.client_order_ids)}


@dataclass(frozen=True, slots=True)
class BadActorPlan:
    """What the bad actors do in one run."""

    intents: tuple[OrderIntent, ...] = ()
    episodes: tuple[Episode, ...] = ()
    shared_identifiers: tuple[tuple[str, str], ...] = ()
    advisor_links: tuple[tuple[str, str], ...] = ()

    def links_record(self, population: Population) -> dict[str, Any]:
        """The reference data surveillance reads (``links.json``)."""
        return {"accounts": [{"account_id": a.account_id, "client_id": a.client_id, "advisor_id": a.advisor_id}
                             for a in population.accounts],
                "shared_identifiers": [list(p) for p in self.shared_identifiers],
                "advisor_links": [list(p) for p in self.advisor_links]}


@dataclass
class _Planner:
    scenario: Scenario
    population: Population
    intents: list[OrderIntent] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    shared: list[tuple[str, str]] = field(default_factory=list)
    advisor_links: list[tuple[str, str]] = field(default_factory=list)
    held: dict[tuple[str, str], int] = field(default_factory=dict)  # positions left to sell from
    seq: int = 0

    def __post_init__(self) -> None:
        sanctioned = set(self.population.sanctioned_client_ids)
        self.clean = [a for a in self.population.accounts if a.client_id not in sanctioned]
        for a in self.clean:
            for symbol, qty in a.positions:
                self.held[(a.account_id, symbol)] = qty
        self.prices = {s.symbol: s.reference_price for s in self.scenario.symbols}

    def order(self, at: int, account: Account, symbol: str, side: str, qty: int, order_type: str, offset: int,
              actor: str) -> str:
        self.seq += 1
        coid = f"BA-{actor[:3].upper()}-{self.seq:06d}"
        self.intents.append(OrderIntent(int(at), account.advisor_id, account.account_id, symbol, Side(side),  # type: ignore[arg-type]
                                        int(qty), order_type, offset if order_type == "LIMIT" else 0, "DAY", coid))
        return coid

    def cancel(self, at: int, account: Account, ref: str, symbol: str) -> None:
        self.seq += 1
        # a cancel names the original by client order id; side, quantity and type are not read
        self.intents.append(OrderIntent(int(at), account.advisor_id, account.account_id, symbol, Side.BUY, 0, "LIMIT",
                                        0, "DAY", f"BA-CXL-{self.seq:06d}", kind="cancel", ref_client_order_id=ref))

    def label(self, actor: str, accounts: tuple[str, ...], symbol: str, start: int, end: int,
              coids: list[str]) -> None:
        self.episodes.append(Episode(f"EP-{len(self.episodes) + 1:04d}", actor, PATTERN_OF[actor], accounts, symbol,
                                     int(start), int(end), tuple(coids)))

    def times(self, rng: np.random.Generator, n: int, lo: int, hi: int) -> list[int]:
        return sorted(int(t) for t in rng.integers(lo, hi, size=n)) if n else []


def plan_bad_actors(scenario: Scenario, population: Population, blocks: list[BlockIntent],
                    rng: np.random.Generator) -> BadActorPlan:
    """The day's bad-actor episodes; deterministic given ``rng`` (the twin passes the ``bad-actors`` stream)."""
    cfg = scenario.bad_actors
    if not cfg.active:
        return BadActorPlan()
    p = _Planner(scenario, population)
    # one child stream per actor, drawn in a fixed order (style: adding one never shifts another)
    links_rng, spoof_rng, wash_rng, close_rng, front_rng = (
        np.random.default_rng(int(rng.integers(0, 2**63 - 1))) for _ in range(5))
    _benign_links(p, links_rng, cfg.benign_links)
    _spoofer(p, spoof_rng)
    _wash_trader(p, wash_rng)
    _closer(p, close_rng)
    _front_runner(p, front_rng, blocks)
    intents = sorted(p.intents, key=lambda i: (i.submit_ns, i.client_order_id))
    return BadActorPlan(tuple(intents), tuple(p.episodes), tuple(p.shared), tuple(p.advisor_links))


def _benign_links(p: _Planner, rng: np.random.Generator, n: int) -> None:
    accounts = p.clean
    for _ in range(n):
        a, b = (accounts[int(i)] for i in rng.choice(len(accounts), size=2, replace=False))
        if a.client_id != b.client_id:
            p.shared.append((a.account_id, b.account_id))
        advisor = p.population.advisors[int(rng.integers(0, len(p.population.advisors)))].advisor_id
        other = accounts[int(rng.integers(0, len(accounts)))]
        p.advisor_links.append((advisor, other.account_id))


def _pick(rng: np.random.Generator, candidates: list, k: int) -> list:
    if not candidates:
        return []
    idx = sorted(int(i) for i in rng.choice(len(candidates), size=min(k, len(candidates)), replace=False))
    return [candidates[i] for i in idx]


def _session(p: _Planner) -> tuple[int, int]:
    return p.scenario.session_open_ns, p.scenario.session_close_ns


def _spoofer(p: _Planner, rng: np.random.Generator) -> None:
    """Layers of passive buys near the touch, a sell at market, then the layers cancelled."""
    cfg = p.scenario.bad_actors.spoofer
    if not cfg.episodes:
        return
    holders = [(a, s) for a in p.clean for s, q in a.positions if q >= 600 and a.cash >= 800 * p.prices[s]]
    actors = _pick(rng, holders, cfg.actors)
    if not actors:
        return
    layers = max(3, round(2 + 2 * cfg.aggressiveness))
    cancel_ms = max(300, int(1500 / cfg.aggressiveness))
    open_ns, close_ns = _session(p)
    for k, t0 in enumerate(p.times(rng, cfg.episodes, open_ns + 60 * NS, close_ns - 20 * 60 * NS)):
        account, symbol = actors[k % len(actors)]
        left = p.held[(account.account_id, symbol)]
        sell_qty = min(left, 100)
        if sell_qty <= 0:
            continue
        p.held[(account.account_id, symbol)] = left - sell_qty
        coids = []
        for i in range(layers):  # distinct sizes and prices: not refused as duplicates
            coid = p.order(t0 + i * 150 * MS, account, symbol, "BUY", 100 + 10 * i, "LIMIT", -(2 + i), "spoofer")
            coids.append(coid)
        execute_at = t0 + layers * 150 * MS + 200 * MS
        coids.append(p.order(execute_at, account, symbol, "SELL", sell_qty, "MARKET", 0, "spoofer"))
        end = execute_at + cancel_ms * MS
        for coid in coids[:layers]:
            p.cancel(end, account, coid, symbol)
        p.label("spoofer", (account.account_id,), symbol, t0, end + NS, coids)


def _wash_trader(p: _Planner, rng: np.random.Generator) -> None:
    """Two accounts of one owner (one client, or two clients sharing an identifier) cross the same symbol."""
    cfg = p.scenario.bad_actors.wash_trader
    if not cfg.episodes:
        return
    by_client: dict[str, list[Account]] = {}
    for a in p.clean:
        by_client.setdefault(a.client_id, []).append(a)
    sellers = [(a, s) for a in p.clean for s, q in a.positions if q >= 800]
    actors = _pick(rng, sellers, cfg.actors)
    pairs = []
    for seller, symbol in actors:
        household = [b for b in by_client[seller.client_id]
                     if b.account_id != seller.account_id and b.cash >= 500 * p.prices[symbol]]
        if household:
            buyer = household[0]
        else:  # a shared identifier (same address / tax id) ties another client's account to the seller
            others = [b for b in p.clean if b.client_id != seller.client_id and b.cash >= 500 * p.prices[symbol]]
            buyer = others[int(rng.integers(0, len(others)))]
            p.shared.append((seller.account_id, buyer.account_id))
        pairs.append((seller, buyer, symbol))
    if not pairs:
        return
    open_ns, close_ns = _session(p)
    for k, t0 in enumerate(p.times(rng, cfg.episodes, open_ns + 60 * NS, close_ns - 20 * 60 * NS)):
        seller, buyer, symbol = pairs[k % len(pairs)]
        left = p.held[(seller.account_id, symbol)]
        qty = min(left, 100 * max(1, round(cfg.aggressiveness * int(rng.integers(1, 3)))))
        if qty <= 0:
            continue
        p.held[(seller.account_id, symbol)] = left - qty
        gap = int(rng.integers(2, 15)) * NS
        sell = p.order(t0, seller, symbol, "SELL", qty, "LIMIT", 5, "wash_trader")
        buy = p.order(t0 + gap, buyer, symbol, "BUY", qty, "LIMIT", 5, "wash_trader")
        p.label("wash_trader", tuple(sorted((seller.account_id, buyer.account_id))), symbol, t0, t0 + gap + 5 * NS,
                [sell, buy])


def _closer(p: _Planner, rng: np.random.Generator) -> None:
    """Aggressive buys far through the touch in the closing minutes, one symbol per episode."""
    ba = p.scenario.bad_actors
    cfg = ba.closer
    if not cfg.episodes:
        return
    rich = sorted(p.clean, key=lambda a: (-a.cash, a.account_id))[: max(cfg.actors, 1) * 3]
    actors = _pick(rng, rich, cfg.actors)
    symbols = list(p.scenario.symbol_names)
    chosen = [symbols[int(i)] for i in sorted(rng.permutation(len(symbols))[: min(cfg.episodes, len(symbols))])]
    open_ns, close_ns = _session(p)
    start = max(open_ns, close_ns - int(ba.closing_window_minutes * 60 * NS))
    n_orders = max(2, round(2 + 2 * cfg.aggressiveness))
    for k, symbol in enumerate(chosen):
        account = actors[k % len(actors)]
        budget = account.cash * 0.5 / n_orders  # stay inside buying power across the orders
        qty = max(100, int(min(budget // p.prices[symbol], 1000 * cfg.aggressiveness)) // 100 * 100)
        times = p.times(rng, n_orders, start, close_ns - 30 * NS)
        coids = [p.order(t, account, symbol, "BUY", qty + 10 * i, "LIMIT", int(40 * cfg.aggressiveness), "closer")
                 for i, t in enumerate(times)]
        p.label("closer", (account.account_id,), symbol, times[0], close_ns, coids)


def _front_runner(p: _Planner, rng: np.random.Generator, blocks: list[BlockIntent]) -> None:
    """An account tied to the block's advisor buys the block's symbol seconds to a minute and a half ahead,
    and sells it one to four minutes after the block (the round trip that takes the profit)."""
    cfg = p.scenario.bad_actors.front_runner
    if not cfg.episodes or not blocks:
        return
    open_ns, close_ns = _session(p)
    blocks = [b for b in blocks if b.submit_ns < close_ns - 300 * NS]  # room for the exit before the close
    if not blocks:
        return
    chosen = [blocks[i] for i in sorted(int(j) for j in rng.choice(len(blocks), size=min(cfg.episodes, len(blocks)),
                                                                     replace=False))]
    tied: dict[str, Account] = {}
    for block in chosen:
        if block.advisor_id not in tied:  # an account outside the advisor's book, tied to them personally
            members = {a for a, _ in block.lines}
            others = [a for a in p.clean if a.advisor_id != block.advisor_id and a.account_id not in members
                      and a.cash >= 200 * p.prices[block.symbol]]
            tied[block.advisor_id] = others[int(rng.integers(0, len(others)))]
            p.advisor_links.append((block.advisor_id, tied[block.advisor_id].account_id))
        account = tied[block.advisor_id]
        lead = int(rng.integers(5, 90)) * NS
        at = max(open_ns, block.submit_ns - lead)
        first_line = block.lines[0][1]
        qty = max(10, int(first_line * 0.5 * cfg.aggressiveness))
        coid = p.order(at, account, block.symbol, block.side, qty, "MARKET", 0, "front_runner")
        out_at = block.submit_ns + int(rng.integers(60, 240)) * NS
        other = "SELL" if block.side == "BUY" else "BUY"
        exit_coid = p.order(out_at, account, block.symbol, other, qty, "MARKET", 0, "front_runner")
        p.label("front_runner", (account.account_id,), block.symbol, at, out_at, [coid, exit_coid])
