"""Structured JSON logs (one object per line) with PII scrubbed.

``TWIN_LOG_FORMAT=json`` in the environment of ``twin serve`` turns every log
line (our ``live`` logger, uvicorn's error and access logs, the root logger)
into one JSON object: ``ts`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, and the correlation fields ``trace_id``, ``order_id`` and
``actor`` when the call passed them (``log.info("...", extra={"trace_id": t})``),
plus ``exc`` for an exception. Unset or ``text``, the lines stay the text they
always were. (An environment variable rather than a live.toml key: logging is
set up before the config is read and belongs to the process, not the platform;
the same knob works for any process that logs.)

Either way the ``Scrubber`` runs on every line: ``live.security.Masker`` (known
account and client ids, client and advisor names, ``account_id=`` keyed values,
``Bearer`` tokens) widened with every configured API token and anything shaped
like a JWT. The JSON formatter scrubs the message, the exception text and every
string field it writes.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timezone
from typing import Iterable

from live.security import LOGGERS, Masker

ENV = "TWIN_LOG_FORMAT"
FORMATS = ("text", "json")
CORRELATION = ("trace_id", "order_id", "actor")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class Scrubber:
    """Masks PII and secrets in text: a ``Masker``'s rules, the given secrets, and JWT-shaped strings."""

    def __init__(self, masker: Masker, secrets: Iterable[str] = ()) -> None:
        self._masker = masker
        found = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, found))) if found else None

    @classmethod
    def of(cls, identifiers: Iterable[str] = (), names: Iterable[str] = (),
           secrets: Iterable[str] = ()) -> "Scrubber":
        return cls(Masker(identifiers, names), secrets)

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub("[REDACTED]", text)
        return self._masker(_JWT.sub("[REDACTED]", text))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, every string scrubbed."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        scrub = self.scrub
        record.message = record.getMessage()  # as logging.Formatter.format does: other handlers read it
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="microseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.message),
        }
        for key in CORRELATION:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = scrub(str(value))
        if record.exc_info:
            line["exc"] = scrub(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=True, separators=(",", ":"))


def log_format(environ: dict[str, str] | None = None) -> str:
    """``text`` or ``json`` from ``$TWIN_LOG_FORMAT`` (default ``text``); ValueError naming the variable."""
    value = (os.environ if environ is None else environ).get(ENV, "text").strip().lower() or "text"
    if value not in FORMATS:
        raise ValueError(f"{ENV}={value!r}: must be one of {', '.join(FORMATS)}")
    return value


def scrubber_for(live) -> Scrubber:
    """The scrubber of a LiveApp: its masker (accounts, clients, names) and its configured tokens."""
    secrets = [t.token for t in live.config.tokens] + ([live.demo_token] if live.demo_token else [])
    return Scrubber(live.masker, secrets)


def install_json_logs(scrub: Scrubber, loggers: Iterable[str] = ("", *LOGGERS)) -> int:
    """Put a ``JsonFormatter`` on every handler of ``loggers`` (``""``: the root); how many handlers."""
    formatter = JsonFormatter(scrub)
    count = 0
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)
            count += 1
    return count


def configure_logging(live, environ: dict[str, str] | None = None) -> str:
    """Apply ``$TWIN_LOG_FORMAT`` to the process' handlers (call once uvicorn has set up its own);
    the format applied."""
    fmt = log_format(environ)
    if fmt == "json":
        install_json_logs(scrubber_for(live))
    return fmt
