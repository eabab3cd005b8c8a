"""AML over HTTP in live mode: transfers screened with a hard sanctions block and consumed by the monitor,
alerts clustered into cases, analysts' dispositions and SAR requests, the BSA officer's explicit sign-off
(only a ``bsa_officer`` token may make it), a SAR refused without an approving sign-off, and every decision
an event in the live log that a restart on the same folder replays into the same case book."""

from __future__ import annotations

import warnings

import pytest

from components.config.live import parse_live_config
from components.domain.events import EventType
from components.reference.sanctions import sdn_individual_names
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app
from tests.live_configs import IN_PROCESS, account, one_venue_market, quiet_market, symbols, tokens

with warnings.catch_warnings():  # starlette nags about httpx; it is the client we have
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADVISOR = "test-token-aml-adv-0000001"
ANALYST = "test-token-aml-ana-0000001"
OFFICER = "test-token-aml-bsa-0000001"
AS_ADVISOR = {"Authorization": f"Bearer {ADVISOR}"}
AS_ANALYST = {"Authorization": f"Bearer {ANALYST}"}
AS_OFFICER = {"Authorization": f"Bearer {OFFICER}"}
STAFF = (f'\n[[tokens]]\nadvisor_id = "ana"\nrole = "analyst"\ntoken = "{ANALYST}"\n'
         f'\n[[tokens]]\nadvisor_id = "bob"\nrole = "bsa_officer"\ntoken = "{OFFICER}"\n'
         "\n[session]\nenabled = false\n")
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS
          + account("ACCT-1", "CLNT-1", "ADV-1", extra='client_name = "Alice Example"')
          + account("ACCT-2", "CLNT-2", "ADV-1", extra='client_name = "Bruno Sample"')
          + account("ACCT-3", "CLNT-3", "ADV-2", extra='client_name = "Carla Other"')
          + tokens(ADV_1=ADVISOR, ADV_2="test-token-aml-adv-0000002") + STAFF)
STRUCTURING = ("9500.00", "9400.00")
"""Two cash deposits just under the $10,000 reporting threshold: the structuring rule fires."""


def deposit(client, account_id: str, amount: str) -> dict:
    r = client.post("/v1/aml/transfers", json={"kind": "DEPOSIT", "account_id": account_id, "counterparty": "BR-07",
                                               "amount": amount, "device_id": "DEV-1", "country": "US"},
                    headers=AS_ADVISOR)
    assert r.status_code == 201, r.text
    return r.json()


def structured_case(client, account_id: str) -> tuple[str, str]:
    """Deposits that structure into ``account_id``, then a monitoring run: (its alert id, its case id)."""
    for amount in STRUCTURING:
        assert deposit(client, account_id, amount)["status"] == "EXECUTED"
    run = client.post("/v1/aml/monitoring/run", headers=AS_ANALYST)
    assert run.status_code == 200, run.text
    (alert,) = [a for a in run.json()["alerts"] if a["account"] == account_id]
    assert "rule:structuring" in alert["detectors"] and alert["score"] >= alert["threshold"]
    assert alert["model_version"] == "none" and set(alert["contributions"]) == {"rule", "graph", "anomaly"}
    return alert["alert_id"], alert["case_id"]


def stored(live, kind: EventType) -> list:
    return [e for e in live.log.read(0) if e.event_type is kind]


# -- roles --------------------------------------------------------------------------------------------------
def test_only_the_bsa_officer_may_sign_off_and_each_route_refuses_other_roles(client):
    body = {"decision": "approve", "reason": "reviewed"}
    for headers in (AS_ADVISOR, AS_ANALYST):
        r = client.post("/v1/aml/cases/AMLC-000001/sign-off", json=body, headers=headers)
        assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
    assert client.post("/v1/aml/cases/AMLC-000001/sign-off", json=body).status_code == 401
    assert client.post("/v1/aml/cases/AMLC-000001/sign-off", json=body, headers=AS_OFFICER).status_code == 404
    assert client.get("/v1/aml/cases", headers=AS_ADVISOR).status_code == 403
    assert client.post("/v1/aml/monitoring/run", headers=AS_OFFICER).status_code == 403
    assert client.post("/v1/aml/alerts/A000001/disposition", json={"disposition": "suspicious", "reason": "x"},
                       headers=AS_OFFICER).status_code == 403
    assert client.post("/v1/aml/cases/AMLC-000001/sar-request", headers=AS_OFFICER).status_code == 403
    transfer = {"kind": "EXTERNAL", "account_id": "ACCT-1", "counterparty": "EXT-1", "amount": "10.00"}
    assert client.post("/v1/aml/transfers", json=transfer, headers=AS_ANALYST).status_code == 403
    other = client.post("/v1/aml/transfers", json={**transfer, "account_id": "ACCT-3"}, headers=AS_ADVISOR)
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "account_id"


# -- transfers -----------------------------------------------------------------------------------------------
def test_a_sanctioned_beneficiary_is_a_hard_block_recorded_in_the_log_and_never_monitored(client, live, app):
    listed = sdn_individual_names(1)[0]
    before = client.get("/v1/aml/monitoring", headers=AS_ANALYST).json()["transfers_monitored"]
    r = client.post("/v1/aml/transfers", json={"kind": "EXTERNAL", "account_id": "ACCT-2", "counterparty": "EXT-9",
                                               "amount": "2500.00", "beneficiary_name": listed.upper()},
                    headers=AS_ADVISOR)
    assert r.status_code == 201, r.text
    decision = r.json()
    assert decision["status"] == "BLOCKED" and decision["executed"] is False and decision["screen_role"] == "outside_party"
    assert decision["matched_ent_num"] and listed.upper() in decision["reason"]
    assert client.get("/v1/aml/monitoring", headers=AS_ANALYST).json()["transfers_monitored"] == before
    assert decision["transfer_id"] not in app.state.aml_desk().executed
    (event,) = [e for e in stored(live, EventType.TRANSFER_DECIDED) if e.details["transfer_id"] == decision["transfer_id"]]
    assert event.actor == "advisor:ADV-1" and event.order_id == "" and event.details["status"] == "BLOCKED"
    clear = client.post("/v1/aml/transfers", json={"kind": "EXTERNAL", "account_id": "ACCT-2", "counterparty": "EXT-8",
                                                   "amount": "2500.00", "beneficiary_name": "Jane Roe"},
                        headers=AS_ADVISOR).json()
    assert clear["status"] == "EXECUTED" and clear["executed"] is True
    assert clear["transfer_id"] in app.state.aml_desk().executed


KEYED = {"kind": "EXTERNAL", "account_id": "ACCT-1", "counterparty": "EXT-5", "amount": "1200.00",
         "beneficiary_name": "Jane Roe", "client_transfer_id": "TRQ-retry-1"}
"""A transfer with an idempotency key."""


def test_a_retry_with_the_same_client_transfer_id_gets_the_first_decision_and_another_body_a_409(client, live):
    first = client.post("/v1/aml/transfers", json=KEYED, headers=AS_ADVISOR)
    assert first.status_code == 201 and first.json()["client_transfer_id"] == "TRQ-retry-1", first.text
    logged = len(stored(live, EventType.TRANSFER_DECIDED))
    retry = client.post("/v1/aml/transfers", json=dict(reversed(KEYED.items())), headers=AS_ADVISOR)
    assert retry.status_code == 200 and retry.json() == first.json()  # as POST /v1/orders answers a retry
    other = client.post("/v1/aml/transfers", json={**KEYED, "amount": "1200.01"}, headers=AS_ADVISOR)
    assert other.status_code == 409 and other.json()["error"] == "conflict", other.text
    assert [e["field"] for e in other.json()["errors"]] == ["client_transfer_id"]
    assert "TRQ-retry-1" in other.json()["detail"]
    bad = client.post("/v1/aml/transfers", json={**KEYED, "client_transfer_id": "no spaces"}, headers=AS_ADVISOR)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "client_transfer_id"
    assert len(stored(live, EventType.TRANSFER_DECIDED)) == logged  # no second decision, nor one for the 409
    keyed = [e for e in stored(live, EventType.TRANSFER_DECIDED) if e.details["client_transfer_id"] == "TRQ-retry-1"]
    assert [e.details["transfer_id"] for e in keyed] == [first.json()["transfer_id"]]


@pytest.mark.parametrize("body, field", [
    ({"kind": "WIRE", "account_id": "ACCT-1", "counterparty": "X-1", "amount": "1.00"}, "kind"),
    ({"kind": "DEPOSIT", "account_id": "ACCT-1", "counterparty": "X-1", "amount": 9500}, "amount"),
    ({"kind": "DEPOSIT", "account_id": "ACCT-1", "counterparty": "X-1", "amount": "1.001"}, "amount"),
    ({"kind": "INTERNAL", "account_id": "ACCT-1", "counterparty": "ACCT-1", "amount": "1.00"}, "counterparty"),
    ({"kind": "DEPOSIT", "account_id": "ACCT-1", "amount": "1.00"}, "counterparty"),
    ({"kind": "DEPOSIT", "account_id": "ACCT-1", "counterparty": "X-1", "amount": "1.00", "country": "usa"}, "country"),
    ({"kind": "DEPOSIT", "account_id": "ACCT-1", "counterparty": "X-1", "amount": "1.00", "memo": "hi"}, "memo"),
])
def test_an_invalid_transfer_is_refused_naming_the_field(client, body, field):
    r = client.post("/v1/aml/transfers", json=body, headers=AS_ADVISOR)
    assert r.status_code == 422 and r.json()["error"] == "invalid_transfer", r.text
    assert field in [e["field"] for e in r.json()["errors"]]


# -- cases and the SAR workflow ------------------------------------------------------------------------------
def test_a_declined_sign_off_blocks_filing_and_an_alert_needs_a_disposition(client, live):
    alert_id, case_id = structured_case(client, "ACCT-2")
    case = client.get(f"/v1/aml/cases/{case_id}", headers=AS_OFFICER).json()
    assert case["status"] == "open" and alert_id in case["open_alerts"] and "ACCT-2" in case["accounts"]
    assert "rule:structuring" in case["narrative"] or "structuring" in case["narrative"]
    url = f"/v1/aml/alerts/{alert_id}/disposition"
    for body in ({}, {"reason": "looked"}, {"disposition": "dismiss", "reason": "x"}, {"disposition": "suspicious"},
                 {"disposition": "suspicious", "reason": "   "}):
        r = client.post(url, json=body, headers=AS_ANALYST)
        assert r.status_code == 422 and r.json()["error"] == "disposition_required", body
    assert client.get(f"/v1/aml/cases/{case_id}", headers=AS_ANALYST).json()["open_alerts"] == [alert_id]
    assert client.post(f"/v1/aml/cases/{case_id}/sar-request", headers=AS_ANALYST).status_code == 409  # none suspicious
    assert client.post(url, json={"disposition": "suspicious", "reason": "cash split under $10k"},
                       headers=AS_ANALYST).status_code == 200
    assert client.post(url, json={"disposition": "suspicious", "reason": "again"}, headers=AS_ANALYST).status_code == 409
    assert client.post(f"/v1/aml/cases/{case_id}/sar-request", headers=AS_ANALYST).status_code == 200
    r = client.post(f"/v1/aml/cases/{case_id}/sign-off", json={"decision": "decline", "reason": "explained by payroll"},
                    headers=AS_OFFICER)
    assert r.status_code == 200 and r.json()["approved"] is False and r.json()["officer"] == "bob"
    r = client.post(f"/v1/aml/cases/{case_id}/sar", headers=AS_OFFICER)
    assert r.status_code == 409 and r.json()["error"] == "signoff_required", r.text
    assert client.get(f"/v1/aml/cases/{case_id}", headers=AS_ANALYST).json()["status"] == "sar_declined"
    assert not [e for e in stored(live, EventType.SAR_FILED) if e.details["case_id"] == case_id]


# -- every decision is in the log; a restart rebuilds the case book ------------------------------------------
DURABLE = (one_venue_market() + account("ACCT-2", "CL-2", "ADV-1", extra='client_name = "Bruno Sample"')
           + tokens(ADV_1=ADVISOR) + STAFF)


def serve(run_dir):
    live = build_live(parse_live_config(f'run_dir = "{run_dir}"\n' + DURABLE, "test"))
    return live, create_app(live)


def test_filing_needs_an_approving_sign_off_and_a_restart_recovers_the_case_book_from_the_log(tmp_path, capsys):
    from twin.cli import main  # the CLI a compliance officer runs on the folder

    live, app = serve(tmp_path)
    try:
        with TestClient(app) as c:
            alert_id, case_id = structured_case(c, "ACCT-1")
            assert c.post(f"/v1/aml/alerts/{alert_id}/disposition", json={"disposition": "suspicious",
                          "reason": "two deposits under the CTR threshold"}, headers=AS_ANALYST).status_code == 200
            assert c.post(f"/v1/aml/cases/{case_id}/sar-request", headers=AS_ANALYST).status_code == 200
            refused = c.post(f"/v1/aml/cases/{case_id}/sar", headers=AS_ANALYST)  # requested, not signed off
            assert refused.status_code == 409 and refused.json()["error"] == "signoff_required"
            assert "sign-off" in refused.json()["detail"]
            assert c.post(f"/v1/aml/cases/{case_id}/sign-off", json={"decision": "approve", "reason": "clear pattern"},
                          headers=AS_OFFICER).status_code == 200
            filed = c.post(f"/v1/aml/cases/{case_id}/sar", headers=AS_ANALYST)
            assert filed.status_code == 200, filed.text
            assert filed.json()["officer"] == "bob" and "$18900.0000" in filed.json()["narrative"]
            before = c.get("/v1/aml/cases", headers=AS_OFFICER).json()
            keyed = c.post("/v1/aml/transfers", json=KEYED, headers=AS_ADVISOR)  # answered, then the client times out
            assert keyed.status_code == 201, keyed.text
        decisions = [(e.event_type, e.actor) for e in live.log.read(0) if e.event_type in (
            EventType.AML_ACCOUNTS_EVALUATED, EventType.AML_ALERT_CLOSED, EventType.SAR_REQUESTED,
            EventType.BSA_SIGN_OFF, EventType.SAR_FILED)]
        assert decisions == [(EventType.AML_ACCOUNTS_EVALUATED, "analyst:ana"), (EventType.AML_ALERT_CLOSED, "analyst:ana"),
                             (EventType.SAR_REQUESTED, "analyst:ana"), (EventType.BSA_SIGN_OFF, "bsa_officer:bob"),
                             (EventType.SAR_FILED, "analyst:ana")]
        signed = stored(live, EventType.BSA_SIGN_OFF)[0]
        assert signed.details["approved"] is True and signed.details["note"] == "clear pattern"
        assert signed.details["at_ns"] <= signed.timestamp_utc  # decided, then stored
    finally:
        live.close()
    live, app = serve(tmp_path)  # a restart on the same folder: the desk is rebuilt from the log
    try:
        with TestClient(app) as c:
            after = c.get("/v1/aml/cases", headers=AS_ANALYST).json()
            assert after == before and after["unmatched_events"] == []
            (case,) = after["cases"]
            assert case["status"] == "sar_filed" and case["signoff"]["officer"] == "bob"
            assert case["sar"]["signoff_event_id"] == case["signoff"]["event_id"]
            retry = c.post("/v1/aml/transfers", json=KEYED, headers=AS_ADVISOR)  # the retry, after the restart
            assert retry.status_code == 200 and retry.json() == keyed.json()
            conflict = c.post("/v1/aml/transfers", json={**KEYED, "counterparty": "EXT-6"}, headers=AS_ADVISOR)
            assert conflict.status_code == 409 and conflict.json()["errors"][0]["field"] == "client_transfer_id"
            state = c.get("/v1/aml/monitoring", headers=AS_ANALYST).json()
            assert state["transfers_decided"] == 3 and state["alerts"] == 1
            assert c.post(f"/v1/aml/cases/{case_id}/sar", headers=AS_ANALYST).status_code == 409  # filed once
    finally:
        live.close()
    capsys.readouterr()
    assert main(["replay-log", str(tmp_path)]) == 0, capsys.readouterr()  # chain, anchors and a full replay


@pytest.fixture(scope="module")
def app(live):
    return create_app(live)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c
