"""``twin order-timeline RUN_DIR ORDER_ID [--html F]``: every event of one order, in order, as an examiner asks.

Reads the run's event log (``events.sqlite``, the hash-chained log; ``events.parquet`` when there is no
store) and prints, for the order: each event's business time (UTC, to the nanosecond), the time since
the order was received, the event, the actor, the venue, the facts that matter (children routed with
their venues and sizes, fills with price, quantity, fee and liquidity, cancels and their reasons,
allocations) and every policy decision with its outcome and reason code. Below it, the order's venue
child orders (from the routing events) and the events of other orders that name this one (a block's
parent or members) or share its trace. ``--html F`` writes the same as a page. Prices are printed in
dollars from the log's integer units. Exit codes: 0 printed, 2 unknown order or unreadable run.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from components.domain.money import format_price
from components.risk.policies import params_text

_MONEY_KEYS = ("last_px", "avg_price", "limit_price", "price", "fee", "fees", "net_cash", "notional", "reference_price")
"""Detail keys holding integer money units, printed in dollars."""


def register(subparsers) -> None:
    cmd = subparsers.add_parser("order-timeline", help="every event of one order (children, allocations, decisions)")
    cmd.add_argument("run", help="run folder written by `twin run` (events.sqlite or events.parquet)")
    cmd.add_argument("order_id", help="the order, e.g. ORD-0000001")
    cmd.add_argument("--html", default=None, help="also write the timeline as an HTML page to this file")
    cmd.set_defaults(func=_cmd_order_timeline)


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One event as shown: ``relation`` is "order", or how another order's event relates to it."""

    offset: int
    time_utc: str
    t_ns: int
    since_ms: float | None
    order_id: str
    relation: str
    event_type: str
    actor: str
    venue: str
    facts: str
    decisions: str


def load_events(run_dir: Path) -> list[dict[str, Any]]:
    """The run's events as records (``OrderEvent.to_record()`` shape), in log order."""
    db, parquet = run_dir / "events.sqlite", run_dir / "events.parquet"
    if db.exists():
        from components.eventstore.sqlite import SqliteEventStore

        with SqliteEventStore(db, read_only=True) as store:
            return [e.to_record() for e in store.read()]
    if parquet.exists():
        import pandas as pd

        records = pd.read_parquet(parquet).to_dict("records")
        for r in records:
            r["details"] = json.loads(r["details"]) if isinstance(r.get("details"), str) and r["details"] else {}
            decisions = r.get("policy_decisions")
            r["policy_decisions"] = json.loads(decisions) if isinstance(decisions, str) and decisions else []
        return records
    raise FileNotFoundError(f"{run_dir}: no events.sqlite or events.parquet (is it a run folder?)")


def _money(key: str, value: Any) -> str:
    return f"{format_price(int(value))}" if key in _MONEY_KEYS and isinstance(value, int) else str(value)


def facts_of(details: dict[str, Any]) -> str:
    """The facts of an event's details in one line: children and allocations spelled out, prices in dollars."""
    parts = []
    for key in sorted(details):
        value = details[key]
        if key == "children" and isinstance(value, list):
            value = "; ".join(f"{c.get('child_id')} {c.get('quantity')} @ {c.get('venue')}"
                              + (f" limit {format_price(c['limit_price'])}" if c.get("limit_price") else "")
                              for c in value)
        elif key == "allocations" and isinstance(value, list):
            value = "; ".join(f"{a.get('account_id')} {a.get('quantity')}" for a in value)
        elif isinstance(value, (dict, list)):
            value = json.dumps(value, sort_keys=True)
        else:
            value = _money(key, value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def decisions_of(decisions: list[dict[str, Any]]) -> str:
    """``policy vVERSION OUTCOME [reason] {params}`` for each decision, ``; ``-separated."""
    out = []
    for d in decisions or []:
        text = f"{d.get('policy')} v{d.get('version')} {d.get('outcome')}"
        if d.get("reason_code"):
            text += f" {d['reason_code']}"
        if d.get("params"):
            text += " " + params_text(str(d.get("policy")), d.get("reason_code") or "", d["params"])
        out.append(text)
    return "; ".join(out)


def _iso(t_ns: int) -> str:
    stamp = datetime.fromtimestamp(t_ns // 1_000_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{t_ns % 1_000_000_000:09d}Z"


def order_timeline(events: list[dict[str, Any]], order_id: str) -> tuple[list[TimelineRow], list[dict[str, Any]]]:
    """(rows: the order's events then related ones, children: its venue child orders)."""
    own = [(i, e) for i, e in enumerate(events) if e.get("order_id") == order_id]
    if not own:
        raise KeyError(f"order {order_id!r} is not in this run's event log ({len(events)} events)")
    received = next((int(e["timestamp_utc"]) for _, e in own if e["event_type"] == "OrderReceived"),
                    int(own[0][1]["timestamp_utc"]))
    traces = {e.get("trace_id") for _, e in own if e.get("trace_id")}
    quoted = json.dumps(order_id)  # "ORD-1" must not match "ORD-10"
    related = []
    for i, e in enumerate(events):
        if e.get("order_id") == order_id:
            continue
        if quoted in json.dumps(e.get("details") or {}) or quoted in json.dumps(e.get("policy_decisions") or []):
            related.append((i, e, "names this order"))
        elif e.get("trace_id") in traces:
            related.append((i, e, "same trace"))
    rows = []
    for i, e, relation in [(i, e, "order") for i, e in own] + related:
        details = e.get("details") or {}
        venue = str(details.get("venue") or "")
        if not venue and isinstance(details.get("children"), list):
            venue = ",".join(dict.fromkeys(str(c.get("venue")) for c in details["children"]))
        if not venue and str(e.get("actor", "")).startswith("venue:"):
            venue = e["actor"].split(":", 1)[1]
        t = int(e["timestamp_utc"])
        rows.append(TimelineRow(i, _iso(t), t, (t - received) / 1e6, str(e.get("order_id") or ""), relation,
                                str(e["event_type"]), str(e.get("actor") or ""), venue,
                                facts_of(details), decisions_of(e.get("policy_decisions") or [])))
    children: dict[str, dict[str, Any]] = {}
    for _, e in own:
        details = e.get("details") or {}
        for c in details.get("children") or []:
            children.setdefault(str(c.get("child_id")), {"child_id": str(c.get("child_id")), "venue": c.get("venue"),
                                                         "quantity": c.get("quantity"), "filled": 0, "fills": 0,
                                                         "routed_ns": int(e["timestamp_utc"])})
        child = children.get(str(details.get("child_id")))
        if child is not None and details.get("last_qty") and e["event_type"] in ("OrderFilled", "OrderPartiallyFilled"):
            child["filled"] += int(details["last_qty"])
            child["fills"] += 1
    return rows, list(children.values())


def _print(order_id: str, rows: list[TimelineRow], children: list[dict[str, Any]]) -> None:
    own = [r for r in rows if r.relation == "order"]
    print(f"order {order_id}: {len(own)} events")
    for r in own:
        print(f"  {r.time_utc}  +{r.since_ms:>12.3f} ms  {r.event_type:<22} {r.actor:<16} {r.venue:<10} {r.facts}")
        if r.decisions:
            print(f"  {'':>47}decisions: {r.decisions}")
    if children:
        print("child orders:")
        for c in children:
            print(f"  {c['child_id']}  {c['venue']}  quantity {c['quantity']}  filled {c['filled']} in {c['fills']} fill(s)")
    others = [r for r in rows if r.relation != "order"]
    if others:
        print("related events:")
        for r in others:
            print(f"  {r.time_utc}  {r.order_id or '(platform)'}  {r.relation}: {r.event_type} {r.actor} {r.facts}")


def write_html(path: Path, run_dir: Path, order_id: str, rows: list[TimelineRow], children: list[dict[str, Any]]) -> Path:
    """The timeline as a self-contained page (``reports/templates/order_timeline.html.j2``)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    html = env.get_template("order_timeline.html.j2").render(
        run_dir=str(run_dir), order_id=order_id, rows=[r for r in rows if r.relation == "order"],
        related=[r for r in rows if r.relation != "order"], children=children)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _cmd_order_timeline(args: argparse.Namespace) -> int:
    run_dir = Path(args.run)
    try:
        rows, children = order_timeline(load_events(run_dir), args.order_id)
    except KeyError as exc:
        print(f"order-timeline: {exc.args[0]}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"order-timeline: {exc}", file=sys.stderr)
        return 2
    _print(args.order_id, rows, children)
    if args.html:
        print(f"written: {write_html(Path(args.html), run_dir, args.order_id, rows, children)}")
    return 0
