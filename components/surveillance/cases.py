"""Cases: alerts clustered per party and pattern, closed only by an analyst's disposition.

An alert joins the open (or escalated) case of its (party, pattern), or opens
a new one. A case carries its evidence: every alert (order ids, event ids,
the detector's name, version and parameter values). Only a human disposition
moves a case on: ``ESCALATE`` (stays open, escalated), ``FALSE_POSITIVE`` or
``FILE`` (closed; a filing is the regulatory report). Every disposition is a
``CaseDisposed`` event with the analyst and the reason, kept in
``CaseBook.events`` in order. Closing without a disposition, an analyst or a
reason is refused with ``DispositionRequired``.

``CaseBook.decide`` checks a disposition and builds its event without applying
it, ``CaseBook.record`` applies one (``dispose`` is both): live mode appends
the decided event to its event log first (``to_details`` / ``from_details``:
a ``CaseDisposed`` platform event) and applies what it reads back, so a
restart rebuilds the same decisions (``live.entrypoints.surveillance_api``);
``record`` refuses a stored decision whose case is of another party or
pattern, or was opened by other evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping

from .model import Alert, Pattern

CASE_EVENT_VERSION = "1.0"


class Disposition(str, Enum):
    """What an analyst decided about a case."""

    FALSE_POSITIVE = "false_positive"
    ESCALATE = "escalate"
    FILE = "file"


class CaseStatus(str, Enum):
    OPEN = "open"
    ESCALATED = "escalated"
    CLOSED = "closed"


CLOSING = frozenset({Disposition.FALSE_POSITIVE, Disposition.FILE})


class DispositionRequired(ValueError):
    """A case was asked to close (or move) without a complete human disposition."""


class UnknownCase(KeyError):
    """No case has this id."""


@dataclass(frozen=True, slots=True)
class CaseDisposed:
    """The event recording one analyst decision on a case."""

    event_id: str
    case_id: str
    party: str
    pattern: Pattern
    disposition: Disposition
    analyst: str
    reason: str
    at_ns: int
    status_after: CaseStatus
    event_type: str = "CaseDisposed"
    event_version: str = CASE_EVENT_VERSION
    opened_by: tuple[str, ...] = ()
    """The event ids of the alert that opened the case: a rebuilt case book applies a stored disposition
    only to the case with this evidence, so a case id that drifted never takes another case's decision."""

    def to_record(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "event_version": self.event_version, "event_id": self.event_id,
                "case_id": self.case_id, "party": self.party, "pattern": self.pattern.value,
                "disposition": self.disposition.value, "analyst": self.analyst, "reason": self.reason,
                "at_ns": self.at_ns, "status_after": self.status_after.value}

    def to_details(self) -> dict[str, Any]:
        """The ``details`` of the event-log record (its business time is the record's ``timestamp_utc``)."""
        return {"disposition_id": self.event_id, "case_id": self.case_id, "party": self.party,
                "pattern": self.pattern.value, "disposition": self.disposition.value, "analyst": self.analyst,
                "reason": self.reason, "status_after": self.status_after.value, "opened_by": list(self.opened_by)}

    @classmethod
    def from_details(cls, details: Any, at_ns: int) -> "CaseDisposed":
        """Read back ``to_details``; a missing or bad field raises ``ValueError`` naming it."""
        if not isinstance(details, Mapping):
            raise ValueError("CaseDisposed details: not an object")
        values: dict[str, str] = {}
        for key in ("disposition_id", "case_id", "party", "pattern", "disposition", "analyst", "reason",
                    "status_after"):
            value = details.get(key)
            if not isinstance(value, str) or not value:
                raise ValueError(f"CaseDisposed details: {key} is missing or not text")
            values[key] = value
        try:
            pattern = Pattern(values["pattern"])
            disposition = Disposition(values["disposition"])
            status = CaseStatus(values["status_after"])
        except ValueError as exc:
            raise ValueError(f"CaseDisposed details: {exc}") from None
        opened_by = details.get("opened_by", [])
        if not isinstance(opened_by, (list, tuple)) or not all(isinstance(e, str) for e in opened_by):
            raise ValueError("CaseDisposed details: opened_by is not a list of event ids")
        return cls(values["disposition_id"], values["case_id"], values["party"], pattern, disposition,
                   values["analyst"], values["reason"], at_ns, status, opened_by=tuple(opened_by))


@dataclass
class Case:
    """One party's alerts of one pattern, and what analysts decided."""

    case_id: str
    party: str
    pattern: Pattern
    opened_ns: int
    alerts: list[Alert] = field(default_factory=list)
    status: CaseStatus = CaseStatus.OPEN
    dispositions: list[CaseDisposed] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        """JSON-able, evidence included."""
        return {"case_id": self.case_id, "party": self.party, "pattern": self.pattern.value,
                "opened_ns": self.opened_ns, "status": self.status.value,
                "alerts": [a.to_record() for a in self.alerts],
                "dispositions": [d.to_record() for d in self.dispositions]}


def _opened_by(case: Case) -> tuple[str, ...]:
    return case.alerts[0].event_ids if case.alerts else ()


class CaseBook:
    """Every case, by id, with the disposition events in the order recorded."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self._active: dict[tuple[str, Pattern], str] = {}  # (party, pattern) -> open or escalated case id
        self.events: list[CaseDisposed] = []

    def add(self, alert: Alert) -> Case:
        """File an alert into its party's open case of that pattern (opening one if needed)."""
        key = (alert.party, alert.pattern)
        case_id = self._active.get(key)
        if case_id is None:
            case_id = f"CASE-{len(self.cases) + 1:06d}"
            self.cases[case_id] = Case(case_id, alert.party, alert.pattern, alert.at_ns)
            self._active[key] = case_id
        case = self.cases[case_id]
        case.alerts.append(alert)
        return case

    def add_all(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self.add(alert)

    def get(self, case_id: str) -> Case:
        case = self.cases.get(case_id)
        if case is None:
            raise UnknownCase(case_id)
        return case

    def dispose(self, case_id: str, disposition: Disposition | str | None, analyst: str, reason: str,
                at_ns: int) -> CaseDisposed:
        """Record an analyst's decision; FALSE_POSITIVE and FILE close the case, ESCALATE escalates it."""
        event = self.decide(case_id, disposition, analyst, reason, at_ns)
        self.record(event)
        return event

    def decide(self, case_id: str, disposition: Disposition | str | None, analyst: str, reason: str,
               at_ns: int) -> CaseDisposed:
        """Check a decision and build its event, changing nothing (``record`` applies it): ``UnknownCase``
        or ``DispositionRequired`` as ``dispose``."""
        case = self.get(case_id)
        if disposition is None or disposition == "":
            raise DispositionRequired(f"case {case_id}: a disposition is required "
                                      f"(one of {', '.join(d.value for d in Disposition)})")
        try:
            disposition = Disposition(disposition)
        except ValueError:
            raise DispositionRequired(f"case {case_id}: unknown disposition {disposition!r} "
                                      f"(one of {', '.join(d.value for d in Disposition)})") from None
        if not analyst or not analyst.strip():
            raise DispositionRequired(f"case {case_id}: the analyst is required")
        if not reason or not reason.strip():
            raise DispositionRequired(f"case {case_id}: a reason is required")
        if case.status is CaseStatus.CLOSED:
            raise DispositionRequired(f"case {case_id}: already closed")
        status = CaseStatus.CLOSED if disposition in CLOSING else CaseStatus.ESCALATED
        return CaseDisposed(f"CD-{len(self.events) + 1:06d}", case_id, case.party, case.pattern, disposition,
                            analyst.strip(), reason.strip(), at_ns, status, opened_by=_opened_by(case))

    def record(self, event: CaseDisposed) -> None:
        """Apply a decided event (``decide``, or one read back from an event log). ``UnknownCase`` if no case
        has its id; ``DispositionRequired`` if that case is of another party or pattern, was opened by other
        evidence than ``opened_by``, or is already closed (a stored decision that does not fit the rebuilt book
        is refused, never applied to the wrong case)."""
        case = self.get(event.case_id)
        if (case.party, case.pattern) != (event.party, event.pattern):
            raise DispositionRequired(f"case {event.case_id}: is {case.party} {case.pattern.value}, "
                                      f"the disposition names {event.party} {event.pattern.value}")
        if event.opened_by and event.opened_by != _opened_by(case):
            raise DispositionRequired(f"case {event.case_id}: was opened by other evidence than the disposition "
                                      f"names ({', '.join(event.opened_by)})")
        if case.status is CaseStatus.CLOSED:
            raise DispositionRequired(f"case {event.case_id}: already closed")
        status = event.status_after
        case.status = status
        case.dispositions.append(event)
        self.events.append(event)
        if status is CaseStatus.CLOSED:
            del self._active[(case.party, case.pattern)]

    def close(self, case_id: str, disposition: Disposition | str | None = None, analyst: str = "",
              reason: str = "", at_ns: int = 0) -> CaseDisposed:
        """Close a case; refused (``DispositionRequired``) unless given a closing disposition, analyst and reason."""
        if disposition in (Disposition.ESCALATE, Disposition.ESCALATE.value):
            raise DispositionRequired(f"case {case_id}: escalate does not close a case (use false_positive or file)")
        return self.dispose(case_id, disposition, analyst, reason, at_ns)

    def funnel(self) -> dict[str, int]:
        """Cases by status: open, escalated, closed."""
        counts = {s.value: 0 for s in CaseStatus}
        for case in self.cases.values():
            counts[case.status.value] += 1
        return counts
