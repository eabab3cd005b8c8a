"""schemathesis against a real server: ``python -m live`` on loopback, every operation of the
published OpenAPI document, every check schemathesis has (server errors, status codes and
content types the document lists, response bodies and headers against their schemas, valid
data accepted and invalid data refused, missing auth refused, 405 with ``Allow`` for
undeclared methods), in its examples, coverage and fuzzing phases, with a bounded number of
examples per operation. A failure names the operation, the check and the request to replay.

The document is the one the server serves, narrowed to this deployment in the request bodies:
``symbol`` to the configured symbols (the published schema gives the ticker pattern; an
unknown symbol is a 422 it describes but cannot predict), ``advisor_id`` to the token's
advisor and ``account_id`` to its accounts (others are 403s), so valid data reaches the
validator and the order path. Requests go with an advisor token, or an operator's for
``POST /v1/trading-state``; a block statement listing an account twice (a 422 a JSON schema
cannot express) is not sent as valid data.
"""

from __future__ import annotations

import os
from collections import Counter
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 12
"""Per operation and phase: 7 operations, about 40 s on a shared 2-core machine."""
ADVISOR = "conformance-adv-1-token-0001"
OPERATOR = "conformance-operator-token-01"
SYMBOLS = ("AAPL", "MSFT")
CONFIG = (symbols(AAPL="190.00", MSFT="415.00") + quiet_market() + IN_PROCESS
          + account("ACCT-1001", "CLNT-5001", "ADV-1") + account("ACCT-1002", "CLNT-5002", "ADV-1")
          + tokens(ADV_1=ADVISOR)
          + f'\n[[tokens]]\nadvisor_id = "ops"\nrole = "operator"\ntoken = "{OPERATOR}"\n'
          + '\n[session]\nenabled = false\n')
SENT: list[tuple[str, str, int]] = []
"""(method, path, status) of every case sent: the run's numbers."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conformance")
    (folder / "live.toml").write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "live", "--config", str(folder / "live.toml"),
                                "--port", str(port), "--no-access-log", "--log-level", "warning"],
                               stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (folder / "server.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        statuses = Counter(status for _, _, status in SENT)
        print(f"\nschemathesis: {len(SENT)} cases sent to {base}; statuses {dict(sorted(statuses.items()))}",
              file=sys.stderr)


NARROWED = {"symbol": list(SYMBOLS), "advisor_id": ["ADV-1"], "account_id": ["ACCT-1001", "ACCT-1002"]}
"""Request body properties whose valid values depend on the deployment: the configured symbols, the
token's advisor and its accounts (others are 422 or 403, which the published document says)."""


def _narrow(node):
    """Every property named in ``NARROWED`` within the request schemas becomes an enum of its values."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, values in NARROWED.items():
                    if isinstance(value.get(name), dict):
                        value[name] = {**value[name], "enum": values}
            _narrow(value)
    elif isinstance(node, list):
        for item in node:
            _narrow(item)


@pytest.fixture(scope="module")
def api_schema(server):
    document = httpx.get(f"{server}/openapi.json", timeout=5).json()
    for operation in document["paths"].values():
        for details in operation.values():
            _narrow(details.get("requestBody", {}))
    config = schemathesis.Config.from_dict({
        "base-url": server,
        "seed": 11,
        "generation": {"max-examples": MAX_EXAMPLES},
        "checks": {"enabled": True},
        "auth": {"openapi": {"HTTPBearer": {"bearer": ADVISOR}}},
    })
    return schemathesis.openapi.from_dict(document, config=config)


# The AML routes have their own run with a token per role (test_aml_openapi_conformance.py): here, with an
# advisor's token, nearly all of them would only answer 403.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex="^/v1/aml/")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4 renames the running test through ``node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _lists_an_account_twice(case) -> bool:
    body = case.body
    if case.path != "/v1/blocks" or not isinstance(body, dict) or not isinstance(body.get("members"), list):
        return False
    accounts = [m.get("account_id") for m in body["members"] if isinstance(m, dict)]
    hashable = [a for a in accounts if isinstance(a, str)]
    return len(hashable) != len(set(hashable))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_server_conforms_to_its_openapi_document(case):
    if _lists_an_account_twice(case) and case.meta is not None and case.meta.generation.mode.is_positive:
        return  # a statement listing an account twice is a 422 the schema cannot express
    if (case.method, case.path) == ("POST", "/v1/trading-state") and case.headers \
            and case.headers.get("Authorization") == f"Bearer {ADVISOR}":
        case.headers["Authorization"] = f"Bearer {OPERATOR}"  # the operator's; missing or broken auth stays so
    response = case.call_and_validate(timeout=10)
    SENT.append((case.method, case.path, response.status_code))
