"""The kill switch over HTTP: operators flip it (``POST /v1/trading-state``), anyone with
a token reads it, advisors' orders meanwhile are blocked by the ``trading_state`` policy,
and every flip is a recorded platform event naming the operator and the reason."""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.domain.events import EventType
from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens

ADVISOR = "test-token-kill-adv-000001"
OPERATOR = "test-token-kill-ops-000001"
AS_ADVISOR = {"Authorization": f"Bearer {ADVISOR}"}
AS_OPERATOR = {"Authorization": f"Bearer {OPERATOR}"}
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS + account("ACCT-1", "CLNT-1", "ADV-1")
          + tokens(ADV_1=ADVISOR)
          + f'\n[[tokens]]\nadvisor_id = "sre-on-call"\nrole = "operator"\ntoken = "{OPERATOR}"\n'
          + "\n[session]\nenabled = false\n")
_coid = iter(range(1, 10**9))


def order() -> dict:
    return {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
            "limit_price": "189.00", "time_in_force": "DAY", "advisor_id": "ADV-1",
            "client_order_id": f"K-{next(_coid)}"}




def flip(client, state: str, reason: str = "drill"):
    return client.post("/v1/trading-state", json={"state": state, "reason": reason}, headers=AS_OPERATOR)


def test_an_operator_halts_trading_and_orders_are_blocked_until_it_is_active_again(client, live):
    assert client.get("/v1/trading-state", headers=AS_ADVISOR).json() == {"state": "ACTIVE"}
    r = flip(client, "HALTED", "market-wide circuit breaker")
    assert r.status_code == 200 and r.json() == {"state": "HALTED", "previous": "ACTIVE", "changed": True}
    assert flip(client, "HALTED").json()["changed"] is False  # a repeat changes (and records) nothing

    blocked = client.post("/v1/orders", json=order(), headers=AS_ADVISOR).json()
    assert blocked["status"] == "BLOCKED"
    assert [d["policy"] for d in blocked["risk_decisions"] if d["outcome"] == "FAIL"] == ["trading_state"]

    assert flip(client, "ACTIVE", "all clear").json() == {"state": "ACTIVE", "previous": "HALTED", "changed": True}
    assert client.post("/v1/orders", json=order(), headers=AS_ADVISOR).json()["status"] != "BLOCKED"

    with live.runtime.atomic():
        flips = [e for e in live.log.read() if e.event_type is EventType.TRADING_STATE_CHANGED]
    assert [(e.actor, e.details["state"], e.details["reason"]) for e in flips] == [
        ("operator:sre-on-call", "HALTED", "market-wide circuit breaker"),
        ("operator:sre-on-call", "ACTIVE", "all clear")]


def test_only_operators_flip_it_and_operators_do_not_trade(client):
    assert client.post("/v1/trading-state", json={"state": "HALTED"}, headers=AS_ADVISOR).status_code == 403
    assert client.post("/v1/trading-state", json={"state": "HALTED"}).status_code == 401
    assert client.get("/v1/trading-state").status_code == 401
    r = client.post("/v1/orders", json=order(), headers=AS_OPERATOR)
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "Authorization"
    assert client.get("/v1/trading-state", headers=AS_OPERATOR).json() == {"state": "ACTIVE"}


@pytest.mark.parametrize("body, field", [({"state": "PAUSED"}, "state"), ({}, "state"), ({"state": 3}, "state"),
                                         ({"state": "HALTED", "reason": 7}, "reason"),
                                         ({"state": "HALTED", "why": "x"}, "why")])
def test_a_bad_request_is_422_naming_the_field_and_changes_nothing(client, body, field):
    r = client.post("/v1/trading-state", json=body, headers=AS_OPERATOR)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}
    assert client.get("/v1/trading-state", headers=AS_OPERATOR).json() == {"state": "ACTIVE"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3),
                         max_leaves=8))
def test_no_body_makes_a_5xx(client, body):
    r = client.post("/v1/trading-state", json=body, headers=AS_OPERATOR)
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        flip(client, "ACTIVE")  # a valid random body: put the switch back for the other tests
    else:
        assert r.json()["errors"], r.text
