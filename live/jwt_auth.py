"""JWT bearer tokens (PyJWT): signed by a key from a JWKS file, mapped to the API's roles.

``JwtVerifier.verify(token)`` returns a ``Principal`` or an ``AuthFailure``
saying why the token is refused, and with which HTTP status:

* 401 (``invalid_token``): not a JWT, an unknown ``kid``, a bad signature (a
  key not in the JWKS file), an algorithm not allowed, expired (``exp``), not
  yet valid (``nbf``, or ``iat`` in the future), another audience or issuer, a required claim missing
  (``exp``, ``iss``, ``aud``, ``sub``), an advisor token without its advisor id.
* 403 (``insufficient_scope``, RFC 6750): a valid token carrying none of the
  role scopes, or more than one.

Scopes come from ``scope`` (a space-separated string, RFC 9068) or ``scp``
(a list or a string). The JWKS file is read at start and again whenever its
modification time changes (checked at most once a second), so keys rotate by
editing the file: add the new key, let tokens signed by the old one expire,
remove it.

Revocation: with ``[jwt] revoked`` naming a file of revoked ``jti`` values
(one a line), a token whose ``jti`` is listed is refused (401, "revoked"),
and a token without a ``jti`` too (it could not be revoked). The file is
re-read like the JWKS file; a file that cannot be read later keeps the last
list (revocations are never dropped by a bad write), but must be readable at start.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import jwt

from components.config.live import JwtConfig
from live.security import AuthFailure, Principal

_RELOAD_EVERY_S = 1.0


def _invalid(reason: str) -> AuthFailure:
    return AuthFailure(401, "invalid_token", reason)


class JwksError(ValueError):
    """The JWKS file cannot be read or holds no usable key (``field``: the live.toml key to fix)."""

    field = "jwt.jwks"


class RevokedListError(JwksError):
    """The revoked token list cannot be read, or a line is not a token id."""

    field = "jwt.revoked"


def _load_jwks(path: Path, algorithms: tuple[str, ...]) -> dict[str, jwt.PyJWK]:
    """The file's keys by ``kid`` (keys without a ``kid`` or for another use are skipped)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        keys = document["keys"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JwksError(f"{path}: not a JWKS file ({exc})") from None
    found: dict[str, jwt.PyJWK] = {}
    for entry in keys if isinstance(keys, list) else ():
        if not isinstance(entry, dict) or not entry.get("kid") or entry.get("use", "sig") != "sig":
            continue
        if "d" in entry or entry.get("kty") == "oct":
            raise JwksError(f"{path}: key {entry['kid']!r} is private or symmetric; publish public keys only")
        try:
            found[str(entry["kid"])] = jwt.PyJWK(entry)
        except jwt.PyJWTError as exc:
            raise JwksError(f"{path}: key {entry['kid']!r}: {exc}") from None
    usable = {kid: key for kid, key in found.items() if key.algorithm_name in algorithms}
    if not usable:
        raise JwksError(f"{path}: no key with a kid for {', '.join(algorithms)}")
    return usable


def _load_revoked(path: Path) -> frozenset[str]:
    """The revoked token ids in ``path``: one a line, blank lines and ``#`` comments skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RevokedListError(f"{path}: cannot read the revoked token list ({exc})") from None
    ids = set()
    for number, line in enumerate(text.splitlines(), 1):
        jti = line.split("#", 1)[0].strip()
        if not jti:
            continue
        if any(c.isspace() for c in jti):
            raise RevokedListError(f"{path}: line {number}: a token id (jti) has no spaces, got {jti!r}")
        ids.add(jti)
    return frozenset(ids)


class _Watched:
    """A file's parsed contents, re-parsed when its modification time changes (checked at most once a
    second); a file that fails to parse keeps the last good contents."""

    def __init__(self, path: Path, parse) -> None:
        self._path, self._parse = path, parse
        self._lock = threading.Lock()
        self.value = parse(path)
        self._mtime = self._stat()
        self._checked = time.monotonic()

    def _stat(self) -> int:
        try:
            return os.stat(self._path).st_mtime_ns
        except OSError:
            return -1

    def get(self):
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= _RELOAD_EVERY_S:
                self._checked = now
                mtime = self._stat()
                if mtime != self._mtime:
                    try:
                        self.value = self._parse(self._path)
                        self._mtime = mtime
                    except JwksError:
                        pass  # a file caught mid-write or broken: keep what we have, try again later
            return self.value


class JwtVerifier:
    """Verifies JWTs against ``config`` (``config.jwks`` must name a file)."""

    def __init__(self, config: JwtConfig) -> None:
        self._config = config
        self._algorithms = list(config.algorithms)
        # A relative path is from the working directory.
        self._keys = _Watched(Path(config.jwks), lambda path: _load_jwks(path, config.algorithms))
        self._revoked = _Watched(Path(config.revoked), _load_revoked) if config.revoked else None

    def _key(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get().get(kid)

    def verify(self, token: str) -> Principal | AuthFailure:
        config = self._config
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return _invalid("not a well-formed token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            return _invalid("the token names no signing key (kid)")
        key = self._key(kid)
        if key is None:
            return _invalid("the token's signing key is not known")
        if header.get("alg") not in self._algorithms or header.get("alg") != key.algorithm_name:
            return _invalid(f"the token's algorithm {header.get('alg')!r} is not accepted for its key")
        try:
            required = ["exp", "iss", "aud", "sub"] + (["jti"] if self._revoked is not None else [])
            claims = jwt.decode(token, key, algorithms=self._algorithms, audience=config.audience,
                                issuer=config.issuer, leeway=config.leeway_s, options={"require": required})
        except jwt.ExpiredSignatureError:
            return _invalid("the token has expired")
        except jwt.ImmatureSignatureError:
            return _invalid("the token is not valid yet (nbf or iat in the future)")
        except jwt.InvalidAudienceError:
            return _invalid("the token is for another audience")
        except jwt.InvalidIssuerError:
            return _invalid("the token is from another issuer")
        except jwt.InvalidSignatureError:
            return _invalid("the token's signature does not verify")
        except jwt.MissingRequiredClaimError as exc:
            return _invalid(f"the token has no {exc.claim!r} claim")
        except jwt.PyJWTError as exc:
            return _invalid(f"the token is invalid ({type(exc).__name__})")
        if self._revoked is not None and claims.get("jti") in self._revoked.get():
            return _invalid("the token has been revoked")
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal | AuthFailure:
        config = self._config
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            return _invalid("the token's sub claim must be a string")
        granted = _scopes(claims)
        roles = [role for role, scope in (("advisor", config.advisor_scope), ("operator", config.operator_scope),
                                          ("analyst", config.analyst_scope), ("compliance", config.compliance_scope),
                                          ("bsa_officer", config.bsa_officer_scope))
                 if scope in granted]
        if len(roles) != 1:
            needed = (f"{config.advisor_scope}, {config.operator_scope}, {config.analyst_scope}, "
                      f"{config.compliance_scope} or {config.bsa_officer_scope}")
            problem = "carries none of the role scopes" if not roles else "carries more than one role scope"
            return AuthFailure(403, "insufficient_scope", f"the token {problem} (exactly one of {needed})")
        role = roles[0]
        name = subject
        if role == "advisor":
            name = claims.get(config.advisor_claim)
            if not isinstance(name, str) or not name:
                return _invalid(f"an advisor token needs its advisor id in the {config.advisor_claim!r} claim")
        bucket = hashlib.sha256(f"jwt\0{claims.get('iss')}\0{subject}".encode("utf-8", "surrogateescape"))
        return Principal(name, bucket.hexdigest(), role)


def _scopes(claims: dict[str, Any]) -> set[str]:
    granted: set[str] = set()
    for claim in ("scope", "scp"):
        value = claims.get(claim)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(v for v in value if isinstance(v, str))
    return granted
