"""Report sign-off over HTTP: only a compliance token signs and files; an unsigned package is not filed.

The officer's token is configured the way a deployment does it: a ``[[tokens]]`` entry with
``role = "compliance"`` in live.toml.
"""

from __future__ import annotations


import pytest

from components.eventstore.sqlite import write_log_file
from reports.regulatory.package import prepare_package
from tests.live_configs import IN_PROCESS, account, quiet_market, symbols, tokens
from tests.unit.components.regulatory.test_cat import day

ADVISOR = "test-token-rep-adv-0000001"
OFFICER = "test-token-rep-cco-0000001"
AS_ADVISOR = {"Authorization": f"Bearer {ADVISOR}"}
AS_OFFICER = {"Authorization": f"Bearer {OFFICER}"}
CONFIG = (symbols(AAPL="190.00") + quiet_market() + IN_PROCESS + account("ACCT-1", "CLNT-1", "ADV-1")
          + tokens(ADV_1=ADVISOR) + f'\n[[tokens]]\nadvisor_id = "Jane-Doe"\ntoken = "{OFFICER}"\nrole = "compliance"\n'
          + "\n[session]\nenabled = false\n")




@pytest.fixture(scope="module")
def package(live, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    write_log_file(run / "events.sqlite", day().events)
    prepare_package([run], "2026Q4", live.run_dir / "reports" / "2026Q4", "2027-01-05T10:00:00Z")
    return "2026Q4"


def test_a_non_compliance_token_gets_403(client, package):
    for path in (f"/v1/reports/packages/{package}", ):
        assert client.get(path, headers=AS_ADVISOR).status_code == 403
    for verb in ("sign", "file"):
        r = client.post(f"/v1/reports/packages/{package}/{verb}", headers=AS_ADVISOR)
        assert r.status_code == 403, verb
    assert client.post(f"/v1/reports/packages/{package}/sign").status_code == 401


def test_unsigned_package_is_not_filed_then_the_officer_signs_and_files(client, package):
    r = client.post(f"/v1/reports/packages/{package}/file", headers=AS_OFFICER)
    assert r.status_code == 409 and r.json()["error"] == "NOT_SIGNED"
    assert client.get(f"/v1/reports/packages/{package}", headers=AS_OFFICER).json()["state"] == "PENDING"
    r = client.post(f"/v1/reports/packages/{package}/sign", headers=AS_OFFICER)
    assert r.status_code == 200 and r.json()["actor"] == "Jane-Doe" and r.json()["event"] == "PackageSigned"
    r = client.post(f"/v1/reports/packages/{package}/file", headers=AS_OFFICER)
    assert r.status_code == 200 and r.json()["event"] == "PackageFiled"
    assert client.get(f"/v1/reports/packages/{package}", headers=AS_OFFICER).json()["state"] == "FILED"


def test_unknown_package_is_404(client):
    assert client.post("/v1/reports/packages/nope/sign", headers=AS_OFFICER).status_code == 404
    assert client.get("/v1/reports/packages/..%2Fetc", headers=AS_OFFICER).status_code == 404
