"""Surveillance cases over HTTP: analysts list them and record dispositions; other roles get 403;
a disposition without a decision or a reason is refused and the case stays open; a recorded one is a
``CaseDisposed`` event in the live log that a restart on the same folder applies again."""

from __future__ import annotations

import warnings

import pytest

from components.domain.events import EventType
from components.surveillance import Alert, Pattern
from live.bootstrap import build_live
from components.config.live import parse_live_config
from live.entrypoints.http_api import create_app
from tests.live_configs import IN_PROCESS, account, one_venue_market, quiet_market, symbols, tokens

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


# -- dispositions are records in the live event log: a restart rebuilds them ------------------------------
DURABLE = (one_venue_market() + tokens(ADV_1=ADVISOR) + f'\n[[tokens]]\nadvisor_id = "ana"\nrole = "analyst"\n'
           f'token = "{ANALYST}"\n' + "\n[session]\nenabled = false\n")


def serve(run_dir, plant: bool = True):
    """A live app on ``run_dir`` (its SQLite log and anchors) and its HTTP app. The planted alert stands in for
    the detectors, which raise the same alerts from the same log on every start (their tests cover that)."""
    live = build_live(parse_live_config(f'run_dir = "{run_dir}"\n' + DURABLE, "test"))
    app = create_app(live)
    if plant:
        plant_case(app)
    return live, app


def test_a_disposition_is_an_event_in_the_log_and_survives_a_restart(tmp_path, capsys):
    from twin.cli import main  # the CLI a compliance officer runs on the folder

    live, app = serve(tmp_path)
    try:
        with TestClient(app) as c:
            r = c.post("/v1/surveillance/cases/CASE-000001/disposition",
                       json={"disposition": "file", "reason": "  layering ahead of fills, SAR filed "},
                       headers=AS_ANALYST)
            assert r.status_code == 200, r.text
            assert r.json()["reason"] == "layering ahead of fills, SAR filed" and r.json()["status_after"] == "closed"
        stored = [e for e in live.log.read(0) if e.event_type is EventType.CASE_DISPOSED]
        assert len(stored) == 1 and stored[0].order_id == "" and stored[0].actor == "analyst:ana"
        assert stored[0].details["case_id"] == "CASE-000001" and stored[0].details["disposition"] == "file"
    finally:
        live.close()
    live, app = serve(tmp_path)  # a restart on the same folder: the case book is rebuilt from the log
    try:
        with TestClient(app) as c:
            listed = c.get("/v1/surveillance/cases", headers=AS_ANALYST).json()
        (case,) = listed["cases"]
        assert case["case_id"] == "CASE-000001" and case["status"] == "closed"
        (disposed,) = case["dispositions"]
        assert (disposed["analyst"], disposed["reason"], disposed["disposition"]) == (
            "ana", "layering ahead of fills, SAR filed", "file")
        assert listed["funnel"] == {"open": 0, "escalated": 0, "closed": 1} and listed["unmatched_dispositions"] == []
    finally:
        live.close()
    capsys.readouterr()
    assert main(["replay-log", str(tmp_path)]) == 0, capsys.readouterr()  # chain, anchors and a full replay


def test_a_stored_disposition_for_an_unknown_case_is_kept_and_reported_not_applied(tmp_path):
    live, app = serve(tmp_path)
    try:
        with TestClient(app) as c:
            assert c.post("/v1/surveillance/cases/CASE-000001/disposition",
                          json={"disposition": "escalate", "reason": "needs the desk head"},
                          headers=AS_ANALYST).status_code == 200
    finally:
        live.close()
    live, app = serve(tmp_path, plant=False)  # the rebuilt book has no such case
    try:
        with TestClient(app) as c:
            listed = c.get("/v1/surveillance/cases", headers=AS_ANALYST)
        assert listed.status_code == 200 and listed.json()["cases"] == []
        (kept,) = listed.json()["unmatched_dispositions"]
        assert kept["problem"] == "no case CASE-000001" and kept["details"]["reason"] == "needs the desk head"
    finally:
        live.close()
