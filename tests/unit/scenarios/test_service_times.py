"""Service-time profiles: summaries, the file format and its one-line errors, the shipped profile."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.platform import SERVICES
from scenarios.service_times import (
    FORMAT,
    THIS_MACHINE,
    ProfileError,
    load_profile,
    parse_profile,
    summarise,
    write_profile,
)


def test_summarise_keeps_quantiles_fit_and_a_thinned_sample():
    entry = summarise([float(v) for v in range(1, 10_001)], keep=100)
    assert entry["count"] == 10_000
    assert entry["quantiles_us"]["p50"] == pytest.approx(5000.5)
    assert entry["quantiles_us"]["p99"] == pytest.approx(9900.01)
    assert entry["quantiles_us"]["max"] == 10_000
    assert entry["lognormal"] == {"median_ms": pytest.approx(5.0005), "p99_ms": pytest.approx(9.90001)}
    assert len(entry["sample_us"]) == 100 and entry["sample_us"][0] == 1.0  # spread over the whole range


def test_a_written_profile_reads_back(tmp_path):
    path = write_profile(tmp_path / "p.json", {"risk": summarise([10.0, 20.0, 30.0])}, {"how": "test"})
    profile = load_profile(path, SERVICES)
    risk = profile.services["risk"]
    assert risk.count == 3 and risk.sample_us == (10.0, 20.0, 30.0) and risk.mean_us == pytest.approx(20.0)
    assert profile.measured == {"how": "test"} and profile.http == {}


def _doc(**services):
    return {"format": FORMAT, "services": services}


@pytest.mark.parametrize("doc, problem", [
    ([], r"\(document\): must be a JSON object"),
    ({"format": "x", "services": {}}, "format: must be 'bdt-service-times/1'"),
    (_doc(), "services: must be a non-empty object"),
    (_doc(ledger={"lognormal": {"median_ms": 1, "p99_ms": 2}}), "services.ledger: unknown service"),
    (_doc(risk={}), "services.risk.lognormal: missing"),
    (_doc(risk={"lognormal": {"median_ms": 0, "p99_ms": 2}}), "services.risk.lognormal.median_ms: must be > 0"),
    (_doc(risk={"lognormal": {"median_ms": 3, "p99_ms": 2}}), "services.risk.lognormal.p99_ms: must be >= median_ms"),
    (_doc(risk={"lognormal": {"median_ms": 1, "p99_ms": 2}, "sample_us": [1, "x"]}),
     r"services.risk.sample_us\[1\]: must be a number"),
    (_doc(risk={"lognormal": {"median_ms": 1, "p99_ms": 2}, "count": -1}), "services.risk.count: must be a whole"),
])
def test_a_bad_profile_is_one_line_naming_the_field(doc, problem):
    with pytest.raises(ProfileError, match=problem) as caught:
        parse_profile(doc, "p.json", SERVICES)
    assert str(caught.value).startswith("p.json: ") and "\n" not in str(caught.value)


def test_unreadable_and_non_json_files_are_named(tmp_path):
    with pytest.raises(ProfileError, match="missing.json: cannot read"):
        load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad.json:2: not JSON"):
        load_profile(bad)


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12))
def test_any_json_either_parses_or_is_a_profile_error(doc):
    try:
        parse_profile({"format": FORMAT, "services": {"risk": doc}}, "p.json", SERVICES)
    except ProfileError as exc:
        assert str(exc).startswith("p.json: services.risk")


def test_the_shipped_profile_is_complete_and_says_how_it_was_measured():
    profile = load_profile(THIS_MACHINE, SERVICES)
    assert set(profile.services) == set(SERVICES)
    assert all(d.sample_us and d.count >= len(d.sample_us) for d in profile.services.values())
    assert "how" in profile.measured and "load_average" in profile.measured
    mix = profile.measured["http_mix"]
    assert set(mix) == set(profile.http) and sum(mix.values()) == 100
    raw = json.loads(THIS_MACHINE.read_text())
    assert raw["format"] == FORMAT
