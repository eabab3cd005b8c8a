"""Surveillance cases over HTTP: analysts list them and record dispositions; other roles get 403;
a disposition without a decision or a reason is refused and the case stays open."""

from __future__ import annotations

import warnings

import pytest

from components.surveillance import Alert, Pattern
from live.bootstrap import build_live
from components.config.live import parse_live_config
from live.entrypoints.http_api import create_app
from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens

with warnings.catch_warnings():  # starlette nags about httpx; it is the client we have
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADVISOR = "test-token-surv-adv-000001"
ANALYST = "test-token-surv-ana-000001"
AS_ADVISOR = {"Authorization": f"Bearer {ADVISOR}"}
AS_ANALYST = {"Authorization": f"Bearer {ANALYST}"}
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS + account("ACCT-1", "CLNT-1", "ADV-1")
          + tokens(ADV_1=ADVISOR)
          + f'\n[[tokens]]\nadvisor_id = "ana"\nrole = "analyst"\ntoken = "{ANALYST}"\n'
          + "\n[session]\nenabled = false\n")


@pytest.fixture(scope="module")
def live():
    app = build_live(parse_live_config(CONFIG, "test"))
    yield app
    app.close()


@pytest.fixture(scope="module")
def app(live):
    return create_app(live)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


def plant_case(app) -> str:
    """An alert filed into the desk's case book (the detectors' own tests cover raising one from events)."""
    case = app.state.surveillance_desk.cases.add(Alert(Pattern.SPOOFING, "spoofing_layering", "1.0", "client:CLNT-1",
                                                       ("ACCT-1",), "AAPL", 1, 4.0, ("O1",), ("E1",), ()))
    return case.case_id


def test_non_analyst_tokens_are_refused(client):
    assert client.get("/v1/surveillance/cases", headers=AS_ADVISOR).status_code == 403
    assert client.post("/v1/surveillance/cases/CASE-000001/disposition", json={"disposition": "file", "reason": "x"},
                       headers=AS_ADVISOR).status_code == 403
    assert client.get("/v1/surveillance/cases").status_code == 401


def test_an_analyst_lists_cases_and_closes_one_only_with_a_disposition(client, app):
    case_id = plant_case(app)
    listed = client.get("/v1/surveillance/cases", headers=AS_ANALYST)
    assert listed.status_code == 200 and listed.json()["funnel"]["open"] == 1
    url = f"/v1/surveillance/cases/{case_id}/disposition"
    for body in ({}, {"disposition": "file"}, {"disposition": "dismiss", "reason": "x"}, {"reason": "looked"}):
        r = client.post(url, json=body, headers=AS_ANALYST)
        assert r.status_code == 422, body
    assert client.get("/v1/surveillance/cases", headers=AS_ANALYST).json()["funnel"] == {
        "open": 1, "escalated": 0, "closed": 0}
    assert client.post("/v1/surveillance/cases/CASE-9/disposition", json={"disposition": "file", "reason": "x"},
                       headers=AS_ANALYST).status_code == 404
    r = client.post(url, json={"disposition": "false_positive", "reason": "market maker hedging"}, headers=AS_ANALYST)
    assert r.status_code == 200
    assert r.json()["analyst"] == "ana" and r.json()["status_after"] == "closed" and r.json()["event_type"] == "CaseDisposed"
    assert client.get("/v1/surveillance/cases", headers=AS_ANALYST).json()["funnel"]["closed"] == 1


def test_the_desk_reads_the_live_event_log_from_its_offset(client, app, live):
    order = {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
             "limit_price": "189.00", "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "SV-1"}
    assert client.post("/v1/orders", json=order, headers=AS_ADVISOR).status_code == 201
    assert client.get("/v1/surveillance/cases", headers=AS_ANALYST).status_code == 200
    desk = app.state.surveillance_desk
    assert desk.engine.events == len(live.log) > 0  # every event so far, once
    assert client.get("/v1/surveillance/cases", headers=AS_ANALYST).status_code == 200
    assert desk.engine.events == len(live.log)
