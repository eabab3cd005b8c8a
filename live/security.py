"""API security: bearer tokens, rate limits, identifiers masked in logs.

* ``TokenRegistry`` keeps only SHA-256 digests of static tokens and maps each
  to an advisor, operator, analyst, compliance officer or BSA officer
  (``ROLES``); a presented token is hashed and looked
  up, never stored or logged. Given a JWT verifier (``live.jwt_auth``), a
  token that is not a known static one and looks like a JWT is verified by it.
  ``check`` says why a token is refused (``AuthFailure``).
* ``RateLimiter`` is a token bucket per key (an API token's digest, or a client
  address for requests without a valid token) on the Clock port: ``rate``
  requests per second sustained, ``burst`` at once; a refusal says how long
  to wait (HTTP ``Retry-After``).
* ``MaskingFilter`` rewrites log records so account ids, client ids and
  client names (known ones, and any value after ``account_id=`` /
  ``client_id=`` or in an ``/accounts/...`` path) show only their last two
  characters, and bearer credentials vanish.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from dataclasses import dataclass
from typing import Iterable, Protocol

from components.ports import Clock

LOGGERS = ("live", "uvicorn.access", "uvicorn.error")
ROLES = ("advisor", "operator", "analyst", "compliance", "bsa_officer")
"""Every role a token may carry. ``bsa_officer`` is the BSA officer: the only role that may sign off (approve or
decline) a requested SAR (``live.entrypoints.aml_api``)."""
"""Loggers whose records are masked (a logger filter sees only its own records)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid token says is calling: an advisor, an operator, an analyst, ... (``role``, one of ``ROLES``)."""

    advisor_id: str  # the advisor (an operator's or analyst's name for those roles)
    key: str  # the rate-limit bucket, safe to keep: a static token's digest, a JWT subject's hash
    role: str = "advisor"


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """Why a bearer token is refused: the HTTP status (401 or 403), the RFC 6750 error code
    (``invalid_request``, ``invalid_token``, ``insufficient_scope``) and a reason for people."""

    status: int
    code: str
    reason: str


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Principal | AuthFailure: ...


class TokenRegistry:
    def __init__(self, entries: Iterable[tuple[str, str, str]], jwt: TokenVerifier | None = None) -> None:
        """``entries``: (sha256 hex of the token, advisor id or operator/analyst name, role) triples;
        ``jwt``: verifies tokens that are not static ones (``live.jwt_auth.JwtVerifier``), if given."""
        self._by_digest = {digest: (name, role) for digest, name, role in entries}
        self._jwt = jwt

    @staticmethod
    def digest(token: str) -> str:
        """SHA-256 hex of a token (what config's ``token_sha256`` holds)."""
        return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()

    def check(self, token: str | None) -> Principal | AuthFailure:
        """Who ``token`` is, or why it is refused."""
        if not token:
            return AuthFailure(401, "invalid_request", "a bearer token is required")
        digest = self.digest(token)
        known = self._by_digest.get(digest)
        if known is not None:
            return Principal(known[0], digest, known[1])
        if self._jwt is not None and token.count(".") == 2:
            return self._jwt.verify(token)
        return AuthFailure(401, "invalid_token", "unknown token")

    def authenticate(self, token: str | None) -> Principal | None:
        """Who ``token`` is, or None."""
        who = self.check(token)
        return who if isinstance(who, Principal) else None

    def __len__(self) -> int:
        return len(self._by_digest)


class RateLimiter:
    """One token bucket per key: ``rate_per_s`` refill, ``burst`` capacity."""

    def __init__(self, clock: Clock, rate_per_s: float, burst: int) -> None:
        self._clock = clock
        self._rate_per_ns = rate_per_s / 1e9
        self._burst = float(burst)
        self._buckets: dict[str, tuple[float, int]] = {}  # key -> (tokens, at_ns)
        self._lock = threading.Lock()  # handlers may one day run on worker threads

    def acquire(self, key: str) -> float:
        """Take one request's token; return 0.0 if allowed, else seconds to wait."""
        with self._lock:
            now = self._clock.now_ns()
            tokens, at = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + max(0, now - at) * self._rate_per_ns)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self._rate_per_ns / 1e9

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """HTTP ``Retry-After``: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(wait_s)))


# -- log masking ----------------------------------------------------------------

_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",]+")
_KEYED = re.compile(r"(?i)\b((?:account_id|client_id|account|client)[=:]\s*['\"]?)([^\s'\",;&)]+)")
_PATH = re.compile(r"(/accounts/)([^/\s?'\"]+)")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


def mask(value: str) -> str:
    """``AC-00017`` -> ``***17``: enough to correlate lines, not to identify."""
    return "***" + value[-2:] if len(value) > 2 else "***"


class Masker:
    """Masks identifiers in text: known ones anywhere, unknown ones by context."""

    def __init__(self, identifiers: Iterable[str] = (), names: Iterable[str] = ()) -> None:
        self._ids = frozenset(i for i in identifiers if i)
        names = sorted({n for n in names if n}, key=len, reverse=True)
        self._names = re.compile("|".join(map(re.escape, names))) if names else None

    def __call__(self, text: str) -> str:
        text = _BEARER.sub(r"\1[REDACTED]", text)
        text = _KEYED.sub(lambda m: m.group(1) + mask(m.group(2)), text)
        text = _PATH.sub(lambda m: m.group(1) + mask(m.group(2)), text)
        if self._ids:
            ids = self._ids
            text = _WORD.sub(lambda m: mask(m.group(0)) if m.group(0) in ids else m.group(0), text)
        if self._names is not None:
            text = self._names.sub(lambda m: mask(m.group(0)), text)
        return text


class MaskingFilter(logging.Filter):
    """Masks a record in place, so every handler downstream sees it masked.

    The message is merged with its arguments and masked as a whole (so
    ``account_id=%s`` is caught whatever the value), except on uvicorn's
    access log, whose formatter unpacks ``record.args``: there each argument
    is masked on its own (the request path carries the account id).
    """

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        m = self.masker
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            record.args = tuple(m(a) if isinstance(a, str) else a for a in record.args)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: leave it to logging to report
                return True
            record.msg, record.args = m(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = m(logging.Formatter().formatException(record.exc_info))
        return True


def install_masking(masker: Masker, loggers: Iterable[str] = LOGGERS) -> MaskingFilter:
    """Put one MaskingFilter on each logger, replacing one installed before."""
    installed = MaskingFilter(masker)
    for name in loggers:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, MaskingFilter)]:
            logger.removeFilter(old)
        logger.addFilter(installed)
    return installed
