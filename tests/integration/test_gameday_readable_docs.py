"""docs/gameday.md's commands run as written from a fresh checkout (no ``out/``, no ``reports/out/``),
and what they leave in the working folder is git-ignored.

The fresh checkout is a temporary folder of links to the repository's files, without its output
folders; the doc's ``/tmp/...`` outputs are redirected into the test's own temporary folder (the
only change to the commands). The live-stack block (nats-server, PostgreSQL) is not run here:
tests/integration/test_chaos_live_stack.py starts that stack.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "gameday.md"
OUTPUTS = ("out", "reports/out", "chaostoolkit.log", "discovery.json")
"""What a fresh checkout does not have: output folders and files a previous run left."""

pytestmark = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "chaos").exists(), reason="no .venv/bin/chaos")


def fresh_checkout(where: Path) -> Path:
    """``where`` with links to every top-level file of the repository, ``reports`` one level down, so
    that what the commands write lands in ``where`` and no output of an earlier run is there."""
    where.mkdir()
    for item in ROOT.iterdir():
        if item.name in (".git", "reports") or item.name in OUTPUTS:
            continue
        (where / item.name).symlink_to(item)
    (where / "reports").mkdir()
    for item in (ROOT / "reports").iterdir():
        if item.name != "out":
            (where / "reports" / item.name).symlink_to(item)
    return where


def shell_commands(doc: str) -> list[str]:
    """Every command line of the doc's ``sh`` blocks, in order (comments dropped)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", doc, flags=re.S):
        lines += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    return [line for line in lines if line and not line.startswith("#")]


def test_every_command_of_the_doc_runs_as_written_from_a_fresh_checkout(tmp_path):
    work = fresh_checkout(tmp_path / "checkout")
    commands = shell_commands(DOC.read_text())
    assert any(c.startswith(".venv/bin/chaos run --journal-path") for c in commands), commands
    results = []
    for command in commands:
        command = command.replace("/tmp/", f"{tmp_path}/tmp/")
        (tmp_path / "tmp").mkdir(exist_ok=True)  # the machine's /tmp exists; so does the test's
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAOS_")}
        done = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)
        results.append(command)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        assert "Traceback" not in done.stdout + done.stderr, command
    assert (tmp_path / "tmp" / "gameday" / "gameday.html").exists()


def test_what_chaos_leaves_in_the_working_folder_is_git_ignored():
    done = subprocess.run(["git", "check-ignore", "-q", "chaostoolkit.log"], cwd=ROOT)
    assert done.returncode == 0, "chaostoolkit.log is not in .gitignore"
    assert "chaostoolkit.log" in DOC.read_text() and ".gitignore" in DOC.read_text()
