"""AML rules: each fires on its shape, stays quiet on the near miss, and carries its parameters and evidence."""

from __future__ import annotations

from components.aml.findings import Source
from components.aml.rules import (AccountView, GeoDeviceShiftRule, LargeCashRule, StructuringRule, VelocityRule,
                                  default_rules, run_rules)
from components.aml.transfers import TransferKind, Typology

from .aml_kit import HOUR, T0, tr, usd

D, W = TransferKind.DEPOSIT, TransferKind.WITHDRAWAL


def view(account, transfers, now_h, **kw):
    return AccountView(account, T0 + int(now_h * HOUR), tuple(transfers), **kw)


def test_structuring_fires_on_cash_just_below_the_threshold_with_its_evidence():
    deps = [tr(h, "BR-1", "A", 9_500, D) for h in (1, 30, 60)]
    f = StructuringRule().check(view("A", deps, 61))
    assert f is not None and f.detector == "rule:structuring" and f.source is Source.RULE
    assert f.typology is Typology.STRUCTURING and f.version == "1.0"
    assert f.evidence == tuple(sorted(t.transfer_id for t in deps))
    assert dict(f.params)["threshold"] == usd(10_000) and dict(f.params)["min_count"] == 2


def test_structuring_ignores_amounts_at_the_threshold_and_non_cash():
    at = [tr(h, "BR-1", "A", 10_000, D) for h in (1, 2, 3)]
    internal = [tr(h, "B", "A", 9_500) for h in (1, 2, 3)]
    single = [tr(1, "BR-1", "A", 9_500, D)]
    for transfers in (at, internal, single):
        assert StructuringRule().check(view("A", transfers, 4)) is None


def test_velocity_needs_money_in_and_out_of_similar_size():
    through = [tr(0, "X", "A", 20_000, D), tr(0.2, "A", "B", 19_800), tr(3, "Y", "A", 16_000, D),
               tr(3.1, "A", "B", 15_900)]
    f = VelocityRule().check(view("A", through, 4))
    assert f is not None and f.typology is Typology.VELOCITY and "B" in f.accounts
    kept = through[:1] + [tr(0.2, "A", "B", 5_000)] + through[2:3] + [tr(3.1, "A", "B", 4_000)]
    assert VelocityRule().check(view("A", kept, 4)) is None  # most of it stayed


def test_large_cash_is_a_weak_signal_without_typology():
    f = LargeCashRule().check(view("A", [tr(1, "A", "BR-1", 12_000, W)], 2))
    assert f is not None and f.severity < 0.6 and f.typology is None


def test_geo_device_shift_needs_a_profile_and_both_a_new_country_and_device():
    home = [tr(1, "A", "EXT-1", 100, TransferKind.EXTERNAL, "DV-1", "US")]
    shift = [tr(50 + h, "A", "EXT-9", 6_000, TransferKind.EXTERNAL, "DV-9", "RU") for h in (0, 1)]
    first = {"US": T0 + HOUR, "RU": T0 + 50 * HOUR}
    dev = {"DV-1": T0 + HOUR, "DV-9": T0 + 50 * HOUR}
    f = GeoDeviceShiftRule().check(view("A", home + shift, 52, country_first=first, device_first=dev))
    assert f is not None and f.evidence == tuple(sorted(t.transfer_id for t in shift)) and f.version == "1.2"
    # one transfer from the new origin is a one-off (a login abroad on a new phone), not a takeover
    assert GeoDeviceShiftRule().check(view("A", home + shift[:1], 52, country_first=first, device_first=dev)) is None
    # a new phone at home is ordinary
    phone = [tr(50 + h, "A", "EXT-9", 6_000, TransferKind.EXTERNAL, "DV-9", "US") for h in (0, 1)]
    assert GeoDeviceShiftRule().check(view("A", home + phone, 52, country_first={"US": T0 + HOUR},
                                           device_first=dev)) is None
    # no profile: a dormant account is not judged
    assert GeoDeviceShiftRule().check(view("A", shift, 52, country_first={"RU": T0 + 50 * HOUR},
                                           device_first={"DV-9": T0 + 50 * HOUR})) is None


def test_default_rules_are_named_and_versioned_once_each():
    rules = default_rules()
    assert len({r.name for r in rules}) == len(rules) and all(r.version for r in rules)
    assert run_rules(rules, view("A", [], 1)) == []
