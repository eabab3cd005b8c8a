"""``GET /metrics`` shows the live tracer's saturation: traces dropped (a counter) and waiting (a gauge)."""

from __future__ import annotations

import warnings

import pytest
from prometheus_client.parser import text_string_to_metric_families

from components.config.live import parse_live_config
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app
from tests.live_configs import account, quiet_market, symbols, tokens

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "trace-metrics-token-00001"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = symbols(AAPL="190.00") + quiet_market() + account("ACCT-7101", "CLNT-7101", "ADV-1") + tokens(ADV_1=TOKEN)


def samples(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {s.name: s.value for f in text_string_to_metric_families(response.text) for s in f.samples
            if s.name.startswith("bdt_traces_")}


def blocked_order(coid: str) -> dict:
    """$11.4M against the account's $5M limit: BLOCKED at once, so final (and its trace handed over) at once."""
    return {"account_id": "ACCT-7101", "symbol": "AAPL", "side": "BUY", "quantity": 60_000, "order_type": "MARKET",
            "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": coid}


@pytest.fixture
def traced_client(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_TRACES_FILE", str(tmp_path / "traces.jsonl"))
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    app = create_app(build_live(parse_live_config(CONFIG, "test")))
    with TestClient(app) as client:
        assert app.state.tracer is not None
        yield client, app.state.tracer


def test_dropped_traces_are_counted_once_each_and_the_queue_is_a_gauge(traced_client, monkeypatch):
    client, tracer = traced_client
    assert samples(client) == {"bdt_traces_dropped_total": 0.0, "bdt_traces_pending": 0.0}
    monkeypatch.setattr("live.observability.tracing.MAX_PENDING", 0)  # a builder that can never keep up
    for k in range(3):
        assert client.post("/v1/orders", json=blocked_order(f"TD-{k}"), headers=AUTH).status_code == 201
    assert tracer.dropped == 3
    assert samples(client)["bdt_traces_dropped_total"] == 3.0
    assert samples(client)["bdt_traces_dropped_total"] == 3.0  # a second scrape counts nothing again
    monkeypatch.setattr("live.observability.tracing.MAX_PENDING", 10_000)
    assert client.post("/v1/orders", json=blocked_order("TD-ok"), headers=AUTH).status_code == 201
    after = samples(client)
    assert after["bdt_traces_dropped_total"] == 3.0 and after["bdt_traces_pending"] in (0.0, 1.0)
    assert tracer.flush() and samples(client)["bdt_traces_pending"] == 0.0


def test_without_tracing_the_series_stay_at_zero(monkeypatch):
    monkeypatch.delenv("TWIN_TRACES_FILE", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    app = create_app(build_live(parse_live_config(CONFIG, "test")))
    with TestClient(app) as client:
        assert app.state.tracer is None
        assert client.post("/v1/orders", json=blocked_order("TN-1"), headers=AUTH).status_code == 201
        assert samples(client) == {"bdt_traces_dropped_total": 0.0, "bdt_traces_pending": 0.0}
