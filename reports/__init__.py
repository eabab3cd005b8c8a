"""Report builders for a twin run: latency tables, the JSON summary, the HTML report.

The run recorder hands this package two pandas DataFrames: ``events`` (one row
per ``OrderEvent.to_record()``, with ``policy_decisions`` and ``details`` as JSON
strings) and ``orders`` (one row per order with its final status and fills).
From them it builds:

- ``reports.latency``: per-order latency of each path segment (gateway, OMS,
  pre-trade risk, routing) and percentiles against the blueprint's budgets;
- ``reports.summary``: the ``summary.json`` dict (fingerprint, invariants,
  order counts, latency, fills by venue, risk blocks by reason, funnel);
- ``reports.plots``: one matplotlib Figure per plot (Agg, no pyplot state);
- ``reports.html``: a self-contained ``report.html`` with embedded PNGs.

Everything here is analytics: floats are allowed for latencies and plots, but
money in the summary is printed exactly from integer units.
"""
