"""``live.run_lock``: one writing live process per run folder. A second one is refused at once, naming the
process that holds the folder (two writers leave anchors the next verified start reads as tampering); the
kernel's lock goes with its process however it ends; a read-only process takes none."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from components.config.live import parse_live_config
from live.bootstrap import build_live
from live.run_lock import LOCK_FILE, RunFolderInUse, RunFolderLock
from tests.live_configs import IN_PROCESS, account, symbols

CONFIG = (symbols(AAPL="190.00") + IN_PROCESS.replace('kind = "memory"', 'kind = "sqlite"')  # a log in the folder
          + '\n[[venues]]\nname = "XNAS"\n' + account("ACCT-1", "CL-1", "ADV-1") + "\n[session]\nenabled = false\n")


def test_a_second_lock_is_refused_naming_the_holder_until_the_first_is_released(tmp_path):
    first = RunFolderLock(tmp_path)
    with pytest.raises(RunFolderInUse, match=f"already served by process {os.getpid()} "):
        RunFolderLock(tmp_path)
    first.release()
    first.release()  # idempotent
    RunFolderLock(tmp_path).release()


def test_the_lock_goes_with_a_process_that_dies(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from live.run_lock import RunFolderLock; RunFolderLock(sys.argv[1]); "
        "print('held', flush=True); time.sleep(60)"), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderInUse, match=f"process {holder.pid} "):
            RunFolderLock(tmp_path)
    finally:
        holder.kill()  # as SIGKILL would end a server: no release, no clean stop
        holder.wait()
    RunFolderLock(tmp_path).release()
    assert (tmp_path / LOCK_FILE).exists()


def test_a_live_stack_holds_its_run_folder_while_it_is_open_and_read_only_takes_no_hold(tmp_path):
    config = replace(parse_live_config(CONFIG, "test"), run_dir=str(tmp_path))
    first = build_live(config)
    try:
        with pytest.raises(RunFolderInUse, match="stop it first, or serve another --run-dir"):
            build_live(config)
        reader = build_live(config, read_only=True)  # investigation beside the writer: it writes nothing
        assert reader.lock is None
        reader.close()
    finally:
        first.close()
    again = build_live(config)  # closed cleanly: the folder is free
    again.close()
