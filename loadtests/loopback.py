"""Load tests aim at this machine only: a URL whose host is not loopback is refused.

Kept apart from the locustfile so that checking a URL does not import locust (which
monkey-patches the standard library with gevent on import).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class NotLoopback(ValueError):
    """A load test aimed at a host that is not this machine."""


def require_loopback(url: str | None) -> str:
    """``url`` if its host is loopback (127.0.0.0/8, ::1, localhost); otherwise NotLoopback saying why."""
    if not url:
        raise NotLoopback("no --host given: use e.g. --host http://127.0.0.1:8080")
    host = urlsplit(url).hostname
    if host == "localhost":
        return url
    try:
        if host and ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise NotLoopback(f"--host {url}: {host!r} is not a loopback address; load tests run against this machine only")
