"""The twin's control plane: writes, versions, last-good copies, outages and their held writes."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaos.faults.control_plane import ControlPlaneOutage
from scenarios.config import load_scenario
from twin.control_plane import ConfigChange, ConfigVersion, DataPlaneCopy, Setting, install
from twin.fault_target import fault_world
from twin.runner import run_scenario

ROOT = Path(__file__).resolve().parents[3]
SMOKE = load_scenario(ROOT / "scenarios" / "smoke.yaml")
NS = 1_000_000_000


def at(text: str) -> int:
    return SMOKE.session.at_ns(time.fromisoformat(text))


def parse(raw: dict) -> ConfigChange:
    return ConfigChange.from_mapping(raw, "changes[0]", at)


def test_a_change_parses_with_its_time():
    change = parse({"at": "09:40", "setting": "flag", "name": "insights", "value": "off"})
    assert change == ConfigChange(at("09:40"), Setting.FLAG, "insights", "off")


@pytest.mark.parametrize("raw, message", [
    ({"at": "09:40", "setting": "restricted", "colour": "red"}, r"changes\[0\]: unknown field 'colour'"),
    ({"at": "09:40", "setting": "limits"}, r"changes\[0\]\.setting: must be one of"),
    ({"at": "09:40", "setting": "model", "value": "v2"}, r"changes\[0\]\.name: required"),
    ({"at": "09:40", "setting": "flag", "name": "x", "value": "yes"}, r"changes\[0\]\.value: a flag is"),
    ({"setting": "restricted"}, r"changes\[0\]\.at: required"),
    ("restricted=SPY", r"changes\[0\]: expected a mapping"),
    ({"at": "half past nine", "setting": "restricted"}, r"changes\[0\]\.at: "),
])
def test_a_bad_change_is_refused_in_one_line_naming_the_field(raw, message):
    with pytest.raises(ValueError, match=message) as err:
        parse(raw)
    assert "\n" not in str(err.value)


@given(st.dictionaries(st.sampled_from(["at", "setting", "name", "value", "other"]),
                       st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=5))
def test_any_user_mapping_parses_or_is_refused_naming_where(raw):
    try:
        parse(raw)
    except ValueError as exc:
        assert str(exc).startswith("changes[0]")


def test_versions_fold_changes_in_order():
    v0 = ConfigVersion(0, frozenset({"AAPL"}))
    v1 = v0.with_change(ConfigChange(0, Setting.RESTRICTED, value="SPY, AAPL"))
    v2 = v1.with_change(ConfigChange(0, Setting.FLAG, "insights", "off"))
    v3 = v2.with_change(ConfigChange(0, Setting.MODEL, "insight", "v2"))
    assert (v3.version, v3.restricted, v3.flag("insights"), v3.model("insight", "v1")) == \
        (3, frozenset({"SPY", "AAPL"}), False, "v2")
    assert v0.flag("insights") is True and v0.model("insight", "v1") == "v1"


def test_a_copy_keeps_its_last_good_version_and_ignores_older_ones():
    applied = []
    copy = DataPlaneCopy("risk", ConfigVersion(0, frozenset()),
                         lambda v: "bad" if "ZZZZ" in v.restricted else None, applied.append)
    good, bad, newer = ConfigVersion(1, frozenset({"SPY"})), ConfigVersion(2, frozenset({"ZZZZ"})), \
        ConfigVersion(3, frozenset({"AAPL"}))
    assert copy.offer(good) is None and copy.current is good
    assert copy.offer(bad) == "bad" and copy.current is good and copy.refused == [(2, "bad")]
    assert copy.offer(good) is None and applied == [good]  # a repeated push changes nothing
    assert copy.offer(newer) is None and copy.current is newer


def _run(outage: bool, changes: list[ConfigChange], watch: list[str]):
    seen: dict[str, frozenset[str]] = {}

    def setup(world):
        install(world, changes)
        if outage:
            fault_world(world).schedule(ControlPlaneOutage(at("09:35"), 15 * 60 * NS))
        for moment in watch:
            world.clock.call_at(at(moment), lambda m=moment: seen.__setitem__(m, world.platform.risk.restricted))

    result = run_scenario(SMOKE, out_dir=None, setup=setup)
    return result, seen


def test_an_outage_holds_writes_and_the_data_plane_trades_on_the_last_good_configuration():
    changes = [ConfigChange(at("09:40"), Setting.RESTRICTED, value="SPY")]
    result, seen = _run(True, changes, ["09:45", "09:51"])
    assert seen == {"09:45": frozenset(), "09:51": frozenset({"SPY"})}
    summary = result.world.control_plane.summary()
    assert (summary["held_writes"], summary["unreached_writes"], summary["copies"]["risk"]["version"]) == (1, 0, 1)
    assert 10 * 60 * 1000 <= summary["max_staleness_ms"] < 10 * 60 * 1000 + 1000  # held from 09:40 to 09:50
    assert [e["what"] for e in summary["timeline"]][:3] == ["outage", "held", "restore"]
    entered = [o for o in result.world.platform.oms.orders.values() if at("09:35") <= o.created_ns < at("09:50")]
    assert entered and result.passed  # order flow went on during the outage


def test_without_an_outage_a_write_reaches_the_data_plane_within_the_propagation_delay():
    result, seen = _run(False, [ConfigChange(at("09:40"), Setting.RESTRICTED, value="SPY")], ["09:41"])
    assert seen == {"09:41": frozenset({"SPY"})}
    assert result.world.control_plane.summary()["max_staleness_ms"] < 100


def test_an_invalid_version_is_refused_and_the_copy_keeps_the_last_good_one():
    changes = [ConfigChange(at("09:40"), Setting.RESTRICTED, value="SPY"),
               ConfigChange(at("09:42"), Setting.RESTRICTED, value="SPY,ZZZZ")]
    result, seen = _run(False, changes, ["09:45"])
    assert seen == {"09:45": frozenset({"SPY"})}
    summary = result.world.control_plane.summary()
    assert summary["copies"]["risk"] == {"version": 1, "refused": 1}
    assert any(e["what"] == "refused" and "ZZZZ" in e["detail"] for e in summary["timeline"])


def test_a_control_plane_with_nothing_to_say_leaves_the_run_unchanged():
    plain = run_scenario(SMOKE, out_dir=None)
    with_plane, _ = _run(True, [], [])
    assert with_plane.fingerprint == plain.fingerprint
