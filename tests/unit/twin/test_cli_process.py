"""The `twin` command line as a process: a reader that stops early (`twin ... | head`) ends it quietly, and it starts light."""

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


def test_the_command_line_starts_without_pandas_or_matplotlib():
    # Every `twin` command builds the whole parser; the heavy libraries load only in the command
    # that needs them, so `twin validate` or `twin --help` answers at once.
    script = ("import sys; from twin.cli import build_parser; build_parser(); "
              "print(sorted(m for m in ('pandas', 'matplotlib', 'scipy', 'dask') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
