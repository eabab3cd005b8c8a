"""``twin calibrate``, measured service times in a scenario, and the live-stack load-test model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.config.schema import ScenarioError
from components.platform import SERVICES
from scenarios.config import load_scenario, parse_scenario
from scenarios.service_times import THIS_MACHINE, ProfileError, load_profile, summarise, write_profile
from twin.bootstrap import build_twin
from twin.calibrate import calibrate, profile_entries, write_calibration
from twin.capacity_live import predict_load_test
from twin.runner import run_scenario
from twin.service_pool import ServicePool
from twin.services import SimService


@pytest.fixture(scope="module")
def tiny(smoke_scenario):
    return replace(smoke_scenario, order_flow=replace(smoke_scenario.order_flow, orders=60))


def test_calibrate_times_every_handler_per_service_and_message_type(tiny):
    calibration = calibrate(tiny, repeat=1)
    kinds = {kind for (service, kind) in calibration.samples}
    assert {"SubmitOrder", "ValidateOrder", "CheckRisk", "RouteOrder", "ExecutionReport"} <= kinds
    assert ("risk", "CheckRisk") in calibration.samples and ("oms", "ExecutionReport") in calibration.samples
    entries = profile_entries(calibration)
    assert set(entries) == set(SERVICES)
    # The pooled distribution holds exactly the calls of its message types.
    risk = entries["risk"]
    assert risk["count"] == sum(m["count"] for m in risk["by_message"].values())
    assert all(v >= 0 for v in calibration.of_service("risk"))


def test_calibrate_refuses_bad_arguments(tiny):
    with pytest.raises(ValueError, match="clock: must be one of cpu, wall"):
        calibrate(tiny, clock="sundial")
    with pytest.raises(ValueError, match="repeat: must be >= 1"):
        calibrate(tiny, repeat=0)


def test_a_scenario_with_a_profile_takes_its_service_times(tmp_path, tiny):
    calibration = calibrate(tiny, repeat=1)
    write_calibration(calibration, tmp_path / "profile.json", note="test")
    assert load_profile(tmp_path / "profile.json").measured["note"] == "test"
    text = (f"name: measured\nsession: {{date: '2026-11-24', open: '09:30', close: '10:00'}}\n"
            f"order_flow: {{orders: 60}}\nservice_times: profile.json\n")
    (tmp_path / "measured.yaml").write_text(text, encoding="utf-8")
    scenario = load_scenario(tmp_path / "measured.yaml")
    assert scenario.service_times == str(tmp_path / "profile.json")  # relative to the scenario file
    first = run_scenario(scenario, 5)
    assert first.fingerprint == run_scenario(scenario, 5).fingerprint  # deterministic
    hand_set = run_scenario(replace(scenario, service_times=None), 5)
    assert first.fingerprint != hand_set.fingerprint
    # Measured handlers cost microseconds, the hand-set ones milliseconds.
    busy = first.world.network.services["risk"].stats.busy_ns / first.world.network.services["risk"].stats.handled
    assert busy < 1_000_000 < hand_set.world.network.services["risk"].stats.busy_ns


def test_a_bad_profile_fails_the_build_naming_the_file(tmp_path, tiny):
    (tmp_path / "p.json").write_text('{"format": "bdt-service-times/1", "services": {"risk": {}}}')
    with pytest.raises(ProfileError, match="p.json: services.risk.lognormal: missing"):
        build_twin(replace(tiny, service_times=str(tmp_path / "p.json")), 1)


def test_replicas_make_a_pool_and_default_stays_a_single_server(tiny):
    world = build_twin(replace(tiny, replicas=replace(tiny.replicas, risk=3)), 1)
    assert isinstance(world.network.services["risk"], ServicePool) and world.network.services["risk"].replicas == 3
    assert type(world.network.services["oms"]) is SimService


def test_replicas_section_is_checked():
    with pytest.raises(ScenarioError, match="replicas.risk"):
        parse_scenario("name: x\nreplicas: {risk: 0}\n")
    assert parse_scenario("name: x\nreplicas: {oms: 4}\n").replicas.oms == 4


def _http_profile(tmp_path, service_us: float):
    path = write_profile(tmp_path / "h.json", {"risk": summarise([1.0])}, {"http_mix": {"GET": 1}},
                         http={"GET": summarise([service_us] * 10)})
    return load_profile(path)


def test_the_load_test_model_queues_as_one_server(tmp_path):
    profile = _http_profile(tmp_path, 10_000.0)  # 10 ms per request
    light = predict_load_test(profile, 1, duration_s=10.0, seed=1)
    heavy = predict_load_test(profile, 40, duration_s=10.0, seed=1)
    assert light.p50_ms == pytest.approx(10.0) and light.utilisation < 0.25
    assert heavy.requests_per_s == pytest.approx(100.0, rel=0.03)  # one server of 10 ms: 100 a second
    assert heavy.p95_ms > 100.0 and heavy.utilisation == pytest.approx(1.0, abs=0.02)
    assert predict_load_test(profile, 5, seed=2) == predict_load_test(profile, 5, seed=2)


def test_the_load_test_model_needs_measured_requests(tmp_path):
    path = write_profile(tmp_path / "h.json", {"risk": summarise([1.0])}, {})
    with pytest.raises(ValueError, match="none of the mix's request kinds is measured"):
        predict_load_test(load_profile(path), 2, mix={"GET": 1})
    with pytest.raises(ValueError, match="users: must be >= 1"):
        predict_load_test(load_profile(THIS_MACHINE), 0)


def test_the_load_generator_is_a_second_server_when_modelled(tmp_path):
    profile = _http_profile(tmp_path, 2_000.0)  # a 2 ms server
    alone = predict_load_test(profile, 1, duration_s=5.0, seed=3)
    with_client = predict_load_test(profile, 1, duration_s=5.0, seed=3, client_ms=3.0)
    assert with_client.p50_ms == pytest.approx(alone.p50_ms + 3.0)
    # With many users the 5 ms load generator, not the 2 ms server, caps the throughput.
    busy = predict_load_test(profile, 40, duration_s=5.0, seed=3, client_ms=5.0)
    assert busy.requests_per_s == pytest.approx(200.0, rel=0.03) and busy.utilisation == pytest.approx(0.4, abs=0.03)


def test_a_cpu_share_turns_measured_cpu_into_service_time(tmp_path):
    path = write_profile(tmp_path / "h.json", {"risk": summarise([1.0])}, {"http_mix": {"GET": 1}},
                         http={"GET": {**summarise([1_000.0, 3_000.0] * 5), "server_cpu_us": 500.0}})
    profile = load_profile(path)
    assert profile.http["GET"].server_cpu_us == 500.0
    # 0.5 ms of CPU on a quarter of a core: 2 ms per request, keeping the measured shape (1:3).
    one = predict_load_test(profile, 1, duration_s=5.0, seed=4, cpu_share=0.25)
    assert one.p50_ms == pytest.approx(2.0, rel=0.5) and 0.9 < one.p99_ms / 3.0 < 1.1
    # The load generator's CPU is stretched by the same share.
    both = predict_load_test(profile, 1, duration_s=5.0, seed=4, cpu_share=0.25, client_ms=1.0)
    assert both.p99_ms == pytest.approx(one.p99_ms + 4.0)
    with pytest.raises(ValueError, match="cpu_share: must be in"):
        predict_load_test(profile, 1, cpu_share=1.5)
    unmeasured = load_profile(write_profile(tmp_path / "u.json", {"risk": summarise([1.0])}, {},
                                            http={"GET": summarise([1.0])}))
    with pytest.raises(ValueError, match="http.GET.server_cpu_us: not measured"):
        predict_load_test(unmeasured, 1, cpu_share=0.5)


def test_a_scenario_naming_a_bad_profile_is_refused_at_load(tmp_path):
    (tmp_path / "s.yaml").write_text("name: s\nservice_times: nowhere.json\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"s.yaml:2: service_times: .*nowhere.json: cannot read"):
        load_scenario(tmp_path / "s.yaml")
