"""report.html: self-contained, four embedded plots, survives empty inputs."""

from __future__ import annotations

import base64
import json
import re

import pandas as pd
from matplotlib.figure import Figure

from components.domain.events import EventType as E, OrderEvent, Outcome, PolicyDecision
from reports import plots
from reports.html import write_report
from reports.latency import latency_table
from reports.summary import build_summary

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
FINGERPRINT = "3f" * 32
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def event(event_type: E, order_id: str, ts: int, seq: int, details: dict | None = None,
          decisions: tuple = ()) -> dict:
    """One recorder row: OrderEvent.to_record() with the two JSON columns encoded."""
    rec = OrderEvent(
        event_type=event_type, event_id=f"{order_id}-{seq}", trace_id=f"t-{order_id}",
        timestamp_utc=ts, recorded_at=ts, order_id=order_id, stream_seq=seq,
        account_id="ACC1", symbol="MSFT", side="SELL", quantity=100, order_type="MARKET",
        limit_price=None, time_in_force="IOC", actor="test",
        policy_decisions=decisions, details=details,
    ).to_record()
    rec["policy_decisions"] = json.dumps(rec["policy_decisions"], sort_keys=True)
    rec["details"] = json.dumps(rec["details"], sort_keys=True)
    return rec


def run_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [
        event(E.ORDER_RECEIVED, "O1", T0 + 10 * MS, 1, {"submitted_ns": T0}),
        event(E.ORDER_VALIDATED, "O1", T0 + 30 * MS, 2),
        event(E.ORDER_RISK_APPROVED, "O1", T0 + 50 * MS, 3),
        event(E.ORDER_ROUTED, "O1", T0 + 60 * MS, 4),
        event(E.ORDER_FILLED, "O1", T0 + 70 * MS, 5,
              {"venue": "ARCA", "last_qty": 100, "last_px": 4_100_000, "fee": 30,
               "liquidity": "TAKER"}),
        event(E.ORDER_RECEIVED, "O2", T0 + 110 * MS, 1, {"submitted_ns": T0 + 100 * MS}),
        event(E.ORDER_VALIDATED, "O2", T0 + 130 * MS, 2),
        event(E.ORDER_BLOCKED, "O2", T0 + 150 * MS, 3,
              decisions=(PolicyDecision("sanctions", "1", Outcome.FAIL, "SANCTIONED_PARTY"),)),
    ]
    orders = pd.DataFrame({"order_id": ["O1", "O2"], "final_status": ["FILLED", "BLOCKED"]})
    return pd.DataFrame.from_records(rows), orders


def make_summary(events: pd.DataFrame, orders: pd.DataFrame, invariants: list[dict]) -> dict:
    return build_summary(scenario="html-smoke", seed=7, fingerprint=FINGERPRINT,
                         invariants=invariants, events=events, orders=orders,
                         wall_seconds=0.25, sim_seconds=60.0)


def embedded_pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_written_with_four_plots_and_fingerprint(tmp_path):
    events, orders = run_frames()
    invariants = [{"name": "ids_unique", "passed": True, "detail": ""},
                  {"name": "no_unapproved_routes", "passed": False, "detail": "O9 <routed>"}]
    summary = make_summary(events, orders, invariants)
    path = write_report(summary, events, orders, tmp_path / "run")
    assert path == tmp_path / "run" / "report.html" and path.is_file()
    html = path.read_text(encoding="utf-8")
    assert html.count("<img") == 4
    pngs = embedded_pngs(html)
    assert len(pngs) == 4 and all(p.startswith(PNG_MAGIC) for p in pngs)
    assert FINGERPRINT in html
    assert "html-smoke" in html and "SANCTIONED_PARTY" in html and "ARCA" in html
    # Pass/fail colouring, and detail text escaped.
    assert 'class="pass"' in html and 'class="fail"' in html
    assert "O9 &lt;routed&gt;" in html
    # Self-contained: no external resources.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_report_on_empty_run_shows_none_notes(tmp_path):
    events, orders = pd.DataFrame(), pd.DataFrame()
    summary = make_summary(events, orders, [])
    html = write_report(summary, events, orders, tmp_path).read_text(encoding="utf-8")
    assert html.count("<img") == 4
    assert 'class="none"' in html
    assert FINGERPRINT in html


def test_report_when_no_blocks_and_no_fills(tmp_path):
    events, orders = run_frames()
    events = events[events["event_type"].isin([E.ORDER_RECEIVED.value, E.ORDER_VALIDATED.value])]
    summary = make_summary(events, orders, [{"name": "x", "passed": True, "detail": ""}])
    assert summary["risk_blocks_by_reason"] == {} and summary["fills_by_venue"] == {}
    html = write_report(summary, events, orders, tmp_path).read_text(encoding="utf-8")
    assert html.count("<img") == 4


def test_each_plot_returns_a_figure_even_when_empty():
    events, _ = run_frames()
    table = latency_table(events)
    for fig in (plots.plot_latency(table), plots.plot_latency({}),
                plots.plot_funnel({"stages": {"NEW": 2, "VALIDATED": 2}, "exits": {"BLOCKED": 1}}),
                plots.plot_funnel({}),
                plots.plot_fills_by_venue({"ARCA": {"fills": 1, "shares": 100,
                                                     "notional_usd": "410.0000",
                                                     "fees_usd": "0.0030"}}),
                plots.plot_fills_by_venue({}),
                plots.plot_risk_blocks({"SANCTIONED_PARTY": 1}), plots.plot_risk_blocks({})):
        assert isinstance(fig, Figure)
