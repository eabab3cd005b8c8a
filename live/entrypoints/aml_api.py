"""AML over HTTP in live mode: transfers, monitoring, AML cases and the SAR workflow with the BSA sign-off.

``aml_router(advisor, analyst, officer, reviewer, live, read_json, respond)`` builds the routes
(``http_api.create_app`` mounts them with its role dependencies; any other role gets 403):

* ``POST /v1/aml/transfers`` (advisors, on an account they are entitled to): a transfer instruction
  (``TRANSFER_REQUEST_SCHEMA``), screened against the sanctions list by the twin's transfer desk
  (``components.aml.transfer_desk``). 201 with the decision: EXECUTED, FLAGGED (executed, flagged
  for review), BLOCKED (a sanctions hit at the block threshold: never executed, no override) or
  REJECTED (an unknown account of the firm), with the screening evidence. An executed transfer is
  consumed by the AML monitor at once.
* ``POST /v1/aml/monitoring/run`` (analysts): evaluate every account touched since the last run;
  the alerts raised, each filed into a case. ``GET /v1/aml/monitoring`` (analysts, the BSA
  officer): what the monitor and the desk have done. ``GET /v1/aml/transfers``: the decisions.
* ``GET /v1/aml/cases`` and ``GET /v1/aml/cases/{case_id}`` (analysts, the BSA officer): each
  case's evidence pack (transfers, graph excerpt, rule and model contributions, model version,
  features), generated narrative, dispositions, sign-off and SAR.
* ``POST /v1/aml/alerts/{alert_id}/disposition`` (analysts) ``{"disposition": "false_positive" |
  "suspicious", "reason": ...}``: 422 without a disposition or a reason, 409 already closed.
* ``POST /v1/aml/cases/{case_id}/sar-request`` (analysts): 409 unless the case is open and has an
  alert disposed suspicious.
* ``POST /v1/aml/cases/{case_id}/sign-off`` (the BSA officer only: a ``bsa_officer`` token)
  ``{"decision": "approve" | "decline", "reason": ...}``: the explicit approval call; 409 when no
  SAR awaits sign-off.
* ``POST /v1/aml/cases/{case_id}/sar`` (analysts, the BSA officer): files the SAR; 409
  ``signoff_required`` unless the BSA officer's approving sign-off is recorded.

A transfer may carry ``client_transfer_id``, an idempotency key per account (as ``client_order_id`` is for
orders): a retry with the same key and body is answered 200 with the first decision (nothing decided nor
logged again, also after a restart), the same key with another body is 409 ``conflict`` naming the field.

The desk (and with it scikit-learn and networkx) is built on the first AML request, on a worker thread, never
at start (``_Desk``). Unknown alert or case ids are 404. Every decision names its actor from the token, never
from the body, and is an event in the live event log (``live.aml_desk``), so a restart rebuilds the desk.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from components.aml.transfers import TransferKind
from components.domain.money import to_units
from components.order_entry import _ID_PATTERN, PRICE_PATTERN, IdempotencyConflict

from live.aml_desk import LiveAmlDesk, TransferInstruction

from .api_schema import problems
from .service import Reply, problem

log = logging.getLogger("live")

_ID = {"type": "string", "pattern": _ID_PATTERN.pattern, "maxLength": 64}
_OPTIONAL_ID = r"^([A-Za-z0-9][A-Za-z0-9._:-]{0,63})?$"
_COUNTRY = r"^([A-Z]{2})?$"
_TEXT = r"\S"
"""Free text with at least one character that is not white space (searched, not anchored)."""
MAX_NAME = 200
MAX_REASON = 2000

TRANSFER_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["kind", "account_id", "counterparty", "amount"],
    "properties": {
        "kind": {"type": "string", "enum": [k.value for k in TransferKind],
                 "description": "DEPOSIT into account_id from counterparty; WITHDRAWAL or EXTERNAL out of "
                                "account_id to counterparty; INTERNAL from account_id to the firm's account "
                                "counterparty"},
        "account_id": {**_ID, "description": "The firm's account; the token's advisor must be entitled to it"},
        "counterparty": {**_ID, "description": "The other end: an outside party's id, a branch for cash, or for "
                                               "INTERNAL another account of the firm (not account_id itself)"},
        "amount": {"type": "string", "pattern": PRICE_PATTERN,
                   "description": "Decimal dollars as a string on a one-cent tick, positive, below 1,000,000 "
                                  "(\"9500.00\")"},
        "beneficiary_name": {"type": "string", "maxLength": MAX_NAME,
                             "description": "The outside party's name (screened against the sanctions list); "
                                            "ignored for INTERNAL, where both holders are screened"},
        "device_id": {"type": "string", "pattern": _OPTIONAL_ID, "description": "Where the instruction came from"},
        "country": {"type": "string", "pattern": _COUNTRY, "description": "ISO 3166 alpha-2 country of origin"},
        "client_transfer_id": {**_ID, "description": "Idempotency key per account (optional): a retry with the "
                                                     "same key and body gets the first decision back (200), a "
                                                     "different body with the same key is a 409; without it "
                                                     "every request is a new transfer"},
    },
    "example": {"kind": "EXTERNAL", "account_id": "AC-00001", "counterparty": "EXT-000123", "amount": "2500.00",
                "beneficiary_name": "Jane Roe", "device_id": "DEV-42", "country": "US",
                "client_transfer_id": "TRQ-20261205-0001"},
}
_REASON = {"type": "string", "minLength": 1, "maxLength": MAX_REASON, "pattern": _TEXT}
DISPOSITION_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["disposition", "reason"],
    "properties": {"disposition": {"type": "string", "enum": ["false_positive", "suspicious"],
                                   "description": "false_positive clears the alert; suspicious supports a SAR"},
                   "reason": {**_REASON, "description": "Why, as the analyst records it"}},
}
SIGN_OFF_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["decision", "reason"],
    "properties": {"decision": {"type": "string", "enum": ["approve", "decline"],
                                "description": "approve lets the SAR be filed; decline closes the request"},
                   "reason": {**_REASON, "description": "The BSA officer's reason, recorded with the decision"}},
}
_RE = {name: re.compile(p) for name, p in (("id", _ID_PATTERN.pattern), ("optional_id", _OPTIONAL_ID),
                                           ("country", _COUNTRY), ("price", PRICE_PATTERN))}


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= limit and re.search(_TEXT, value) is not None


def parse_transfer(body: Any) -> TransferInstruction | list[tuple[str, str]]:
    """The instruction in ``body``, or the (field, problem) list of what is wrong (the schema's rules, and
    ``counterparty`` must not be ``account_id``)."""
    if not isinstance(body, dict):
        return [("body", "must be a JSON object")]
    props = TRANSFER_REQUEST_SCHEMA["properties"]
    errors = [(str(k), "unknown field") for k in body if k not in props]
    kind, account, other, amount = body.get("kind"), body.get("account_id"), body.get("counterparty"), body.get("amount")
    name, device, country = body.get("beneficiary_name", ""), body.get("device_id", ""), body.get("country", "")
    key = body.get("client_transfer_id", "")
    if kind not in props["kind"]["enum"]:
        errors.append(("kind", f"required: one of {', '.join(props['kind']['enum'])}"))
    for field, value in (("account_id", account), ("counterparty", other)):
        if not isinstance(value, str) or not _RE["id"].fullmatch(value):
            errors.append((field, "required: an id of 1 to 64 letters, digits or ._:- (starting with a letter "
                                  "or digit)"))
    if isinstance(account, str) and account == other:
        errors.append(("counterparty", "must not be account_id itself"))
    if not isinstance(amount, str) or not _RE["price"].fullmatch(amount):
        errors.append(("amount", "required: decimal dollars as a string on a one-cent tick, positive, below "
                                 "1,000,000 (\"9500.00\")"))
    if not isinstance(name, str) or len(name) > MAX_NAME:
        errors.append(("beneficiary_name", f"must be text of at most {MAX_NAME} characters"))
    if not isinstance(device, str) or not _RE["optional_id"].fullmatch(device):
        errors.append(("device_id", "must be empty or an id of letters, digits or ._:- (at most 64)"))
    if not isinstance(country, str) or not _RE["country"].fullmatch(country):
        errors.append(("country", "must be empty or an ISO 3166 alpha-2 code in capitals (\"US\")"))
    if "client_transfer_id" in body and (not isinstance(key, str) or not _RE["id"].fullmatch(key)):
        errors.append(("client_transfer_id", "must be an id of 1 to 64 letters, digits or ._:- (starting with a "
                                             "letter or digit)"))
    if errors:
        return errors
    return TransferInstruction(TransferKind(kind), account, other, to_units(amount), name, device, country, key)


def parse_decision(body: Any, schema: dict[str, Any], field: str) -> tuple[str, str] | list[tuple[str, str]]:
    """(``field``'s value, reason) from a disposition or sign-off body, or what is wrong. ``field`` must be one
    of the schema's enum values; the reason must hold a character that is not white space."""
    if not isinstance(body, dict):
        return [("body", "must be a JSON object")]
    errors = [(str(k), "unknown field") for k in body if k not in schema["properties"]]
    choice, reason = body.get(field), body.get("reason")
    allowed = schema["properties"][field]["enum"]
    if choice not in allowed:
        errors.append((field, f"required: one of {', '.join(allowed)}"))
    if not _text(reason, MAX_REASON):
        errors.append(("reason", f"required: text of 1 to {MAX_REASON} characters, not only white space"))
    return errors or (choice, reason)


def _refused(exc: Exception) -> Reply:
    """The case book's refusal as a problem body: 404 unknown id, 409 out of order or no sign-off, 422 no
    disposition. Anything else is a bug and raises."""
    from components.aml.cases import DispositionRequired, SignOffRequired, WorkflowError

    words = str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc, KeyError):
        return problem(404, "not_found", words, [("path", words)])
    if isinstance(exc, SignOffRequired):
        return problem(409, "signoff_required", words, [("case_id", words)])
    if isinstance(exc, DispositionRequired):
        return problem(422, "disposition_required", words, [("disposition", words)])
    if isinstance(exc, WorkflowError):
        return problem(409, "workflow_conflict", words, [("case_id", words)])
    raise exc


class _Desk:
    """The live AML desk, built on the first AML request and then rebuilt from the event log, never at start:
    its monitor imports scikit-learn and networkx (seconds of CPU), which a process that never serves AML
    should not pay (``tests/unit/live/test_aml_lazy_start.py``). A restart with AML events in its log defers
    their replay to that first request too (only the desk reads them).

    ``await ready()`` builds it on a worker thread, so the event loop keeps serving orders meanwhile; calling
    the object returns the built desk (building it on the caller's thread if needed: tests, ``app.state``)."""

    def __init__(self, live: Any) -> None:
        self._live = live
        self._desk: LiveAmlDesk | None = None
        self._lock = threading.Lock()  # concurrent first requests build one desk

    def __call__(self) -> LiveAmlDesk:
        desk = self._desk
        if desk is None:
            with self._lock:
                if self._desk is None:
                    self._desk = LiveAmlDesk(self._live)
                desk = self._desk
        return desk

    async def ready(self) -> LiveAmlDesk:
        """The desk, built off the event loop the first time."""
        desk = self._desk
        return desk if desk is not None else await run_in_threadpool(self)


def aml_router(advisor: Callable[..., Any], analyst: Callable[..., Any], officer: Callable[..., Any],
               reviewer: Callable[..., Any], live: Any, read_json: Callable[[Request, int], Any],
               respond: Callable[[Reply], Any]) -> APIRouter:
    """The AML routes; ``advisor``, ``analyst``, ``officer`` (the BSA officer) and ``reviewer`` (analysts and the
    BSA officer) are the app's role dependencies, ``read_json`` its body reader, ``respond`` its
    reply-to-response function."""
    router = APIRouter(prefix="/v1/aml", tags=["aml"])
    desk = _Desk(live)
    limit = live.config.max_body_bytes

    def body_doc(schema: dict[str, Any]) -> dict[str, Any]:
        return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}

    def decide(call: Callable[[], dict[str, Any]]) -> Any:
        try:
            return respond(Reply(200, call()))
        except (KeyError, ValueError, PermissionError) as exc:  # the case book's refusals
            return respond(_refused(exc))

    @router.post("/transfers", status_code=201, summary="Submit a transfer instruction (advisors)",
                 description="Every party is screened against the sanctions list: a hit at the block threshold is "
                             "a hard block (status BLOCKED, never executed, no override); a review-level hit "
                             "executes flagged. Recorded as a TransferDecided event (with client_transfer_id); an "
                             "executed transfer is consumed by the AML monitor. A retry with the same "
                             "client_transfer_id and body is answered 200 with the first decision, nothing decided "
                             "again (across restarts too); the same client_transfer_id with another body is a 409.",
                 responses={201: {"description": "The decision (EXECUTED, FLAGGED, BLOCKED or REJECTED) with its "
                                                 "screening evidence"},
                            200: {"description": "A retry: the first decision made under this client_transfer_id "
                                                 "on this account, unchanged"},
                            **problems(400, 401, 403, 413, 415, 422, 429),
                            409: {**problems(409)[409], "description": "Conflict: client_transfer_id already used "
                                                                      "on this account with another body"}},
                 openapi_extra=body_doc(TRANSFER_REQUEST_SCHEMA))
    async def submit_transfer(request: Request, who: Any = Depends(advisor)) -> Any:
        parsed = parse_transfer(await read_json(request, limit))
        if isinstance(parsed, list):
            return respond(problem(422, "invalid_transfer", "the transfer has invalid fields", parsed))
        if not live.accounts.entitled(who.advisor_id, parsed.account_id):
            return respond(problem(403, "forbidden", "the advisor is not entitled to this account",
                                   [("account_id", "not entitled")]))
        aml = await desk.ready()
        try:
            submitted = aml.enter(parsed, who.advisor_id)
        except IdempotencyConflict as exc:  # as POST /v1/orders answers a reused client_order_id
            return respond(problem(409, "conflict", str(exc),
                                   [("client_transfer_id", "already used with a different request body")]))
        return respond(Reply(200 if submitted.replayed else 201, submitted.record))

    @router.get("/transfers", summary="Transfer decisions (analysts, the BSA officer)",
                responses={200: {"description": "The latest decisions, oldest first"}, **problems(401, 403, 422, 429)})
    async def transfers(last: int = Query(500, ge=1, le=10_000, description="How many of the latest decisions"),
                        _who: Any = Depends(reviewer)) -> Any:
        decisions = (await desk.ready()).decisions()
        return respond(Reply(200, {"transfers": [d.to_record() for d in decisions[-last:]],
                                   "total": len(decisions)}))

    @router.post("/monitoring/run", summary="Run AML monitoring now (analysts)",
                 description="Evaluates every account touched since the last run (rules and graph checks); the "
                             "alerts raised are filed into cases. Recorded as an AmlAccountsEvaluated event.",
                 responses={200: {"description": "The accounts evaluated and the alerts raised"},
                            **problems(401, 403, 429)})
    async def run_monitoring(who: Any = Depends(analyst)) -> Any:
        return respond(Reply(200, (await desk.ready()).run_monitoring(who.advisor_id)))

    @router.get("/monitoring", summary="The AML monitor's state (analysts, the BSA officer)",
                responses={200: {"description": "Counts, model version, threshold, rules, case funnel"},
                           **problems(401, 403, 429)})
    async def monitoring(_who: Any = Depends(reviewer)) -> Any:
        return respond(Reply(200, (await desk.ready()).monitoring_state()))

    @router.get("/cases", summary="AML cases (analysts, the BSA officer)",
                description="Every case with its evidence, narrative, dispositions, sign-off and SAR; the funnel; "
                            "stored events that did not replay (unmatched_events).",
                responses={200: {"description": "The cases and the funnel"}, **problems(401, 403, 429)})
    async def cases(_who: Any = Depends(reviewer)) -> Any:
        d = await desk.ready()
        return respond(Reply(200, {"cases": [d.case_record(c) for c in sorted(d.book.cases)],
                                   "funnel": d.book.funnel(), "unmatched_events": d.unmatched}))

    @router.get("/cases/{case_id}", summary="One AML case (analysts, the BSA officer)",
                responses={200: {"description": "The case"}, **problems(401, 403, 404, 429)})
    async def one_case(case_id: str, _who: Any = Depends(reviewer)) -> Any:
        d = await desk.ready()
        return decide(lambda: d.case_record(case_id))

    @router.post("/alerts/{alert_id}/disposition", summary="Close an alert with a disposition (analysts)",
                 description="Recorded as an AmlAlertClosed event naming the analyst (the token's name).",
                 responses={200: {"description": "The AmlAlertClosed event"},
                            **problems(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                 openapi_extra=body_doc(DISPOSITION_REQUEST_SCHEMA))
    async def dispose(alert_id: str, request: Request, who: Any = Depends(analyst)) -> Any:
        parsed = parse_decision(await read_json(request, limit), DISPOSITION_REQUEST_SCHEMA, "disposition")
        if isinstance(parsed, list):
            return respond(problem(422, "disposition_required", "the disposition has invalid fields", parsed))
        d = await desk.ready()
        return decide(lambda: d.dispose(alert_id, parsed[0], who.advisor_id, parsed[1]))

    @router.post("/cases/{case_id}/sar-request", summary="Ask the BSA officer to approve a SAR (analysts)",
                 description="The case must be open with an alert disposed suspicious. Recorded as SarRequested.",
                 responses={200: {"description": "The SarRequested event"}, **problems(401, 403, 404, 409, 429)})
    async def request_sar(case_id: str, who: Any = Depends(analyst)) -> Any:
        d = await desk.ready()
        return decide(lambda: d.request_sar(case_id, who.advisor_id))

    @router.post("/cases/{case_id}/sign-off", summary="Sign off or decline a requested SAR (the BSA officer only)",
                 description="The explicit approval call: only a bsa_officer token may make it. Recorded as a "
                             "BsaSignOff event naming the officer (the token's name), the decision and the reason.",
                 responses={200: {"description": "The BsaSignOff event"},
                            **problems(400, 401, 403, 404, 409, 413, 415, 422, 429)},
                 openapi_extra=body_doc(SIGN_OFF_REQUEST_SCHEMA))
    async def sign_off(case_id: str, request: Request, who: Any = Depends(officer)) -> Any:
        parsed = parse_decision(await read_json(request, limit), SIGN_OFF_REQUEST_SCHEMA, "decision")
        if isinstance(parsed, list):
            return respond(problem(422, "invalid_request", "the sign-off has invalid fields", parsed))
        d = await desk.ready()
        return decide(lambda: d.sign_off(case_id, who.advisor_id, parsed[0] == "approve", parsed[1]))

    @router.post("/cases/{case_id}/sar", summary="File the SAR (analysts, the BSA officer)",
                 description="Refused with 409 signoff_required unless the BSA officer's approving sign-off is "
                             "recorded. Recorded as a SarFiled event with the generated narrative.",
                 responses={200: {"description": "The SarFiled event"}, **problems(401, 403, 404, 409, 429)})
    async def file_sar(case_id: str, who: Any = Depends(reviewer)) -> Any:
        d = await desk.ready()
        return decide(lambda: d.file_sar(case_id, f"{who.role}:{who.advisor_id}"))

    router.desk = desk  # type: ignore[attr-defined]  # create_app keeps it on app.state.aml_desk (call it)
    return router
