"""Fixtures for tests against real services: a PostgreSQL server per test session
(per xdist worker) and a fresh NATS JetStream server per test; and, for modules that
define ``CONFIG``, the in-process live runtime and an HTTP client on it.

The servers come from ``tests/services.py``. When a binary is missing the test
is skipped with the Debian package to install; CI installs both (``.ci/run``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `tests.services` must import however pytest was started
    sys.path.insert(0, str(_ROOT))

from tests import services  # noqa: E402
from tests.live_app import http_client, live_stack  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    reason = services.missing_postgres()
    if reason:
        pytest.skip(reason)
    server = services.start_postgres(tmp_path_factory.mktemp("postgres"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_server(tmp_path):
    reason = services.missing_nats()
    if reason:
        pytest.skip(reason)
    server = services.start_nats(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live(request):
    """The live runtime built from the test module's ``CONFIG`` (``live.toml`` text), one per module."""
    with live_stack(request.module.CONFIG) as app:
        yield app


@pytest.fixture(scope="module")
def client(live):
    """An HTTP test client on ``live``."""
    with http_client(live) as c:
        yield c
