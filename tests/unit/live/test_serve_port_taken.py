"""``twin serve`` on a port another process listens on is refused before the stack is built: one line naming
the option, exit 2, and nothing written into the run folder (it used to build the whole stack, write start
and stop anchors for a server that never ran, then fail)."""

from __future__ import annotations

import socket
import subprocess
import sys

from live.entrypoints.serve import _port_taken


def listening() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, sock.getsockname()[1]


def test_a_taken_port_is_named_and_a_free_one_is_not():
    sock, port = listening()
    with sock:
        assert "in use" in _port_taken("127.0.0.1", port)
    assert _port_taken("127.0.0.1", port) == ""
    assert _port_taken("no-such-host.invalid", port)


def test_serve_on_a_taken_port_writes_nothing(tmp_path):
    sock, port = listening()
    with sock:
        done = subprocess.run([sys.executable, "-m", "live", "--direct-venues", "--run-dir", str(tmp_path / "run"),
                               "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().endswith(f"--port {port}: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert not (tmp_path / "run").exists()
