"""The live process imports none of the AML monitor's heavy libraries (scikit-learn, networkx) until the first
AML request, even on a restart whose log holds AML decisions, and that first request is still answered from the
rebuilt desk. Checked in a fresh interpreter, so no other test's imports leak into ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from components.aml.transfers import TransferKind
from components.config.live import parse_live_config
from components.domain.money import to_units
from live.aml_desk import LiveAmlDesk, TransferInstruction
from live.bootstrap import build_live
from tests.live_configs import account, symbols, tokens

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "lazy-start-adv-1-token-00001"
ANALYST = "lazy-start-analyst-token-0001"
CONFIG = ('run_dir = "{run_dir}"\n[venue_link]\nmode = "direct"\nliquidity = false\n' + symbols(AAPL="190.00")
          + '\n[[venues]]\nname = "XNAS"\n' + account("ACCT-1", "CL-1", "ADV-1", extra='client_name = "Alice Example"')
          + tokens(ADV_1=TOKEN) + f'\n[[tokens]]\nadvisor_id = "ana"\nrole = "analyst"\ntoken = "{ANALYST}"\n'
          + "\n[session]\nenabled = false\n")
HEAVY = ("sklearn", "networkx")
PROBE = """
import json, sys, time, warnings
from components.config.live import parse_live_config
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
heavy = {heavy!r}
live = build_live(parse_live_config(sys.argv[1], "test"))
out = {{}}
try:
    with TestClient(create_app(live)) as client:  # the lifespan: the live stack starts
        out["health"] = client.get("/healthz").status_code
        time.sleep(1.0)  # room for anything started in the background to begin its imports
        out["at_start"] = sorted(m for m in heavy if m in sys.modules)
        first = client.get("/v1/aml/transfers", headers={{"Authorization": "Bearer {analyst}"}})
        out["first"] = [first.status_code, first.json().get("total")]
        out["after_first"] = sorted(m for m in heavy if m in sys.modules)
finally:
    live.close()
print(json.dumps(out))
"""


def test_a_restart_imports_no_aml_model_library_until_the_first_aml_request(tmp_path):
    config = CONFIG.format(run_dir=tmp_path.as_posix())
    live = build_live(parse_live_config(config, "test"))  # an earlier process that decided a transfer
    try:
        LiveAmlDesk(live).submit(TransferInstruction(TransferKind.DEPOSIT, "ACCT-1", "BR-1", to_units("100.00")),
                                 "ADV-1")
    finally:
        live.close()
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, analyst=ANALYST), config], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # a loaded machine: seconds of imports
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["health"] == 200
    assert out["at_start"] == [], f"imported at start, before any AML request: {out['at_start']}"
    assert out["first"] == [200, 1]  # the first AML request rebuilt the desk from the log
    assert out["after_first"] == sorted(HEAVY)  # the probe sees the imports when they happen
