"""The live AML desk: transfers screened and monitored, alerts in cases, the SAR workflow, all on the live log.

The same component code as the twin (``components.aml``, docs/aml_monitoring.md):

* ``TransferDesk`` screens every party to a transfer instruction against the
  platform's own sanctions list (``LiveApp.sanctions``, the list the risk
  engine screens orders with); a block-level hit is a hard block, no override;
* ``TransactionMonitor`` consumes the executed transfers (rules and graph
  checks; see "Faked for now" for the anomaly model) and raises alerts;
* ``AmlCaseBook`` clusters alerts into cases by linked accounts and holds the
  workflow: a disposition to close an alert, a SAR request, the BSA officer's
  sign-off (approve or decline, with a reason), and filing, refused
  (``SignOffRequired``) without an approving sign-off.

Every decision is a platform event in the live event log (the system of
record: hash-chained, anchored, published on the bus), appended through the
OMS's platform-event path under the runtime's lock, the path the kill switch's
``TradingStateChanged`` and surveillance's ``CaseDisposed`` take:

=====================  ============================================  ========================
event type             what                                           actor
=====================  ============================================  ========================
TransferDecided        an instruction's screening decision, with its   ``advisor:ID``
                       evidence, and the alerts its ingestion raised
AmlAccountsEvaluated   a monitoring run and the alerts it raised       ``analyst:NAME``
AmlAlertClosed         an analyst's disposition of one alert           ``analyst:NAME``
SarRequested           an analyst asks for a SAR on a case             ``analyst:NAME``
BsaSignOff             the BSA officer approves or declines it         ``bsa_officer:NAME``
SarFiled               the SAR, after an approving sign-off            ``analyst:`` / ``bsa_officer:``
=====================  ============================================  ========================

Each event's details are the decision's own record (``to_record`` of the
transfer decision; the case book's event fields, business time ``at_ns``
included), so the event's ``timestamp_utc`` is when it was stored and
``at_ns`` when it was decided. The desk applies a decision to its state first
(the components check it and raise before they change anything), then appends
it; should the append fail, the desk drops its state and rebuilds it from the
log, which stays the record.

A transfer instruction may carry a ``client_transfer_id``, the caller's
idempotency key per account (as ``client_order_id`` is for orders): a retry
with the same key and the same transfer gets the first decision back, with
nothing decided nor logged again; the same key for another transfer is an
``IdempotencyConflict``. The key is part of the recorded ``TransferDecided``
details, so it holds across a restart.

A restart rebuilds the desk from the log, in log order: each transfer
re-screened (the desk's decision ids and screening evidence come back) and,
if it executed, fed to the monitor at its recorded time; each monitoring run
repeated at its place; each case-book decision re-applied with its recorded
actor and time. The monitor is deterministic, so alert, case and event ids come
out as the analysts saw them. A stored event that does not replay to what it
recorded (a newer sanctions list blocks a transfer that executed, a decision
that fits no rebuilt case) is not forced: it is kept in ``unmatched`` with
the problem and logged, and the recorded ``executed`` flag decides what the
monitor sees (money that moved, moved).

Faked for now (said in docs/aml_monitoring.md): no anomaly model in live mode
(the twin trains its IsolationForest on a generated history of its clients;
live has no such history yet), so scores are rules and graph only; an executed
transfer does not move the trading ledger's cash (as in the twin); only the
alerting score decisions are logged (with model version, contributions and
features), not every below-threshold evaluation.

``components.aml``'s monitor pulls in scikit-learn and networkx (seconds to
import): build the desk on first use (``live.entrypoints.aml_api`` does, on
the first AML request, never at start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable

from components.aml.screening import screener_for
from components.aml.transfer_desk import TransferDecision, TransferDesk
from components.aml.transfers import Transfer, TransferKind
from components.domain.events import EventType, OrderEvent
from components.order_entry import IdempotencyConflict
from components.reference.sanctions import default_sanctions_list

if TYPE_CHECKING:  # the monitor and the case book load scikit-learn and networkx: imported where first used
    from components.aml.monitor import Alert, MonitorConfig

log = logging.getLogger("live")

E = EventType
AML_EVENTS = frozenset({E.TRANSFER_DECIDED, E.AML_ACCOUNTS_EVALUATED, E.AML_ALERT_CLOSED, E.SAR_REQUESTED,
                        E.BSA_SIGN_OFF, E.SAR_FILED})
"""The platform events this desk writes and replays."""


@dataclass(frozen=True, slots=True)
class TransferInstruction:
    """What a caller asks to move: ``account_id`` is the firm's account the instruction is on (the money's
    target for a DEPOSIT, its source otherwise); ``counterparty`` the other end (an outside party id, a
    branch for cash, or, for INTERNAL, the other account of the firm)."""

    kind: TransferKind
    account_id: str
    counterparty: str
    amount: int
    """Integer units (1 dollar = 10,000)."""
    beneficiary_name: str = ""
    device_id: str = ""
    country: str = ""
    client_transfer_id: str = ""
    """The caller's idempotency key, per account (empty: none, every submission is a new transfer): a retry
    with the same key gets the first decision back (``LiveAmlDesk.enter``)."""

    def transfer(self, transfer_id: str, ts_ns: int) -> Transfer:
        """The ``Transfer`` record at ``ts_ns`` (source and target by kind, as ``TransferKind`` says)."""
        if self.kind is TransferKind.DEPOSIT:
            source, target = self.counterparty, self.account_id
        else:
            source, target = self.account_id, self.counterparty
        return Transfer(transfer_id, ts_ns, self.kind, source, target, self.amount, self.device_id, self.country,
                        "" if self.kind is TransferKind.INTERNAL else self.beneficiary_name)


@dataclass(frozen=True, slots=True)
class Submitted:
    """A transfer instruction's answer: the stored decision record, and whether it is the first decision
    returned again to a retry with the same ``client_transfer_id`` (nothing new decided nor logged)."""

    record: dict[str, Any]
    replayed: bool


def instruction_account(record: dict[str, Any]) -> str:
    """The firm's account a recorded transfer's instruction was on (the target of a DEPOSIT, else the source)."""
    return str(record["target"] if record["kind"] == TransferKind.DEPOSIT.value else record["source"])


def event_record(event: Any) -> dict[str, Any]:
    """A case-book event (a frozen dataclass) as plain JSON values (enums as their value)."""
    out = {}
    for f in fields(event):
        value = getattr(event, f.name)
        out[f.name] = value.value if isinstance(value, Enum) else value
    return out


def alert_record(alert: Alert, case_id: str) -> dict[str, Any]:
    """An alerting score decision as logged: score, contributions, model version, features, what fired, its
    evidence and the case it went to (the full evidence is in the case: ``GET /v1/aml/cases``)."""
    return {"alert_id": alert.alert_id, "decision_id": alert.decision_id, "account": alert.account,
            "ts_ns": alert.ts_ns, "score": round(alert.score, 6), "threshold": alert.threshold,
            "contributions": dict(alert.contributions),
            "typology": alert.typology.value if alert.typology else None, "model_version": alert.model_version,
            "features": {k: round(v, 6) for k, v in alert.features},
            "detectors": sorted({f.detector for f in alert.findings}), "accounts": list(alert.accounts),
            "evidence": list(alert.evidence), "case_id": case_id}


class LiveAmlDesk:
    """The transfer desk, the monitor and the case book of a live process, rebuilt from and written to its log.

    Every method that decides returns the stored record; the case book's own errors pass through unchanged
    (``KeyError`` unknown id, ``DispositionRequired``, ``WorkflowError``, ``SignOffRequired``)."""

    def __init__(self, live: Any, config: MonitorConfig | None = None) -> None:
        from components.aml.monitor import MonitorConfig

        self._live = live
        self._config = config or MonitorConfig()
        self.unmatched: list[dict[str, Any]] = []
        """Stored AML events that did not replay to what they recorded, each with the problem."""
        self._rebuild()

    # -- state ------------------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        """Fresh components, then every AML event of the log applied in order."""
        from components.aml.cases import AmlCaseBook
        from components.aml.monitor import TransactionMonitor

        live = self._live
        sanctions = live.sanctions if live.sanctions is not None else default_sanctions_list()
        self.transfers = TransferDesk(screener_for(sanctions), self._holder)
        self.monitor = TransactionMonitor(self._config, model=None)  # no anomaly model live yet (module doc)
        self.book = AmlCaseBook()
        self.executed: dict[str, Transfer] = {}
        """Executed transfers by id (the monitor's input; amounts for the SAR narrative)."""
        self._keyed: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        """(account_id, client_transfer_id) -> (the advisor, the stored record) of each keyed decision."""
        self.unmatched = []
        self._last_ns = 0
        with live.runtime.atomic():
            for event in live.log.read(0) if len(live.log) else ():
                if event.event_type in AML_EVENTS:
                    self._replay(event)

    def _holder(self, account_id: str) -> str | None:
        account = self._live.accounts.get(account_id)
        return None if account is None else account.client_name

    def now(self) -> int:
        """The wall clock, never before the last decision (the monitor takes transfers in time order; a wall
        clock may be stepped back)."""
        return max(self._live.clock.now_ns(), self._last_ns)

    def _ingest(self, transfer: Transfer) -> list[tuple[Alert, str]]:
        self.executed[transfer.transfer_id] = transfer
        return [(a, self.book.add(a)) for a in self.monitor.ingest(transfer)]

    def _flush(self) -> list[tuple[Alert, str]]:
        return [(a, self.book.add(a)) for a in self.monitor.flush()]

    def _append(self, kind: EventType, actor: str, details: dict[str, Any]) -> OrderEvent:
        """Store one decision already applied; if that fails, the state is rebuilt from the log (the record)."""
        try:
            return self._live.platform.oms.record_platform_event(kind, actor, details)
        except BaseException:
            log.error("aml: %s not stored; rebuilding the AML desk from the event log", kind.value)
            self._rebuild()
            raise

    # -- decisions --------------------------------------------------------------------------------------
    def submit(self, instruction: TransferInstruction, advisor: str) -> dict[str, Any]:
        """Screen and decide one instruction; an executed transfer goes to the monitor. The stored record."""
        return self.enter(instruction, advisor).record

    def enter(self, instruction: TransferInstruction, advisor: str) -> Submitted:
        """``submit``, saying whether the answer is a retry's: an instruction whose ``client_transfer_id`` was
        already used on its account gets that first decision back, nothing decided nor logged, if it asks for
        the same transfer (same fields, same advisor); ``IdempotencyConflict`` naming the key if not."""
        key = instruction.client_transfer_id
        with self._live.runtime.atomic():
            first = self._keyed.get((instruction.account_id, key)) if key else None
            if first is not None:
                record = _same_request(first, instruction, advisor)
                log.info("aml transfer %s retried client_transfer_id=%s advisor=%s: the first decision",
                         record["transfer_id"], key, advisor)
                return Submitted(record, replayed=True)
            now = self._last_ns = self.now()
            transfer = instruction.transfer(self._live.ids.next_id("TRF"), now)
            decision = self.transfers.submit(transfer, now)
            alerts = self._ingest(transfer) if decision.executed else []
            details = {**decision.to_record(), "client_transfer_id": key,
                       "alerts": [alert_record(a, c) for a, c in alerts]}
            self._append(E.TRANSFER_DECIDED, f"advisor:{advisor}", details)
            if key:  # once stored: a failed append rebuilt the desk from the log, which does not hold it
                self._keyed[(instruction.account_id, key)] = (advisor, details)
        log.info("aml transfer %s %s account_id=%s advisor=%s alerts=%d", transfer.transfer_id,
                 decision.status.value, instruction.account_id, advisor, len(alerts))
        return Submitted(details, replayed=False)

    def run_monitoring(self, analyst: str) -> dict[str, Any]:
        """Evaluate every account touched since the last evaluation; the alerts raised, filed into cases."""
        with self._live.runtime.atomic():
            before = len(self.monitor.decisions)
            alerts = self._flush()
            details = {"evaluated": len(self.monitor.decisions) - before, "model_version": self.monitor.model_version,
                       "transfers_seen": self.monitor.transfers_seen,
                       "alerts": [alert_record(a, c) for a, c in alerts]}
            self._append(E.AML_ACCOUNTS_EVALUATED, f"analyst:{analyst}", details)
        return details

    def _decide(self, kind: EventType, actor: str, apply: Callable[[int], Any]) -> dict[str, Any]:
        with self._live.runtime.atomic():
            now = self.now()
            record = event_record(apply(now))  # raises, changing nothing, when the case book refuses
            self._last_ns = now
            self._append(kind, actor, record)
        return record

    def dispose(self, alert_id: str, disposition: str | None, analyst: str, reason: str) -> dict[str, Any]:
        """Close one alert with a disposition (a ``Disposition`` value) and a reason; ``DispositionRequired``
        for a missing or unknown disposition or an empty reason, ``KeyError`` for an unknown alert."""
        from components.aml.cases import Disposition

        known = {d.value: d for d in Disposition}
        chosen = known.get(disposition) if isinstance(disposition, str) else None
        return self._decide(E.AML_ALERT_CLOSED, f"analyst:{analyst}",
                            lambda now: self.book.close_alert(alert_id, chosen, analyst, reason, now))

    def request_sar(self, case_id: str, analyst: str) -> dict[str, Any]:
        """Ask the BSA officer to approve a SAR on an open case with a suspicious alert."""
        return self._decide(E.SAR_REQUESTED, f"analyst:{analyst}",
                            lambda now: self.book.request_sar(case_id, analyst, now))

    def sign_off(self, case_id: str, officer: str, approved: bool, reason: str) -> dict[str, Any]:
        """The BSA officer's decision on a requested SAR (the caller checks the role)."""
        return self._decide(E.BSA_SIGN_OFF, f"bsa_officer:{officer}",
                            lambda now: self.book.sign_off(case_id, officer, approved, now, reason))

    def file_sar(self, case_id: str, actor: str) -> dict[str, Any]:
        """File the SAR: ``SignOffRequired`` unless the BSA officer's approving sign-off is recorded."""
        return self._decide(E.SAR_FILED, actor,
                            lambda now: self.book.file_sar(case_id, now, transfers=self.executed))

    # -- reads ------------------------------------------------------------------------------------------
    def case_record(self, case_id: str) -> dict[str, Any]:
        """One case: its evidence pack, narrative, sign-off and SAR (``KeyError`` unknown)."""
        case = self.book.case(case_id)
        filed = next((e for e in self.book.events if getattr(e, "event_type", "") == "SarFiled"
                      and e.case_id == case_id), None)
        return {**case.evidence_pack(), "opened_ns": case.opened_ns, "open_alerts": case.open_alerts,
                "narrative": case.narrative(self.executed),
                "signoff": None if case.signoff is None else event_record(case.signoff),
                "sar": None if filed is None else event_record(filed)}

    def monitoring_state(self) -> dict[str, Any]:
        """What the monitor has done so far."""
        m = self.monitor
        by_status: dict[str, int] = {}
        for d in self.transfers.decisions:
            by_status[d.status.value] = by_status.get(d.status.value, 0) + 1
        return {"transfers_decided": len(self.transfers.decisions), "by_status": dict(sorted(by_status.items())),
                "transfers_monitored": m.transfers_seen, "evaluations": len(m.decisions), "alerts": len(m.alerts),
                "model_version": m.model_version, "threshold": m.config.score.threshold,
                "rules": [{"name": r.name, "version": r.version} for r in m.config.rules],
                "cases": self.book.funnel(), "unmatched_events": len(self.unmatched)}

    def decisions(self) -> list[TransferDecision]:
        return self.transfers.decisions

    # -- replay -----------------------------------------------------------------------------------------
    def _replay(self, event: OrderEvent) -> None:
        """Apply one stored AML event; one that does not replay to what it recorded is kept in ``unmatched``."""
        d = event.details or {}
        try:
            problem = self._replay_one(event.event_type, d, event.actor)
        except (KeyError, ValueError, TypeError, PermissionError) as exc:  # the case book's refusals among them
            problem = f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}"
        if problem:
            self.unmatched.append({"event_id": event.event_id, "event_type": event.event_type.value,
                                   "actor": event.actor, "details": dict(d), "problem": problem})
            log.warning("aml: stored %s %s does not replay: %s", event.event_type.value, event.event_id, problem)

    def _replay_one(self, kind: EventType, d: dict[str, Any], actor: str) -> str:
        from components.aml.cases import Disposition

        if kind is E.TRANSFER_DECIDED:
            if d.get("client_transfer_id"):  # a retry after the restart still gets this decision, as recorded
                self._keyed[(instruction_account(d), str(d["client_transfer_id"]))] = (actor.partition(":")[2],
                                                                                        dict(d))
            transfer = Transfer.from_record(d)
            decided = int(d["decided_ns"])
            self._last_ns = max(self._last_ns, decided)
            decision = self.transfers.submit(transfer, decided)  # re-screened: the desk's record comes back
            alerts = self._ingest(transfer) if d["executed"] else []  # what happened governs, not the re-screen
            problem = _alerts_differ(alerts, d)
            if decision.status.value != d["status"]:
                problem = (f"transfer {transfer.transfer_id} was {d['status']}, re-screening now gives "
                           f"{decision.status.value} ({decision.reason or 'clear'})") + (f"; {problem}" if problem else "")
            return problem
        if kind is E.AML_ACCOUNTS_EVALUATED:
            return _alerts_differ(self._flush(), d)
        at = int(d["at_ns"])
        self._last_ns = max(self._last_ns, at)
        book = self.book
        if kind is E.AML_ALERT_CLOSED:
            got = book.close_alert(d["alert_id"], Disposition(d["disposition"]), d["analyst"], d["reason"], at)
        elif kind is E.SAR_REQUESTED:
            got = book.request_sar(d["case_id"], d["analyst"], at)
        elif kind is E.BSA_SIGN_OFF:
            got = book.sign_off(d["case_id"], d["officer"], bool(d["approved"]), at, d.get("note", ""))
        else:
            got = book.file_sar(d["case_id"], at, transfers=self.executed)
        return "" if got.event_id == d.get("event_id") else (
            f"replayed as {got.event_id}, recorded as {d.get('event_id')} (the case book drifted)")


def _same_request(first: tuple[str, dict[str, Any]], instruction: TransferInstruction,
                  advisor: str) -> dict[str, Any]:
    """The first decision's record if ``instruction`` (from ``advisor``) asks for the transfer it decided,
    else ``IdempotencyConflict`` naming the key. The transfer's fields are compared, so what the desk ignores
    (an INTERNAL transfer's beneficiary name) is ignored here too."""
    first_advisor, record = first
    recorded = Transfer.from_record(record)
    if instruction.transfer(recorded.transfer_id, recorded.ts_ns) != recorded or first_advisor != advisor:
        raise IdempotencyConflict(
            f"client_transfer_id {instruction.client_transfer_id} was already used on account "
            f"{instruction.account_id} for a different transfer ({record['transfer_id']})")
    return record


def _alerts_differ(alerts: list[tuple[Alert, str]], recorded: dict[str, Any]) -> str:
    """Empty when the replay raised the recorded alerts into the recorded cases, else what differs."""
    got = [(a.alert_id, c) for a, c in alerts]
    want = [(a.get("alert_id"), a.get("case_id")) for a in recorded.get("alerts", ())]
    return "" if got == want else f"alerts (id, case) replayed as {got}, recorded as {want}"
