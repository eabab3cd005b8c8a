"""The live order API over HTTP: FastAPI's TestClient on the real live stack
(in-process venues on the wall clock), plus one ``twin serve`` subprocess."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live.bootstrap import build_live
from components.config.live import parse_live_config
from live.entrypoints.http_api import create_app
from live.entrypoints.openapi_export import DEFAULT_PATH as OPENAPI_PATH
from components.risk.policies import POLICY_NAMES
from tests.live_app import wait_for_status
from tests.live_configs import account, quiet_market, symbols, tokens

with warnings.catch_warnings():  # starlette nags about httpx; it is the client we have
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
TOKEN_1 = "test-token-adv-one-0001"
TOKEN_2 = "test-token-adv-two-0002"
TOKEN_SLOW = "test-token-adv-slow-003"

CONFIG = (symbols(AAPL="190.00", MSFT="415.00") + quiet_market()
          + account("ACCT-1001", "CLNT-5001", "ADV-1",
                    extra='client_name = "Ada Lovelace"\npositions = [{ symbol = "AAPL", quantity = 500 }]')
          + account("ACCT-1002", "CLNT-5002", "ADV-1", extra='client_name = "Charles Babbage"')
          + account("ACCT-2001", "CLNT-6001", "ADV-2", extra='client_name = "Grace Hopper"')
          + tokens(ADV_1=TOKEN_1, ADV_2=TOKEN_2))

AUTH_1 = {"Authorization": f"Bearer {TOKEN_1}"}
JSON_1 = {**AUTH_1, "Content-Type": "application/json"}
AUTH_2 = {"Authorization": f"Bearer {TOKEN_2}"}
_coid = iter(range(1, 10**9))


def body(**overrides):
    """A valid MARKET buy of 100 AAPL for ACCT-1001 by ADV-1, with a fresh client_order_id."""
    b = {
        "account_id": "ACCT-1001",
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": 100,
        "order_type": "MARKET",
        "time_in_force": "DAY",
        "advisor_id": "ADV-1",
        "client_order_id": f"T-{next(_coid)}",
    }
    b.update(overrides)
    return {k: v for k, v in b.items() if v is not ...}






def assert_names_the_problem(response):
    assert 400 <= response.status_code < 500, response.text
    problem = response.json()
    assert problem["error"] and problem["detail"], problem
    for entry in problem.get("errors", []):
        assert isinstance(entry["field"], str) and entry["problem"], problem  # a JSON key may be ""
    return problem


# -- the order path -----------------------------------------------------------------------------

def test_a_market_order_is_accepted_routed_and_filled_at_the_in_process_venue(client):
    before = client.get("/v1/accounts/ACCT-1002/positions", headers=AUTH_1).json()
    sent_at = datetime.now(timezone.utc)
    r = client.post("/v1/orders", json=body(account_id="ACCT-1002"), headers=AUTH_1)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "ROUTED"  # the venue answers after its latency, as over FIX
    assert order["order_id"].startswith("ORD-") and order["trace_id"].startswith("TRC-")
    accepted = datetime.fromisoformat(order["accepted_at"].replace("Z", "+00:00"))
    assert accepted.tzinfo is not None and abs((accepted - sent_at).total_seconds()) < 5
    # Every policy, then the approval's reservation record (what a restarted risk engine replays).
    assert [d["policy"] for d in order["risk_decisions"]] == [*POLICY_NAMES, "reservation"]
    assert all(d["outcome"] == "PASS" and d["reason_code"] == "" for d in order["risk_decisions"])
    assert set(order["risk_decisions"][0]) == {"policy", "version", "outcome", "reason_code", "params"}

    done = wait_for_status(client, order["order_id"], {"CONFIRMED"}, AUTH_1)
    assert done["status"] == "CONFIRMED", done  # filled, allocated and confirmed; settles T+1
    assert done["filled_quantity"] == 100
    assert 180 < float(done["average_price"]) < 200
    after = client.get("/v1/accounts/ACCT-1002/positions", headers=AUTH_1).json()
    held = {p["symbol"]: p["quantity"] for p in after["positions"]}
    assert held.get("AAPL", 0) == 100 + {p["symbol"]: p["quantity"] for p in before["positions"]}.get("AAPL", 0)


def test_a_resting_limit_order_can_be_canceled(client):
    r = client.post("/v1/orders", json=body(order_type="LIMIT", limit_price="185.00"), headers=AUTH_1)
    assert r.status_code == 201, r.text
    order_id = r.json()["order_id"]
    resting = wait_for_status(client, order_id, {"ROUTED"}, AUTH_1)
    assert resting["status"] == "ROUTED" and resting["filled_quantity"] == 0
    time.sleep(0.05)  # let the child reach the venue
    c = client.post(f"/v1/orders/{order_id}/cancel", headers=AUTH_1)
    assert c.status_code == 202, c.text
    done = wait_for_status(client, order_id, {"CANCELED"}, AUTH_1)
    assert done["status"] == "CANCELED" and done["status_reason"] == "CLIENT_REQUEST"
    again = client.post(f"/v1/orders/{order_id}/cancel", headers=AUTH_1)
    assert again.status_code == 409 and assert_names_the_problem(again)["error"] == "not_cancelable"


def test_a_blocked_order_carries_its_risk_decisions(client):
    r = client.post("/v1/orders", json=body(quantity=1_000_000, order_type="LIMIT", limit_price="190.00"),
                    headers=AUTH_1)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "BLOCKED"
    failed = [d for d in order["risk_decisions"] if d["outcome"] == "FAIL"]
    assert "NOTIONAL_EXCEEDS_MAX_PER_ORDER" in {d["reason_code"] for d in failed}
    assert all(d["params"] for d in failed)


# -- idempotency --------------------------------------------------------------------------------

def test_a_resubmission_returns_the_original_order_never_a_second_one(client, live):
    b = body(order_type="LIMIT", limit_price="150.00", side="BUY")
    first = client.post("/v1/orders", json=b, headers=AUTH_1)
    replays = live.platform.replays
    second = client.post("/v1/orders", json=b, headers=AUTH_1)
    assert first.status_code == 201 and second.status_code == 200, (first.text, second.text)
    assert second.json()["order_id"] == first.json()["order_id"]
    assert live.platform.replays == replays + 1
    same = [o for o in live.platform.oms.orders.values() if o.spec.client_order_id == b["client_order_id"]]
    assert len(same) == 1


def test_a_different_body_under_the_same_client_order_id_is_409(client):
    b = body(order_type="LIMIT", limit_price="150.00")
    assert client.post("/v1/orders", json=b, headers=AUTH_1).status_code == 201
    r = client.post("/v1/orders", json={**b, "quantity": 101}, headers=AUTH_1)
    assert r.status_code == 409
    assert [e["field"] for e in assert_names_the_problem(r)["errors"]] == ["client_order_id"]


# -- security -----------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token-at-all"},
                                     {"Authorization": f"Basic {TOKEN_1}"}, {"Authorization": "Bearer"}])
def test_a_missing_or_invalid_token_is_401(client, headers):
    for method, path in (("post", "/v1/orders"), ("get", "/v1/orders/ORD-x"),
                         ("post", "/v1/orders/ORD-x/cancel"), ("get", "/v1/accounts/ACCT-1001/positions")):
        r = client.request(method, path, json=body(), headers=headers)
        assert r.status_code == 401, (path, r.text)
        # RFC 6750: a bare challenge without credentials, the error code with a bad one
        assert r.headers["WWW-Authenticate"] == ("Bearer" if "not-a-token" not in str(headers) else
                                                 'Bearer error="invalid_token", error_description="unknown token"')
        assert_names_the_problem(r)


def test_healthz_needs_no_token(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_an_advisor_cannot_act_on_or_read_another_advisors_account(client):
    r = client.post("/v1/orders", json=body(account_id="ACCT-2001"), headers=AUTH_1)
    assert r.status_code == 403 and "account_id" in [e["field"] for e in assert_names_the_problem(r)["errors"]]
    r = client.post("/v1/orders", json=body(account_id="ACCT-2001", advisor_id="ADV-2"), headers=AUTH_1)
    assert r.status_code == 403 and "advisor_id" in [e["field"] for e in assert_names_the_problem(r)["errors"]]
    assert client.get("/v1/accounts/ACCT-2001/positions", headers=AUTH_1).status_code == 403
    assert client.get("/v1/accounts/NO-SUCH-ACCT/positions", headers=AUTH_1).status_code == 403

    theirs = client.post("/v1/orders", json=body(account_id="ACCT-2001", advisor_id="ADV-2",
                                                 order_type="LIMIT", limit_price="150.00"), headers=AUTH_2)
    assert theirs.status_code == 201, theirs.text
    order_id = theirs.json()["order_id"]
    assert client.get(f"/v1/orders/{order_id}", headers=AUTH_1).status_code == 403
    assert client.post(f"/v1/orders/{order_id}/cancel", headers=AUTH_1).status_code == 403
    assert client.get(f"/v1/orders/{order_id}", headers=AUTH_2).status_code == 200
    assert client.get("/v1/orders/ORD-unknown", headers=AUTH_1).status_code == 404


# -- schema errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field", [
    ({"quantity": "100"}, "quantity"),
    ({"quantity": 1.5}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": -5}, "quantity"),
    ({"quantity": 0}, "quantity"),
    ({"symbol": "ZZZZ"}, "symbol"),
    ({"symbol": 7}, "symbol"),
    ({"side": "HOLD"}, "side"),
    ({"order_type": "LIMIT"}, "limit_price"),
    ({"limit_price": "190.25"}, "limit_price"),
    ({"order_type": "LIMIT", "limit_price": "190.251"}, "limit_price"),
    ({"order_type": "LIMIT", "limit_price": "-1"}, "limit_price"),
    ({"surprise": 1}, "surprise"),
    ({"time_in_force": ...}, "time_in_force"),
    ({"client_order_id": "has spaces"}, "client_order_id"),
])
def test_schema_errors_are_422_naming_the_field(client, overrides, field):
    r = client.post("/v1/orders", json=body(**overrides), headers=AUTH_1)
    assert r.status_code == 422, r.text
    problem = assert_names_the_problem(r)
    assert field in [e["field"] for e in problem["errors"]], problem


def test_every_bad_field_is_named_at_once(client):
    r = client.post("/v1/orders", json=body(quantity=-1, symbol="ZZZZ", side="UP"), headers=AUTH_1)
    assert r.status_code == 422
    assert {"quantity", "symbol", "side"} <= {e["field"] for e in r.json()["errors"]}


@pytest.mark.parametrize("raw, status", [
    (b"not json", 400),
    (b"", 400),
    (b"[" * 50_000, 400),
    (b'{"quantity": ' + b"9" * 5000 + b"}", 400),
    (b'{"quantity": NaN}', 400),
    (b"\xff\xfe\x00", 400),
    (b"[]", 422),
    (b'"text"', 422),
    (b"null", 422),
    (b'{"quantity": 1e999999}', 422),
    (b"{" + b'"k": 1,' * 20_000 + b'"z": 1}', 413),
])
def test_malformed_bodies_are_4xx_never_5xx(client, raw, status):
    r = client.post("/v1/orders", content=raw, headers={**AUTH_1, "Content-Type": "application/json"})
    assert r.status_code == status, r.text[:300]
    assert_names_the_problem(r)


def test_a_key_given_twice_is_refused_not_resolved_silently(client):
    """{"quantity": 10, ..., "quantity": 20}: json would keep the last; which one the client meant is unknowable."""
    text = json.dumps(body(client_order_id="DUP-1"))[:-1] + ', "quantity": 20}'
    r = client.post("/v1/orders", content=text.encode(), headers={**AUTH_1, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert {"field": "quantity", "problem": "given twice in one object"} in assert_names_the_problem(r)["errors"]
    nested = b'{"a": {"x": 1, "x": 2}}'
    r = client.post("/v1/orders", content=nested, headers={**AUTH_1, "Content-Type": "application/json"})
    assert r.status_code == 400 and "'x' twice" in r.text


# -- rate limiting ------------------------------------------------------------------------------

def test_the_burst_is_allowed_then_429_with_retry_after():
    slow = CONFIG.replace("rate_per_s = 100000.0", "rate_per_s = 0.05").replace("burst = 100000", "burst = 3")
    live = build_live(parse_live_config(slow, "slow"))
    with TestClient(create_app(live)) as c:
        codes = [c.get("/v1/accounts/ACCT-1001/positions", headers=AUTH_1).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = c.get("/v1/accounts/ACCT-1001/positions", headers=AUTH_1)
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 20
        assert_names_the_problem(r)
        # Buckets are per token: another advisor is not slowed down.
        assert c.get("/v1/accounts/ACCT-2001/positions", headers=AUTH_2).status_code == 200


# -- logs ---------------------------------------------------------------------------------------

def test_logs_mask_account_and_client_ids_and_never_hold_a_token(client, caplog):
    caplog.set_level(logging.INFO, logger="live")
    assert client.post("/v1/orders", json=body(account_id="ACCT-1002"), headers=AUTH_1).status_code == 201
    assert client.post("/v1/orders", json=body(account_id="ACCT-2001"), headers=AUTH_1).status_code == 403
    assert client.post("/v1/orders", json=body(quantity=-1), headers=AUTH_1).status_code == 422
    assert client.get("/v1/accounts/ACCT-1001/positions", headers={"Authorization": "Bearer wrong-token-xyz"}
                      ).status_code == 401
    logging.getLogger("live").info("client Ada Lovelace CLNT-5001 and account ACCT-1001 spoke")
    text = caplog.text
    assert "order accepted" in text and "order refused" in text
    for secret in ("ACCT-1001", "ACCT-1002", "ACCT-2001", "CLNT-5001", "Ada Lovelace", TOKEN_1, "wrong-token-xyz"):
        assert secret not in text, secret
    assert "account_id=***02" in text and "account_id=***01" in text


# -- fuzzing ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=20,
)
_FIELDS = list(body())


@st.composite
def mutated_bodies(draw):
    b = body(order_type=draw(st.sampled_from(["MARKET", "LIMIT"])), limit_price=draw(st.sampled_from(
        [..., "190.00", "191.37", 190, 190.5])))
    for name in draw(st.lists(st.sampled_from(_FIELDS + ["limit_price"]), max_size=4, unique=True)):
        if draw(st.booleans()):
            b.pop(name, None)
        else:
            b[name] = draw(json_values)
    if draw(st.booleans()):
        b[draw(st.text(max_size=8))] = draw(json_values)
    return b


def _check(response):
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert_names_the_problem(response)
        if response.status_code == 422:
            assert response.json()["errors"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_random_json_never_gives_5xx(client, value):
    _check(client.post("/v1/orders", content=json.dumps(value), headers=JSON_1))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(b=mutated_bodies())
def test_mutated_valid_bodies_never_give_5xx(client, b):
    _check(client.post("/v1/orders", content=json.dumps(b), headers=JSON_1))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_give_5xx(client, raw):
    _check(client.post("/v1/orders", content=raw, headers=JSON_1))


# -- the published contract ---------------------------------------------------------------------

def test_the_committed_openapi_document_is_what_the_app_serves(client):
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"].startswith("3.1")
    committed = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert served.json() == committed, "docs/openapi.json is stale: python -m live.entrypoints.openapi_export"


# -- the real server ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_when_up(config, so, se, err) -> tuple[subprocess.Popen, str, httpx.Response]:
    """Start `twin serve` on a free loopback port and wait for its health check: (server, base URL, health).
    A port found free can be taken by another process before the server binds it (another test's
    outbound connection): then the server exits with "address already in use" and another port is tried."""
    for _attempt in range(3):
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "twin.cli", "serve", "--config", str(config),
                                   "--port", str(port)], stdout=so, stderr=se, cwd=ROOT,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while server.poll() is None:
            try:
                return server, base, httpx.get(f"{base}/healthz", timeout=1)
            except httpx.TransportError:
                if time.monotonic() >= deadline:
                    server.kill()
                    server.wait()
                    raise AssertionError("server did not start")
                time.sleep(0.1)
        if "address already in use" not in err.read_text().lower():  # ours (before the stack) or uvicorn's
            raise AssertionError(err.read_text())
    raise AssertionError("no free loopback port in three tries: " + err.read_text())


def test_twin_serve_answers_on_loopback(tmp_path):
    config = tmp_path / "live.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as so, err.open("wb") as se:
        server, base, health = _serve_when_up(config, so, se, err)
        try:
            assert health.status_code == 200 and health.json()["status"] == "ok"
            r = httpx.post(f"{base}/v1/orders", json=body(), headers=AUTH_1, timeout=5)
            assert r.status_code == 201, r.text
            assert httpx.get(f"{base}/v1/accounts/ACCT-1001/positions", headers=AUTH_1, timeout=5).status_code == 200
            assert httpx.post(f"{base}/v1/orders", json=body(), timeout=5).status_code == 401
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    logs = out.read_text() + err.read_text()
    assert re.search(r'"POST /v1/orders HTTP/1.1" 201', logs), logs
    assert "order accepted" in logs
    for secret in (TOKEN_1, "ACCT-1001"):
        assert secret not in logs, secret


def test_a_port_taken_before_the_server_binds_it_is_replaced(tmp_path, monkeypatch):
    """The free-port race `_serve_when_up` survives: the first port it is given is already listened on."""
    config = tmp_path / "live.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], _free_port()])
        monkeypatch.setattr(sys.modules[__name__], "_free_port", lambda: next(ports))
        out, err = tmp_path / "stdout", tmp_path / "stderr"
        with out.open("wb") as so, err.open("wb") as se:
            server, base, health = _serve_when_up(config, so, se, err)
            try:
                assert health.status_code == 200 and not base.endswith(f":{taken.getsockname()[1]}")
            finally:
                server.terminate()
                server.wait(timeout=10)
    assert "address already in use" in err.read_text().lower()


def test_every_changing_operation_declares_the_read_only_503():
    """A --read-only server answers every POST 503 (its middleware): the OpenAPI document says so on each."""
    committed = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    changing = [(path, method) for path, ops in committed["paths"].items() for method in ops
                if method in ("post", "put", "patch", "delete")]
    assert len(changing) >= 10
    assert [(p, m) for p, m in changing if "503" not in committed["paths"][p][m]["responses"]] == []
