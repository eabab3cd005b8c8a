"""The swarm's pieces without a twin run: fault mixes drawn from seeds, the summary, the CLI's refusals."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.faults import KINDS, WorldShape
from chaos.swarm import (
    SeedResult,
    SwarmConfig,
    SwarmSummary,
    _RecordingWorld,
    draw_plan,
    git_commit,
    plan_record,
    reproduce_command,
    safety_shape,
    summary_lines,
)
from twin.cli import main

NS = 1_000_000_000
OPEN = 1_764_000_000 * NS
SHAPE = WorldShape(OPEN, OPEN + 900 * NS, ("gateway", "oms", "risk", "router", "post_trade"), ("XNAS", "ARCX", "BATS"))
ALL = tuple(sorted(KINDS))


class _Anything:
    """A mechanism for every port: each call does nothing (the test only records when faults act)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: object()


class _NoWorld:
    def schedule_at(self, t_ns, action):
        pass

    def mechanism(self, port):
        return _Anything()


def test_a_seed_fully_determines_its_fault_mix():
    assert draw_plan(7, SHAPE, ALL) == draw_plan(7, SHAPE, ALL)
    plans = {draw_plan(seed, SHAPE, ALL) for seed in range(30)}
    assert len(plans) == 30  # every seed its own mix
    kinds_seen = {f.kind for plan in plans for f in plan}
    assert len(kinds_seen) > 1 and kinds_seen <= set(ALL)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_seed_injects_something_and_every_fault_heals_in_the_safety_phase(seed):
    safe = safety_shape(SHAPE, 2 / 3)
    plan = draw_plan(seed, safe, ALL)
    assert plan
    recorder = _RecordingWorld(_NoWorld())
    for fault in plan:
        fault.schedule(recorder)
    assert SHAPE.open_ns <= recorder.latest_ns <= safe.close_ns


@pytest.mark.parametrize("seed", range(40))
def test_adding_a_kind_never_moves_another_kinds_draws(seed):
    alone = draw_plan(seed, SHAPE, ("venue_down",))
    together = draw_plan(seed, SHAPE, ("service_crash", "venue_down"))
    downs = tuple(f for f in together if f.kind == "venue_down")
    if downs:  # included on its own draw (or as the fallback pick in both): the same faults
        assert downs == alone
    assert all(f.kind == "venue_down" for f in alone) and alone


def test_the_safety_shape_ends_at_the_heal():
    safe = safety_shape(SHAPE, 0.5)
    assert (safe.open_ns, safe.close_ns, safe.venues) == (SHAPE.open_ns, OPEN + 450 * NS, SHAPE.venues)


@pytest.mark.parametrize("kwargs, field", [({"kinds": ("venue_dwon",)}, "kinds"),
                                           ({"heal_fraction": 1.0}, "heal_fraction"),
                                           ({"liveness_bound_s": 0.0}, "liveness_bound_s")])
def test_bad_configuration_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        SwarmConfig(**kwargs)


def _summary() -> SwarmSummary:
    config = SwarmConfig(kinds=("service_crash", "venue_down"), commit="abc123")
    results = (
        SeedResult(1, ("service_crash: ...",), (("service_crash", 2),), True, skipped=("region_kill",),
                   fingerprint="f1", orders=150),
        SeedResult(2, ("venue_down: ...", "service_crash: ..."), (("service_crash", 1), ("venue_down", 1)), False,
                   check="every_order_terminal", problem="order O-1 ended ROUTED\ntraceback", event_id="E-9",
                   run_dir="/tmp/seed-2"),
    )
    return SwarmSummary(config, results, wall_s=30.0)


def test_the_summary_counts_seeds_failures_rate_and_kinds(tmp_path):
    summary = _summary()
    assert summary.seeds_per_minute == pytest.approx(4.0)
    assert summary.kinds_exercised() == {"service_crash": {"seeds": 2, "faults": 3, "skipped": 0},
                                         "venue_down": {"seeds": 1, "faults": 1, "skipped": 0},
                                         "region_kill": {"seeds": 0, "faults": 0, "skipped": 1}}
    json_path, parquet_path = summary.write(tmp_path)
    data = json.loads(json_path.read_text())
    assert (data["seeds"], data["failed"], data["commit"]) == (2, 1, "abc123")
    assert data["failures"][0]["reproduce"] == ("twin swarm --seeds 1 --first-seed 2 --scenario "
                                                "scenarios/swarm_day.yaml --kinds service_crash,venue_down")
    table = pq.read_table(parquet_path).to_pylist()
    assert [row["seed"] for row in table] == [1, 2]
    assert [row["kind_service_crash"] for row in table] == [2, 1]
    assert table[1]["problem"] == "order O-1 ended ROUTED" and not table[1]["passed"]


def test_a_failure_prints_seed_commit_check_and_the_reproducing_command():
    lines = summary_lines(_summary())
    assert lines[0].startswith("FAILED seed 2 (commit abc123): every_order_terminal: order O-1 ended ROUTED")
    assert "reproduce: twin swarm --seeds 1 --first-seed 2" in lines[2]
    assert "run folder kept: /tmp/seed-2" in lines[3]
    assert any("2 seeds run, 1 failed" in line and "4.0 seeds/minute" in line for line in lines)
    assert any(line.split()[:4] == ["region_kill", "0", "/", "0"] and "cannot take it in 1 seeds" in line
               for line in lines)


def test_reproduce_command_without_kinds_draws_from_every_kind():
    expected = "twin swarm --seeds 1 --first-seed 9 --scenario scenarios/swarm_day.yaml"
    assert reproduce_command(SwarmConfig(), 9) == expected


def test_plan_record_is_plain_data():
    fault = draw_plan(3, SHAPE, ("venue_down",))[0]
    record = plan_record(fault)
    assert record["kind"] == "venue_down" and record["venue"] in SHAPE.venues
    json.dumps(record)


def test_git_commit_is_a_hash_or_unknown(tmp_path):
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?|unknown", git_commit())
    assert git_commit(tmp_path) == "unknown"  # not a repository


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "2", "--kinds", "no_such_kind"], "invalid: kinds: unknown fault kind 'no_such_kind'"),
    (["--seeds", "2", "--scenario", "no/such.yaml"], "cannot read no/such.yaml"),
])
def test_the_cli_refuses_bad_input_in_one_line(argv, message, capsys, tmp_path):
    assert main(["swarm", "--out", str(tmp_path), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_the_cli_refuses_a_bad_seed_count(value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["swarm", "--seeds", value])
    assert exc.value.code == 2
    assert "--seeds" in capsys.readouterr().err


# ---------------------------------------------------------------- the swarm's own checks can fail


def test_liveness_fails_when_the_close_never_ends_the_working_orders(monkeypatch):
    import twin.runner
    from chaos.swarm import _Probes, run_seed

    monkeypatch.setattr(twin.runner, "_schedule_close", lambda world, close_ns: None)
    probes = _Probes()
    result = run_seed(SwarmConfig(kinds=("venue_slow",)), 1, probes=probes)
    assert not result.passed
    assert [check for check, _, _ in probes.found] == ["liveness_after_close"]
    assert "30s after the close" in probes.found[0][1]


def test_liveness_fails_when_orders_that_cannot_rest_are_still_working_after_the_heal(monkeypatch):
    from chaos.swarm import _Probes, run_seed
    from twin.venue_adapters import SimVenueGateway

    monkeypatch.setattr(SimVenueGateway, "_at_venue", lambda self, timer: None)  # children vanish on the wire
    probes = _Probes()
    assert not run_seed(SwarmConfig(kinds=("venue_slow",)), 1, probes=probes).passed
    assert probes.found[0][0] == "liveness_after_heal"


def test_a_fault_acting_after_the_heal_is_reported(monkeypatch):
    import chaos.swarm
    from chaos.faults.venues import VenueDown
    from chaos.swarm import _Probes, run_seed

    def late_plan(seed, shape, kinds):
        return (VenueDown("XNAS", shape.close_ns + 10 * NS, 5 * NS),)

    monkeypatch.setattr(chaos.swarm, "draw_plan", late_plan)
    probes = _Probes()
    result = run_seed(SwarmConfig(kinds=("venue_down",)), 1, probes=probes)
    assert probes.found[0][0] == "faults_heal_in_safety_phase"
    assert result.kinds == (("venue_down", 1),) and not result.passed


@settings(max_examples=50, deadline=None)
@given(name=st.text(min_size=1, max_size=30))
def test_any_unknown_kind_is_refused_in_one_line(name):
    if name in KINDS:
        assert SwarmConfig(kinds=(name,)).kind_names() == (name,)
        return
    with pytest.raises(ValueError) as exc:
        SwarmConfig(kinds=("venue_down", name))
    assert str(exc.value).startswith(f"kinds: unknown fault kind {name!r}") and "\n" not in str(exc.value).strip()


def test_a_rebuild_that_differs_from_memory_is_reported():
    from types import SimpleNamespace

    from chaos.swarm import _recovery_divergence
    from twin.crashes import ServiceRecovery

    services = {"oms": ServiceRecovery(restarts=1), "risk": ServiceRecovery(restarts=1, divergences=["risk"])}
    world = SimpleNamespace(recovery=SimpleNamespace(services=services))
    assert _recovery_divergence(world) == ("rebuild_matches_memory", "service risk restarted and rebuilt risk "
                                           "differently from the state it died with")
    services["risk"].divergences.clear()
    assert _recovery_divergence(world) is None
    assert _recovery_divergence(SimpleNamespace(recovery=None)) is None  # no crash, no recovery
