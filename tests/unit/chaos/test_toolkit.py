"""chaos.toolkit without the chaos CLI: fault plans from experiment mappings, processes, HTTP probes."""

from __future__ import annotations

import http.server
import sys
import threading
from datetime import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaos.faults.control_plane import ControlPlaneOutage
from chaos.faults.services import ServiceCrash
from chaos.faults.venues import VenueDown
from chaos.toolkit.actions import ensure_process, kill_process, restart_process, start_process, stop_process
from chaos.toolkit.probes import http_status, metric_value, order_round_trip
from chaos.toolkit.twin_runs import fault_from_mapping
from scenarios.config import load_scenario
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[3]
SMOKE = load_scenario(ROOT / "scenarios" / "smoke.yaml")
NS = 1_000_000_000


def at(text: str) -> int:
    return SMOKE.session.at_ns(time.fromisoformat(text))


def test_an_experiment_fault_becomes_its_class_with_times_and_units_converted():
    assert fault_from_mapping({"kind": "control_plane_outage", "at": "09:35", "duration_s": 90}, SMOKE, "f") == \
        ControlPlaneOutage(at("09:35"), 90 * NS)
    assert fault_from_mapping({"kind": "venue_down", "venue": "XNAS", "at": "09:30:30", "duration_ms": 1500},
                              SMOKE, "f") == VenueDown("XNAS", at("09:30:30"), 1_500_000_000)
    # restart_ms is the class's own field: passed as it is, not converted
    assert fault_from_mapping({"kind": "service_crash", "service": "oms", "at": "09:40", "restart_ms": 250},
                              SMOKE, "f") == ServiceCrash("oms", at("09:40"), 250)


@pytest.mark.parametrize("raw, problem", [
    (["control_plane_outage"], r"faults\[2\]: expected a mapping with a 'kind', got list"),
    ({"kind": "meteor"}, r"faults\[2\]\.kind: unknown fault kind 'meteor' \(known: "),
    ({"kind": "control_plane_outage", "at": "25:99", "duration_s": 1}, r"faults\[2\]\.at: expected"),
    ({"kind": "control_plane_outage", "at": "09:35", "duration_s": 0},
     r"faults\[2\] \(control_plane_outage\): duration_ns: must be > 0"),
    ({"kind": "control_plane_outage", "at": "09:35"}, r"faults\[2\] \(control_plane_outage\): .*duration_ns"),
    ({"kind": "control_plane_outage", "at": "09:35", "duration_s": "ten"},
     r"faults\[2\]\.duration_s: a number of seconds"),
])
def test_a_bad_fault_is_refused_in_one_line_naming_it(raw, problem):
    with pytest.raises(ValueError, match=problem) as err:
        fault_from_mapping(raw, SMOKE, "faults[2]")
    assert "\n" not in str(err.value)


@given(st.dictionaries(st.sampled_from(["kind", "at", "duration_s", "factor", "probability", "venue", "x"]),
                       st.one_of(st.sampled_from(["analytics_slow", "venue_down", "09:31", "XNAS"]),
                                 st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                                 st.text(max_size=4)),
                       max_size=6))
def test_any_fault_mapping_becomes_a_fault_or_a_named_refusal(raw):
    try:
        fault = fault_from_mapping(raw, SMOKE, "faults[0]")
    except ValueError as exc:
        assert str(exc).startswith("faults[0]")
    else:
        assert fault.kind == raw["kind"]


SLEEPER = f"{sys.executable} -c \"import time; time.sleep(60)\""


def test_processes_start_die_and_come_back_by_pid_file(tmp_path):
    state = str(tmp_path)
    first = start_process(state, "sleeper", SLEEPER)
    assert (tmp_path / "sleeper.pid").read_text() == str(first)
    assert kill_process(state, "sleeper") is True and not (tmp_path / "sleeper.pid").exists()
    assert kill_process(state, "sleeper") is False  # nothing left to kill
    again = ensure_process(state, "sleeper")
    assert again != first and ensure_process(state, "sleeper") == again  # running: left alone
    third = restart_process(state, "sleeper", hard=False)
    assert third != again
    assert stop_process(state, "sleeper") is True


def test_a_process_that_never_gets_ready_is_reported(tmp_path):
    with pytest.raises(RuntimeError, match=r"quitter: exited with 3 before it was ready"):
        start_process(str(tmp_path), "quitter", f"{sys.executable} -c \"raise SystemExit(3)\"", ready_port=free_port())
    with pytest.raises(FileNotFoundError, match="never started by start_process"):
        restart_process(str(tmp_path), "ghost")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"# TYPE orders_total counter\norders_total{venue=\"XNAS\"} 3.0\norders_total{venue=\"BATS\"} 4.0\n"
        self.send_response(200 if self.path in ("/healthz", "/metrics") else 404)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        ok = self.path == "/v1/orders" and self.headers.get("Authorization") == "Bearer t"
        self.send_response(201 if ok else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_probes_read_status_round_trips_and_metrics(server):
    assert http_status(f"{server}/healthz") == 200 and http_status(f"{server}/nope") == 404
    assert http_status(f"http://127.0.0.1:{free_port()}/healthz") == 0  # nothing listening
    assert order_round_trip(f"{server}/v1", {"symbol": "AAPL"}, token="t") == 201
    assert order_round_trip(f"{server}/v1", {"symbol": "AAPL"}, token="wrong") == 401
    assert metric_value(f"{server}/metrics", "orders_total") == 7.0
    assert metric_value(f"{server}/metrics", "orders_total", {"venue": "XNAS"}) == 3.0
    with pytest.raises(LookupError, match="fills_total: no such metric"):
        metric_value(f"{server}/metrics", "fills_total")
