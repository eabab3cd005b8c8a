"""Surveillance over HTTP in live mode: analysts list cases and record dispositions.

``surveillance_router(analyst, live)`` builds the routes (``http_api.create_app``
mounts them with its analyst-only dependency, so any other role gets 403):

* ``GET /v1/surveillance/cases`` lists every case with its evidence and status;
* ``POST /v1/surveillance/cases/{case_id}/disposition`` with
  ``{"disposition": "false_positive" | "escalate" | "file", "reason": "..."}``
  records the decision as a ``CaseDisposed`` event naming the analyst (the
  token's name) and the reason; a missing or unknown disposition or an empty
  reason is refused with 422, an unknown case with 404.

The ``SurveillanceDesk`` is the same engine as the twin's
(``components.surveillance``), fed by the live event log: before answering it
reads the events appended since its last offset (the log is the bus's source,
so this is the same stream, pulled), and after each close moves the
marking-the-close detector to the next business day's close. Linkage comes from the account directory
(one owner per client); shared identifiers and advisor links are not in
``live.toml`` yet, so in live mode wash trades are linked by client only and
front-running has no tied accounts (said in docs/surveillance.md).

Dispositions are durable: each is appended to the live event log (the system of
record) as a ``CaseDisposed`` platform event (order fields empty, actor
``analyst:NAME``, details from ``CaseDisposed.to_details``) through the OMS's
platform-event path, the one the kill switch's ``TradingStateChanged`` takes,
so it is hash-chained, anchored and published on the bus like any event. The
case book applies it when ``catch_up`` reads it back from the log, in log
order, once the detectors have had that event: after a restart the desk rebuilds
its cases from the whole log and re-applies every decision at the point it
was made. Case ids are numbered in the order alerts open cases, so the
rebuilt ids are the ones the analysts saw as long as the detectors raise the
same alerts in the same order. A stored disposition that fits no rebuilt case
(unknown id, another party or pattern, opened by other evidence, a case
already closed) is not applied to any: it is kept in
``SurveillanceDesk.unmatched`` with the problem, logged, and listed as
``unmatched_dispositions`` by ``GET /cases``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from fastapi import APIRouter, Depends, Request

from components.domain.events import EventType, OrderEvent
from components.surveillance import (AccountRef, CaseBook, CaseDisposed, DispositionRequired, Linkage,
                                     SurveillanceEngine, UnknownCase)

from .api_schema import problems
from .service import Reply, problem

DISPOSITION_REQUEST_SCHEMA = {
    "type": "object", "required": ["disposition", "reason"], "additionalProperties": False,
    "properties": {"disposition": {"type": "string", "enum": ["false_positive", "escalate", "file"],
                                   "description": "false_positive or file close the case; escalate escalates it"},
                   "reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                              "description": "Why, as the analyst records it"}},
}


log = logging.getLogger("live")

_DISPOSED = EventType.CASE_DISPOSED


class SurveillanceDesk:
    """The live surveillance engine and its case book, caught up from the event log on demand;
    dispositions are written to that log and applied from it (``dispose``)."""

    def __init__(self, live: Any) -> None:
        self._live = live
        refs = [AccountRef(a.account_id, a.client_id, a.advisor_id) for a in live.accounts]
        session = live.config.session
        close_ns = session.next_close_ns(live.clock.now_ns()) if session.enabled else 2**62
        self.engine = SurveillanceEngine(Linkage(refs), close_ns)
        self.cases = CaseBook()
        self.unmatched: list[dict[str, Any]] = []  # stored dispositions no rebuilt case fits, with why
        self._offset = 0

    def catch_up(self) -> None:
        """Feed the events appended since the last call to the detectors; file their alerts into cases and
        apply the ``CaseDisposed`` events among them."""
        event_log = self._live.log
        end = len(event_log)
        for ev in event_log.read(self._offset) if end > self._offset else ():
            self.cases.add_all(self.engine.consume(ev))
            if ev.event_type is _DISPOSED:
                # After the detectors had its time: an alert the first process raised by the wall clock
                # (``closing.advance`` below) before the decision is raised by then on a rebuild too.
                self._apply(ev)
        self._offset = max(self._offset, end)
        session, now = self._live.config.session, self._live.clock.now_ns()
        closing = self.engine.closing
        if session.enabled and now >= closing.session_close_ns + 120 * 1_000_000_000:  # the day is over
            out: list = []
            closing.advance(now, out)  # evaluate the day's close if no later event did
            self.cases.add_all(out)
            closing.new_session(session.next_close_ns(now))

    def dispose(self, case_id: str, disposition: Any, analyst: str, reason: str) -> CaseDisposed:
        """Check the decision against the case book (``UnknownCase``, ``DispositionRequired``), append it to the
        event log as a ``CaseDisposed`` platform event, then apply it by reading the log on."""
        live = self._live
        self.catch_up()
        decided = self.cases.decide(case_id, disposition, analyst, reason, live.clock.now_ns())
        with live.runtime.atomic():  # the OMS's platform stream is numbered under the runtime's lock
            stored = live.platform.oms.record_platform_event(_DISPOSED, f"analyst:{decided.analyst}",
                                                             decided.to_details())
        self.catch_up()
        return CaseDisposed.from_details(stored.details, stored.timestamp_utc)

    def _apply(self, ev: OrderEvent) -> None:
        """Apply one stored disposition; one that fits no case is kept in ``unmatched`` and logged, not raised
        (the log is the record: a drifted case book must not stop the desk from serving)."""
        try:
            self.cases.record(CaseDisposed.from_details(ev.details, ev.timestamp_utc))
        except (ValueError, UnknownCase) as exc:  # DispositionRequired is a ValueError
            problem_text = f"no case {exc.args[0]}" if isinstance(exc, UnknownCase) else str(exc)
            self.unmatched.append({"event_id": ev.event_id, "actor": ev.actor, "details": dict(ev.details or {}),
                                   "problem": problem_text})
            log.warning("surveillance: stored disposition %s not applied: %s", ev.event_id, problem_text)


def surveillance_router(analyst: Callable[..., Any], live: Any, read_json: Callable[[Request, int], Any],
                        respond: Callable[[Reply], Any]) -> APIRouter:
    """The analyst routes; ``analyst`` is the app's analyst-only dependency, ``read_json`` its body reader,
    ``respond`` its reply-to-response function (the app's JSON and problem conventions)."""
    router = APIRouter(prefix="/v1/surveillance", tags=["surveillance"])
    desk = SurveillanceDesk(live)

    @router.get("/cases", summary="Surveillance cases (analysts)",
                description="Every case with its alerts (evidence: orders, events, detector, version, parameters), "
                            "its dispositions, and the funnel (open, escalated, closed).",
                responses={200: {"description": "The cases and the funnel"}, **problems(401, 403, 429)})
    async def list_cases(_who: Any = Depends(analyst)) -> Any:
        desk.catch_up()
        return respond(Reply(200, {"cases": [c.to_record() for c in desk.cases.cases.values()],
                                   "funnel": desk.cases.funnel(), "unmatched_dispositions": desk.unmatched}))

    @router.post("/cases/{case_id}/disposition", summary="Record a disposition on a case (analysts)",
                 description="Recorded as a CaseDisposed event naming the analyst (the token's name) and the reason.",
                 responses={200: {"description": "The CaseDisposed event"},
                            **problems(400, 401, 403, 404, 413, 415, 422, 429)},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": DISPOSITION_REQUEST_SCHEMA}}}})
    async def dispose(case_id: str, request: Request, who: Any = Depends(analyst)) -> Any:
        body = await read_json(request, live.config.max_body_bytes)
        if not isinstance(body, dict):
            return respond(problem(422, "invalid_request", "the body must be a JSON object",
                                   [("body", "not an object")]))
        try:
            event = desk.dispose(case_id, body.get("disposition"), who.advisor_id, str(body.get("reason") or ""))
        except UnknownCase:
            return respond(problem(404, "not_found", f"no case {case_id}", [("case_id", "unknown")]))
        except DispositionRequired as exc:
            return respond(problem(422, "invalid_request", str(exc), [("disposition", str(exc))]))
        return respond(Reply(200, event.to_record()))

    router.desk = desk  # type: ignore[attr-defined]  # create_app keeps it on app.state.surveillance_desk
    return router

