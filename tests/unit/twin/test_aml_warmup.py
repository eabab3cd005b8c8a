"""The warm-up in twin.aml_run: history_for_seed precedes flow_for_seed's window with the same clients;
measure warms up by default and ``twin aml evaluate --no-warmup`` starts cold."""

from __future__ import annotations

from types import SimpleNamespace

from components.aml.transfers import TransferKind
from twin.aml_monitoring import write_aml_outputs
from twin.aml_run import FLOW_START_NS, flow_for_seed, history_for_seed, measure
from twin.cli import build_parser

DAY_NS = 86_400 * 1_000_000_000


def _companies(flow) -> set[str]:
    return {t.target for t in flow.transfers if t.kind is TransferKind.WITHDRAWAL and t.target.startswith("EXT-")}


def test_history_precedes_the_window_and_pays_the_same_billers():
    history, window = history_for_seed(5, clients=120, days=2), flow_for_seed(5, clients=120, days=2, episodes=0)
    assert history.transfers and all(FLOW_START_NS - 2 * DAY_NS <= t.ts_ns < FLOW_START_NS
                                     for t in history.transfers)
    assert not {t.transfer_id for t in history.transfers} & {t.transfer_id for t in window.transfers}
    assert len(_companies(history) & _companies(window)) >= 5


def test_measure_warms_up_by_default_and_not_when_asked():
    warm = measure(5, 6, clients=120, days=2, episodes=1)
    cold = measure(5, 6, clients=120, days=2, episodes=1, warmup=False)
    assert warm["warmup_transfers"] == len(history_for_seed(5, clients=120, days=2).transfers) > 0
    assert cold["warmup_transfers"] == 0 and cold["transfers"] == warm["transfers"]
    assert build_parser().parse_args(["aml", "evaluate", "--no-warmup"]).no_warmup
    assert not build_parser().parse_args(["aml", "evaluate"]).no_warmup


def test_a_run_without_money_writes_no_aml_files(tmp_path):
    assert write_aml_outputs(SimpleNamespace(money=None), tmp_path) is None
    assert list(tmp_path.iterdir()) == []
