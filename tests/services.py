"""Real PostgreSQL and NATS servers for integration tests: start, wait until ready, stop.

Importable helpers only (the pytest fixtures are in ``tests/integration/conftest.py``).
Each server runs from the Debian package's binaries on a free loopback port with
its data under a throw-away directory. Every wait has a timeout, and ``stop``
always ends the process (a shutdown signal, then SIGKILL). Servers stay in the
test run's process group, so a runner that kills the group (``timeout``, CI
cancellation) ends them too. ``missing_*`` name the Debian package to install
when a binary is absent, so fixtures can skip with a reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 30.0  # seconds; initdb plus start is ~2 s here, nats-server well under 1 s
STOP_TIMEOUT = 10.0
_PG_USER = "twin"  # the superuser initdb creates; tests connect as it (the table owner)


def free_port() -> int:
    """A TCP port free on loopback right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, deadline: float, log: Path) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"server not accepting connections on port {port}:\n{_tail(log)}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _end(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Signal ``proc`` and reap it; escalate to SIGKILL if it outlives STOP_TIMEOUT."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT)


# -- PostgreSQL -----------------------------------------------------------------
def postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` holding initdb and postgres (not on PATH)."""
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin")
             if (p / "initdb").exists() and (p / "postgres").exists()]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def missing_postgres() -> str:
    """Why PostgreSQL cannot be started here, or '' if it can."""
    if postgres_bin_dir() is None:
        return "PostgreSQL server binaries not found: apt-get install -y postgresql"
    if os.geteuid() == 0 and not _user_exists("postgres"):
        return "running as root but there is no 'postgres' user: apt-get install -y postgresql creates it"
    return ""


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@dataclass
class PostgresServer:
    """One running ``postgres``; ``dsn`` connects as the superuser to database ``postgres``."""

    port: int
    data_dir: Path
    log: Path
    proc: subprocess.Popen | None = field(repr=False, default=None)
    _owned_root: Path | None = field(repr=False, default=None)

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={_PG_USER} dbname=postgres connect_timeout=5"

    def dsn_for(self, dbname: str) -> str:
        return self.dsn.replace("dbname=postgres", f"dbname={dbname}")

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
        _end(self.proc, signal.SIGINT)
        self.proc = None
        if self._owned_root is not None:
            shutil.rmtree(self._owned_root, ignore_errors=True)


def start_postgres(tmp_dir: str | os.PathLike, timeout: float = START_TIMEOUT) -> PostgresServer:
    """initdb a fresh cluster and start it on a free loopback port; returns once it answers."""
    reason = missing_postgres()
    if reason:
        raise RuntimeError(reason)
    bin_dir = postgres_bin_dir()
    as_root = os.geteuid() == 0
    if as_root:
        # PostgreSQL refuses to run as root, and the postgres user cannot enter
        # pytest's tmp dirs (mode 0700, owned by root): use a dir of its own in /tmp.
        root = Path(tempfile.mkdtemp(prefix="twin-pg-"))
        shutil.chown(root, "postgres", "postgres")
        # Popen(user=...) rather than runuser: signals must reach postgres itself.
        as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
    else:
        root = Path(tmp_dir) / "postgres"
        root.mkdir(parents=True, exist_ok=True)
        as_user = {}
    data, sock, log = root / "data", root / "sock", root / "postgres.log"
    server = PostgresServer(free_port(), data, log, None, root if as_root else None)
    try:
        subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", _PG_USER, "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True, timeout=timeout, cwd=root, **as_user)
        subprocess.run(["mkdir", "-p", str(sock)], check=True, timeout=timeout, cwd=root, **as_user)
        # fsync off: test data need not survive a power cut, and it makes setup fast.
        command = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(server.port), "-k", str(sock),
                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                            "-c", "full_page_writes=off"]
        with open(log, "ab") as out:
            server.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=root, **as_user)
        deadline = time.monotonic() + timeout
        _wait_port(server.port, server.proc, deadline, log)
        _wait_postgres_ready(server, deadline)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_postgres_ready(server: PostgresServer, deadline: float) -> None:
    # The port opens before recovery ends ("the database system is starting up"):
    # only a successful query means ready.
    import psycopg

    while True:
        try:
            with psycopg.connect(server.dsn, autocommit=True) as con:
                con.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline or (server.proc and server.proc.poll() is not None):
                raise TimeoutError(f"PostgreSQL did not become ready:\n{_tail(server.log)}") from None
            time.sleep(0.1)


# -- NATS -----------------------------------------------------------------------
def nats_binary() -> str | None:
    return shutil.which("nats-server") or next(
        (p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server") if os.path.exists(p)), None)


def missing_nats() -> str:
    """Why nats-server cannot be started here, or '' if it can."""
    return "" if nats_binary() else "nats-server not found: apt-get install -y nats-server"


@dataclass
class NatsServer:
    """One ``nats-server -js``; ``restart`` brings it back on the same port with the same store."""

    port: int
    store_dir: Path
    log: Path
    proc: subprocess.Popen | None = field(repr=False, default=None)
    timeout: float = START_TIMEOUT

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        command = [nats_binary() or "nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port),
                   "-sd", str(self.store_dir)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_port(self.port, self.proc, time.monotonic() + self.timeout, self.log)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM)."""
        _end(self.proc)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to flush or say goodbye to clients."""
        _end(self.proc, signal.SIGKILL)
        self.proc = None

    def restart(self) -> "NatsServer":
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def start_nats(tmp_dir: str | os.PathLike, timeout: float = START_TIMEOUT) -> NatsServer:
    """nats-server with JetStream on a free loopback port, storing under ``tmp_dir``."""
    reason = missing_nats()
    if reason:
        raise RuntimeError(reason)
    root = Path(tmp_dir) / "nats"
    root.mkdir(parents=True, exist_ok=True)
    return NatsServer(free_port(), root / "store", root / "nats.log", timeout=timeout).start()
