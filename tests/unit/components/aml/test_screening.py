"""Acceptance of the fuzzy sanctions screener (issue 20, sanctions part) on the packaged OFAC list.

Whole-list catch rates per perturbation, hypothesis-drawn perturbations of
listed names, the false-positive rate on seeded Faker names, and the rules
(short tokens, thresholds, evidence). The perturbations are the benchmark's
(``loadtests/benchmarks/bench_screening.py``), so the figures there and here
are the same measurement.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.aml.screening import (
    MatchRule,
    NameScreener,
    Outcome,
    ScreeningHit,
    ScreeningThresholds,
    screener_for,
)
from components.reference.sanctions import ListedName, SanctionsList, default_sanctions_list

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from loadtests.benchmarks.bench_screening import (  # noqa: E402
    PERTURBATIONS,
    add_accents,
    catch_rates,
    change_case,
    client_names,
    drop_middle,
    false_positives,
    swap_order,
    typo,
)

FALSE_POSITIVE_BOUND = 0.005
"""Blocked share of non-listed names allowed: measured about 0.2% on 5,000 Faker names at the
default thresholds (docs/sanctions.md). At 0.5% a 10,000-client book would put at most 50
innocent clients through manual clearance; above that the block threshold is too loose."""
TYPO_CATCH_FLOOR = 0.98
"""Measured 99.4% of one-typo variants blocked over the whole list (the rest score in the review band
or below: a typo in the first letters of a short single-token name)."""

SDN = default_sanctions_list()
LISTED = [entry.name for entry in SDN.entries]


@pytest.fixture(scope="module")
def screener() -> NameScreener:
    return screener_for(SDN)


def test_every_listed_name_and_alias_is_caught_exactly(screener):
    aliases = [e for e in SDN.entries if e.alias_type]
    assert len(aliases) > 5_000  # alt.csv names are screened like primary names
    missed = [e.name for e in SDN.entries if screener.screen(e.name).outcome is not Outcome.BLOCK]
    assert missed == []
    hit = screener.screen("national bank of cuba").hit
    assert hit is not None and hit.alias_type == "aka" and hit.ent_num == "306" and hit.rule is MatchRule.EXACT


@pytest.mark.parametrize("kind", ["case changed", "accents added", "word order swapped", "middle name dropped"])
def test_whole_list_perturbations_are_all_caught(screener, kind):
    rng = random.Random(20)
    perturb = PERTURBATIONS[kind]
    tried = missed = 0
    for name in LISTED:
        variant = perturb(name, rng)
        if variant is None:
            continue
        tried += 1
        missed += screener.screen(variant).outcome is not Outcome.BLOCK
    assert tried > 2_000 and missed == 0, (kind, missed, tried)


def test_one_typo_catch_rate_over_a_third_of_the_list(screener):
    rates = catch_rates(screener, LISTED[::3], seed=3)
    caught, tried = rates["one typo (token >= 5)"]
    assert tried > 4_000
    assert caught / tried >= TYPO_CATCH_FLOOR, (caught, tried)
    assert rates["as listed"][0] == rates["as listed"][1]


def test_false_positive_rate_on_faker_names_is_under_the_bound(screener):
    names = client_names(4_000)
    listed = [n for n in names if SDN.is_sanctioned(n)]  # genuinely listed names (e.g. "Mark Taylor") are hits
    blocked, review, total = false_positives(screener, [n for n in names if n not in listed])
    assert total > 3_900
    assert blocked / total < FALSE_POSITIVE_BOUND, (blocked, total)
    assert review / total < FALSE_POSITIVE_BOUND, (review, total)


individuals = [e.name for e in SDN.entries if e.sdn_type == "individual"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(individuals), st.sampled_from([change_case, add_accents, swap_order, drop_middle]),
       st.integers(0, 2**32 - 1))  # fmt: skip
def test_perturbed_individuals_are_blocked(name, perturb, seed):
    variant = perturb(name, random.Random(seed)) or name
    result = screener_for(SDN).screen(variant)
    assert result.outcome is Outcome.BLOCK, (name, variant, result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(individuals), st.integers(0, 2**32 - 1))
def test_a_typo_in_an_individual_still_pairs_with_a_listed_name(name, seed):
    """Always scored (a one-edit token pairs); blocked or not depends on the score: see the catch rate."""
    variant = typo(name, random.Random(seed))
    if variant is None:
        return
    assert screener_for(SDN).best(variant) is not None, (name, variant)


def test_fuzzy_rules_and_evidence():
    sl = SanctionsList([ListedName("NORIEGA, Manuel Antonio", "1572", "individual"),
                        ListedName("AL-QAIDA", "6366", "", "aka")], "TEST LIST")  # fmt: skip
    s = NameScreener(sl)
    exact = s.screen("manuel antonio NORIEGA")
    assert exact.hit == ScreeningHit("NORIEGA, Manuel Antonio", "1572", "TEST LIST", 100.0, MatchRule.EXACT)
    dropped = s.screen("Manuel Noriega").hit
    assert dropped.rule is MatchRule.TOKEN and dropped.score == 92.0  # one unpaired token: 8 points
    typoed = s.screen("Manuel Antonio Noreiga").hit
    assert typoed.rule is MatchRule.JARO_WINKLER and 90 <= typoed.score < 100
    assert s.screen("Al Qaida").blocked and s.screen("al qaeda").hit.listed_name == "AL-QAIDA"
    assert dict(typoed.params())["score_bp"] == round(typoed.score * 100)
    assert dict(typoed.params())["list"] == "TEST LIST"


@pytest.mark.parametrize("name", ["M. Noriega", "M A Noriega", "Noriega", "Manuel", "X Y", "", "--", "Tara Ho"])
def test_initials_and_short_tokens_never_match_on_their_own(name):
    s = NameScreener(SanctionsList(["NORIEGA, Manuel Antonio", "TAURA S.A.", "AL RA'Y TV"]))
    assert s.screen(name).outcome is Outcome.CLEAR, name
    assert s.screen("Ray Wu").outcome is Outcome.CLEAR  # RAY alone, with other short tokens than AL ... TV


def test_two_edits_in_a_token_are_not_a_typo():
    s = NameScreener(SanctionsList(["MORENO, Daniel Gonzalo"]))
    assert s.screen("Daniel Gonzalez").outcome is Outcome.CLEAR  # GONZALO -> GONZALEZ: two edits
    assert s.screen("Daniel Gonzallo").outcome is Outcome.BLOCK  # one


def test_thresholds_decide_block_review_clear():
    sl = SanctionsList(["GARCIA LOPEZ, Maria Jose"])
    score = NameScreener(sl).best("Maria Garcia").score  # two listed tokens unpaired
    assert score == 84.0
    assert NameScreener(sl).screen("Maria Garcia").outcome is Outcome.CLEAR
    assert NameScreener(sl, ScreeningThresholds(90, 80)).screen("Maria Garcia").outcome is Outcome.REVIEW
    assert NameScreener(sl, ScreeningThresholds(84, 80)).screen("Maria Garcia").outcome is Outcome.BLOCK


@pytest.mark.parametrize("block, review, message", [
    (101, 50, "block must be a number in"), (0, 0, "block must be a number in"), (90, "x", "review must be"),
    (80, 90, "review \\(90\\) must be <= block"), (True, 50, "block must be"),
])  # fmt: skip
def test_bad_thresholds_name_the_field(block, review, message):
    with pytest.raises(ValueError, match=message):
        ScreeningThresholds(block, review)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_screens_without_error(text):
    result = screener_for(SDN).screen(text)
    assert result.name == text and (result.hit is None) == (result.outcome is Outcome.CLEAR)
    if result.hit is not None:
        assert 0 <= result.hit.score <= 100


def test_screener_is_built_once_per_list():
    assert screener_for(SDN) is screener_for(SDN)
    assert len(screener_for(SDN)) == len(SDN)
