"""The order API over HTTP (FastAPI): ``create_app(live) -> FastAPI``.

Thin glue: authenticate the bearer token (a static token or a JWT; a request
without a valid one spends its client address's rate limit, then gets 401 or
403), apply the caller's rate limit, check the role, read the raw JSON body
(``Content-Type`` JSON or 415; bounded in size and depth), call
``OrderService`` and answer with its ``Reply``. Bodies are not validated by
pydantic: the one validator is ``parse_order_request``, reached through the
platform, and the request schemas (``api_schema``) publish the same rules.
Every error, including a malformed body or an unknown path, is a JSON problem
body naming what is wrong; a 5xx means a bug. A method a path does not serve is
405 with ``Allow`` listing the methods it does serve (from every route on the
path); ``OPTIONS`` on a served path is 204 with the same ``Allow``.

Handlers are ``async`` and synchronous inside: they run on the event loop
thread, with the wall clock's timers, and hold the live runtime only for the
microseconds of the order path.

``POST /v1/blocks`` submits the twin's ``SubmitBlock`` (``OrderService.submit_block``):
one member order per statement line, each validated and risk-checked on the
normal path, then traded as one parent order and allocated by the policy.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import Any, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from live.entrypoints.api_schema import (
    BLOCK_REQUEST_SCHEMA,
    ORDER_REQUEST_SCHEMA,
    TRADING_STATE_REQUEST_SCHEMA,
    BlockOut,
    HealthOut,
    OrderOut,
    PositionsOut,
    TradingStateOut,
    problems,
)
from live.bootstrap import LiveApp
from live.observability.http import instrument
from live.observability.logs import configure_logging
from live.security import AuthFailure, Principal, RateLimiter, install_masking
from live.entrypoints.service import OrderService, Reply, problem
from live.venue_health import reference_health

API_VERSION = "1.0.0"
log = logging.getLogger("live")


class ApiJSON(JSONResponse):
    """JSON with non-ASCII escaped: echoed field names may hold lone surrogates,
    which cannot be encoded as UTF-8."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


class ApiError(Exception):
    """Raised by dependencies to answer with a problem body at once."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _respond(reply: Reply) -> ApiJSON:
    return ApiJSON(reply.body, status_code=reply.status, headers=reply.headers or None)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, any parameters (``charset=utf-8``)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class DuplicateKey(ValueError):
    """A JSON object names a key twice (``json`` would keep the last silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook``: the object as a dict, or ``DuplicateKey`` naming a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


READ_ONLY_RESPONSE = {
    "description": "The server is read-only (started --read-only on a log under investigation): nothing is "
                   "changed; see Retry-After",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
}
"""What every changing operation may answer on a read-only server (the middleware below refuses them all)."""


def _declare_read_only(app: FastAPI) -> None:
    """Add ``READ_ONLY_RESPONSE`` (503) to every POST, PUT, PATCH and DELETE of ``app``'s OpenAPI document: the
    read-only middleware answers them so, whichever router they come from."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for operations in generate()["paths"].values():
                for method, operation in operations.items():
                    if method in ("post", "put", "patch", "delete"):
                        operation.setdefault("responses", {}).setdefault("503", READ_ONLY_RESPONSE)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON, or ApiError (415 not declared JSON, 400 not JSON, 413 too large)."""
    if not is_json_media_type(request.headers.get("content-type")):
        got = request.headers.get("content-type")
        raise ApiError(problem(415, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)",
                               [("Content-Type", f"must be application/json, got {got!r}" if got else
                                 "missing: must be application/json")]))
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise ApiError(problem(413, "too_large", f"the body must be at most {limit} bytes",
                               [("body", "too large")]))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(problem(413, "too_large", f"the body must be at most {limit} bytes",
                                   [("body", "too large")]))
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except DuplicateKey as exc:  # {"quantity": 10, "quantity": 20}: which one the client meant is unknowable
        raise ApiError(problem(400, "invalid_json", f"the body names {exc.key!r} twice",
                               [(exc.key, "given twice in one object")])) from None
    except RecursionError:
        raise ApiError(problem(400, "invalid_json", "the body is nested too deeply",
                               [("body", "nested too deeply")])) from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, NaN/Infinity, ints past the digit limit
        raise ApiError(problem(400, "invalid_json", "the body is not valid JSON",
                               [("body", f"not valid JSON: {str(exc)[:200]}")])) from None


def _leaf_routes(routes: Any) -> Any:
    """The routes, with those of included routers in their place (FastAPI wraps an included router in
    one route object that answers for the first of its routes only: its other methods would be missed)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def create_app(live: LiveApp, on_started: Callable[[], None] | None = None) -> FastAPI:
    """The order API over ``live``; its lifespan starts and stops the live stack
    (``on_started`` runs once it is up, e.g. to print where things are)."""
    service = OrderService(live)
    install_masking(live.masker)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        live.start()
        configure_logging(live)  # $TWIN_LOG_FORMAT=json: JSON lines (after uvicorn set its handlers up)
        try:
            if on_started is not None:
                on_started()
            yield
        finally:
            live.stop()
            tracer = getattr(_app.state, "tracer", None)  # live.observability.tracing, when on
            if tracer is not None:
                tracer.shutdown()  # open orders' traces so far, then flush the exporters

    app = FastAPI(
        title="Broker-dealer trading platform: order API",
        version=API_VERSION,
        description="Order entry for advisors. Every request but /healthz needs a bearer token; "
                    "an advisor may act only on the accounts entitled to them.",
        lifespan=lifespan,
        default_response_class=ApiJSON,
    )
    _declare_read_only(app)
    bearer = HTTPBearer(auto_error=False, description="A static API token from live.toml, or a JWT signed by a "
                                                      "key of the [jwt] JWKS file")
    limits = live.config.rate_limit
    anonymous = RateLimiter(live.clock, limits.unauthenticated_rate_per_s, limits.unauthenticated_burst)

    def refuse(request: Request, failure: AuthFailure) -> ApiError:
        """401/403 for a bad token, or 429 once the client address has spent its unauthenticated budget."""
        address = request.client.host if request.client else "unknown"
        wait_s = anonymous.acquire(f"address:{address}")
        if wait_s:
            retry = RateLimiter.retry_after(wait_s)
            log.info("rate limited unauthenticated retry_after=%s", retry)
            return ApiError(problem(429, "rate_limited", f"too many requests; retry after {retry} s",
                                    [("Authorization", "too many requests without a valid token from this address")],
                                    {"Retry-After": retry}))
        log.warning("authentication failed status=%d reason=%s", failure.status, failure.code)
        challenge = f'Bearer error="{failure.code}", error_description="{failure.reason}"'
        if failure.status == 403:
            return ApiError(problem(403, "insufficient_scope", failure.reason, [("Authorization", failure.reason)],
                                    {"WWW-Authenticate": challenge}))
        if failure.code == "invalid_request":  # no credentials at all: RFC 6750 sends a bare challenge
            challenge = "Bearer"
        return ApiError(problem(401, "unauthorized", f"a valid bearer token is required: {failure.reason}",
                                [("Authorization", failure.reason)], {"WWW-Authenticate": challenge}))

    async def caller(request: Request,
                     credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
        who = live.tokens.check(credentials.credentials if credentials else None)
        if isinstance(who, AuthFailure):
            raise refuse(request, who)
        wait_s = live.limiter.acquire(who.key)
        if wait_s:
            retry = RateLimiter.retry_after(wait_s)
            log.info("rate limited advisor=%s retry_after=%s", who.advisor_id, retry)
            raise ApiError(problem(429, "rate_limited", f"too many requests; retry after {retry} s",
                                   [("Authorization", "this token's request rate is exceeded")],
                                   {"Retry-After": retry}))
        return who

    def role(*names: str) -> Callable[..., Any]:
        """A dependency: the caller, who must hold a token of one of ``names`` (403 otherwise)."""
        async def holding(who: Principal = Depends(caller)) -> Principal:
            if who.role not in names:
                log.info("refused status=403 reason=role_%s %s=%s", who.role, who.role, who.advisor_id)
                raise ApiError(problem(403, "forbidden", f"this needs an {' or '.join(names)} token",
                                       [("Authorization", f"the role {who.role!r} cannot do this")]))
            return who
        return holding

    advisor = role("advisor")
    reader = role("advisor", "analyst")  # an analyst reads every account; an advisor the entitled ones
    operator = role("operator")

    def allowed_methods(request: Request) -> list[str]:
        """Every method some route serves on this request's path (routes are per method)."""
        methods: set[str] = set()
        for route in _leaf_routes(app.router.routes):
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= set(getattr(route, "methods", None) or ())
        return sorted(methods | {"OPTIONS"}) if methods else []

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> ApiJSON:
        return _respond(exc.reply)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allow = allowed_methods(request)
            if allow:
                headers["Allow"] = ", ".join(allow)
                if request.method == "OPTIONS":
                    return Response(status_code=204, headers=headers)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _respond(problem(exc.status_code, code, str(exc.detail), [("path", str(exc.detail))], headers))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> ApiJSON:
        errors = [(".".join(map(str, e.get("loc", ()))) or "request", str(e.get("msg", "invalid")))
                  for e in exc.errors()]
        return _respond(problem(422, "invalid_request", "the request is invalid", errors))

    @app.post("/v1/orders", status_code=201, summary="Submit an order",
              responses={201: {"model": OrderOut, "description": "Accepted: a new order"},
                         200: {"model": OrderOut, "description": "A retry: the original order"},
                         **problems(400, 401, 403, 409, 413, 415, 422, 429)},
              openapi_extra={"requestBody": {"required": True,
                                             "content": {"application/json": {"schema": ORDER_REQUEST_SCHEMA}}}})
    async def submit_order(request: Request, who: Principal = Depends(advisor)) -> ApiJSON:
        body = await read_json(request, live.config.max_body_bytes)
        return _respond(service.submit(body, who))

    @app.post("/v1/blocks", status_code=201, summary="Submit a block for several accounts",
              description="One order per member account on the usual path (validation, entitlement, risk), "
                          "traded together as one parent order and allocated by the policy.",
              responses={201: {"model": BlockOut, "description": "Accepted: the block and its member orders"},
                         200: {"model": BlockOut, "description": "A retry: the original block"},
                         **problems(400, 401, 403, 409, 413, 415, 422, 429)},
              openapi_extra={"requestBody": {"required": True,
                                             "content": {"application/json": {"schema": BLOCK_REQUEST_SCHEMA}}}})
    async def submit_block_route(request: Request, who: Principal = Depends(advisor)) -> ApiJSON:
        body = await read_json(request, live.config.max_body_bytes)
        return _respond(service.submit_block(body, who))

    @app.get("/v1/orders/{order_id}", summary="Read an order",
             responses={200: {"model": OrderOut, "description": "The order"}, **problems(401, 403, 404, 429)})
    async def get_order(order_id: str, who: Principal = Depends(reader)) -> ApiJSON:
        return _respond(service.get(order_id, who))

    @app.post("/v1/orders/{order_id}/cancel", status_code=202, summary="Cancel an order",
              responses={202: {"model": OrderOut, "description": "Cancel requested; venues confirm later"},
                         **problems(401, 403, 404, 409, 429)})
    async def cancel_order(order_id: str, who: Principal = Depends(advisor)) -> ApiJSON:
        return _respond(service.cancel(order_id, who))

    @app.get("/v1/accounts/{account_id}/positions", summary="Cash and positions of an account",
             responses={200: {"model": PositionsOut, "description": "Cash and positions"},
                        **problems(401, 403, 429)})
    async def positions(account_id: str, who: Principal = Depends(reader)) -> ApiJSON:
        return _respond(service.positions(account_id, who))

    @app.get("/v1/trading-state", summary="The kill switch's state",
             responses={200: {"model": TradingStateOut, "description": "ACTIVE, REDUCING or HALTED"},
                        **problems(401, 403, 429)})
    async def get_trading_state(_who: Principal = Depends(caller)) -> ApiJSON:
        return _respond(service.trading_state())

    @app.post("/v1/trading-state", summary="Flip the kill switch (operators)",
              description="ACTIVE, REDUCING (only position-reducing orders pass risk) or HALTED (none do). "
                          "Recorded as a TradingStateChanged event naming the operator and the reason.",
              responses={200: {"model": TradingStateOut, "description": "The state before and after"},
                         **problems(400, 401, 403, 413, 415, 422, 429)},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": TRADING_STATE_REQUEST_SCHEMA}}}})
    async def set_trading_state(request: Request, who: Principal = Depends(operator)) -> ApiJSON:
        body = await read_json(request, live.config.max_body_bytes)
        return _respond(service.set_trading_state(body, who))

    @app.middleware("http")
    async def _read_only(request: Request, call_next: Callable[[Request], Any]) -> Any:
        """A process started ``--read-only`` (a tampered log, under investigation) changes nothing: 503."""
        if live.read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
            return _respond(problem(503, "read_only", f"this server is read-only: {live.read_only}",
                                    [("server", live.read_only)], {"Retry-After": "3600"}))
        return await call_next(request)

    @app.get("/healthz", summary="Liveness", responses={200: {"model": HealthOut, "description": "Up"}})
    async def healthz() -> ApiJSON:
        reply = service.health()
        body = {**reply.body, **live.integrity.health(),  # read-only and why, anchors keyed or not
                **reference_health(live.market_data)}  # where reference prices come from, fallback warnings
        if live.read_only:
            body["status"] = "read_only"
        return _respond(Reply(reply.status, body, reply.headers))

    from .surveillance_api import surveillance_router  # analysts' cases (docs/surveillance.md)

    surveillance = surveillance_router(role("analyst"), live, read_json, _respond)
    app.state.surveillance_desk = surveillance.desk  # type: ignore[attr-defined]
    app.include_router(surveillance)
    from .reports_api import reports_router  # compliance sign-off (docs/regulatory_reporting.md)

    app.include_router(reports_router(
        role("compliance"), live.run_dir / "reports", live.clock, lambda status, body: _respond(Reply(status, body)),
        lambda status, code, detail: _respond(problem(status, code, detail, [("package", detail)]))))
    from .agent_api import agent_router  # the trade-execution agent's approvals (docs/trade_execution_agent.md)

    agent = agent_router(advisor, operator, role("advisor", "operator"), live, read_json, _respond)
    app.state.agent_desk = agent.desk  # type: ignore[attr-defined]
    app.include_router(agent)
    from .aml_api import aml_router  # transfers, AML cases, the BSA officer's SAR sign-off (docs/aml_monitoring.md)

    aml = aml_router(advisor, role("analyst"), role("bsa_officer"), role("analyst", "bsa_officer"), live,
                     read_json, _respond)
    app.state.aml_desk = aml.desk  # type: ignore[attr-defined]  # called: the desk, built on first use
    app.include_router(aml)
    instrument(app, live)  # HTTP RED metrics and GET /metrics (live.observability.http)
    return app
