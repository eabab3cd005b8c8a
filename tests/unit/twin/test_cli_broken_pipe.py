"""`twin ... | head`: a reader that stops early ends the command quietly, with no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_closed_stdout_ends_the_command_without_a_traceback():
    # The parent closes its end of the pipe before the child writes: the child's output hits EPIPE,
    # as it does when `head` exits after its first lines.
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; from twin.cli import main; sys.exit(main(sys.argv[1:]))",
         "validate", str(ROOT / "scenarios" / "smoke.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    child.stdout.close()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 141, err.decode()
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
