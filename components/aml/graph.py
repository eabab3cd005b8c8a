"""Graph analytics over a sliding window of transfers (networkx).

:class:`TransferGraph` keeps the transfers of the last ``window_ns`` as a
directed graph (an edge per (source, target) pair holding its transfers) and
evicts older ones as time moves on. The checks look at one node at a time, so
the monitor only pays for the accounts a new transfer touched:

- ``fan_in`` / ``fan_out``: a hub with many distinct counterparties in the
  window, moving real money (degree plus amount): a fan-in that collects a
  lot or from several of the firm's own accounts, a fan-out funded by money
  that just came in or paying out a lot.
- ``gather_scatter``: a hub with many senders *and* many receivers.
- ``scatter_gather``: one source pays several intermediates (the firm's
  accounts) that all pay the same sink (found from the source or the sink).
- ``cycle``: money comes back to where it started through ``min_len`` to
  ``max_len`` hops via the firm's accounts, one transfer per hop, in time order, each within
  ``cycle_band`` of the closing amount (a bounded depth-first search with an
  expansion budget: cost stays bounded at hubs).
- ``shared_beneficiary``: an outside party paid by several of the firm's
  accounts.
Plus analysis for cases: ``components`` (connected accounts), ``path`` (how a
flagged account reaches another) and ``excerpt`` (the edges among accounts).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable

import networkx as nx

from components.domain.money import PRICE_SCALE

from .findings import Finding, Source, firm_accounts, params_of
from .rules import DAY_NS
from .transfers import Transfer, TransferKind, Typology


@dataclass(frozen=True, slots=True)
class GraphParams:
    """The graph checks' parameters (defaults documented here)."""

    window_ns: int = 3 * DAY_NS
    """Transfers older than this leave the graph."""
    min_degree: int = 5
    """Distinct counterparties that make a fan-in / fan-out hub."""
    min_hub_amount: int = 10_000 * PRICE_SCALE
    """Total moved through a hub's fan for it to count."""
    min_fan_in_amount: int = 50_000 * PRICE_SCALE
    """A fan-in counts when it collects this much, ..."""
    min_fan_in_accounts: int = 3
    """... or when this many of its senders are the firm's own accounts (mules; a landlord's tenants are not)."""
    fan_out_funded_share: float = 0.8
    """A fan-out counts when money came in covering this share of what fanned out (a pass-through), ..."""
    min_fan_out_amount: int = 60_000 * PRICE_SCALE
    """... or when it pays out this much (a small business paying contractors from its balance stays below)."""
    min_gs_degree: int = 3
    """Senders and receivers (each) of a gather-scatter hub."""
    min_sg_paths: int = 3
    """Intermediates between one source and one sink for scatter-gather."""
    min_cycle_len: int = 3
    max_cycle_len: int = 6
    cycle_band: float = 0.2
    """Each hop of a cycle moves within this fraction of the closing transfer's amount (0.2: 80% to 120%)."""
    cycle_budget: int = 2_000
    """Edges a cycle search may expand before it gives up (bounds cost at hubs)."""
    min_shared_payers: int = 3
    """Distinct firm accounts paying one outside party."""
    min_payer_amount: int = 1_000 * PRICE_SCALE
    """What a payer must have paid the beneficiary in the window to count."""
    min_shared_amount: int = 8_000 * PRICE_SCALE
    """What they paid it together in the window (a company many clients pay small bills to stays below)."""
    version: str = "1.1"


class TransferGraph:
    """The window's transfers as a directed graph; checks per node return :class:`Finding` records."""

    def __init__(self, params: GraphParams | None = None) -> None:
        self.params = params or GraphParams()
        self.g = nx.DiGraph()
        self._order: deque[Transfer] = deque()
        self._first_paid: dict[str, int] = {}
        """Outside party -> when the monitor first saw it paid (EXTERNAL), for the shared-beneficiary check."""
        self._accounts: dict[str, int] = {}
        """Party -> how many window transfers name it as one of the firm's accounts."""

    def add(self, t: Transfer) -> None:
        """Add ``t`` (transfers come in time order) and evict what fell out of the window."""
        self.evict(t.ts_ns)
        data = self.g.get_edge_data(t.source, t.target)
        if data is None:
            self.g.add_edge(t.source, t.target, transfers=deque([t]), amount=t.amount)
        else:
            data["transfers"].append(t)
            data["amount"] += t.amount
        self._order.append(t)
        for a in firm_accounts(t):
            self._accounts[a] = self._accounts.get(a, 0) + 1

    def add_history(self, t: Transfer) -> None:
        """Add ``t`` as warm-up history: as :meth:`add`, and an outside party it pays is known from then on
        (a company clients paid before the scored period is not a new beneficiary)."""
        self.add(t)
        if t.kind is TransferKind.EXTERNAL:
            self._first_paid.setdefault(t.target, t.ts_ns)

    def evict(self, now_ns: int) -> None:
        lo = now_ns - self.params.window_ns
        while self._order and self._order[0].ts_ns < lo:
            t = self._order.popleft()
            data = self.g[t.source][t.target]
            data["transfers"].popleft()
            data["amount"] -= t.amount
            if not data["transfers"]:
                self.g.remove_edge(t.source, t.target)
                for n in (t.source, t.target):
                    if self.g.degree(n) == 0:
                        self.g.remove_node(n)
            for a in firm_accounts(t):
                left = self._accounts[a] - 1
                if left:
                    self._accounts[a] = left
                else:
                    del self._accounts[a]

    def is_account(self, party: str) -> bool:
        return party in self._accounts

    def __len__(self) -> int:
        return len(self._order)

    # -- checks -------------------------------------------------------------------------------------------

    def _finding(self, name: str, node: str, now_ns: int, typology: Typology, edges: Iterable[tuple[str, str]],
                 severity: float = 1.0) -> Finding:
        ids: set[str] = set()
        parties: set[str] = set()
        for u, v in edges:
            ids.update(t.transfer_id for t in self.g[u][v]["transfers"])
            parties.update((u, v))
        parties.discard(node)
        return Finding(f"graph:{name}", Source.GRAPH, self.params.version, node, now_ns, typology, severity,
                       params_of(self.params), tuple(sorted(ids)), tuple(sorted(parties)))

    def fan(self, node: str, now_ns: int) -> list[Finding]:
        """Fan-in, fan-out and gather-scatter at ``node``."""
        if node not in self.g:
            return []
        p = self.params
        preds, succs = sorted(self.g.predecessors(node)), sorted(self.g.successors(node))
        amount_in = sum(self.g[u][node]["amount"] for u in preds)
        amount_out = sum(self.g[node][v]["amount"] for v in succs)
        out: list[Finding] = []
        firm_senders = sum(1 for u in preds if self.is_account(u))
        if (len(preds) >= p.min_degree and amount_in >= p.min_hub_amount
                and (amount_in >= p.min_fan_in_amount or firm_senders >= p.min_fan_in_accounts)):
            out.append(self._finding("fan_in", node, now_ns, Typology.FAN_IN, ((u, node) for u in preds)))
        if (len(succs) >= p.min_degree and amount_out >= p.min_hub_amount
                and (amount_in >= p.fan_out_funded_share * amount_out or amount_out >= p.min_fan_out_amount)):
            out.append(self._finding("fan_out", node, now_ns, Typology.FAN_OUT, ((node, v) for v in succs)))
        if (len(preds) >= p.min_gs_degree and len(succs) >= p.min_gs_degree
                and min(amount_in, amount_out) >= p.min_hub_amount):
            edges = [(u, node) for u in preds] + [(node, v) for v in succs]
            out.append(self._finding("gather_scatter", node, now_ns, Typology.GATHER_SCATTER, edges))
        return out

    def scatter_gather(self, node: str, now_ns: int) -> list[Finding]:
        """``node`` as the source or the sink of a scatter-gather (one finding per source-sink pair)."""
        if node not in self.g:
            return []
        p = self.params
        pairs: dict[tuple[str, str], set[str]] = {}
        # Intermediates are the firm's accounts: an outside party's onward payments are not seen (and a cash
        # branch, the outside party of every cash movement, would make this quadratic in the traffic).
        for mid in self.g.successors(node):  # node as the source
            if not self.is_account(mid):
                continue
            for sink in self.g.successors(mid):
                if sink != node:
                    pairs.setdefault((node, sink), set()).add(mid)
        for mid in self.g.predecessors(node):  # node as the sink
            if not self.is_account(mid):
                continue
            for src in self.g.predecessors(mid):
                if src != node:
                    pairs.setdefault((src, node), set()).add(mid)
        out = []
        for (src, sink), mids in sorted(pairs.items()):
            if len(mids) < p.min_sg_paths:
                continue
            edges = [(src, m) for m in sorted(mids)] + [(m, sink) for m in sorted(mids)]
            out.append(self._finding("scatter_gather", node, now_ns, Typology.SCATTER_GATHER, edges))
        return out

    def cycles(self, t: Transfer) -> list[Finding]:
        """The cycle ``t`` closes: transfers ``t.target`` -> ... -> ``t.source`` in time order before ``t``.

        Each hop is one transfer of the window within ``cycle_band`` of ``t``'s
        amount; the search takes, per hop, the earliest transfer that fits
        after the previous hop (leaving the most room for the next ones). At
        most one finding per account of the first cycle found.
        """
        p = self.params
        if not self.is_account(t.target):
            return []  # money that left the firm: where it goes next is not seen
        lo, hi = (1 - p.cycle_band) * t.amount, (1 + p.cycle_band) * t.amount
        budget = p.cycle_budget
        # Iterative DFS from t.target: (node, parties so far, transfers so far, time of the last hop).
        stack: list[tuple[str, list[str], list[str], int]] = [(t.target, [t.target], [], -1)]
        while stack:
            node, path, hops, last_ts = stack.pop()
            for nxt in self.g.successors(node):
                budget -= 1
                if budget < 0:
                    return []
                step = next((x for x in self.g[node][nxt]["transfers"]
                             if last_ts < x.ts_ns and x.transfer_id != t.transfer_id and x.ts_ns <= t.ts_ns
                             and lo <= x.amount <= hi), None)
                if step is None:
                    continue
                if nxt == t.source:
                    if len(path) + 1 >= p.min_cycle_len:
                        return self._cycle_findings(t, [t.source, *path], [*hops, step.transfer_id])
                    continue
                if nxt in path or len(path) >= p.max_cycle_len - 1 or not self.is_account(nxt):
                    continue  # the ring runs through the firm's accounts (see scatter_gather)
                stack.append((nxt, path + [nxt], hops + [step.transfer_id], step.ts_ns))
        return []

    def _cycle_findings(self, t: Transfer, ring: list[str], hops: list[str]) -> list[Finding]:
        evidence = tuple(sorted([t.transfer_id, *hops]))
        out = []
        for a in sorted(set(ring)):
            if self.is_account(a):
                others = tuple(sorted(set(ring) - {a}))
                out.append(Finding("graph:cycle", Source.GRAPH, self.params.version, a, t.ts_ns, Typology.CYCLE,
                                   1.0, params_of(self.params), evidence, others))
        return out

    def shared_beneficiary(self, t: Transfer) -> list[Finding]:
        """The payers of ``t``'s outside beneficiary, when enough unrelated firm accounts pay it real money.

        Only EXTERNAL transfers count (bills to a company every client pays
        are WITHDRAWALs). A payer counts when it paid at least
        ``min_payer_amount`` in the window; payers linked by an internal
        transfer in the window (a household, one client's two accounts)
        count once; and the beneficiary must be new: first paid by anyone
        within the window (a company clients have long paid is not a
        mule's collection point). Before the monitor has seen a full window
        everything is new, so the first window over-alerts (said in
        docs/aml_monitoring.md).
        """
        p = self.params
        if t.kind is not TransferKind.EXTERNAL or t.target not in self.g:
            return []
        first = self._first_paid.setdefault(t.target, t.ts_ns)
        if first < t.ts_ns - p.window_ns:
            return []
        paid = {u: sum(x.amount for x in self.g[u][t.target]["transfers"] if x.kind is TransferKind.EXTERNAL)
                for u in self.g.predecessors(t.target)}
        payers = sorted(u for u, amount in paid.items() if amount >= p.min_payer_amount)
        if len(payers) < p.min_shared_payers:
            return []
        groups = nx.utils.UnionFind(payers)
        for u in payers:
            for v in payers:
                if u < v and (self.g.has_edge(u, v) or self.g.has_edge(v, u)):
                    groups.union(u, v)
        if len({groups[u] for u in payers}) < p.min_shared_payers:
            return []
        if sum(paid[u] for u in payers) < p.min_shared_amount:
            return []
        edges = [(u, t.target) for u in payers]
        return [self._finding("shared_beneficiary", a, t.ts_ns, Typology.SHARED_BENEFICIARY, edges)
                for a in payers]

    # -- analysis for cases -------------------------------------------------------------------------------

    def components(self, min_size: int = 2) -> list[list[str]]:
        """Weakly connected components of the window's firm accounts (linked through any party), largest first."""
        comps = []
        for comp in nx.weakly_connected_components(self.g):
            accounts = sorted(a for a in comp if self.is_account(a))
            if len(accounts) >= min_size:
                comps.append(accounts)
        return sorted(comps, key=lambda c: (-len(c), c))

    def path(self, flagged: str, other: str) -> list[str] | None:
        """The shortest money path from ``flagged`` to ``other`` (either direction of flow), or None."""
        if flagged not in self.g or other not in self.g:
            return None
        try:
            return nx.shortest_path(self.g.to_undirected(as_view=True), flagged, other)
        except nx.NetworkXNoPath:
            return None

    def excerpt(self, parties: Iterable[str]) -> list[dict[str, Any]]:
        """The edges among ``parties``: source, target, total amount (units), transfer count."""
        keep = {p for p in parties if p in self.g}
        return [{"source": u, "target": v, "amount": d["amount"], "count": len(d["transfers"])}
                for u, v, d in sorted(self.g.subgraph(keep).edges(data=True))]
