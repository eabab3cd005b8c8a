"""JWT revocation: a file of revoked token ids (``[jwt] revoked``), re-read when it changes."""

from __future__ import annotations

import json
import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.live import JwtConfig
from live.jwt_auth import JwtVerifier, RevokedListError, _load_revoked
from live.security import AuthFailure, Principal

ISSUER, AUDIENCE = "https://idp.example.test", "twin-order-api"
KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def files(tmp_path):
    jwks = tmp_path / "jwks.json"
    entry = json.loads(jwt.algorithms.get_default_algorithms()["ES256"].to_jwk(KEY.public_key()))
    jwks.write_text(json.dumps({"keys": [{**entry, "kid": "e1", "alg": "ES256", "use": "sig"}]}))
    revoked = tmp_path / "revoked.txt"
    revoked.write_text("# revoked after the laptop was lost\nT-LOST   # 2026-12-01\n\n")
    return jwks, revoked


def verifier(jwks, revoked) -> JwtVerifier:
    return JwtVerifier(JwtConfig(jwks=str(jwks), issuer=ISSUER, audience=AUDIENCE,
                                 revoked=str(revoked) if revoked else ""))


def mint(**claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "exp": now + 300, "scope": "operator", "jti": "T-OK",
            **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, KEY, algorithm="ES256",
                      headers={"kid": "e1"})


def test_a_listed_jti_is_refused_and_others_accepted(files):
    v = verifier(*files)
    assert isinstance(v.verify(mint()), Principal)
    refused = v.verify(mint(jti="T-LOST"))
    assert isinstance(refused, AuthFailure) and refused.status == 401 and "revoked" in str(refused)


def test_with_a_list_a_token_without_jti_is_refused(files):
    jwks, revoked = files
    assert "'jti'" in str(verifier(jwks, revoked).verify(mint(jti=None)))
    assert isinstance(verifier(jwks, None).verify(mint(jti=None)), Principal)  # no list: jti not needed


def test_revoking_needs_only_the_file_edited_and_a_broken_file_keeps_the_last_list(files):
    jwks, revoked = files
    v = verifier(jwks, revoked)
    assert isinstance(v.verify(mint()), Principal)
    revoked.write_text("T-LOST\nT-OK\n")
    os.utime(revoked, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    time.sleep(1.1)  # looked at once a second at most
    assert "revoked" in str(v.verify(mint()))
    revoked.write_text("T OK with spaces\n")  # broken: the last good list stays
    os.utime(revoked, ns=(time.time_ns(), time.time_ns() + 2_000_000))
    time.sleep(1.1)
    assert "revoked" in str(v.verify(mint()))
    revoked.unlink()  # gone: revocations are not dropped
    time.sleep(1.1)
    assert "revoked" in str(v.verify(mint(jti="T-LOST")))


def test_an_unreadable_or_bad_list_stops_the_start_naming_file_and_line(files, tmp_path):
    jwks, revoked = files
    with pytest.raises(RevokedListError, match="cannot read the revoked token list"):
        verifier(jwks, tmp_path / "missing.txt")
    revoked.write_text("T-1\nT 2\n")
    with pytest.raises(RevokedListError, match=r"revoked.txt: line 2: a token id \(jti\) has no spaces"):
        verifier(jwks, revoked)
    assert RevokedListError.field == "jwt.revoked"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_list_text_parses_to_ids_without_spaces_or_fails_on_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("rev") / "revoked.txt"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        ids = _load_revoked(path)
    except RevokedListError as exc:
        assert "\n" not in str(exc) and ": line " in str(exc)
        return
    assert all(i and not any(c.isspace() for c in i) and "#" not in i for i in ids)
