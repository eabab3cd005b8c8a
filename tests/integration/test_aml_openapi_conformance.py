"""schemathesis against a real server on the live AML routes (``/v1/aml/...``), as
``test_openapi_conformance`` does for the whole document, but with the token each route is for, so the
requests reach the handlers rather than stopping at a 403: an advisor's for ``POST /v1/aml/transfers``,
the BSA officer's for the sign-off, an analyst's for the rest (missing or broken auth is left as generated).

Before the run the server holds one case (two structuring deposits and a monitoring run), and the alert
and case id path parameters are narrowed to it, so dispositions, SAR requests, sign-offs and filings run
the real workflow (200s, then 409s as the case moves on) besides the 404s of unknown ids.
"""

from __future__ import annotations

import os
import subprocess
import time
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens  # noqa: E402
from tests.services import _end, _wait_port, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 8
"""Per operation and phase: 10 operations."""
ADVISOR = "aml-conformance-adv-1-token-01"
ANALYST = "aml-conformance-analyst-token-1"
OFFICER = "aml-conformance-bsa-officer-tok1"
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS
          + account("ACCT-1001", "CLNT-5001", "ADV-1", extra='client_name = "Alice Example"')
          + tokens(ADV_1=ADVISOR)
          + f'\n[[tokens]]\nadvisor_id = "ana"\nrole = "analyst"\ntoken = "{ANALYST}"\n'
          + f'\n[[tokens]]\nadvisor_id = "bob"\nrole = "bsa_officer"\ntoken = "{OFFICER}"\n'
          + '\n[session]\nenabled = false\n')
TOKEN_FOR = {("POST", "/v1/aml/transfers"): ADVISOR, ("POST", "/v1/aml/cases/{case_id}/sign-off"): OFFICER}
"""The token a route is for, when not the analyst's."""
SENT: list[tuple[str, str, int]] = []
FIRST_AML_TIMEOUT_S = 180
"""The first AML request builds the desk, importing scikit-learn and networkx (a few CPU seconds, many more
wall seconds on a loaded machine): the server loads nothing of AML at start (``aml_api._Desk``)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aml-conformance")
    (folder / "live.toml").write_text(CONFIG, encoding="utf-8")
    port = free_port()
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "live", "--config", str(folder / "live.toml"),
                                    "--port", str(port), "--no-access-log", "--log-level", "warning"],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            _wait_port(port, process, time.monotonic() + 60, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            _end(process)
            print(f"\nschemathesis (aml): {len(SENT)} cases; statuses "
                  f"{dict(sorted(Counter(s for _, _, s in SENT).items()))}", file=sys.stderr)


def _plant_case(base: str) -> tuple[str, str]:
    """Structuring deposits and a monitoring run: the (alert id, case id) they make."""
    for amount in ("9500.00", "9400.00"):
        r = httpx.post(f"{base}/v1/aml/transfers", json={"kind": "DEPOSIT", "account_id": "ACCT-1001",
                                                         "counterparty": "BR-1", "amount": amount},
                       headers={"Authorization": f"Bearer {ADVISOR}"}, timeout=FIRST_AML_TIMEOUT_S)
        assert r.status_code == 201, r.text
    run = httpx.post(f"{base}/v1/aml/monitoring/run", headers={"Authorization": f"Bearer {ANALYST}"},
                     timeout=FIRST_AML_TIMEOUT_S)
    (alert,) = run.json()["alerts"]
    return alert["alert_id"], alert["case_id"]


@pytest.fixture(scope="module")
def api_schema(server):
    alert_id, case_id = _plant_case(server)
    document = httpx.get(f"{server}/openapi.json", timeout=10).json()
    narrowed = {"account_id": ["ACCT-1001"], "alert_id": [alert_id], "case_id": [case_id]}
    for path, operations in document["paths"].items():
        for details in operations.values():
            for parameter in details.get("parameters", ()):
                if parameter.get("in") == "path" and parameter["name"] in narrowed:
                    parameter["schema"] = {**parameter["schema"], "enum": narrowed[parameter["name"]]}
            props = (details.get("requestBody", {}).get("content", {}).get("application/json", {})
                     .get("schema", {}).get("properties", {}))
            if "account_id" in props:
                props["account_id"] = {**props["account_id"], "enum": narrowed["account_id"]}
    config = schemathesis.Config.from_dict({
        "base-url": server, "seed": 23, "generation": {"max-examples": MAX_EXAMPLES}, "checks": {"enabled": True},
        "auth": {"openapi": {"HTTPBearer": {"bearer": ANALYST}}},
    })
    return schemathesis.openapi.from_dict(document, config=config)


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex="^/v1/aml/")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4 renames the running test through ``node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_aml_routes_conform_to_the_openapi_document(case):
    token = TOKEN_FOR.get((case.method, case.path))
    if token and case.headers and case.headers.get("Authorization") == f"Bearer {ANALYST}":
        case.headers["Authorization"] = f"Bearer {token}"  # the route's role; missing or broken auth stays so
    if (case.method, case.path) == ("POST", "/v1/aml/transfers") and isinstance(case.body, dict) \
            and case.body.get("account_id") == case.body.get("counterparty") and case.meta is not None \
            and case.meta.generation.mode.is_positive:
        return  # a transfer to the account itself is a 422 the schema cannot express
    response = case.call_and_validate(timeout=30)
    SENT.append((case.method, case.path, response.status_code))
