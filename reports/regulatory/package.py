"""A regulatory report package on disk: prepare it from run folders, sign it, mark it filed.

Layout of a package folder::

    rule606.xml  rule606.html   the 606(a)(1) report (schema-validated when written)
    rule605.csv/.parquet/.html  Rule 605 figures (only when every run has its market timeline)
    cat.json                    CAT Industry Member events (validated against cat.schema.json)
    cat.schema.json             the JSON Schema derived from the CAT spec
    checks.json                 every completeness check, with the events behind a discrepancy
    summary.json                period, runs (fingerprints, log heads, trade dates), counts, checks
    manifest.json               SHA-256 of every file above
    signoff.jsonl               the package's append-only log (prepared, signed, filed)

Nothing here files anything anywhere: ``file_package`` only records that a
person filed the signed content. State changes are decided by
``components.regulatory.signoff``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from components.domain.events import EventType, OrderEvent
from components.regulatory.cat import SPEC_VERSION, cat_events
from components.regulatory.completeness import Check, check_606, check_cat
from components.regulatory.orders import collect_orders
from components.regulatory.rule605 import compute_605
from components.regulatory.rule606 import (
    MARKETABILITY_NBBO,
    MARKETABILITY_PROXY,
    compute_606,
    month_of,
    quarter_months,
)
from components.regulatory.signoff import PackageEvent, Refusal, decide_file, decide_sign, prepared, state_of

from reports.tca import order_inputs

from .cat_files import cat_schema, write_cat_file
from .inputs import RunLog, read_membership, read_runs, read_venues
from .rule605_files import market_timelines, set_nbbo_at_receipt, write_605
from .rule606_xml import to_html, write_606_xml

MANIFEST = "manifest.json"
LOG = "signoff.jsonl"
CONTENT = ("rule606.xml", "rule606.html", "cat.json", "cat.schema.json", "checks.json", "summary.json")


def parse_period(text: str) -> tuple[int, int]:
    """``2026Q4`` -> (2026, 4); anything else raises ``ValueError`` naming the value."""
    m = re.fullmatch(r"(20\d\d)Q([1-4])", text.strip())
    if not m:
        raise ValueError(f"--period {text!r}: expected YEARQn, e.g. 2026Q4")
    return int(m.group(1)), int(m.group(2))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest_hash(pkg: Path) -> str:
    """Hash of the package's content as it is now: every file the manifest lists (at least ``CONTENT``),
    rehashed. Editing the manifest to drop a file changes the list, and so the hash."""
    listed = json.loads((pkg / MANIFEST).read_text()) if (pkg / MANIFEST).is_file() else {}
    names = sorted(set(CONTENT) | set(listed))
    files = {name: sha256_file(pkg / name) if (pkg / name).is_file() else "missing" for name in names}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def read_log(pkg: Path) -> list[PackageEvent]:
    path = Path(pkg) / LOG
    if not path.is_file():
        raise ValueError(f"{pkg}: not a report package (no {LOG})")
    return [PackageEvent.from_record(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def _append(pkg: Path, event: PackageEvent) -> None:
    with open(Path(pkg) / LOG, "a", encoding="utf-8") as fh:  # append-only: never rewritten
        fh.write(json.dumps(event.to_record(), sort_keys=True) + "\n")


def prepare_package(runs: list[Path], period: str, out: Path, at: str, *, bd: str = "Twin Securities LLC",
                    reporter: str = "TWIN", sp500: Path | None = None, venues: Path | None = None) -> dict[str, Any]:
    """Build a pending package from one or more run folders (one simulated day each); the summary.

    Every input is read and checked first (``ValueError`` naming the option and the problem, see
    ``inputs.read_runs``); the package is then written into a staging folder beside ``out`` and
    moved into place whole, so a failure leaves no half-written package."""
    year, quarter = parse_period(period)
    out = Path(out)
    _check_out(out)
    membership = _read_option("--sp500", read_membership, sp500)
    venue_info = _read_option("--venues", read_venues, venues)
    days = []
    for run in read_runs(runs, year, quarter):
        try:
            timelines = market_timelines(run.path)
        except ValueError as exc:
            raise ValueError(f"--run {run.path}: {exc}") from None
        days.append((run, timelines))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.preparing-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        summary = _write(days, period, staging, at, bd=bd, reporter=reporter, membership=membership,
                         venues=venue_info)
        if out.exists():
            out.rmdir()  # empty (checked above): the staged package takes its place
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _check_out(out: Path) -> None:
    if (out / LOG).exists():
        raise ValueError(f"--out {out}: a package is already there (prepare a new folder)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out {out}: not empty (prepare into a new or empty folder)")


def _read_option(option: str, read, path: Path | None):
    try:
        return read(path)
    except OSError as exc:
        raise ValueError(f"{option} {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"{option} {exc}") from None


def _write(days: list[tuple[RunLog, Any]], period: str, out: Path, at: str, *, bd: str, reporter: str,
           membership: frozenset[str], venues: dict) -> dict[str, Any]:
    """Compute the reports and checks of already-verified runs and write the package into ``out``."""
    year, quarter = parse_period(period)
    logs, run_info, market_days = [], [], []
    quoted = 0
    for run, timelines in days:
        orders = collect_orders(run.events)
        logs.append((run.events, orders))
        if timelines is not None:  # the NBBO at receipt: 606 marketability and the 605 inputs
            quoted += set_nbbo_at_receipt(orders.values(), timelines)
            frame = pd.DataFrame([e.to_record() for e in run.events])  # the verified log, not events.parquet
            market_days.append((order_inputs(frame)[0], timelines))
        run_info.append({**run.summary(), "market_timeline": timelines is not None})
    report = compute_606((orders.values() for _e, orders in logs), bd=bd, year=year, quarter=quarter,
                         sp500=membership, venues=venues)
    total = sum(len(o) for _e, o in logs)
    notes = [f"Marketability: {MARKETABILITY_NBBO} for {quoted} of {total} orders; "
             f"for the rest, {MARKETABILITY_PROXY}.", "All orders are held and non-directed (twin simplification)."]
    written = list(CONTENT)
    if len(market_days) == len(logs):
        rows, excluded = compute_605(market_days)
        written += write_605(rows, out, excluded)
    else:
        notes.append("Rule 605 left out: some runs have no market timeline (market_nbbo.parquet).")
    write_606_xml(report, out / "rule606.xml", at)
    (out / "rule606.html").write_text(to_html(report, notes), encoding="utf-8")
    checks = check_606(logs, report) + [check_period([e for e, _o in logs], year, quarter)]
    records = []
    for n, (events, orders) in enumerate(logs):  # CAT files are per day; order ids restart every run
        day_records, executions = cat_events(orders.values(), reporter)
        checks += [replace(c, name=f"run {n}: {c.name}") for c in check_cat(events, day_records, executions)]
        records += day_records
    checks.append(check_unique_roe_ids(records))
    write_cat_file(records, out / "cat.json")
    (out / "cat.schema.json").write_text(json.dumps(cat_schema(), indent=1), encoding="utf-8")
    failed = [c for c in checks if not c.ok]
    (out / "checks.json").write_text(json.dumps([c.to_record() for c in checks], indent=1), encoding="utf-8")
    summary = {"period": period, "runs": run_info, "orders": total, "rule605": len(market_days) == len(logs),
               "cat_records": len(records),
               "sections_606": len(report.sections), "checks": len(checks), "failed_checks": len(failed),
               "cat_spec": SPEC_VERSION, "notes": notes}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    files = {name: sha256_file(out / name) for name in written}
    (out / MANIFEST).write_text(json.dumps(files, indent=1, sort_keys=True), encoding="utf-8")
    _append(out, prepared("twin reports prepare", at, manifest_hash(out), len(failed)))
    return summary


def check_unique_roe_ids(records: list[Mapping[str, Any]]) -> Check:
    """CAT requires a firmROEID to be unique in a submission: the repeated ones, if any."""
    counts = Counter(r["firmROEID"] for r in records)
    repeated = tuple(sorted(k for k, n in counts.items() if n > 1))
    return Check("CAT", "CAT firmROEIDs unique in the submission", "0 repeated", f"{len(repeated)} repeated",
                 repeated)


def check_period(logs: list[list[OrderEvent]], year: int, quarter: int) -> Check:
    """Recounted from the raw logs: orders received outside the package's quarter (their events)."""
    months = {(year, m) for m in quarter_months(year, quarter)}
    outside = tuple(e.event_id for events in logs for e in events
                    if e.event_type is EventType.ORDER_RECEIVED and month_of(e.timestamp_utc) not in months)
    return Check("package", "orders received outside the period", "0", str(len(outside)), outside)


def sign_package(pkg: Path, officer: str, at: str) -> PackageEvent | Refusal:
    """Record a compliance officer's sign-off, or say why not."""
    pkg = Path(pkg)
    log = read_log(pkg)
    failed = json.loads((pkg / "summary.json").read_text())["failed_checks"] if (pkg / "summary.json").is_file() else 1
    decision = decide_sign(log, officer, at, manifest_hash(pkg), failed)
    if isinstance(decision, PackageEvent):
        _append(pkg, decision)
    return decision


def file_package(pkg: Path, actor: str, at: str) -> PackageEvent | Refusal:
    """Record that the signed package was filed (by a person, outside the platform), or say why not."""
    pkg = Path(pkg)
    decision = decide_file(read_log(pkg), actor, at, manifest_hash(pkg))
    if isinstance(decision, PackageEvent):
        _append(pkg, decision)
    return decision


def package_state(pkg: Path) -> str:
    state = state_of(read_log(pkg))
    return state.value if state else "EMPTY"
