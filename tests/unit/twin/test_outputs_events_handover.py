"""``twin.outputs.write_run`` takes the run's events over and lets them go once the files that read them
are written (on a big day they are the largest thing the process holds); the run folder is the same."""

from __future__ import annotations

import json

from scenarios.config import builtin_scenario_path, load_scenario
from twin.outputs import write_run
from twin.runner import read_out, run_scenario


def test_write_run_empties_the_events_it_was_given_and_the_folder_is_complete(tmp_path):
    scenario = load_scenario(builtin_scenario_path("smoke"))
    result = run_scenario(scenario, seed=7)
    events = read_out(result.world.log)
    count = len(events)
    assert count > 100
    write_run(result, tmp_path, events)
    assert events == []  # handed over and let go
    assert len(result.world.log) == count and len(list(result.world.log.read())) == count  # the log keeps them
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["event_count"] == count and summary["surveillance"]["alerts_by_pattern"] is not None
    keys = list(summary)
    assert keys.index("services") < keys.index("slo") < keys.index("surveillance")  # its place in summary.json
