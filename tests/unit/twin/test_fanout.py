"""twin.fanout.run_many: item order, errors naming the item, and the same results in process, on a
process pool and on a Dask LocalCluster (acceptance: identical fingerprints per twin run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from twin.fanout import FanOutError, run_many

SMOKE = Path(__file__).resolve().parents[3] / "scenarios" / "smoke.yaml"


def slow_square(n: int) -> tuple[int, int]:
    """Later items finish first (a pool would return them out of order if run_many did not sort)."""
    import time

    time.sleep(0.05 * (5 - n % 5))
    return n, n * n


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError(f"three is bad ({n})")
    return n


def worker_pid(_: int) -> int:
    return os.getpid()


def smoke_fingerprint(seed: int) -> tuple[int, str, bool]:
    """One real small twin run through the public API: (seed, fingerprint, invariants passed)."""
    from scenarios.config import load_scenario
    from twin.runner import run_scenario

    result = run_scenario(load_scenario(SMOKE), seed, check=False)
    return seed, result.fingerprint, result.passed


def test_results_come_back_in_item_order_from_a_pool():
    items = list(range(10))
    assert run_many(slow_square, items, workers=2) == [(n, n * n) for n in items]


def test_workers_one_runs_in_this_process_and_a_pool_does_not():
    assert set(run_many(worker_pid, [1, 2, 3], workers=1)) == {os.getpid()}
    assert os.getpid() not in run_many(worker_pid, [1, 2, 3], workers=2)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_names_the_item_and_keeps_what_finished(workers):
    with pytest.raises(FanOutError, match=r"item 3 \(3\) failed: ValueError: three is bad") as caught:
        run_many(fail_on_three, [0, 1, 2, 3, 4], workers=workers)
    assert caught.value.index == 3 and caught.value.item == 3
    assert isinstance(caught.value.__cause__, ValueError)
    # in process, everything before the failure finished; on a pool, at least nothing wrong was kept
    completed = caught.value.completed
    assert all(completed[i] == i for i in completed) and 3 not in completed
    if workers == 1:
        assert completed == {0: 0, 1: 1, 2: 2}


def test_empty_items_give_an_empty_list():
    assert run_many(slow_square, [], workers=2) == []


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_bad_workers_is_refused_by_name(workers):
    with pytest.raises(ValueError, match=r"^workers: must be a whole number >= 1"):
        run_many(slow_square, [1], workers=workers)


@pytest.mark.parametrize("address", ["", "localhost:8786", "http://x:1", "LOCAL"])
def test_bad_dask_address_is_refused_by_name(address):
    with pytest.raises(ValueError, match=r"^dask: expected 'local' or a scheduler address"):
        run_many(slow_square, [1], dask=address)


def test_a_lambda_is_refused_before_anything_runs():
    with pytest.raises(TypeError, match=r"^fn: .*lambda.* cannot be sent to a worker process"):
        run_many(lambda n: n, [1, 2], workers=2)


def test_progress_label_without_a_terminal_still_returns_results():
    assert run_many(slow_square, [1, 2], workers=1, progress="squares") == [(1, 1), (2, 4)]


def test_same_sweep_in_process_on_a_pool_and_on_dask_gives_identical_fingerprints():
    """Acceptance (issue 17): the same sweep on the process pool and on a Dask LocalCluster gives
    identical fingerprints per run; in process too. Two smoke seeds (one round on two workers) keep it
    under 30 s on a busy two-core machine."""
    seeds = [1, 2]
    in_process = run_many(smoke_fingerprint, seeds, workers=1)
    pool = run_many(smoke_fingerprint, seeds, workers=2)
    on_dask = run_many(smoke_fingerprint, seeds, workers=2, dask="local")
    assert [row[0] for row in in_process] == seeds
    assert len({row[1] for row in in_process}) == 2  # different seeds, different runs
    assert all(row[2] for row in in_process)
    assert pool == in_process
    assert on_dask == in_process


def test_a_failure_on_dask_names_the_item():
    with pytest.raises(FanOutError, match=r"item 3 \(3\) failed: ValueError") as caught:
        run_many(fail_on_three, [0, 1, 2, 3], workers=1, dask="local")
    assert isinstance(caught.value.__cause__, ValueError)


def test_an_unreachable_scheduler_is_named(monkeypatch):
    import socket

    import twin.fanout as fanout

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(fanout, "DASK_CONNECT_TIMEOUT_S", 2)
    with pytest.raises(ConnectionError, match=rf"^dask: cannot reach the scheduler at tcp://127.0.0.1:{port}: "):
        run_many(slow_square, [1, 2], dask=f"tcp://127.0.0.1:{port}")
