"""The live stack's OpenTelemetry traces reach an OTLP/HTTP receiver.

A tiny OTLP/HTTP receiver (``http.server`` on loopback, in a thread of the test)
decodes what the SDK's OTLP/HTTP exporter posts to ``/v1/traces`` with
opentelemetry-proto's ``ExportTraceServiceRequest``; the live order API, told the
endpoint by ``OTEL_EXPORTER_OTLP_ENDPOINT``, gets one order that fills.
"""

from __future__ import annotations

import gzip
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest, ExportTraceServiceResponse)

from components.config.live import parse_live_config
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app
from tests.live_configs import account, quiet_market, symbols, tokens

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "otlp-test-token-000001"
CONFIG = (symbols(AAPL="190.00") + quiet_market()
          + account("ACCT-9101", "CLNT-9101", "ADV-1", extra='client_name = "Alan Turing"') + tokens(ADV_1=TOKEN))
ORDER = {"account_id": "ACCT-9101", "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "MARKET",
         "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "OT-1"}


class _Receiver(BaseHTTPRequestHandler):
    requests: list[tuple[str, ExportTraceServiceRequest]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.requests.append((self.path, ExportTraceServiceRequest.FromString(body)))
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_args) -> None:
        pass


def _spans(requests):
    return [(resource, span) for _path, req in requests for rs in req.resource_spans
            for resource in [{a.key: a.value.string_value for a in rs.resource.attributes}]
            for ss in rs.scope_spans for span in ss.spans]


def test_one_order_s_spans_reach_an_otlp_http_receiver(monkeypatch):
    _Receiver.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
        monkeypatch.delenv("TWIN_TRACES_FILE", raising=False)
        live = build_live(parse_live_config(CONFIG, "test"))
        app = create_app(live)
        with TestClient(app) as client:
            assert app.state.tracer is not None
            reply = client.post("/v1/orders", json=ORDER, headers={"Authorization": f"Bearer {TOKEN}"})
            assert reply.status_code == 201
            order_id = reply.json()["order_id"]
            deadline = time.monotonic() + 5
            while live.platform.oms.orders[order_id].filled_qty < 10 and time.monotonic() < deadline:
                time.sleep(0.02)
            trace_id = live.platform.oms.orders[order_id].trace_id
        # leaving the app shut the tracer down: the open (filled, not yet settled) order was exported
    finally:
        server.shutdown()
        server.server_close()
    assert _Receiver.requests and {p for p, _r in _Receiver.requests} == {"/v1/traces"}
    spans = _spans(_Receiver.requests)
    resource, _ = spans[0]
    assert resource["service.name"] == "broker-dealer-platform" and resource["runtime"] == "live"
    mine = [s for _r, s in spans if s.trace_id.hex() == trace_id.removeprefix("TRC-")]
    assert mine, f"no span carries the event contract's trace_id {trace_id}"
    by_name = {s.name: s for s in mine}
    root = by_name[f"order {order_id}"]
    assert root.parent_span_id == b""
    assert {s.parent_span_id for s in mine if s is not root} <= {s.span_id for s in mine}
    assert {"gateway SubmitOrder", "oms ValidateOrder", "risk CheckRisk", "router RouteOrder",
            "oms ExecutionReport", "order_entry.receive", "oms.validate", "risk.check", "router.route"} <= set(by_name)
    risk = by_name["risk.check"]
    decisions = [{a.key: a.value for a in e.attributes} for e in risk.events]
    assert decisions and all(d["policy.verdict"].string_value == "PASS" for d in decisions)
    assert all({"policy.code", "policy.version", "policy.params"} <= set(d) for d in decisions)
    venues = [s for s in mine if s.name.startswith("venue ")]
    assert venues and all(s.kind == s.SPAN_KIND_CLIENT for s in venues)
    assert all(s.start_time_unix_nano <= s.end_time_unix_nano for s in mine)
    sent = b"".join(req.SerializeToString() for _p, req in _Receiver.requests)
    for secret in ("ACCT-9101", "CLNT-9101", "Alan Turing", TOKEN):  # traces name orders, never their owners
        assert secret.encode() not in sent, secret
