"""``twin.surveillance_run.tune``: a pattern with no labelled episode on the training runs keeps its threshold
(every F1 there is 0 or undefined: nothing to learn); a labelled one is tuned as before."""

from __future__ import annotations

from components.surveillance import Pattern, SurveillanceConfig, threshold_of, with_threshold
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.cli_surveil import run_seed
from twin.surveillance_run import tune


def test_without_labels_every_threshold_is_kept():
    run = run_seed(load_scenario(SCENARIOS / "smoke.yaml"), 5)
    assert not run.labels  # smoke has no bad actors
    config = with_threshold(SurveillanceConfig(), Pattern.SPOOFING, 7)  # not a default: kept as given
    tuned, chosen = tune([run], config)
    assert chosen == {p.value: threshold_of(config, p) for p in Pattern}
    assert tuned == config
