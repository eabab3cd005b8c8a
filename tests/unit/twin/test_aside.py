"""twin.aside: work done in a forked child (or in process when no core is spare), its result handed back."""

from __future__ import annotations

import os

import pytest

from twin import aside as aside_module
from twin.aside import Aside, AsideError, aside


def test_a_forked_child_does_the_work_and_hands_back_its_result(tmp_path):
    parent = os.getpid()

    def work():
        (tmp_path / "written").write_text(str(os.getpid()))
        return {"rows": [1, 2, 3], "pid": os.getpid()}

    done = Aside(work, fork=True)
    result = done.result()
    assert result["rows"] == [1, 2, 3] and result["pid"] != parent  # it ran in another process
    assert (tmp_path / "written").read_text() == str(result["pid"])
    assert done.result() is result  # asked again: the same value, no second wait


def test_a_failure_in_the_child_is_raised_with_its_traceback():
    def work():
        raise ValueError("bad column 'price' in row 7")

    with pytest.raises(AsideError, match="bad column 'price' in row 7"):
        Aside(work, fork=True).result()


def test_a_large_result_does_not_block_the_child():
    # bigger than a pipe's buffer (64 KiB): the parent reads it all before it waits for the child
    assert len(Aside(lambda: "x" * 1_000_000, fork=True).result()) == 1_000_000


def test_without_a_spare_core_the_work_runs_here_at_once(monkeypatch):
    monkeypatch.setenv("TWIN_REPORT_WORKERS", "1")
    ran_in = []
    done = aside(lambda: ran_in.append(os.getpid()) or "here")
    assert ran_in == [os.getpid()]  # before result() was asked for
    assert done.result() == "here"


def test_with_two_cores_it_forks(monkeypatch):
    monkeypatch.delenv("TWIN_REPORT_WORKERS", raising=False)
    monkeypatch.setattr(aside_module, "pool_size", lambda n: 2)
    assert aside(os.getpid).result() != os.getpid()
