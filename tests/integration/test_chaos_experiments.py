"""The game-day experiments through the real Chaos Toolkit CLI (``.venv/bin/chaos``).

Every experiment in chaos/experiments (and the deliberately broken variant) passes ``chaos
validate``; the fast twin ones pass ``chaos run`` (exit 0), the broken variant deviates (exit
non-zero, journal ``deviated``), and ``twin gameday`` turns the real journals into a report. The
extension's ``discover`` lists its actions and probes as ``chaos discover`` expects.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chaos.toolkit import discover
from twin.cli import main

ROOT = Path(__file__).resolve().parents[2]
CHAOS = Path(sys.executable).parent / "chaos"
EXPERIMENTS = sorted((ROOT / "chaos" / "experiments").rglob("*.json"))

pytestmark = pytest.mark.skipif(not CHAOS.exists(), reason="the chaos CLI is not installed (pip install chaostoolkit)")


def chaos(*args: str, state_dir: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if state_dir is not None:
        env["CHAOS_STATE_DIR"] = str(state_dir)
    return subprocess.run([str(CHAOS), "--no-log-file", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_every_experiment_is_there():
    names = {p.stem for p in EXPERIMENTS}
    assert {"venue_outage_at_open", "region_failover", "data_corruption", "ai_path_slowdown", "control_plane_outage",
            "live_stack", "ai_path_slowdown_broken"} <= names


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_every_experiment_passes_chaos_validate(path):
    """The CLI's own code in process (click's runner), to spare a Python start per file; the console
    script itself is run by the next test and by the ``chaos run`` fixture."""
    from chaostoolkit.cli import cli

    done = CliRunner().invoke(cli, ["--no-log-file", "validate", str(path)], catch_exceptions=False)
    assert done.exit_code == 0, done.output


def test_the_chaos_console_script_validates_and_refuses_a_broken_file(tmp_path):
    assert chaos("validate", str(ROOT / "chaos" / "experiments" / "control_plane_outage.json")).returncode == 0
    bad = json.loads((ROOT / "chaos" / "experiments" / "control_plane_outage.json").read_text())
    bad["method"][0]["provider"]["func"] = "no_such_action"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    done = chaos("validate", str(tmp_path / "bad.json"))
    assert done.returncode != 0 and "no_such_action" in done.stderr + done.stdout


def test_discover_lists_the_extension_activities():
    found = discover(discover_system=True)
    names = {(a["type"], a["name"]) for a in found["activities"]}
    assert {("action", "run_twin_scenario"), ("action", "kill_process"), ("probe", "order_path_p99_ratio"),
            ("probe", "http_status")} <= names
    assert found["system"]["fault_kinds"]["control_plane_outage"] == "control_plane"


@pytest.fixture(scope="module")
def journals(tmp_path_factory):
    """Real journals: the control-plane outage (holds) and the broken AI variant (deviates)."""
    out = tmp_path_factory.mktemp("journals")
    runs = {}
    for name, path in (("control_plane_outage", "control_plane_outage.json"),
                       ("broken", "broken/ai_path_slowdown_broken.json")):
        journal = out / f"{name}.journal.json"
        done = chaos("run", "--journal-path", str(journal), str(ROOT / "chaos" / "experiments" / path),
                     state_dir=out / name)
        runs[name] = (done, json.loads(journal.read_text()), journal)
    return runs


def test_the_control_plane_outage_holds_its_hypothesis(journals):
    done, journal, _ = journals["control_plane_outage"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert journal["status"] == "completed" and journal["deviated"] is False
    after = {p["activity"]["name"]: p["output"] for p in journal["steady_states"]["after"]["probes"]}
    assert after["invariants-hold"] is True and after["order-path-p99-vs-fault-free"] <= 1.05
    action = journal["run"][0]["output"]
    assert action["control_plane"]["held_writes"] == 4 and action["faults"][0]["kind"] == "control_plane_outage"


OTHER_TWIN_EXPERIMENTS = ("venue_outage_at_open", "region_failover", "data_corruption", "ai_path_slowdown")
"""The twin game days not run above (the live-stack one has its own file: it starts real services)."""


def test_every_experiment_is_run_by_some_test():
    run_here = {"control_plane_outage", "broken/ai_path_slowdown_broken", *OTHER_TWIN_EXPERIMENTS}
    live = {"live_stack"}  # tests/integration/test_chaos_live_stack.py
    assert {str(p.relative_to(ROOT / "chaos" / "experiments").with_suffix("")) for p in EXPERIMENTS} == run_here | live


@pytest.mark.parametrize("name", OTHER_TWIN_EXPERIMENTS)
def test_each_twin_game_day_holds_its_hypothesis_under_chaos_run(name, tmp_path):
    journal = tmp_path / "journal.json"
    done = chaos("run", "--journal-path", str(journal), str(ROOT / "chaos" / "experiments" / f"{name}.json"),
                 state_dir=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    ran = json.loads(journal.read_text())
    assert ran["status"] == "completed" and ran["deviated"] is False, ran["status"]
    assert ran["steady_states"]["after"]["steady_state_met"] is True


def test_the_broken_variant_deviates_and_chaos_run_exits_non_zero(journals):
    done, journal, _ = journals["broken"]
    assert done.returncode != 0
    assert journal["deviated"] is True
    failed = [p["activity"]["name"] for p in journal["steady_states"]["after"]["probes"] if not p["tolerance_met"]]
    assert failed == ["insights-never-fall-back"]


def test_gameday_turns_real_journals_into_reports(journals, tmp_path, capsys):
    for name, verdict, code in (("control_plane_outage", "the steady state held", 0), ("broken", "DEVIATED", 1)):
        _, _, journal = journals[name]
        assert main(["gameday", str(journal), "--out", str(tmp_path / name)]) == code  # 1: CI fails on DEVIATED
        out = capsys.readouterr().out
        assert verdict in out, out
        html = (tmp_path / name / "gameday.html").read_text()
        assert verdict in html, name
        assert html.count("data:image/png;base64,") == 3, name  # the SLO over session time, steps, faults
        assert "Steady-state hypothesis, before and after the method" in html
    fallbacks = next(p["output"] for p in journals["broken"][1]["steady_states"]["after"]["probes"]
                     if p["activity"]["name"] == "insights-never-fall-back")
    broken = (tmp_path / "broken" / "gameday.html").read_text()
    assert re.search(rf'<td class="fail">{fallbacks}</td>', broken)  # the deviating measure, marked
    outage = (tmp_path / "control_plane_outage" / "gameday.html").read_text()
    assert "held" in outage and "orders entered while a fault was active" in outage
    # the real journal's action compared its run with the fault-free baseline; times are New York's
    assert "fault-free baseline" in outage and "Totals, not effects of the fault" not in outage
    assert ">09:35:00<" in outage and ">09:35:00.000<" in outage and "14:35:00Z" not in outage
