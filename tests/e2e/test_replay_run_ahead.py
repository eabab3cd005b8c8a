"""A replay run with the replay venues running ahead of the scheduler (``twin.runner._run_replay_ahead``)
is the same run: same fingerprint, same orders, the same NBBO timeline, on a two-venue day with prints
and resting orders (equal timestamps across venues, our orders in flight between quotes)."""

from __future__ import annotations

import pytest

import twin.runner as runner
from tests.e2e.replay_days import assert_same_replay, replay_with_strategy, two_venue_replay_folder
from venues_sim.synthetic_day import DEFAULT_START_NS

NS = 1_000_000_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    orders = []
    for i in range(30):  # marketable and resting limits, so queues, prints and cancels all happen
        side, limit = ("BUY", "189.98") if i % 2 == 0 else ("SELL", "190.02")
        kind = "MARKET" if i % 3 == 0 else "LIMIT"
        orders.append(f"{DEFAULT_START_NS + (i + 1) * 4 * NS + 1},AC-00001,AAPL,{side},300,{kind},"
                      f"{'' if kind == 'MARKET' else limit},DAY")
    return two_venue_replay_folder(tmp_path_factory.mktemp("ahead"), name="replay_ahead", seed=5, day_seed=7,
                                   ticks=1500, orders=orders)


def test_running_ahead_changes_nothing_a_run_records(folder, capsys, monkeypatch):
    ahead = replay_with_strategy(folder, "ahead", capsys)
    with monkeypatch.context() as m:
        m.setattr(runner, "_run_replay_ahead", lambda world: None)  # one scheduler round trip per event
        plain = replay_with_strategy(folder, "plain", capsys)
    assert_same_replay(folder, ("ahead", ahead), ("plain", plain))
