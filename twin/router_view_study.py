"""What the router's view costs: one scenario run per ``market_view`` source, compared (issue 18).

``view_figures(scenario, seed)`` runs the scenario and records, for every child the router plans, the
quote its view showed at that venue when it planned it; after the run it compares each marketable
child (the view showed a price within the order's limit) with what the venue did on arrival. Only
the shares the view showed at that venue are judged (up to the child's size; a child larger
than that was sent to sweep deeper, and its further fills are no surprise):

* ``filled_on_arrival``: of those, the shares filled when the child arrived;
* ``worse_than_view_shares``: of those, shares filled at a worse price than the view showed (bought
  above its offer, sold below its bid);
* ``missed_shares``: shares the view showed that did not fill on arrival (an IOC or market
  remainder canceled, or a limit left resting);
* ``slippage_vs_view_bps``: the share-weighted cost of the taker fills against the view's price, in
  basis points (positive = worse than the view);
* ``no_fresh_quote``: plans refused because every up venue's quote was too old.

``python -m twin.router_view_study SCENARIO [--seed N] [--source book --source direct_feed ...]``
prints the figures of each source side by side (the scenario file's ``market_view`` is replaced by
each source in turn, its other settings kept). Reads a run; changes nothing in it.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from components.domain.orders import Side
from components.domain.venues import Liquidity
from scenarios.config import Scenario, load_scenario
from scenarios.config_market import MarketView

from . import cli_args
from .runner import run_scenario


@dataclass(frozen=True, slots=True)
class ViewFigures:
    """One run's routing against its view (see the module docstring)."""

    source: str
    fingerprint: str
    children: int
    marketable_children: int
    view_shares: int
    filled_on_arrival: int
    worse_than_view_shares: int
    missed_shares: int
    slippage_vs_view_bps: float
    no_fresh_quote: int


def view_figures(scenario: Scenario, seed: int | None = None) -> ViewFigures:
    """Run ``scenario`` and compare every routed child with the quote the router's view showed."""
    seen: dict[str, tuple[Side, int, int, int | None]] = {}  # child id -> (side, view price, view size, limit)
    refused = [0]

    def setup(world) -> None:
        router, md = world.platform.router, world.market_data
        plan_route = router.route

        def route(order, exclude=frozenset()):
            plan = plan_route(order, exclude)
            if plan.reason == "NO_FRESH_QUOTE":
                refused[0] += 1
            for child in plan.children:
                quote = md.quote(child.venue, child.symbol)
                if quote is None:
                    continue
                buy = child.side is Side.BUY
                price, size = (quote.ask, quote.ask_size) if buy else (quote.bid, quote.bid_size)
                seen[child.child_id] = (child.side, price, size, child.limit_price)
            return plan

        router.route = route

    result = run_scenario(scenario, seed, setup=setup)
    gateway = result.world.gateway
    taken: dict[str, list[tuple[int, int]]] = {}
    for report in gateway.venue_fills:
        if report.liquidity is Liquidity.TAKER:
            taken.setdefault(report.child_id, []).append((report.last_px, report.last_qty))
    quantities = {child.child_id: child.quantity for _, child in gateway.child_sends}
    marketable = view_shares = filled = worse = missed = 0
    cost = notional = 0.0
    for child_id, (side, price, size, limit) in seen.items():
        buy = side is Side.BUY
        if price <= 0 or size <= 0 or (limit is not None and (price > limit if buy else price < limit)):
            continue  # the view showed nothing to take here
        marketable += 1
        shown = min(size, quantities.get(child_id, 0))
        view_shares += shown
        got = 0
        for px, qty in taken.get(child_id, ()):  # in matching order: the best price first
            qty = min(qty, shown - got)  # only the shares the view showed; the rest was sent to sweep
            if qty <= 0:
                break
            got += qty
            if (px > price) if buy else (px < price):
                worse += qty
            cost += qty * ((px - price) if buy else (price - px))
            notional += qty * price
        filled += got
        missed += shown - got
    return ViewFigures(scenario.market_view.source, result.fingerprint, len(seen), marketable, view_shares, filled,
                       worse, missed, round(cost / notional * 1e4, 3) if notional else 0.0, refused[0])


def main(argv: list[str] | None = None) -> int:
    """Print each source's figures for one scenario and seed, one line each."""
    parser = argparse.ArgumentParser(prog="python -m twin.router_view_study", description=__doc__.split("\n")[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=cli_args.seed, default=None)
    parser.add_argument("--source", action="append", choices=("book", "direct_feed", "sip"),
                        help="a source to run (repeat for several); default book and the scenario's own")
    parser.add_argument("--feed-latency-ms", type=float, default=None,
                        help="direct_feed: replace the scenario's feed_latency_ms")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    for source in args.source or ["book", scenario.market_view.source]:
        view = MarketView() if source == "book" else replace(scenario.market_view, source=source)
        if source == "direct_feed" and args.feed_latency_ms is not None:
            view = replace(view, feed_latency_ms=args.feed_latency_ms)
        figures = view_figures(replace(scenario, market_view=view), args.seed)
        print(" ".join(f"{k}={v}" for k, v in asdict(figures).items()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
