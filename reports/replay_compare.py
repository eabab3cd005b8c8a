"""The counterfactual comparison of ``twin replay``: one row of figures per routing policy, as HTML and JSON.

Figures come from each run's orders and venue fills: shares filled, fill
rate, maker share, fees, the cost against each order's arrival NBBO mid
(signed so that positive is worse for the client), their sum, and the shares
each venue got; what became of the orders (final states, how many reached a
venue, the reasons of those blocked, rejected, canceled or expired); and, from the run folder's TCA
tables (``reports.tca``, the formulas of ``components.tca``), the order-mean arrival slippage, fees and
implementation shortfall in basis points. ``explain`` turns the difference between two policies into
sentences (which venue got more shares, what the fees did); ``replay_warnings`` says when most orders
never reached a venue, so a comparison that shows no difference is not read as one about routing.

Money is exact integer units until the last step; dollars and basis points
shown are floats (analytics).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Mapping

from matplotlib.figure import Figure

from .html import figure_to_data_uri
from .plots import new_figure

UNITS_PER_DOLLAR = 10_000


REFUSED_AT_ENTRY = "REFUSED_AT_ENTRY"
"""The state counted for a request order entry refused: it never became an order (not in ``orders``)."""

_NEVER_ROUTED = ("BLOCKED", "REJECTED", REFUSED_AT_ENTRY)
"""States whose reasons say why orders did not reach a venue (a REJECTED order may have reached one
whose venues all refused it: its reason says so)."""


def policy_figures(policy: str, description: str, world: Any, arrival: Mapping[str, tuple[int, int]],
                   reasons: Mapping[str, str] | None = None, routed: int | None = None) -> dict:
    """One policy's figures from its run ``world`` (OMS orders, gateway fills, order entry's refusals) and
    arrival NBBOs; ``reasons`` (order id -> the reason its blocked, rejected, canceled or expired order gave)
    and ``routed`` (how many orders were routed to a venue) come from an OMS listener during the run."""
    orders = list(world.platform.oms.orders.values())
    states: dict[str, int] = {}
    why: dict[str, dict[str, int]] = {}
    reasons = reasons or {}
    for o in orders:
        state = o.status.value
        states[state] = states.get(state, 0) + 1
        reason = reasons.get(o.order_id)
        if reason is not None:
            counts = why.setdefault(state, {})
            counts[reason] = counts.get(reason, 0) + 1
    for refusal in world.platform.refused:  # requests that never became orders, with the fields at fault
        states[REFUSED_AT_ENTRY] = states.get(REFUSED_AT_ENTRY, 0) + 1
        counts = why.setdefault(REFUSED_AT_ENTRY, {})
        key = "bad " + ", ".join(refusal.fields)
        counts[key] = counts.get(key, 0) + 1
    ordered = sum(o.spec.quantity for o in orders)
    filled = sum(o.filled_qty for o in orders)
    cost = 0  # units: what the fills cost the client beyond the arrival mid
    arrival_notional = 0
    for o in orders:
        bid, ask = arrival.get(o.spec.client_order_id, (0, 0))
        if not (o.filled_qty and bid and ask):
            continue
        sign = 1 if o.spec.side.value == "BUY" else -1
        # mid * 2 keeps the half-cent mid exact in integer units
        cost += sign * (2 * o.filled_notional - o.filled_qty * (bid + ask))
        arrival_notional += o.filled_qty * (bid + ask)
    fills = world.gateway.venue_fills
    fees = sum(f.fee for f in fills)
    maker = sum(f.last_qty for f in fills if f.liquidity is not None and f.liquidity.value == "MAKER")
    by_venue: dict[str, int] = {}
    for f in fills:
        by_venue[f.venue] = by_venue.get(f.venue, 0) + f.last_qty
    return {
        "policy": policy,
        "description": description,
        "orders": len(orders),
        "ordered_shares": ordered,
        "filled_shares": filled,
        "fill_rate": filled / ordered if ordered else None,
        "fills": len(fills),
        "maker_share": maker / filled if filled else None,
        "fees_usd": fees / UNITS_PER_DOLLAR,
        "cost_vs_arrival_mid_usd": cost / 2 / UNITS_PER_DOLLAR,
        "cost_vs_arrival_mid_bps": cost / arrival_notional * 10_000 if arrival_notional else None,
        "total_cost_usd": (cost / 2 + fees) / UNITS_PER_DOLLAR,
        "shares_by_venue": dict(sorted(by_venue.items())),
        "orders_by_state": _by_count(states),
        "reasons_by_state": {state: _by_count(counts) for state, counts in _by_count(why).items()},
        "reached_venue": routed,
    }


def _by_count(counts: Mapping[str, Any]) -> dict[str, Any]:
    """``counts`` most first (a nested mapping by its total), then by name: the order they are shown in."""
    def total(value: Any) -> int:
        return sum(value.values()) if isinstance(value, Mapping) else value
    return dict(sorted(counts.items(), key=lambda kv: (-total(kv[1]), kv[0])))


def outcome_line(figures: Mapping[str, Any]) -> str:
    """What became of one policy's orders, e.g. ``reached a venue 1 of 4; BLOCKED 3 (INSUFFICIENT_POSITION 3),
    SETTLED 1``."""
    parts = [_state_and_reasons(figures, state, " (", ")") for state in figures["orders_by_state"]]
    submitted = sum(figures["orders_by_state"].values())
    routed = figures["reached_venue"]
    reached = "" if routed is None else f"reached a venue {routed:,} of {submitted:,}; "
    return reached + (", ".join(parts) or "no orders")


def _state_and_reasons(figures: Mapping[str, Any], state: str, before: str, after: str = "") -> str:
    """``STATE n`` and, when it has any, its reasons with counts between ``before`` and ``after``."""
    reasons = ", ".join(f"{r} {c:,}" for r, c in figures["reasons_by_state"].get(state, {}).items())
    return f"{state} {figures['orders_by_state'][state]:,}" + (f"{before}{reasons}{after}" if reasons else "")


def replay_warnings(figures: list[Mapping[str, Any]]) -> list[str]:
    """One warning per policy that sent no orders, or most of whose orders never reached a venue: its
    figures then say little (or nothing) about routing, whatever the other columns show."""
    out = []
    for f in figures:
        submitted, reached = sum(f["orders_by_state"].values()), f["reached_venue"]
        if submitted == 0:
            out.append(f"{f['policy']}: no orders were sent; there is nothing to compare")
            continue
        if reached is None or 2 * (submitted - reached) <= submitted:
            continue
        why = "; ".join(_state_and_reasons(f, state, ": ") for state in f["orders_by_state"] if state in _NEVER_ROUTED)
        consequence = ("the comparison says nothing about routing" if reached == 0
                       else f"the comparison is about the {reached:,} that did")
        out.append(f"{f['policy']}: {submitted - reached:,} of {submitted:,} orders never reached a venue"
                   + (f" ({why})" if why else "") + f"; {consequence}")
    return out


TCA_MEANS = (("arrival_slippage_bps", "tca_arrival_slippage_bps"), ("is_fees_bps", "tca_is_fees_bps"),
             ("is_total_bps", "tca_is_total_bps"))
"""(TCA column, figure name): order means over filled orders, from the run's ``tca_orders.parquet``."""


def tca_figures(run_dir: str | Path) -> dict[str, float | None]:
    """Order means of the run's TCA (``reports.tca``); None values when the run wrote no TCA table."""
    from .tca import ORDERS_FILE, read_tca_orders

    if not (Path(run_dir) / ORDERS_FILE).exists():
        return {name: None for _, name in TCA_MEANS}
    orders = read_tca_orders(Path(run_dir))
    filled = orders[orders["filled_qty"] > 0] if "filled_qty" in orders else orders
    out: dict[str, float | None] = {}
    for column, name in TCA_MEANS:
        values = filled[column].dropna() if column in filled else []
        out[name] = float(values.mean()) if len(values) else None
    return out


def explain(base: Mapping[str, Any], other: Mapping[str, Any], same_because: str | None = None) -> list[str]:
    """Sentences saying how ``other`` differs from ``base`` and why (venue shares, fees, price).
    ``same_because``: why the policies cannot differ on this replay, said when they did not."""
    if base.get("reached_venue") == 0 and other.get("reached_venue") == 0:
        return ["no order reached a venue under either policy, so their routing cannot be compared"]
    lines = []
    venues = sorted(set(base["shares_by_venue"]) | set(other["shares_by_venue"]))
    for v in venues:
        a, b = base["shares_by_venue"].get(v, 0), other["shares_by_venue"].get(v, 0)
        if a != b:
            lines.append(f"{other['policy']} sent {b:,} shares to {v} against {a:,} under {base['policy']}")
    fee_diff = other["fees_usd"] - base["fees_usd"]
    if fee_diff:
        lines.append(f"fees {'+' if fee_diff > 0 else '-'}${abs(fee_diff):,.2f} "
                     f"({other['policy']} ${other['fees_usd']:,.2f}, {base['policy']} ${base['fees_usd']:,.2f})")
    price_diff = other["cost_vs_arrival_mid_usd"] - base["cost_vs_arrival_mid_usd"]
    if price_diff:
        lines.append(f"price paid against the arrival mid {'+' if price_diff > 0 else '-'}${abs(price_diff):,.2f}")
    same = f"{other['policy']} made the same routing decisions as {base['policy']} on this day"
    return lines or [f"{same}: {same_because}" if same_because else same]


def _plot(figures: list[dict]) -> Figure:
    fig = new_figure(8.0, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    names = [f["policy"] for f in figures]
    price = [f["cost_vs_arrival_mid_usd"] for f in figures]
    fees = [f["fees_usd"] for f in figures]
    ax.bar(names, price, color="#4c72b0", label="price vs arrival mid")
    ax.bar(names, fees, bottom=price, color="#dd8452", label="fees (negative: rebates)")
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_ylabel("USD (positive = cost to clients)")
    ax.set_title("Execution cost by routing policy (same orders, same day)")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


_COLUMNS = (("orders", "orders"), ("reached_venue", "reached a venue"), ("filled_shares", "shares filled"),
            ("fill_rate", "fill rate"), ("maker_share", "maker share"), ("fees_usd", "fees $"),
            ("cost_vs_arrival_mid_usd", "vs arrival mid $"),
            ("cost_vs_arrival_mid_bps", "vs arrival mid bps"), ("total_cost_usd", "total cost $"),
            ("tca_arrival_slippage_bps", "TCA arrival slippage bps"), ("tca_is_fees_bps", "TCA fees bps"),
            ("tca_is_total_bps", "TCA shortfall bps"))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}"
    return f"{value:,}" if isinstance(value, int) else html.escape(str(value))


def write_comparison(figures: list[dict], fingerprint: str, out_dir: str | Path,
                     same_because: str | None = None) -> Path:
    """``comparison.json`` and ``comparison.html`` (warnings, table, order outcomes, plot, explanations) in
    ``out_dir``; the HTML path. ``same_because``: why the policies cannot differ (``explain``), if they cannot."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    explanations = {f["policy"]: explain(figures[0], f, same_because) for f in figures[1:]}
    warnings = replay_warnings(figures)
    (out / "comparison.json").write_text(json.dumps(
        {"fingerprint": fingerprint, "policies": figures, "explanations": explanations, "warnings": warnings,
         "same_because": same_because}, indent=2, sort_keys=True))
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in _COLUMNS)
    rows = "".join(
        f"<tr><td><a href='{html.escape(f['policy'])}/report.html'>{html.escape(f['policy'])}</a><br>"
        f"<small>{html.escape(f['description'])}</small></td>"
        + "".join(f"<td>{_cell(f[key])}</td>" for key, _ in _COLUMNS)
        + f"<td>{html.escape(', '.join(f'{v} {n:,}' for v, n in f['shares_by_venue'].items()))}</td></tr>"
        for f in figures)
    outcomes = "".join(f"<tr><td>{html.escape(f['policy'])}</td><td>{html.escape(outcome_line(f))}</td></tr>"
                       for f in figures)
    warned = "".join(f"<p class='warning'>&#9888; {html.escape(w)}</p>" for w in warnings)
    why = "".join(f"<h3>{html.escape(p)} against {html.escape(figures[0]['policy'])}</h3><ul>"
                  + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
                  for p, lines in explanations.items())
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>Replay comparison</title>"
            f"<style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px}}"
            f"table{{border-collapse:collapse}}.warning{{background:#fff3cd;border:1px solid #e0a800;"
            f"padding:8px}}</style></head><body>"
            f"<h1>Best-execution replay: routing policies compared</h1>"
            f"<p>Same recorded day, same client orders, one run per policy. Costs are against each order's "
            f"arrival NBBO mid (positive = worse for the client); fees are the venues' (negative = rebate). "
            f"Replay fingerprint <code>{fingerprint}</code>.</p>{warned}"
            f"<table><tr><th>policy</th>{head}<th>shares by venue</th></tr>{rows}</table>"
            f"<h2>Order outcomes</h2><p>Final state of every order (requests order entry refused as "
            f"{REFUSED_AT_ENTRY}), with the reasons orders were blocked, rejected, canceled or expired.</p>"
            f"<table><tr><th>policy</th><th>outcomes</th></tr>{outcomes}</table>"
            f"<img alt='cost by policy' src='{figure_to_data_uri(_plot(figures))}'>{why}</body></html>")
    path = out / "comparison.html"
    path.write_text(page, encoding="utf-8")
    return path
