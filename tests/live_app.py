"""A live stack and an HTTP client on it, for tests that talk to the API in process.

``tests/integration/conftest.py`` turns these into the ``live`` and ``client`` fixtures
(built from the test module's ``CONFIG``); a test that needs a fresh stack per test uses
the context managers directly.
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from typing import Iterator

from components.config.live import parse_live_config
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app

with warnings.catch_warnings():  # starlette nags about httpx; it is the client we have
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@contextmanager
def live_stack(config: str) -> Iterator[object]:
    """The live runtime built from ``live.toml`` text, closed afterwards."""
    app = build_live(parse_live_config(config, "test"))
    try:
        yield app
    finally:
        app.close()


@contextmanager
def http_client(live) -> Iterator[TestClient]:
    """A test client on the live runtime's HTTP API; the context keeps its loop (and so the
    wall clock's timers) running."""
    with TestClient(create_app(live)) as client:
        yield client


def wait_for_status(client, order_id: str, statuses, headers: dict, timeout: float = 5.0) -> dict:
    """Poll ``GET /v1/orders/{order_id}`` until its status is one of ``statuses`` or the time is
    up; returns the last order seen (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while True:
        got = client.get(f"/v1/orders/{order_id}", headers=headers).json()
        if got["status"] in statuses or time.monotonic() > deadline:
            return got
        time.sleep(0.01)
