"""Blocks over HTTP: ``POST /v1/blocks`` on the real live stack (in-process venues on the wall clock).

The endpoint submits the twin's ``SubmitBlock``; these tests check what an
advisor sees (member orders, the parent, the allocation), the security rules
shared with ``/v1/orders`` (401, 403 per member account, 422 naming the field,
never a 5xx for a malformed body), idempotency on ``block_ref``, the bus
codec and the published OpenAPI document.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.domain.commands import SubmitBlock, member_client_order_id
from live.adapters.bus_codec import default_codec
from live.entrypoints.openapi_export import DEFAULT_PATH as OPENAPI_PATH
from tests.live_app import wait_for_status
from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens

TOKEN_1 = "test-token-blocks-adv-1-01"
TOKEN_2 = "test-token-blocks-adv-2-02"
AUTH_1 = {"Authorization": f"Bearer {TOKEN_1}"}
JSON_1 = {**AUTH_1, "Content-Type": "application/json"}
AUTH_2 = {"Authorization": f"Bearer {TOKEN_2}"}
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS
          + account("ACCT-1001", "CLNT-5001", "ADV-1") + account("ACCT-1002", "CLNT-5002", "ADV-1")
          + account("ACCT-1003", "CLNT-5003", "ADV-1") + account("ACCT-2001", "CLNT-6001", "ADV-2")
          + tokens(ADV_1=TOKEN_1, ADV_2=TOKEN_2))
_ref = iter(range(1, 10**9))


def block(**overrides):
    """A valid MARKET buy block of 300 + 200 AAPL for ADV-1's accounts, with a fresh block_ref."""
    b = {"block_ref": f"BLK-{next(_ref)}", "advisor_id": "ADV-1", "symbol": "AAPL", "side": "BUY",
         "policy": "pro_rata", "order_type": "MARKET", "time_in_force": "DAY",
         "members": [{"account_id": "ACCT-1001", "quantity": 300}, {"account_id": "ACCT-1002", "quantity": 200}]}
    b.update(overrides)
    return {k: v for k, v in b.items() if v is not ...}






def problem_of(response, status):
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["error"] and problem["detail"], problem
    return problem


def fields_of(problem):
    return {e["field"] for e in problem.get("errors", [])}


def order_count(live):
    with live.runtime.atomic():
        return len(live.platform.oms.orders)


# -- the block path -----------------------------------------------------------------------------

def test_a_market_block_is_traded_as_one_parent_and_allocated_to_its_members(client, live):
    b = block()
    r = client.post("/v1/blocks", json=b, headers=AUTH_1)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["block_ref"], got["advisor_id"], got["symbol"], got["side"], got["policy"]) == \
        (b["block_ref"], "ADV-1", "AAPL", "BUY", "pro_rata")
    members = got["members"]
    assert [(m["account_id"], m["quantity"]) for m in members] == [("ACCT-1001", 300), ("ACCT-1002", 200)]
    assert [m["client_order_id"] for m in members] == [f"{b['block_ref']}-1", f"{b['block_ref']}-2"]
    assert all(d["outcome"] == "PASS" for m in members for d in m["risk_decisions"])
    parent_id = got["parent_order_id"]
    assert parent_id and parent_id not in {m["order_id"] for m in members}
    with live.runtime.atomic():
        parent = live.platform.oms.get(parent_id)
        assert parent.spec.quantity == 500 and parent.spec.client_order_id == b["block_ref"]

    done = [wait_for_status(client, m["order_id"], {"CONFIRMED"}, AUTH_1) for m in members]
    assert [d["status"] for d in done] == ["CONFIRMED", "CONFIRMED"], done
    assert [d["filled_quantity"] for d in done] == [300, 200]
    assert done[0]["average_price"] == done[1]["average_price"]  # one allocation price for the block


def test_member_client_order_ids_are_the_platforms(live):
    """The API finds members under member_client_order_id: it must be what Platform.submit_block gives."""
    ref = f"PIN-{next(_ref)}"
    with live.runtime.atomic():
        live.runtime.dispatch(SubmitBlock("ADV-1", "AAPL", "SELL", (("ACCT-1002", 10), ("ACCT-1003", 20)),
                                          "rotational", ref, live.clock.now_ns(), "LIMIT", "250.00"))
        found = [live.platform.entry.lookup(a, member_client_order_id(ref, i))
                 for i, a in enumerate(("ACCT-1002", "ACCT-1003"), 1)]
    assert [o.spec.quantity for o in found] == [10, 20]


def test_a_rotational_limit_block_rests_and_names_its_policy(client):
    r = client.post("/v1/blocks", json=block(policy="rotational", order_type="LIMIT", limit_price="150.00",
                                             members=[{"account_id": "ACCT-1003", "quantity": 100}]),
                    headers=AUTH_1)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["policy"] == "rotational" and got["parent_order_id"]
    assert got["members"][0]["limit_price"] == "150.00" and got["members"][0]["time_in_force"] == "DAY"


def test_a_retry_returns_the_original_block_and_a_changed_one_is_a_conflict(client, live):
    b = block(order_type="LIMIT", limit_price="150.00")
    first = client.post("/v1/blocks", json=b, headers=AUTH_1)
    assert first.status_code == 201, first.text
    count = order_count(live)
    again = client.post("/v1/blocks", json=b, headers=AUTH_1)
    assert again.status_code == 200, again.text
    assert again.json()["parent_order_id"] == first.json()["parent_order_id"]
    assert [m["order_id"] for m in again.json()["members"]] == [m["order_id"] for m in first.json()["members"]]
    changed = [dict(b, members=[{"account_id": "ACCT-1001", "quantity": 301}, b["members"][1]]),
               dict(b, members=[*b["members"], {"account_id": "ACCT-1003", "quantity": 5}]),
               dict(b, policy="rotational")]
    for body in changed:
        assert fields_of(problem_of(client.post("/v1/blocks", json=body, headers=AUTH_1), 409)) == {"block_ref"}
    assert order_count(live) == count  # nothing new was created


# -- security ------------------------------------------------------------------------------------

def test_without_a_valid_token_it_is_401(client):
    assert problem_of(client.post("/v1/blocks", json=block()), 401)["error"] == "unauthorized"
    r = client.post("/v1/blocks", json=block(), headers={"Authorization": "Bearer not-a-real-token-000"})
    assert problem_of(r, 401)["error"] == "unauthorized" and r.headers["WWW-Authenticate"].startswith("Bearer error=\"invalid_token\"")


def test_a_member_account_the_advisor_may_not_use_is_403_and_nothing_is_submitted(client, live):
    count = order_count(live)
    members = [{"account_id": "ACCT-1001", "quantity": 100}, {"account_id": "ACCT-2001", "quantity": 100}]
    p = problem_of(client.post("/v1/blocks", json=block(members=members), headers=AUTH_1), 403)
    assert fields_of(p) == {"members[1].account_id"}
    unknown = [{"account_id": "ACCT-9999", "quantity": 100}]
    assert fields_of(problem_of(client.post("/v1/blocks", json=block(members=unknown), headers=AUTH_1),
                                403)) == {"members[0].account_id"}
    theirs = problem_of(client.post("/v1/blocks", json=block(), headers=AUTH_2), 403)  # advisor_id is ADV-1
    assert fields_of(theirs) == {"advisor_id"}
    assert order_count(live) == count


@pytest.mark.parametrize("overrides, field", [
    ({"policy": "fifo"}, "policy"),
    ({"policy": ...}, "policy"),
    ({"symbol": "ZZZZ"}, "symbol"),
    ({"side": "HOLD"}, "side"),
    ({"order_type": "LIMIT"}, "limit_price"),
    ({"limit_price": "190.00"}, "limit_price"),
    ({"time_in_force": "GTC"}, "time_in_force"),
    ({"block_ref": "x" * 60}, "block_ref"),
    ({"block_ref": 7}, "block_ref"),
    ({"members": []}, "members"),
    ({"members": ...}, "members"),
    ({"members": {"account_id": "ACCT-1001"}}, "members"),
    ({"members": [{"account_id": "ACCT-1001", "quantity": 0}]}, "members[0].quantity"),
    ({"members": [{"account_id": "ACCT-1001", "quantity": True}]}, "members[0].quantity"),
    ({"members": [{"account_id": "ACCT-1001"}]}, "members[0].quantity"),
    ({"members": [{"account_id": "ACCT-1001", "quantity": 1}, 3]}, "members[1]"),
    ({"members": [{"account_id": "ACCT-1001", "quantity": 1, "note": "x"}]}, "members[0].note"),
    ({"members": [{"account_id": "ACCT-1001", "quantity": 1}, {"account_id": "ACCT-1001", "quantity": 2}]},
     "members[1].account_id"),
    ({"extra": 1}, "extra"),
])
def test_schema_errors_are_422_naming_the_field_and_submit_nothing(client, live, overrides, field):
    count = order_count(live)
    p = problem_of(client.post("/v1/blocks", json=block(**overrides), headers=AUTH_1), 422)
    assert p["error"] == "invalid_block" and field in fields_of(p), p
    assert order_count(live) == count


def test_a_body_that_is_not_json_is_400(client):
    assert problem_of(client.post("/v1/blocks", content=b"{not json",
                                  headers={**AUTH_1, "Content-Type": "application/json"}), 400)["error"] == \
        "invalid_json"


# -- fuzzing ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=20,
)
_FIELDS = list(block()) + ["limit_price"]


@st.composite
def mutated_blocks(draw):
    b = block(order_type=draw(st.sampled_from(["MARKET", "LIMIT"])),
              limit_price=draw(st.sampled_from([..., "150.00", "151.37", 150, 150.5])))
    for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=4, unique=True)):
        if draw(st.booleans()):
            b.pop(name, None)
        else:
            b[name] = draw(json_values)
    lines = b.get("members")
    if draw(st.booleans()) and isinstance(lines, list) and lines and isinstance(lines[0], dict):
        lines[0] = {**lines[0], draw(st.sampled_from(["account_id", "quantity", "x"])): draw(json_values)}
    if draw(st.booleans()):
        b[draw(st.text(max_size=8))] = draw(json_values)
    return b


def _check(response):
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        problem = response.json()
        assert problem["error"] and problem["detail"], problem
        if response.status_code == 422:
            assert problem["errors"] and all(isinstance(e["field"], str) and e["problem"]
                                              for e in problem["errors"]), problem


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_random_json_never_gives_5xx(client, value):
    _check(client.post("/v1/blocks", content=json.dumps(value), headers=JSON_1))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(b=mutated_blocks())
def test_mutated_valid_blocks_never_give_5xx(client, b):
    _check(client.post("/v1/blocks", content=json.dumps(b), headers=JSON_1))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_give_5xx(client, raw):
    _check(client.post("/v1/blocks", content=raw, headers=JSON_1))


# -- the bus and the published contract ------------------------------------------------------------

def test_submit_block_makes_the_round_trip_through_the_bus_codec():
    codec = default_codec()
    message = SubmitBlock("ADV-1", "AAPL", "BUY", (("ACCT-1001", 300), ("ACCT-1002", 200)), "pro_rata", "BLK-9",
                          1_700_000_000_000_000_000, "LIMIT", "190.25")
    name, data = codec.encode(message)
    assert name == "SubmitBlock" and codec.decode(name, data) == message


def test_the_committed_openapi_document_describes_the_block_endpoint(client):
    served = client.get("/openapi.json").json()
    assert served == json.loads(OPENAPI_PATH.read_text(encoding="utf-8")), \
        "docs/openapi.json is stale: python -m live.entrypoints.openapi_export"
    post = served["paths"]["/v1/blocks"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"block_ref", "advisor_id", "symbol", "side", "policy", "members"}
    assert schema["properties"]["policy"]["enum"] == ["pro_rata", "rotational"]
    assert {"201", "200", "401", "403", "409", "422"} <= set(post["responses"])
