"""A live start imports only what serving orders needs: the report-package stack (pandas, pyarrow, xmlschema,
jsonschema) waits for the first reports request, the OpenTelemetry SDK for a configured trace destination, and
the twin's scenario generator (yaml, faker, ``scenarios``) for a config without ``[[accounts]]``.

Each start runs in a fresh interpreter (``python -c``), so no other test's imports leak into ``sys.modules``;
the probe also sees the imports happen once they are needed, so the checks can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from live.observability.trace_settings import tracing_wanted
from tests.live_configs import account, symbols, tokens

ROOT = Path(__file__).resolve().parents[3]
OFFICER = "lazy-start-officer-token-0001"
REPORTS = ("pandas", "pyarrow", "xmlschema", "jsonschema", "reports.regulatory.package")
ANALYTICS = ("matplotlib", "jinja2", "scipy", "sklearn", "networkx")
SDK = "opentelemetry.sdk.trace"
GENERATOR = ("scenarios.config", "scenarios.population", "faker")
WATCHED = REPORTS + ANALYTICS + (SDK,) + GENERATOR
CONFIGURED = ('run_dir = "{run_dir}"\n[venue_link]\nmode = "direct"\nliquidity = false\n' + symbols(AAPL="190.00")
              + '\n[[venues]]\nname = "XNAS"\n' + account("ACCT-1", "CL-1", "ADV-1")
              + tokens(ADV_1="lazy-start-adv-1-token-00001")
              + f'\n[[tokens]]\nadvisor_id = "Jane-Doe"\ntoken = "{OFFICER}"\nrole = "compliance"\n'
              + "\n[session]\nenabled = false\n")
PROBE = """
import dataclasses, json, sys, time, warnings
from components.config.live import load_live_config, parse_live_config
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
watched = {watched!r}
text, run_dir = sys.argv[1], sys.argv[2]
config = parse_live_config(text, "test") if text else dataclasses.replace(load_live_config(None), run_dir=run_dir)
live = build_live(config)
out = {{}}
try:
    with TestClient(create_app(live)) as client:  # the lifespan: the live stack starts
        out["health"] = client.get("/healthz").status_code
        time.sleep(0.5)  # room for anything started in the background to begin its imports
        out["at_start"] = sorted(m for m in watched if m in sys.modules)
        out["tracer"] = client.app.state.tracer is not None
        if {officer!r}:
            got = client.get("/v1/reports/packages/none-such", headers={{"Authorization": "Bearer {officer}"}})
            out["report"] = got.status_code
            out["after_report"] = sorted(m for m in watched if m in sys.modules)
finally:
    live.close()
print(json.dumps(out))
"""


def _start(tmp_path: Path, config: str = "", officer: str = "", env: dict[str, str] | None = None) -> dict:
    """Start the live app in a fresh interpreter; what it had imported at start (and after a reports call)."""
    script = PROBE.format(watched=WATCHED, officer=officer)
    done = subprocess.run([sys.executable, "-c", script, config, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)  # a loaded machine: seconds of imports
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_default_start_imports_no_report_analytics_or_tracing_library(tmp_path):
    # The embedded defaults (FIX venues in process, a generated population): the generator is needed here.
    out = _start(tmp_path, env=_env_without_tracing())
    assert out["health"] == 200
    assert out["tracer"] is False
    assert out["at_start"] == sorted(GENERATOR), f"imported at start: {out['at_start']}"


def test_reports_load_on_the_first_reports_request_and_a_configured_start_skips_the_generator(tmp_path):
    out = _start(tmp_path, CONFIGURED.format(run_dir=tmp_path.as_posix()), officer=OFFICER,
                 env=_env_without_tracing())
    assert out["health"] == 200
    assert out["at_start"] == [], f"imported at start: {out['at_start']}"
    assert out["report"] == 404  # the route still answers, from the package module loaded just now
    assert set(REPORTS) <= set(out["after_report"])


def test_a_trace_file_in_the_environment_still_turns_tracing_on(tmp_path):
    env = {**_env_without_tracing(), "TWIN_TRACES_FILE": str(tmp_path / "traces.jsonl")}
    out = _start(tmp_path, CONFIGURED.format(run_dir=tmp_path.as_posix()), env=env)
    assert out["tracer"] is True
    assert SDK in out["at_start"]


@pytest.mark.parametrize("environ, wanted", [
    ({}, False),
    ({"TWIN_TRACES_FILE": "  ", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}, False),
    ({"TWIN_TRACES_FILE": "/tmp/t.jsonl"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
])
def test_tracing_is_wanted_only_when_a_destination_is_named(environ, wanted):
    assert tracing_wanted(environ) is wanted


def _env_without_tracing() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("TWIN_TRACES_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")}
