"""AML cases and the SAR workflow: alerts clustered by linked accounts, dispositions, BSA sign-off.

(Not ``components.surveillance.cases``, which clusters trade-surveillance
alerts per party and pattern; the rule "nothing closes without a human
decision" is the same.)

- :meth:`AmlCaseBook.add` puts an alert in the open case that already names
  one of its accounts, or opens a new case; an alert that links two open
  cases merges them (the older case keeps its id). A case carries the
  evidence: its alerts (transfer ids, graph excerpt, each rule and model
  contribution, model version, feature values) and a generated
  :meth:`AmlCase.narrative`.
- :meth:`AmlCaseBook.close_alert` needs a disposition, an analyst and a
  reason, or raises :class:`DispositionRequired`.
- A SAR is requested (:meth:`request_sar`), signed off or declined by the
  BSA officer (:meth:`sign_off`, a recorded :class:`BsaSignOff` event) and
  only then filed (:meth:`file_sar`); filing without an approving sign-off
  raises :class:`SignOffRequired`.
Every decision is a small frozen event in ``AmlCaseBook.events``, in order.
Dispositions feed back into thresholds and the model (``feedback``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping

from components.domain.money import format_price

from .monitor import Alert
from .transfers import Transfer

EVENT_VERSION = "1.0"


class Disposition(str, Enum):
    """What an analyst decided about one alert."""

    FALSE_POSITIVE = "false_positive"
    """Cleared: nothing suspicious (feeds back: lower that detector's weight, retrain the model)."""
    SUSPICIOUS = "suspicious"
    """Confirmed suspicious: goes to a SAR with the rest of its case."""


class CaseStatus(str, Enum):
    OPEN = "open"
    SAR_REQUESTED = "sar_requested"
    SAR_DECLINED = "sar_declined"
    SAR_FILED = "sar_filed"
    CLOSED = "closed"
    """Every alert cleared as a false positive."""


class DispositionRequired(ValueError):
    """An alert was asked to close without a disposition, an analyst or a reason."""


class SignOffRequired(PermissionError):
    """A SAR was asked to be filed without a recorded approving BSA-officer sign-off."""


class WorkflowError(ValueError):
    """A step out of order (a SAR requested twice, a sign-off for a case with no request, ...)."""


@dataclass(frozen=True, slots=True)
class AlertClosed:
    event_id: str
    alert_id: str
    case_id: str
    disposition: Disposition
    analyst: str
    reason: str
    at_ns: int
    event_type: str = "AmlAlertClosed"
    event_version: str = EVENT_VERSION


@dataclass(frozen=True, slots=True)
class SarRequested:
    event_id: str
    case_id: str
    analyst: str
    at_ns: int
    event_type: str = "SarRequested"
    event_version: str = EVENT_VERSION


@dataclass(frozen=True, slots=True)
class BsaSignOff:
    """The BSA officer's recorded decision on a requested SAR (simulated in the twin, an API call live)."""

    event_id: str
    case_id: str
    officer: str
    approved: bool
    note: str
    at_ns: int
    event_type: str = "BsaSignOff"
    event_version: str = EVENT_VERSION


@dataclass(frozen=True, slots=True)
class SarFiled:
    event_id: str
    case_id: str
    sar_id: str
    signoff_event_id: str
    officer: str
    narrative: str
    at_ns: int
    event_type: str = "SarFiled"
    event_version: str = EVENT_VERSION


@dataclass
class AmlCase:
    """Alerts on linked accounts, their evidence, and where the case stands."""

    case_id: str
    opened_ns: int
    alerts: list[Alert] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    status: CaseStatus = CaseStatus.OPEN
    dispositions: dict[str, Disposition] = field(default_factory=dict)
    """alert id -> what the analyst decided."""
    signoff: BsaSignOff | None = None

    @property
    def evidence(self) -> list[str]:
        return sorted({e for a in self.alerts for e in a.evidence})

    @property
    def open_alerts(self) -> list[str]:
        return [a.alert_id for a in self.alerts if a.alert_id not in self.dispositions]

    def evidence_pack(self) -> dict[str, Any]:
        """Everything a reviewer (or a SAR) needs, as plain JSON."""
        edges = {(e["source"], e["target"]): e for a in self.alerts for e in a.graph_excerpt}
        return {"case_id": self.case_id, "status": self.status.value, "accounts": sorted(self.accounts),
                "transfers": self.evidence, "graph_excerpt": [edges[k] for k in sorted(edges)],
                "alerts": [{"alert_id": a.alert_id, "account": a.account, "ts_ns": a.ts_ns, "score": a.score,
                            "contributions": dict(a.contributions),
                            "findings": [f.to_record() for f in a.findings], "model_version": a.model_version,
                            "features": dict(a.features)} for a in self.alerts],
                "dispositions": {k: v.value for k, v in sorted(self.dispositions.items())}}

    def narrative(self, transfers: Mapping[str, Transfer] | None = None) -> str:
        """A generated plain-English summary of the case (amounts when ``transfers`` are given)."""
        first = min(a.ts_ns for a in self.alerts)
        last = max(a.ts_ns for a in self.alerts)
        detectors = sorted({f.detector for a in self.alerts for f in a.findings})
        typologies = sorted({a.typology.value for a in self.alerts if a.typology})
        best = max(self.alerts, key=lambda a: (a.score, a.alert_id))
        parts = [f"Case {self.case_id}: {len(self.alerts)} alert(s) on {len(self.accounts)} linked account(s) "
                 f"({', '.join(sorted(self.accounts))}) between ts {first} and ts {last}."]
        parts.append(f"Detectors: {', '.join(detectors) or 'anomaly model only'}; "
                     f"typologies indicated: {', '.join(typologies) or 'none'}.")
        contrib = ", ".join(f"{k} {v:.2f}" for k, v in best.contributions)
        parts.append(f"Highest risk score {best.score:.2f} (alert {best.alert_id}: {contrib}), "
                     f"anomaly model {best.model_version}.")
        ids = self.evidence
        if transfers:
            moved = sum(transfers[i].amount for i in ids if i in transfers)
            parts.append(f"Evidence: {len(ids)} transfer(s) moving ${format_price(moved)} in total.")
        else:
            parts.append(f"Evidence: {len(ids)} transfer(s).")
        return " ".join(parts)


class AmlCaseBook:
    """Every AML case and every decision taken on them (``events``, in order)."""

    def __init__(self) -> None:
        self.cases: dict[str, AmlCase] = {}
        self.events: list[Any] = []
        self._case_of_alert: dict[str, str] = {}

    def _event_id(self, prefix: str) -> str:
        return f"{prefix}-{len(self.events) + 1:07d}"

    def case(self, case_id: str) -> AmlCase:
        try:
            return self.cases[case_id]
        except KeyError:
            raise KeyError(f"no AML case {case_id!r}") from None

    def add(self, alert: Alert) -> str:
        """File ``alert`` into the open case of a linked account (merging cases it links); its case id."""
        linked = sorted({cid for cid, c in self.cases.items()
                         if c.status is CaseStatus.OPEN and not c.accounts.isdisjoint(alert.accounts)})
        if not linked:
            case = AmlCase(f"AMLC-{len(self.cases) + 1:06d}", alert.ts_ns)
            self.cases[case.case_id] = case
        else:
            case = self.cases[linked[0]]
            for cid in linked[1:]:  # the alert links two cases: one case now
                other = self.cases.pop(cid)
                case.alerts.extend(other.alerts)
                case.accounts |= other.accounts
                case.dispositions.update(other.dispositions)
                for a in other.alerts:
                    self._case_of_alert[a.alert_id] = case.case_id
        case.alerts.append(alert)
        case.accounts.update(alert.accounts)
        self._case_of_alert[alert.alert_id] = case.case_id
        return case.case_id

    def case_of(self, alert_id: str) -> AmlCase:
        try:
            return self.cases[self._case_of_alert[alert_id]]
        except KeyError:
            raise KeyError(f"no AML alert {alert_id!r}") from None

    def close_alert(self, alert_id: str, disposition: Disposition | None, analyst: str, reason: str,
                    at_ns: int) -> AlertClosed:
        """Close one alert with the analyst's disposition; DispositionRequired if any part is missing."""
        case = self.case_of(alert_id)
        if disposition is None or not isinstance(disposition, Disposition):
            raise DispositionRequired(f"alert {alert_id}: cannot close without a disposition "
                                      f"({', '.join(d.value for d in Disposition)})")
        if not analyst or not reason:
            raise DispositionRequired(f"alert {alert_id}: a disposition needs the analyst and a reason")
        if alert_id in case.dispositions:
            raise WorkflowError(f"alert {alert_id} is already closed ({case.dispositions[alert_id].value})")
        event = AlertClosed(self._event_id("AMLD"), alert_id, case.case_id, disposition, analyst, reason, at_ns)
        self.events.append(event)
        case.dispositions[alert_id] = disposition
        if not case.open_alerts and all(d is Disposition.FALSE_POSITIVE for d in case.dispositions.values()):
            case.status = CaseStatus.CLOSED
        return event

    def request_sar(self, case_id: str, analyst: str, at_ns: int) -> SarRequested:
        """Ask the BSA officer to approve a SAR on the case (at least one alert disposed suspicious)."""
        case = self.case(case_id)
        if case.status is not CaseStatus.OPEN:
            raise WorkflowError(f"case {case_id} is {case.status.value}: a SAR can be requested only on an open case")
        if Disposition.SUSPICIOUS not in case.dispositions.values():
            raise WorkflowError(f"case {case_id}: no alert is disposed suspicious; nothing to report")
        event = SarRequested(self._event_id("AMLS"), case_id, analyst, at_ns)
        self.events.append(event)
        case.status = CaseStatus.SAR_REQUESTED
        return event

    def sign_off(self, case_id: str, officer: str, approved: bool, at_ns: int, note: str = "") -> BsaSignOff:
        """Record the BSA officer's decision on a requested SAR."""
        case = self.case(case_id)
        if case.status is not CaseStatus.SAR_REQUESTED:
            raise WorkflowError(f"case {case_id} is {case.status.value}: no SAR awaits sign-off")
        if not officer:
            raise WorkflowError(f"case {case_id}: a sign-off names the BSA officer")
        event = BsaSignOff(self._event_id("AMLB"), case_id, officer, bool(approved), note, at_ns)
        self.events.append(event)
        case.signoff = event
        if not approved:
            case.status = CaseStatus.SAR_DECLINED
        return event

    def file_sar(self, case_id: str, at_ns: int, transfers: Mapping[str, Transfer] | None = None) -> SarFiled:
        """File the SAR; SignOffRequired unless an approving BSA sign-off is recorded for this case."""
        case = self.case(case_id)
        signoff = case.signoff
        if signoff is None or not signoff.approved or signoff not in self.events:
            raise SignOffRequired(f"case {case_id}: a SAR can be filed only after a recorded BSA-officer sign-off "
                                  f"approving it (status {case.status.value})")
        if case.status is not CaseStatus.SAR_REQUESTED:
            raise WorkflowError(f"case {case_id} is {case.status.value}: nothing to file")
        event = SarFiled(self._event_id("AMLF"), case_id, f"SAR-{case_id}", signoff.event_id, signoff.officer,
                         case.narrative(transfers), at_ns)
        self.events.append(event)
        case.status = CaseStatus.SAR_FILED
        return event

    def funnel(self) -> dict[str, int]:
        """Cases per status."""
        out = {s.value: 0 for s in CaseStatus}
        for c in self.cases.values():
            out[c.status.value] += 1
        return out
