"""The model-governance page of a drift-demo run folder (``twin governance drift-demo``).

``write_governance_page(run_dir)`` reads what the demo wrote (governance_summary.json,
governance_events.jsonl, cards/*.json, psi_over_time.png) and renders
``templates/governance.html.j2`` into ``governance.html``: the figures per model, the
monitoring plot (PSI over time), the timeline of governance actions (daily drift checks and
shadow observations left out) and every model card. It reads files only, so any run folder can
be re-rendered.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

ROUTINE = frozenset({"drift_checked", "shadow_observed", "suppressed"})
"""Record kinds left off the timeline (one per model per day; the jsonl has them all)."""


def _read(run_dir: Path) -> dict[str, Any]:
    summary = json.loads((run_dir / "governance_summary.json").read_text())
    events = [json.loads(line) for line in (run_dir / "governance_events.jsonl").read_text().splitlines() if line]
    cards = [json.loads(p.read_text()) for p in sorted((run_dir / "cards").glob("*.json"))]
    plot = run_dir / "psi_over_time.png"
    uri = "data:image/png;base64," + base64.b64encode(plot.read_bytes()).decode("ascii") if plot.exists() else None
    return {"summary": summary, "timeline": [e for e in events if e["kind"] not in ROUTINE],
            "routine": sum(1 for e in events if e["kind"] in ROUTINE), "cards": cards, "plot": uri}


def write_governance_page(run_dir: Path) -> Path:
    """Render ``run_dir/governance.html``; FileNotFoundError names a missing input file."""
    env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    path = Path(run_dir) / "governance.html"
    path.write_text(env.get_template("governance.html.j2").render(**_read(Path(run_dir))))
    return path
