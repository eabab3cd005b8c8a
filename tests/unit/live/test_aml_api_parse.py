"""The live AML API's parsers agree with the published request schemas (a body the schema refuses is refused,
naming a field; a body the schema accepts is accepted, bar ``counterparty`` equal to ``account_id``, which a
JSON schema cannot say), an instruction becomes the right ``Transfer``, and the ``bsa_officer`` role exists
for static tokens and JWTs."""

from __future__ import annotations

import json
import time

import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from components.aml.transfers import TransferKind
from components.config.live import JwtConfig, LiveConfigError, parse_live_config
from live.aml_desk import TransferInstruction
from live.entrypoints.aml_api import (DISPOSITION_REQUEST_SCHEMA, SIGN_OFF_REQUEST_SCHEMA, TRANSFER_REQUEST_SCHEMA,
                                      parse_decision, parse_transfer)
from live.jwt_auth import JwtVerifier
from live.security import AuthFailure, Principal

VALID = {"kind": "EXTERNAL", "account_id": "ACCT-1", "counterparty": "EXT-7", "amount": "9500.25",
         "beneficiary_name": "Jane Roe", "device_id": "DEV-1", "country": "US"}


def test_a_valid_body_becomes_an_instruction_with_exact_units():
    got = parse_transfer(VALID)
    assert got == TransferInstruction(TransferKind.EXTERNAL, "ACCT-1", "EXT-7", 95_002_500, "Jane Roe", "DEV-1", "US")


def test_the_idempotency_key_is_optional_and_must_be_an_id():
    assert parse_transfer({**VALID, "client_transfer_id": "TRQ-1"}).client_transfer_id == "TRQ-1"
    assert parse_transfer(VALID).client_transfer_id == ""
    for bad in ("", "has space", "A" * 65, 7, None):
        assert [f for f, _ in parse_transfer({**VALID, "client_transfer_id": bad})] == ["client_transfer_id"], bad


@pytest.mark.parametrize("kind, source, target, name", [
    (TransferKind.DEPOSIT, "EXT-7", "ACCT-1", "Jane Roe"),
    (TransferKind.WITHDRAWAL, "ACCT-1", "EXT-7", "Jane Roe"),
    (TransferKind.EXTERNAL, "ACCT-1", "EXT-7", "Jane Roe"),
    (TransferKind.INTERNAL, "ACCT-1", "EXT-7", ""),  # both ends are holders, screened by their account names
])
def test_the_instruction_puts_the_firms_account_at_the_end_its_kind_says(kind, source, target, name):
    t = TransferInstruction(kind, "ACCT-1", "EXT-7", 10_000, "Jane Roe").transfer("TRF-1", 5)
    assert (t.kind, t.source, t.target, t.beneficiary_name, t.ts_ns, t.amount) == (kind, source, target, name, 5, 10_000)


def test_each_problem_is_named():
    bad = {"kind": "WIRE", "account_id": "bad id", "counterparty": "", "amount": 9500, "country": "usa", "memo": 1}
    assert {f for f, _ in parse_transfer(bad)} == {"kind", "account_id", "counterparty", "amount", "country", "memo"}
    assert parse_transfer([]) == [("body", "must be a JSON object")]
    same = parse_transfer({**VALID, "counterparty": "ACCT-1"})
    assert same == [("counterparty", "must not be account_id itself")]


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10_000), st.text(max_size=6),
                    st.sampled_from(["DEPOSIT", "INTERNAL", "ACCT-1", "EXT-7", "9500.00", "0.05", "1.001", "US", "us",
                                     "", " ", "DEV-1", 9500.0, "A" * 65, "N" * 201]),
                    st.lists(st.integers(), max_size=1))
_FIELDS = (*TRANSFER_REQUEST_SCHEMA["properties"], "x")
transfer_body = st.one_of(st.fixed_dictionaries({}, optional={k: scalars for k in _FIELDS}),
                          st.dictionaries(st.sampled_from(_FIELDS), scalars, max_size=2).map(lambda d: {**VALID, **d}))
"""Any mix of fields, or the valid body with one or two fields changed (so accepted bodies are common)."""


@settings(max_examples=400, deadline=None)
@given(transfer_body)
def test_the_transfer_parser_refuses_exactly_what_the_schema_refuses(candidate):
    got = parse_transfer(candidate)
    valid = jsonschema.Draft202012Validator(TRANSFER_REQUEST_SCHEMA).is_valid(candidate)
    if isinstance(got, list):
        assert got and all(isinstance(f, str) and f and p for f, p in got)
        assert not valid or candidate["account_id"] == candidate["counterparty"], got
    else:
        assert valid, f"accepted a body the published schema refuses: {candidate!r}"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([(DISPOSITION_REQUEST_SCHEMA, "disposition"), (SIGN_OFF_REQUEST_SCHEMA, "decision")]),
       st.fixed_dictionaries({}, optional={"disposition": scalars | st.sampled_from(["suspicious", "false_positive"]),
                                           "decision": scalars | st.sampled_from(["approve", "decline"]),
                                           "reason": scalars, "y": scalars}))
def test_the_decision_parsers_refuse_exactly_what_their_schemas_refuse(schema_field, candidate):
    schema, field = schema_field
    got = parse_decision(candidate, schema, field)
    valid = jsonschema.Draft202012Validator(schema).is_valid(candidate)
    assert isinstance(got, list) != valid, (candidate, got)
    if valid:
        assert got == (candidate[field], candidate["reason"])


def test_a_white_space_reason_is_refused_naming_it():
    assert parse_decision({"decision": "approve", "reason": " \t"}, SIGN_OFF_REQUEST_SCHEMA, "decision")[0][0] == "reason"


# -- the bsa_officer role --------------------------------------------------------------------------------------
def test_a_static_token_may_be_the_bsa_officers_and_an_unknown_role_names_the_choices():
    token = '[[tokens]]\nadvisor_id = "bob"\nrole = "bsa_officer"\ntoken = "tok-bsa-officer-00000001"\n'
    (parsed,) = parse_live_config(token, "t").tokens
    assert parsed.role == "bsa_officer"
    with pytest.raises(LiveConfigError, match="bsa_officer"):
        parse_live_config(token.replace('"bsa_officer"', '"bsa"'), "t")


def test_a_jwt_with_the_bsa_officer_scope_is_the_bsa_officer(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    entry = json.loads(jwt.algorithms.get_default_algorithms()["ES256"].to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**entry, "kid": "k1", "alg": "ES256"}]}))
    verifier = JwtVerifier(JwtConfig(jwks=str(tmp_path / "jwks.json"), issuer="iss", audience="aud"))

    def mint(scope: str) -> str:
        return jwt.encode({"iss": "iss", "aud": "aud", "sub": "bob", "exp": int(time.time()) + 300, "scope": scope},
                          key, algorithm="ES256", headers={"kid": "k1"})

    who = verifier.verify(mint("bsa_officer"))
    assert isinstance(who, Principal) and (who.role, who.advisor_id) == ("bsa_officer", "bob")
    both = verifier.verify(mint("bsa_officer analyst"))
    assert isinstance(both, AuthFailure) and both.status == 403 and "more than one" in both.reason
