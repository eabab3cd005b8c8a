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


def test_a_failure_in_the_child_is_raised_with_its_traceback_noted():
    def work():
        raise ValueError("bad column 'price' in row 7")

    with pytest.raises(ValueError, match="bad column 'price' in row 7") as raised:  # the child's own exception
        Aside(work, fork=True).result()
    assert "raise ValueError" in "".join(raised.value.__notes__)  # with where it came from


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


def test_the_childs_own_exception_comes_back_with_its_traceback():
    def work():
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left") as raised:
        Aside(work, fork=True).result()
    assert any("raised in the output worker" in note for note in raised.value.__notes__)


def test_an_exception_that_cannot_be_sent_back_is_an_aside_error():
    class Local(Exception):  # defined in a function: pickle cannot find it by name
        pass

    def work():
        raise Local("odd")

    with pytest.raises(AsideError, match="Local: odd"):
        Aside(work, fork=True).result()


def test_a_result_that_cannot_be_sent_back_is_reported_as_such():
    with pytest.raises(Exception, match="pickle"):  # the pickling error itself, not "killed?"
        Aside(lambda: (lambda: None), fork=True).result()


def test_asked_again_after_a_failure_it_raises_again():
    done = Aside(lambda: 1 / 0, fork=True)
    for _ in range(2):
        with pytest.raises(ZeroDivisionError):
            done.result()


def test_a_child_that_dies_is_reported_with_its_status():
    with pytest.raises(AsideError, match="without a result"):
        Aside(lambda: os._exit(3), fork=True).result()


def test_leaving_the_block_after_a_failure_reaps_the_child(tmp_path):
    import time

    def work():
        time.sleep(0.3)
        (tmp_path / "late").write_text("done")

    with pytest.raises(KeyError):
        with Aside(work, fork=True) as side:
            raise KeyError("the parent failed first")
    assert (tmp_path / "late").read_text() == "done"  # waited for, not left writing behind the error
    assert side._pid == 0


def test_the_runs_own_gc_freeze_is_kept_and_the_child_leaves_it_alone():
    import gc

    gc.freeze()
    try:
        assert Aside(gc.get_freeze_count, fork=True).result() > 0  # frozen in the child
        assert gc.get_freeze_count() > 0  # and still here: the caller's freeze is kept
    finally:
        gc.unfreeze()
    # with nothing frozen before, the child stays frozen and this process is as it was
    assert Aside(gc.get_freeze_count, fork=True).result() > 0 and gc.get_freeze_count() == 0
