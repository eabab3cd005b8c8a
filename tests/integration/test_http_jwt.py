"""JWT bearer tokens on the live order API: keys from a JWKS file named in live.toml, expiry,
not-before, audience, issuer and scopes mapped to the roles (advisor, operator, analyst, compliance).
Each refusal is checked for its status, its problem body and its WWW-Authenticate challenge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import warnings

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from components.config.live import LiveConfigError, parse_live_config
from live.bootstrap import build_live
from live.entrypoints.http_api import create_app
from tests.live_configs import account, quiet_market, symbols, tokens

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ISSUER, AUDIENCE = "https://idp.example.test", "twin-order-api"
STATIC = "static-token-adv-one-0001"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(private_key, kid: str, alg: str) -> dict:
    entry = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(private_key.public_key()))
    return {**entry, "kid": kid, "alg": alg, "use": "sig"}


def write_jwks(path, *keys) -> None:
    path.write_text(json.dumps({"keys": list(keys)}), encoding="utf-8")


def config(jwks_path) -> str:
    return (symbols(AAPL="190.00") + quiet_market()
            + account("ACCT-1001", "CLNT-5001", "ADV-1") + account("ACCT-2001", "CLNT-6001", "ADV-2")
            + tokens(ADV_1=STATIC)
            + f'\n[jwt]\njwks = "{jwks_path}"\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\n')


@pytest.fixture(scope="module")
def jwks_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    write_jwks(path, jwk(KEY, "k1", "RS256"), jwk(EC_KEY, "e1", "ES256"))
    return path


@pytest.fixture(scope="module")
def client(jwks_path):
    live = build_live(parse_live_config(config(jwks_path), "jwt-test"))
    with TestClient(create_app(live)) as c:
        yield c


def mint(key=KEY, kid="k1", alg="RS256", **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300,
            "scope": "advisor", "advisor_id": "ADV-1"}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not ...}, key, algorithm=alg, headers={"kid": kid})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def positions(client, token, account_id="ACCT-1001"):
    return client.get(f"/v1/accounts/{account_id}/positions", headers=bearer(token))


def refused(response, status: int, reason: str) -> dict:
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["error"] == ("unauthorized" if status == 401 else "insufficient_scope"), problem
    assert problem["errors"][0]["field"] == "Authorization" and reason in problem["errors"][0]["problem"], problem
    code = "invalid_token" if status == 401 else "insufficient_scope"
    assert response.headers["WWW-Authenticate"].startswith(f'Bearer error="{code}"'), response.headers
    return problem


# -- accepted -----------------------------------------------------------------------------------

def test_a_valid_advisor_token_acts_for_its_advisor_only(client):
    token = mint()
    assert positions(client, token).status_code == 200
    assert positions(client, token, "ACCT-2001").status_code == 403  # ADV-2's account
    order = {"account_id": "ACCT-1001", "symbol": "AAPL", "side": "BUY", "quantity": 1, "order_type": "MARKET",
             "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "JWT-1"}
    assert client.post("/v1/orders", json=order, headers=bearer(token)).status_code == 201


def test_an_es256_key_from_the_same_file_is_accepted_too(client):
    assert positions(client, mint(key=EC_KEY, kid="e1", alg="ES256")).status_code == 200


def test_scopes_map_to_roles_operator_and_read_only_analyst(client):
    operator = mint(scope="operator", advisor_id=..., sub="ops-jane")
    r = client.post("/v1/trading-state", json={"state": "ACTIVE", "reason": "jwt test"}, headers=bearer(operator))
    assert r.status_code == 200, r.text
    assert positions(client, operator).status_code == 403  # an operator reads no accounts
    analyst = mint(scp=["analyst"], scope=..., advisor_id=..., sub="analyst-sam")
    assert positions(client, analyst).status_code == 200 and positions(client, analyst, "ACCT-2001").status_code == 200
    assert client.get("/v1/trading-state", headers=bearer(analyst)).status_code == 200
    order = {"account_id": "ACCT-1001", "symbol": "AAPL", "side": "BUY", "quantity": 1, "order_type": "MARKET",
             "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "JWT-2"}
    r = client.post("/v1/orders", json=order, headers=bearer(analyst))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"  # read-only
    r = client.post("/v1/trading-state", json={"state": "HALTED"}, headers=bearer(analyst))
    assert r.status_code == 403


def test_the_compliance_scope_is_a_compliance_officer_who_reads_no_accounts_and_sends_no_orders(client):
    officer = mint(scope="compliance", advisor_id=..., sub="cco-kim")
    assert positions(client, officer).status_code == 403
    order = {"account_id": "ACCT-1001", "symbol": "AAPL", "side": "BUY", "quantity": 1, "order_type": "MARKET",
             "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "JWT-C1"}
    assert client.post("/v1/orders", json=order, headers=bearer(officer)).status_code == 403
    # The sign-off routes know the officer (404: no such package), where an advisor's token is refused (403).
    assert client.get("/v1/reports/packages/2026Q4", headers=bearer(officer)).status_code == 404
    assert client.get("/v1/reports/packages/2026Q4", headers=bearer(mint())).status_code == 403


def test_static_tokens_still_work_beside_jwts(client):
    assert positions(client, STATIC).status_code == 200


# -- refused ------------------------------------------------------------------------------------

@pytest.mark.parametrize("claims, status, reason", [
    ({"exp": int(time.time()) - 3600}, 401, "expired"),
    ({"nbf": int(time.time()) + 3600}, 401, "not valid yet"),
    ({"aud": "another-api"}, 401, "another audience"),
    ({"iss": "https://evil.example.test"}, 401, "another issuer"),
    ({"exp": ...}, 401, "'exp'"),
    ({"scope": "orders:read"}, 403, "none of the role scopes"),
    ({"scope": ...}, 403, "none of the role scopes"),
    ({"scope": "advisor operator"}, 403, "more than one role scope"),
    ({"advisor_id": ...}, 401, "advisor id"),
])
def test_a_bad_token_is_refused_with_its_reason(client, claims, status, reason):
    refused(positions(client, mint(**claims)), status, reason)


def test_a_token_signed_by_a_key_not_in_the_file_is_401(client):
    refused(positions(client, mint(key=OTHER_KEY)), 401, "signature does not verify")  # same kid, wrong key
    refused(positions(client, mint(key=OTHER_KEY, kid="k9")), 401, "signing key is not known")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_algorithm_confusion_and_unsigned_tokens_are_401(client):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60, "scope": "advisor", "advisor_id": "ADV-1"}
    public_pem = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'kid': 'k1'}).encode())}.{_b64(json.dumps(claims).encode())}"
    hs256 = f"{signing_input}.{_b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())}"
    refused(positions(client, hs256), 401, "not accepted")  # the public key used as an HMAC secret
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"})
    refused(positions(client, unsigned), 401, "not accepted")
    refused(positions(client, "not.a.jwt"), 401, "not a well-formed token")


def test_rotating_keys_needs_only_the_file_edited(client, jwks_path):
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = mint(key=new_key, kid="k2")
    refused(positions(client, token), 401, "signing key is not known")
    original = jwks_path.read_text(encoding="utf-8")
    try:
        write_jwks(jwks_path, jwk(KEY, "k1", "RS256"), jwk(EC_KEY, "e1", "ES256"), jwk(new_key, "k2", "RS256"))
        os.utime(jwks_path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        time.sleep(1.1)  # the file is looked at once a second at most
        assert positions(client, token).status_code == 200
    finally:
        jwks_path.write_text(original, encoding="utf-8")


def test_a_jwks_file_that_is_missing_or_holds_a_private_key_stops_the_start(tmp_path):
    with pytest.raises(LiveConfigError, match="jwt.jwks"):
        build_live(parse_live_config(config(tmp_path / "missing.json"), "t"))
    leaked = tmp_path / "private.json"
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY))
    write_jwks(leaked, {**private, "kid": "k1"})
    with pytest.raises(LiveConfigError, match="private"):
        build_live(parse_live_config(config(leaked), "t"))
