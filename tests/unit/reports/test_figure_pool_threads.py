"""``reports.figure_pool.pool_size`` (and so ``twin.aside``) forks no worker while another thread is alive:
a fork copies only the calling thread, and a lock the other held would stay locked in the child."""

from __future__ import annotations

import threading

import pytest

from reports import figure_pool
from twin import aside as aside_module

needs_fork = pytest.mark.skipif(not figure_pool.fork_available(), reason="no fork on this platform")


@needs_fork
def test_another_thread_alive_means_no_worker(monkeypatch):
    monkeypatch.setattr(figure_pool.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(figure_pool.threading, "active_count", lambda: 1)  # as in `twin run`'s outputs phase
    assert figure_pool.pool_size(8, workers=4) == 4
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    monkeypatch.undo()
    monkeypatch.setattr(figure_pool.os, "cpu_count", lambda: 4)
    other.start()
    try:
        assert figure_pool.pool_size(8, workers=4) == 1
        done = aside_module.aside(threading.get_ident)
        assert done.result() == threading.get_ident()  # ran here, in this thread: no child was forked
    finally:
        stop.set()
        other.join()
