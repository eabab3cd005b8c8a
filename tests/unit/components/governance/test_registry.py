"""The registry: registration refusals, stage rules, promotion gates, last good version, audit."""

from __future__ import annotations

import pytest

from components.governance.registry import RegistryError, Stage

T0 = 20_454 * 86_400 * 1_000_000_000  # as in conftest


def test_a_duplicate_version_is_refused(gov, kit):
    gov.register("v1")
    blob = b"another model"
    with pytest.raises(RegistryError, match=r"^version: churn v1 is already registered$"):
        gov.registry.register(kit.make_version("churn", "v1", blob), blob, kit.card(), "trainer")


def test_a_mismatched_content_hash_is_refused_and_nothing_is_stored(gov, kit):
    blob = b"fitted model bytes"
    with pytest.raises(RegistryError, match=r"^content_hash: churn v1 declares sha256:00, the artefact hashes to sha256:"):
        gov.registry.register(kit.make_version("churn", "v1", blob, declared="sha256:00"), blob, kit.card(), "trainer")
    assert gov.registry.versions("churn") == ()
    with pytest.raises(KeyError):
        gov.store.get("churn", "v1")


def test_a_tampered_artefact_is_refused_on_load(gov):
    gov.register("v1")
    assert gov.registry.load("churn", "v1") == b"churn-v1"
    gov.store.corrupt("churn", "v1", b"churn-v1 but changed")
    with pytest.raises(RegistryError, match=r"^content_hash: stored artefact of churn v1 hashes to"):
        gov.registry.load("churn", "v1")


def test_registration_records_the_hash_and_the_card_figures(gov, kit):
    blob = b"abc"
    record = gov.registry.register(kit.make_version("churn", "v1", blob), blob, kit.card((kit.fair(0.3),)), "trainer")
    assert record.kind == "registered" and record.get("content_hash").startswith("sha256:ba7816bf")
    assert record.get("fairness_passed") is False
    assert gov.registry.stage("churn", "v1") is Stage.CANDIDATE


def test_a_candidate_cannot_skip_shadow(gov):
    gov.register("v1")
    with pytest.raises(RegistryError, match=r"^stage: churn v1 is candidate; only a version that went through shadow"):
        gov.registry.promote("churn", "v1", T0, "board", "looks fine")
    assert gov.registry.production("churn") is None


def test_a_version_in_shadow_without_a_verdict_cannot_be_promoted(gov):
    gov.register("v1")
    gov.registry.start_shadow("churn", "v1", T0, "trainer", "shadow period")
    with pytest.raises(RegistryError, match=r"^verdict: churn v1 has no shadow verdict yet$"):
        gov.registry.promote("churn", "v1", T0, "board", "impatient")


def test_a_failed_shadow_cannot_be_promoted_and_is_retired(gov):
    gov.shadow("v1", passed=False)
    with pytest.raises(RegistryError, match=r"^verdict: churn v1 failed its shadow period \(metric 0.0000 < floor 0.5\)"):
        gov.registry.promote("churn", "v1", T0, "board", "override")
    record = gov.registry.retire("churn", "v1", T0, "board", "failed shadow period")
    assert (record.get("from"), record.get("to")) == ("shadow", "retired")


def test_a_card_failing_a_fairness_check_needs_a_recorded_waiver(gov, kit):
    gov.register("v1", fairness=(kit.fair(0.25),))
    gov.shadow("v1")
    with pytest.raises(RegistryError, match=r"^fairness: churn v1 fails demographic_parity_difference on its card"):
        gov.registry.promote("churn", "v1", T0, "board", "shadow passed")
    records = gov.registry.promote("churn", "v1", T0, "board", "shadow passed", fairness_waiver="gap explained by age mix")
    assert "fairness waiver for demographic_parity_difference: gap explained by age mix" in records[-1].reason


def test_promotion_retires_the_old_version_which_becomes_last_good_and_is_audited(gov):
    gov.to_production("v1")
    assert gov.registry.last_good("churn") is None
    gov.to_production("v2", at=T0 + 10)
    assert gov.registry.production("churn") == "v2"
    assert gov.registry.stage("churn", "v1") is Stage.RETIRED
    assert gov.registry.last_good("churn") == "v1"
    moves = [(r.version, r.get("from"), r.get("to"), r.actor, r.reason) for r in gov.registry.audit]
    assert moves == [("v1", "candidate", "shadow", "trainer", "shadow period"),
                     ("v1", "shadow", "production", "board", "shadow passed"),
                     ("v2", "candidate", "shadow", "trainer", "shadow period"),
                     ("v1", "production", "retired", "board", "replaced by v2"),
                     ("v2", "shadow", "production", "board", "shadow passed")]


def test_rollback_restores_the_last_good_version_and_records_why(gov):
    gov.to_production("v1")
    gov.to_production("v2")
    records = gov.registry.rollback("churn", T0 + 5, "runbook", "drift alert: PSI 0.31 on age")
    assert gov.registry.production("churn") == "v1"
    assert gov.registry.stage("churn", "v2") is Stage.RETIRED
    assert gov.registry.flagged("churn", "v2") == "drift alert: PSI 0.31 on age"
    assert [(r.version, r.get("to"), r.reason) for r in records] == [
        ("v2", "retired", "rolled back: drift alert: PSI 0.31 on age"),
        ("v1", "production", "restored as last good version: drift alert: PSI 0.31 on age")]
    assert all(r.actor == "runbook" and r.at_ns == T0 + 5 for r in records)
    assert gov.registry.last_good("churn") is None  # v1 serves again; v2 is bad


def test_a_bad_version_is_never_the_last_good_one(gov):
    gov.to_production("v1")
    gov.to_production("v2")
    gov.registry.rollback("churn", T0, "runbook", "metric breach")
    gov.to_production("v3")  # v1 replaced by v3: v1 is last good again, v2 never
    assert gov.registry.last_good("churn") == "v1"
    gov.registry.mark_bad("churn", "v1", "drifted too")
    assert gov.registry.last_good("churn") is None


def test_rollback_without_a_last_good_version_is_refused(gov):
    with pytest.raises(RegistryError, match=r"^rollback: churn has no production version$"):
        gov.registry.rollback("churn", T0, "runbook", "alert")
    gov.to_production("v1")
    with pytest.raises(RegistryError, match=r"^rollback: churn has no last good version to restore$"):
        gov.registry.rollback("churn", T0, "runbook", "alert")


@pytest.mark.parametrize("actor, reason, message", [("", "why", "actor: a stage change needs who made it"),
                                                    ("me", "", "reason: a stage change needs why")])
def test_a_stage_change_needs_who_and_why(gov, actor, reason, message):
    gov.register("v1")
    with pytest.raises(RegistryError, match=f"^{message}$"):
        gov.registry.start_shadow("churn", "v1", T0, actor, reason)


def test_unknown_versions_and_wrong_stages_name_the_problem(gov):
    with pytest.raises(RegistryError, match=r"^version: churn v9 is not registered$"):
        gov.registry.stage("churn", "v9")
    gov.to_production("v1")
    with pytest.raises(RegistryError, match=r"^stage: churn v1 is production, only a candidate enters shadow$"):
        gov.registry.start_shadow("churn", "v1", T0, "x", "y")
    with pytest.raises(RegistryError, match=r"^stage: churn v1 is production; production leaves by promote or rollback$"):
        gov.registry.retire("churn", "v1", T0, "x", "y")


def test_model_cards_render_every_section(gov):
    gov.to_production("v1")
    version, c = gov.registry.version("churn", "v1"), gov.registry.card("churn", "v1")
    md = c.markdown(version, Stage.PRODUCTION)
    for text in ("# Model card: churn v1 (production)", "**Objective.** test objective", "## Training data",
                 "test rows: 100 rows", "| roc_auc | 0.8000 |", "| demographic_parity_difference | group | 0.0200 | 0.1 | pass |",
                 "- synthetic", version.content_hash):
        assert text in md
    as_json = c.as_dict(version)
    assert as_json["fairness"][0]["passed"] is True and as_json["content_hash"] == version.content_hash
