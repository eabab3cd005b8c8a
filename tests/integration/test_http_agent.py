"""The trade-execution agent's approval API on the real live stack (in-process venues, wall clock).

An advisor hands the agent a proposal; the plan waits; only the plan's advisor, naming the plan's
exact hash, can approve it, and only then do its blocks reach the platform's order path (member
orders in the OMS, traded and allocated); an operator's kill switch cancels pending plans and
refuses everything after it; the hard limits refuse with the code; bad bodies are 422 naming the
field; the step log verifies, over HTTP and in the run folder."""

from __future__ import annotations

import json

from components.agents import verify_records
from components.domain.commands import member_client_order_id
from live.entrypoints.openapi_export import DEFAULT_PATH as OPENAPI_PATH
from tests.live_app import wait_for_status
from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens

TOKEN_1 = "test-token-agent-adv-1-001"
TOKEN_2 = "test-token-agent-adv-2-002"
OPERATOR = "test-token-agent-operator1"
AS_1 = {"Authorization": f"Bearer {TOKEN_1}"}
AS_2 = {"Authorization": f"Bearer {TOKEN_2}"}
AS_OPS = {"Authorization": f"Bearer {OPERATOR}"}
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS
          + account("ACCT-1001", "CLNT-5001", "ADV-1") + account("ACCT-1002", "CLNT-5002", "ADV-1")
          + account("ACCT-2001", "CLNT-6001", "ADV-2") + tokens(ADV_1=TOKEN_1, ADV_2=TOKEN_2)
          + f'\n[[tokens]]\nadvisor_id = "ops"\nrole = "operator"\ntoken = "{OPERATOR}"\n'
          + "\n[session]\nenabled = false\n")
_n = iter(range(1, 10**6))


def proposal(**overrides):
    body = {"proposal_id": f"PROP-{next(_n)}", "household_id": "HH-1", "summary": "AAPL under the model",
            "trades": [{"account_id": "ACCT-1001", "symbol": "AAPL", "side": "BUY", "quantity": 100},
                       {"account_id": "ACCT-1002", "symbol": "AAPL", "side": "BUY", "quantity": 50,
                        "reason": "drift", "explanation": "2% under", "est_price": "190.50"}]}
    body.update(overrides)
    return body


def order_count(live):
    with live.runtime.atomic():
        return len(live.platform.oms.orders)


def propose(client, body=None, headers=AS_1):
    r = client.post("/v1/agent/proposals", json=body or proposal(), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_plan_waits_and_only_its_advisor_naming_its_hash_gets_it_submitted(client, live):
    plan = propose(client)
    assert plan["state"] == "pending_approval" and len(plan["plan_hash"]) == 64
    (block,) = plan["blocks"]
    assert block["statement"]["requests"] == [["ACCT-1001", 100], ["ACCT-1002", 50]]
    assert block["price"] == 1_905_000  # the proposal's price, the dearer one of the block
    pid, before = plan["plan_id"], order_count(live)
    assert [p["plan_id"] for p in client.get("/v1/agent/plans", headers=AS_1).json()["plans"]].count(pid) == 1
    assert pid not in [p["plan_id"] for p in client.get("/v1/agent/plans", headers=AS_2).json()["plans"]]
    assert pid in [p["plan_id"] for p in client.get("/v1/agent/plans", headers=AS_OPS).json()["plans"]]

    r = client.post(f"/v1/agent/plans/{pid}/approve", json={"plan_hash": plan["plan_hash"]}, headers=AS_2)
    assert r.status_code == 403, r.text  # another advisor's approval is no approval
    r = client.post(f"/v1/agent/plans/{pid}/approve", json={"plan_hash": "a" * 64}, headers=AS_1)
    assert r.status_code == 409 and r.json()["error"] == "plan_hash_mismatch"
    r = client.post(f"/v1/agent/plans/{pid}/approve", json={}, headers=AS_1)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"plan_hash"}
    assert order_count(live) == before  # nothing reached the platform

    r = client.post(f"/v1/agent/plans/{pid}/approve", json={"plan_hash": plan["plan_hash"]}, headers=AS_1)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "submitted" and done["approval"]["approver"] == "ADV-1"
    assert done["submitted_blocks"] == [block["block_ref"]] and order_count(live) > before
    with live.runtime.atomic():
        members = [live.platform.entry.lookup(a, member_client_order_id(block["block_ref"], i))
                   for i, (a, _) in enumerate(block["statement"]["requests"], 1)]
    assert all(m is not None for m in members)
    got = wait_for_status(client, members[0].order_id, {"SETTLED", "CONFIRMED", "ALLOCATED"}, AS_1)
    assert got["status"] in {"SETTLED", "CONFIRMED", "ALLOCATED"}, got
    again = client.post(f"/v1/agent/plans/{pid}/approve", json={"plan_hash": plan["plan_hash"]}, headers=AS_1)
    assert again.status_code == 409 and again.json()["error"] == "plan_not_pending"


def test_a_rejection_submits_nothing(client, live):
    plan = propose(client)
    before = order_count(live)
    r = client.post(f"/v1/agent/plans/{plan['plan_id']}/reject", json={"plan_hash": plan["plan_hash"],
                                                                      "reason": "client on holiday"}, headers=AS_1)
    assert r.status_code == 200 and r.json()["state"] == "rejected" and order_count(live) == before


def test_hard_limits_refuse_the_plan_with_the_code(client):
    plan = propose(client, proposal(trades=[{"account_id": "ACCT-1001", "symbol": "AAPL", "side": "BUY",
                                             "quantity": 5000}]))  # 5,000 x 190 = $950,000 > $150,000
    assert plan["state"] == "refused" and plan["refusal"].startswith("NOTIONAL_EXCEEDS_MAX_PER_ORDER")


def test_bad_proposals_name_the_field_and_other_accounts_are_forbidden(client):
    bad = proposal(trades=[{"account_id": "ACCT-1001", "symbol": "AAPL", "side": "HOLD", "quantity": 0}])
    r = client.post("/v1/agent/proposals", json=bad, headers=AS_1)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"trades[0].side", "trades[0].quantity"}
    r = client.post("/v1/agent/proposals", json=proposal(extra=1), headers=AS_1)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"extra"}
    r = client.post("/v1/agent/proposals", json=proposal(), headers=AS_2)  # ADV-2 may not trade ACCT-100x
    assert r.status_code == 403 and {e["field"] for e in r.json()["errors"]} == {"trades[0].account_id",
                                                                                  "trades[1].account_id"}
    assert client.post("/v1/agent/proposals", json=proposal(), headers=AS_OPS).status_code == 403
    assert client.post("/v1/agent/proposals", json=proposal()).status_code == 401


def test_the_kill_switch_cancels_pending_plans_and_stops_the_agent(client, live):
    pending = propose(client)
    assert client.post("/v1/agent/kill-switch", json={"on": True}, headers=AS_1).status_code == 403
    r = client.post("/v1/agent/kill-switch", json={"on": "yes"}, headers=AS_OPS)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "on"
    r = client.post("/v1/agent/kill-switch", json={"on": True, "reason": "drill"}, headers=AS_OPS)
    assert r.status_code == 200, r.text
    assert r.json()["on"] is True and pending["plan_id"] in r.json()["cancelled"]
    assert client.get("/v1/agent/kill-switch", headers=AS_1).json() == {"on": True}
    before = order_count(live)
    r = client.post(f"/v1/agent/plans/{pending['plan_id']}/approve", json={"plan_hash": pending["plan_hash"]},
                    headers=AS_1)
    assert r.status_code == 409 and r.json()["error"] == "agent_kill_switch_on"
    r = client.post("/v1/agent/proposals", json=proposal(), headers=AS_1)
    assert r.status_code == 409 and order_count(live) == before
    assert client.post("/v1/agent/kill-switch", json={"on": False}, headers=AS_OPS).json()["previous"] is True
    r = client.post(f"/v1/agent/plans/{pending['plan_id']}/approve", json={"plan_hash": pending["plan_hash"]},
                    headers=AS_1)
    assert r.status_code == 409 and r.json()["error"] == "plan_not_pending"  # cancelled stays cancelled


def test_the_step_log_verifies_over_http_and_in_the_run_folder(client, live):
    # Every step kind below is made here, not left to the tests before it (pytest -n 2 may run this one alone).
    plan = propose(client)
    r = client.post(f"/v1/agent/plans/{plan['plan_id']}/approve", json={"plan_hash": plan["plan_hash"]},
                    headers=AS_1)
    assert r.status_code == 200, r.text
    assert client.post("/v1/agent/kill-switch", json={"on": True, "reason": "steps"}, headers=AS_OPS).status_code == 200
    assert client.post("/v1/agent/kill-switch", json={"on": False}, headers=AS_OPS).status_code == 200
    assert client.get("/v1/agent/steps", headers=AS_1).status_code == 403
    body = client.get("/v1/agent/steps", headers=AS_OPS).json()
    assert body["verified"] is True and body["steps"] and body["head"] == body["steps"][-1]["hash"]
    names = {s["name"] for s in body["steps"]}
    assert {"proposal_received", "assemble_blocks", "approval_requested", "approval_event", "approved",
            "submit_block", "submitted", "kill_switch_on"} <= names
    records = [json.loads(line) for line in (live.run_dir / "agent_steps.jsonl").read_text().splitlines()]
    assert verify_records(records, body["head"]).ok


def test_the_published_openapi_document_lists_the_agent_api(client):
    served = client.get("/openapi.json").json()
    stored = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    for path in ("/v1/agent/proposals", "/v1/agent/plans", "/v1/agent/plans/{plan_id}/approve",
                 "/v1/agent/plans/{plan_id}/reject", "/v1/agent/kill-switch", "/v1/agent/steps"):
        assert path in served["paths"] and stored["paths"][path] == served["paths"][path]


def test_options_and_405_list_both_methods_of_the_kill_switch(client):
    """The app's Allow header sees the routes of included routers (FastAPI wraps them in one route)."""
    r = client.options("/v1/agent/kill-switch")
    assert r.status_code == 204 and r.headers["allow"] == "GET, OPTIONS, POST"
    r = client.delete("/v1/agent/kill-switch", headers=AS_OPS)
    assert r.status_code == 405 and r.headers["allow"] == "GET, OPTIONS, POST"
