"""``twin portfolio propose [--seed N] [--households N] [--config FILE] [--out DIR]``: rebalancing proposals.

Generates households from the seed (``scenarios.households``), runs the portfolio engine on each
(drift, tax-loss harvesting under the wash-sale rule, constrained rebalance, suitability:
``components.portfolio.rebalance``) and writes to the run folder:

* ``proposals.json``: per household its IPS, drift before and after, and either the proposal
  (trades with lots and explanations) or the suitability findings that withheld it;
* ``audit.json``: the proposal audit log (each proposal OFFERED or WITHHELD by the engine);
* ``report.md`` with ``drift.png`` (largest deviation from target per household, before/after).

The engine is imported inside the command (it loads scipy; matplotlib only for the plot), so
building the ``twin`` parser stays light.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from . import cli_args
from .run_folders import out_folder

ENGINE_ACTOR = "portfolio-engine"


def register(subparsers) -> None:
    """Add ``twin portfolio propose``."""
    portfolio = subparsers.add_parser("portfolio", help="portfolio intelligence: rebalancing proposals")
    verbs = portfolio.add_subparsers(dest="portfolio_command", required=True)
    propose = verbs.add_parser("propose", help="generate households and write their rebalancing proposals")
    propose.add_argument("--seed", type=cli_args.seed, default=1, help="seed for the generated households (default 1)")
    propose.add_argument("--households", type=int, default=None, help="how many (default: the config's, 20)")
    propose.add_argument("--config", default=None, help="portfolio config YAML (docs/portfolio.md)")
    propose.add_argument("--out", default=None, help="output folder (default reports/out/portfolio-SEED)")
    propose.add_argument("--no-plot", action="store_true", help="skip drift.png (no matplotlib)")
    propose.set_defaults(func=_cmd_propose)


def _cmd_propose(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from components.config.schema import ScenarioError
    from scenarios.config_portfolio import PortfolioConfig, load_portfolio_config

    try:
        config = load_portfolio_config(args.config) if args.config else PortfolioConfig()
    except ScenarioError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.config}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.households is not None:
        if not 1 <= args.households <= 100_000:
            print(f"invalid: --households must be in 1..100000, got {args.households}", file=sys.stderr)
            return 2
        config = replace(config, households=args.households)
    out = out_folder(args.out, f"portfolio-{args.seed}")
    summary = run_proposals(config, args.seed, out, plot=not args.no_plot)
    print(f"portfolio seed {args.seed}: households {summary['households']}  offered {summary['offered']}  "
          f"withheld {summary['withheld']}  no action {summary['no_action']}  trades {summary['trades']}")
    print(f"harvested losses ${summary['harvested_loss']}  deferred (washed) losses ${summary['deferred_loss']}  "
          f"proposal time mean {summary['ms_mean']:.1f} ms  "
          f"p95 {summary['ms_p95']:.1f} ms per household")
    print(f"written: {out / 'proposals.json'}, {out / 'report.md'}")
    return 0


def run_proposals(config, seed: int, out: Path, plot: bool = True) -> dict[str, Any]:
    """Generate, propose, write the files; returns the summary numbers printed by the command."""
    from datetime import datetime, time as dtime, timezone

    from components.domain.money import format_price
    from components.portfolio.audit import AuditAction, ProposalAuditLog
    from components.portfolio.rebalance import RebalanceSettings, propose
    from components.portfolio.tax_loss import HarvestThresholds, household_washes
    from components.portfolio.universe import reference_prices
    from scenarios.households import build_households

    import scipy.optimize  # noqa: F401  loaded before the clock starts: per-household times exclude the import

    books = build_households(config, seed)
    prices = reference_prices()
    settings = RebalanceSettings(min_trade=config.min_trade, tax_aversion=config.tax_aversion,
                                 harvest=HarvestThresholds(config.harvest_min_loss, config.harvest_min_loss_bps))
    # the proposals are stamped at the close of the as-of date (business time, not the wall clock)
    as_of_ns = int(datetime.combine(config.as_of, dtime(16, 0), timezone.utc).timestamp()) * 1_000_000_000
    audit = ProposalAuditLog()
    rows: list[dict[str, Any]] = []
    millis: list[float] = []
    results = []
    for book in books:
        hid = book.household.household_id
        started = time.perf_counter()
        result = propose(book, prices, config.as_of, as_of_ns, f"PR-{seed}-{hid}", settings)
        millis.append((time.perf_counter() - started) * 1e3)
        results.append(result)
        if result.proposal is not None:
            audit.record(result.proposal.proposal_id, AuditAction.OFFERED, ENGINE_ACTOR, as_of_ns, result.note)
        elif result.findings:
            audit.record(f"PR-{seed}-{hid}", AuditAction.WITHHELD, ENGINE_ACTOR, as_of_ns,
                         "; ".join(f.message for f in result.findings))
        rows.append(_household_json(book, result))
    out.mkdir(parents=True, exist_ok=True)
    (out / "proposals.json").write_text(json.dumps({"seed": seed, "as_of": config.as_of.isoformat(),
                                                    "households": rows}, indent=1) + "\n", encoding="utf-8")
    (out / "audit.json").write_text(json.dumps([{"seq": r.seq, "proposal_id": r.proposal_id,
                                                 "action": r.action.value, "actor": r.actor, "at_ns": r.at_ns,
                                                 "note": r.note} for r in audit.records()], indent=1) + "\n",
                                    encoding="utf-8")
    ordered = sorted(millis)
    washes = [w for book in books for w in household_washes(book.recent_realised, book.acquisitions)]
    summary = {
        "households": len(results),
        "offered": sum(r.proposal is not None for r in results),
        "withheld": sum(bool(r.findings) for r in results),
        "no_action": sum(r.proposal is None and not r.findings for r in results),
        "trades": sum(len(r.proposal.trades) for r in results if r.proposal),
        "harvested_loss": format_price(sum(r.harvested_loss for r in results if r.proposal)),
        # the households' recent sales (last 30 days) whose losses recent purchases washed
        "deferred_loss": format_price(sum(w.disallowed for w in washes)),
        "permanently_disallowed_loss": format_price(sum(w.permanently_disallowed for w in washes)),
        "ms_mean": sum(millis) / len(millis),
        "ms_p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
    }
    if plot:
        _plot(results, out / "drift.png")
    _write_report(out / "report.md", seed, config, results, summary, plot)
    return summary


def _household_json(book, result) -> dict[str, Any]:
    from components.domain.money import format_price

    hh = book.household
    p = hh.policy

    def drift(report):
        if report is None:
            return None
        return {"drifted": list(report.drifted), "explanation": report.explanation,
                "rows": [{"symbol": r.symbol, "target_bps": r.target_bps, "weight_bps": round(r.weight_bps, 1)}
                         for r in report.rows]}

    def trade(t):
        return {"account": t.account_id, "symbol": t.symbol, "side": t.side.value, "quantity": t.quantity,
                "reason": t.reason.value, "est_price": format_price(t.est_price), "lots": list(t.lot_ids),
                "explanation": t.explanation}

    return {
        "household_id": hh.household_id, "name": hh.name, "advisor_id": hh.advisor_id,
        "accounts": [{"account_id": a.account_id, "kind": a.kind.value, "cash": format_price(a.cash)}
                     for a in hh.accounts],
        "ips": {"risk_profile": p.risk_profile.name.lower(), "model": p.model_id, "restricted": sorted(p.restricted),
                "esg_exclusions": sorted(p.esg_exclusions), "max_position_bps": p.max_position_bps,
                "cash_floor_bps": p.cash_floor_bps, "bands": {"absolute_bps": p.bands.absolute_bps,
                                                              "relative_bps": p.bands.relative_bps}},
        "lots": len(book.lots),
        "status": result.note,
        "drift_before": drift(result.drift_before),
        "drift_after": drift(result.drift_after),
        "harvested_loss": format_price(result.harvested_loss),
        "realised_gain": format_price(result.realised_gain),
        "proposal": None if result.proposal is None else {
            "proposal_id": result.proposal.proposal_id, "summary": result.proposal.summary,
            "trades": [trade(t) for t in result.proposal.trades]},
        "findings": [{"code": f.code, "message": f.message} for f in result.findings],
        "withheld_trades": [trade(t) for t in result.withheld_trades],
    }


def _plot(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.household_id for r in results]
    before = [r.drift_before.max_abs_deviation_bps / 100 for r in results]
    after = [(r.drift_after.max_abs_deviation_bps / 100 if r.drift_after and r.proposal else b)
             for r, b in zip(results, before)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(names)), 3.6))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], before, width=0.4, label="before")
    ax.bar([x + 0.2 for x in xs], after, width=0.4, label="after proposal (withheld: unchanged)")
    ax.set_xticks(list(xs), names, rotation=90, fontsize=7)
    ax.set_ylabel("largest |weight - target|, pts")
    ax.set_title("Drift from target model per household")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _write_report(path: Path, seed: int, config, results, summary: dict[str, Any], plot: bool) -> None:
    lines = [f"# Rebalancing proposals: seed {seed}, as of {config.as_of}", "",
             f"Households {summary['households']}: offered {summary['offered']}, withheld {summary['withheld']} "
             f"(unsuitable), no action {summary['no_action']}. Trades {summary['trades']}. Harvested losses "
             f"${summary['harvested_loss']}. Losses of the last 30 days' sales washed by purchases (deferred "
             f"into the replacement lots' basis): ${summary['deferred_loss']}, of which "
             f"${summary['permanently_disallowed_loss']} lost for good (IRA replacements). Proposal time per household: mean {summary['ms_mean']:.1f} ms, "
             f"p95 {summary['ms_p95']:.1f} ms.", ""]
    if plot:
        lines += ["![drift before and after](drift.png)", ""]
    lines += ["| household | status | max drift before (pts) | after (pts) | trades | why |", "|---|---|---|---|---|---|"]
    for r in results:
        after = f"{r.drift_after.max_abs_deviation_bps / 100:.1f}" if r.drift_after and r.proposal else "-"
        why = "; ".join(f.message for f in r.findings) or (r.drift_before.explanation if r.proposal else r.note)
        lines.append(f"| {r.household_id} | {r.note} | {r.drift_before.max_abs_deviation_bps / 100:.1f} | {after} | "
                     f"{len(r.proposal.trades) if r.proposal else 0} | {why.replace('|', '/')} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
