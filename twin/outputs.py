"""Write a run folder: summary.json, events.parquet, events.sqlite (+ events.anchors), orders.parquet,
market_nbbo.parquet and market_prints.parquet (the market behind TCA), tca_orders.parquet and
tca_summary.parquet (reports.tca), service_timeseries.parquet (twin.service_timeseries), report.html;
with a ``money`` section, transfers.parquet and aml_labels.json (twin.money_movement) and aml_alerts.jsonl,
aml_decisions.jsonl and aml_cases.json (twin.aml_monitoring)."""

from __future__ import annotations

import time
from pathlib import Path

from components.domain.events import OrderEvent
from components.eventstore.anchorlog import anchor_path, resolve_key, write_anchors
from components.eventstore.anchors import DEFAULT_EVERY, Anchor
from components.eventstore.sqlite import SqliteEventStore, write_log_file
from reports.html import write_report
from reports.realism import realism_section
from reports.summary import build_summary, write_summary
from reports.tca import write_tca
from venues_sim.replay_columns import release_unused_memory

from .aside import aside
from .market_files import write_market_samples, write_market_timeline
from .observability import write_observability
from .recorder import events_frame, orders_frame, write_parquet
from .run_result import RunResult
from .service_timeseries import write_service_timeseries


RUN_FILES = (
    "summary.json", "report.html", "events.parquet", "events.sqlite", "events.anchors", "orders.parquet",
    "metrics.parquet", "metrics.prom", "traces.json", "slo.json", "service_timeseries.parquet",
    "market_nbbo.parquet", "market_prints.parquet", "market_samples.parquet", "tca_orders.parquet",
    "tca_summary.parquet", "labels.json", "links.json", "transfers.parquet", "aml_labels.json",
    "aml_alerts.jsonl", "aml_decisions.jsonl", "aml_cases.json", "aml_model_card.json", "aml_model_card.md",
    "agent_steps.jsonl", "agent_plans.json",
    "best_ex_review.html", "best_ex_review_tests.parquet", "best_ex_review_orders.parquet",
)
"""Every file a run folder may hold (some only with bad actors, money, advisors or a market recording; the
last three written by ``twin review`` into the run folder by default): the files an earlier run left in a
folder given again are removed first (``clear_run_files``), so no review of an earlier run stays beside it."""


def clear_run_files(out_dir: Path) -> list[str]:
    """Remove the ``RUN_FILES`` an earlier run left in ``out_dir``, so a folder written again holds this
    run's files only (a stale ``labels.json`` would be read as this run's episodes by the surveillance
    backtest); any other file is left alone. Returns the names removed."""
    removed = []
    for name in RUN_FILES:
        path = out_dir / name
        if path.is_file():
            path.unlink()
            removed.append(name)
    return removed


def write_run(result: RunResult, out_dir: Path, events: list[OrderEvent]) -> Path:
    """Write the run folder of ``result`` into ``out_dir``; returns it. ``events`` (the run's events as the
    checks read them: ``twin.runner.read_out``) is handed over and emptied once the files that need it are
    written: on a big day it is the largest thing the process holds (~730 bytes an event), let go before
    TCA and the report (the log keeps its own columns). A folder given again is this run's alone: the run
    files an earlier run left there are removed first (``clear_run_files``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_run_files(out_dir)
    world = result.world

    def log_and_observability() -> tuple[dict | None, dict]:
        # hash-chained: `twin replay-log` verifies it; then metrics.parquet/.prom, traces.json, slo.json
        write_log_file(out_dir / "events.sqlite", events)
        anchor = write_run_anchors(out_dir / "events.sqlite")
        return (None if anchor is None else anchor.to_record()), write_observability(out_dir, events)

    # They need only the events: written by a forked worker while this process writes the rest (twin.aside).
    with aside(log_and_observability) as side:  # leaving the block waits for the worker, whatever happened
        events_df = events_frame(events)
        # surveillance (docs/surveillance.md) is the last reader of the events here: then they go
        from .surveillance_run import run_report_section, write_labels

        write_labels(world, out_dir)
        surveillance = run_report_section(world, events)
        events.clear()  # the worker forked above keeps its own copy
        orders_df = orders_frame(world.platform.oms.orders.values())
        write_parquet(events_df, out_dir / "events.parquet")
        write_parquet(orders_df, out_dir / "orders.parquet")
        release_unused_memory()  # Arrow's free pages after each big step go back (docs/run_performance.md)
        platform = world.platform
        session = world.scenario.session
        session_ns = session.close_ns() - session.open_ns()
        refused = {str(status): n for status, n in platform.refused.by_status.items()}
        summary = build_summary(
            scenario=world.scenario.name,
            seed=world.seed,
            fingerprint=result.fingerprint,
            invariants=[r.to_record() for r in result.invariants],
            events=events_df,
            orders=orders_df,
            wall_seconds=round(result.wall_seconds, 3),
            sim_seconds=result.sim_seconds,
            extra={
                "requests": len(world.intents),
                "refused_requests_by_status": refused,
                "idempotent_replays": platform.replays,
                "venue_child_orders": len(world.gateway.child_sends),
            },
        )
        # per service: queue, utilisation (over the session, where nearly all work happens) and arrivals over time
        summary["services"] = write_service_timeseries(world.network.services, out_dir, session_ns / 1e9)
        recorder = world.market_recorder
        if recorder is not None:
            summary["market_realism"] = realism_section(
                recorder.samples, recorder.trades() or None, venue=recorder.venue.name,
                sample_interval_s=recorder.interval_ns / 1e9, source=recorder.source)
        view = world.scenario.market_view  # where the router's quotes came from (docs/router_view.md)
        summary["market_view"] = {"source": view.source, **({} if view.source != "direct_feed" else {
            "feed_latency_ms": view.feed_latency_ms, "jitter_ms": view.jitter_ms, "poll_ms": view.poll_ms})}
        if world.agents is not None:  # which agent mode ran, where they traded, ABIDES-style message count
            summary["agent_network"] = world.agents.summary()  # docs/agents_network.md
        if recorder is not None:  # every venue's sampled top and their national best (docs/market_rules.md)
            write_market_samples(recorder, out_dir)
        if recorder is not None and recorder.timeline is not None:  # the market behind TCA, then TCA itself
            market = write_market_timeline(recorder.timeline, recorder, out_dir)
            try:
                summary["tca"] = write_tca(out_dir, events_df, market)  # the tables just written, not read back
            except ValueError as exc:  # data TCA cannot use (TcaInputError is one): the run's other outputs stand
                summary["tca_error"] = str(exc)
            del market  # the tables view the timeline's buffers: dropped so that release() may free them
            recorder.timeline.release()  # its NBBO buffers (~25 MiB on trading_day): written, read by TCA, done
        summary["anchor"] = None  # the log's last anchor, kept apart from the anchor log (from the worker, below)
        if world.regions is not None:  # replication, failovers with RPO and RTO (twin.regions, docs/regions.md)
            summary["regions"] = world.regions.summary()
        summary["slo"] = None  # the worker's too: the keys keep their place in summary.json
        summary["surveillance"] = surveillance
        if world.money is not None:  # transfers.parquet and aml_labels.json: docs/aml_money_flow.md
            from .money_movement import write_money_outputs

            summary["money"] = write_money_outputs(world, out_dir)
            from .aml_monitoring import write_aml_outputs  # alerts, cases, SARs: docs/aml_monitoring.md

            summary["aml"] = write_aml_outputs(world, out_dir)
        if world.advisor_agents is not None:  # agent_steps.jsonl, agent_plans.json: docs/trade_execution_agent.md
            summary["agent"] = world.advisor_agents.write(out_dir)
        summary["anchor"], summary["slo"] = side.result()
    if summary["anchor"] is None:
        del summary["anchor"]  # an empty log has none
    write_summary(summary, out_dir / "summary.json")
    release_unused_memory()  # before the report, the run's high-water mark (matplotlib)
    write_report(summary, events_df, orders_df, out_dir)
    if result.clock is not None:  # what the run cost, outputs included (twin.run_timing): written last
        result.clock.mark("outputs")
        summary["timing"] = result.clock.record()
        write_summary(summary, out_dir / "summary.json")
    return out_dir


def write_run_anchors(db: Path, every: int = DEFAULT_EVERY) -> Anchor | None:
    """The anchor log of a finished run's events file (``events.anchors``: one anchor every ``every``
    events and a stop anchor at the end), keyed with ``$TWIN_ANCHOR_KEY`` when set; the last anchor.
    Anchors hold the wall time they were made at: the run's fingerprint (its events) does not change."""
    key, _source = resolve_key(None, db.parent)
    with SqliteEventStore(db, read_only=True) as store:
        end = len(store) - 1
        offsets = [*range(every - 1, end, every), end] if end >= 0 else []
        hashes = {offset: store.hash_at(offset) for offset in offsets}
    return write_anchors(anchor_path(db), hashes, time.time_ns(), key, every)
