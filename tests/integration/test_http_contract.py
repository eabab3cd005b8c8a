"""What the order API refuses before it reads a body, and that the published schema says so:
415 for a body not declared JSON, 405/OPTIONS listing every method a path serves, the
unauthenticated rate limit per client address, and request rules the OpenAPI states."""

from __future__ import annotations

import re
import warnings

import pytest

from components.config.live import parse_live_config
from components.order_entry import PRICE_PATTERN
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app, is_json_media_type
from tests.live_configs import account, quiet_market, symbols, tokens

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "contract-token-adv-1-0001"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = symbols(AAPL="190.00") + quiet_market() + account("ACCT-1001", "CLNT-5001", "ADV-1") + tokens(ADV_1=TOKEN)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(build_live(parse_live_config(CONFIG, "contract")))) as c:
        yield c


def order(**overrides):
    b = {"account_id": "ACCT-1001", "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
         "limit_price": "190.25", "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "K-1"}
    b.update(overrides)
    return b


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "json"])
def test_a_body_not_declared_json_is_415_naming_the_header(client, content_type):
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    r = client.post("/v1/orders", content=b'{"quantity": 1}', headers=headers)
    assert r.status_code == 415, r.text
    problem = r.json()
    assert problem["error"] == "unsupported_media_type" and problem["errors"][0]["field"] == "Content-Type"
    assert client.post("/v1/blocks", content=b"{}", headers={**AUTH, "Content-Type": "text/plain"}).status_code == 415


def test_json_media_types_with_parameters_are_json():
    assert is_json_media_type("application/json; charset=utf-8") and is_json_media_type("application/problem+json")
    assert not is_json_media_type("text/json") and not is_json_media_type(None)


@pytest.mark.parametrize("path, methods", [
    ("/v1/trading-state", "GET, OPTIONS, POST"),
    ("/v1/orders", "OPTIONS, POST"),
    ("/v1/orders/ORD-1", "GET, OPTIONS"),
    ("/v1/orders/ORD-1/cancel", "OPTIONS, POST"),
])
def test_options_and_405_list_every_method_the_path_serves(client, path, methods):
    r = client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == methods and not r.content
    r = client.delete(path, headers=AUTH)
    assert r.status_code == 405 and r.headers["allow"] == methods
    assert r.json()["error"] == "method_not_allowed"


def test_options_on_an_unknown_path_is_404(client):
    assert client.options("/v1/nothing-here").status_code == 404


def test_requests_without_a_valid_token_are_rate_limited_per_client_address():
    slow = CONFIG + "\n[rate_limit]\nunauthenticated_rate_per_s = 0.01\nunauthenticated_burst = 3\n"
    slow = slow.replace("[rate_limit]\nrate_per_s = 100000.0\nburst = 100000\n"
                        "unauthenticated_rate_per_s = 100000.0\nunauthenticated_burst = 100000\n", "")
    app = create_app(build_live(parse_live_config(slow, "slow")))
    other = TestClient(app, client=("10.0.0.2", 5000))  # no lifespan of its own: the first client's runs it
    with TestClient(app) as c:
        bad = {"Authorization": "Bearer guessing-tokens-0000001"}
        codes = [c.get("/v1/trading-state", headers=bad).status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        r = c.get("/v1/trading-state", headers=bad)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["error"] == "rate_limited" and r.json()["errors"][0]["field"] == "Authorization"
        assert c.get("/v1/trading-state").status_code == 429  # no token at all: the same address's bucket
        assert other.get("/v1/trading-state", headers=bad).status_code == 401  # another address is not slowed
        assert c.get("/v1/trading-state", headers=AUTH).status_code == 200  # a valid token has its own bucket


@pytest.mark.parametrize("price", ["1e2", "1E2", "100.0e0", 100, 190.25, "+190.25", "190.001", "0", "1000000"])
def test_a_price_the_schema_refuses_is_422_naming_limit_price(client, price):
    r = client.post("/v1/orders", json=order(limit_price=price), headers=AUTH)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["limit_price"]
    assert not (isinstance(price, str) and re.fullmatch(PRICE_PATTERN, price))


def test_a_market_block_with_a_price_is_422_as_the_schema_says(client):
    block = {"block_ref": "B-1", "advisor_id": "ADV-1", "symbol": "AAPL", "side": "BUY", "policy": "pro_rata",
             "limit_price": "190.25", "members": [{"account_id": "ACCT-1001", "quantity": 10}]}
    r = client.post("/v1/blocks", json=block, headers=AUTH)
    assert r.status_code == 422 and "limit_price" in [e["field"] for e in r.json()["errors"]]
    schema = client.get("/openapi.json").json()["paths"]["/v1/blocks"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    rule = schema["allOf"][0]
    assert rule["if"]["required"] == ["order_type"] and rule["else"]["properties"]["limit_price"]["type"] == "null"


def test_the_published_order_schema_states_the_server_rules(client):
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    props = body["properties"]
    assert props["limit_price"]["pattern"] == PRICE_PATTERN and body["additionalProperties"] is False
    assert props["side"]["enum"] == ["BUY", "SELL"] and props["time_in_force"]["enum"] == ["DAY", "IOC"]
    assert props["quantity"]["minimum"] == 1 and props["account_id"]["pattern"].startswith("^")
    assert body["allOf"][0]["then"]["required"] == ["limit_price"]
    for status in ("401", "403", "415", "422", "429"):
        assert status in doc["paths"]["/v1/orders"]["post"]["responses"], status
