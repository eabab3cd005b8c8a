"""The scenario ``faults`` section: each entry becomes its catalogue fault; bad entries get one error
naming the field and the problem (also for random input, with hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.faults.network import MessageLoss, MessageReorder
from chaos.faults.services import ServiceCrash, ServiceCrashMidAppend
from chaos.faults.storage import StoredEventCorruption
from chaos.faults.venues import VenueDown, VenueSlow
from components.config.schema import ScenarioError
from scenarios.config import load_scenario, parse_scenario
from scenarios.config_faults import PARAMETERS
from tests.conftest import SCENARIOS
from twin.crashes import crash_faults

NS = 1_000_000_000
HEADER = 'name: f\nsession: {date: "2026-11-24", open: "09:30", close: "10:00"}\nfaults:\n'
OPEN = parse_scenario("name: f\n").session.open_ns()


def faults_of(*entries: str):
    scenario = parse_scenario(HEADER + "".join(f"  - {e}\n" for e in entries))
    return [spec.to_fault(scenario.session) for spec in scenario.faults]


def error_of(entry: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        faults_of(entry)
    return str(caught.value)


def test_each_entry_becomes_its_fault_with_times_from_the_session():
    got = faults_of(
        '{kind: venue_down, venue: XNAS, at: "09:31", duration_s: 90}',
        '{kind: venue_slow, venue: BATS, at: "09:32", offset_s: 1.5, duration_s: 2, extra_ms: 40}',
        '{kind: service_crash, service: risk, at: "09:33"}',
        '{kind: service_crash_mid_append, service: post_trade, at: "09:34", stored: 2, restart_ms: 90}',
        '{kind: message_loss, at: "09:35", duration_s: 60, probability: 0.1, src: oms, redelivery_ms: 300}',
        '{kind: message_reorder, at: "09:36", duration_s: 60, max_delay_ms: 7}',
        '{kind: stored_event_corruption, at: "09:37", position: 0.9, flips: 4}',
    )
    minute = 60 * NS
    assert got == [
        VenueDown("XNAS", OPEN + minute, 90 * NS),
        VenueSlow("BATS", OPEN + 2 * minute + int(1.5 * NS), 2 * NS, extra_ms=40.0),
        ServiceCrash("risk", OPEN + 3 * minute),
        ServiceCrashMidAppend("post_trade", OPEN + 4 * minute, stored=2, restart_ms=90.0),
        MessageLoss(OPEN + 5 * minute, 60 * NS, 0.1, src="oms", redelivery_ms=300.0),
        MessageReorder(OPEN + 6 * minute, 60 * NS, max_delay_ms=7.0),
        StoredEventCorruption(OPEN + 7 * minute, position=0.9, flips=4),
    ]


@pytest.mark.parametrize("entry, field, problem", [
    ('{kind: venue_dwn, at: "09:31"}', "kind", "unknown fault kind 'venue_dwn'"),
    ('{kind: venue_down, venue: XNAS, at: "09:31"}', "duration_s", "is required for venue_down"),
    ('{kind: service_crash, service: oms, at: "09:31", duration_s: 5}', "duration_s", "it does not heal"),
    ('{kind: service_crash, at: "09:31"}', "service", "is required for service_crash"),
    ('{kind: message_loss, at: "09:31", duration_s: 5, venue: XNAS}', "venue", "not a parameter of message_loss"),
    ('{kind: message_loss, at: "09:31", duration_s: 5, probability: 1.2}', "probability", "must be <= 1.0"),
    ('{kind: venue_down, venue: NYSE, at: "09:31", duration_s: 5}', "venue", "unknown venue 'NYSE'"),
    ('{kind: service_crash, service: db, at: "09:31"}', "service", "one of gateway"),
    ('{kind: venue_slow, venue: XNAS, at: "9h", duration_s: 5}', "at", "must be a time"),
    ('{kind: stored_event_corruption, at: "09:31", flips: 0}', "flips", "must be >= 1"),
    ('{kind: message_reorder, at: "09:31", duration_s: 5, probabilty: 0.1}', "probabilty", "did you mean 'probability'"),
    # after the close (10:00) or over before the open (09:30): the fault could change nothing
    ('{kind: venue_down, venue: XNAS, at: "11:40", duration_s: 300}', "at",
     "11:40 is after the close, when venues take no order: the session is 09:30-10:00"),
    ('{kind: venue_slow, venue: XNAS, at: "10:00", offset_s: 1, duration_s: 5, extra_ms: 3}', "at",
     "10:00 + 1 s is after the close"),
    ('{kind: venue_down, venue: XNAS, at: "09:00", duration_s: 1800}', "duration_s",
     "the fault is over before the open: the session is 09:30-10:00"),
])
def test_a_bad_entry_is_one_error_naming_the_field_and_the_problem(entry, field, problem):
    message = error_of(entry)
    assert f":4: faults[0].{field}: " in message
    assert problem in message


def test_the_crashes_plan_is_sugar_for_service_crash_faults():
    scenario = load_scenario(SCENARIOS / "crash_day.yaml")
    faults = crash_faults(scenario)
    assert len(faults) == len(scenario.crashes.plan) > 0
    for fault, crash in zip(faults, scenario.crashes.plan):
        assert fault == ServiceCrash(crash.service, scenario.session.at_ns(crash.at), crash.restart_ms)


def test_the_faults_day_scenario_is_valid():
    scenario = load_scenario(SCENARIOS / "faults_day.yaml")
    kinds = {spec.kind for spec in scenario.faults}
    assert {"venue_down", "service_crash_mid_append", "message_loss", "message_duplication", "message_reorder",
            "stored_event_corruption"} <= kinds


KINDS_HERE = ("venue_down", "venue_slow", "venue_reject_storm", "service_crash", "service_crash_mid_append",
              "message_loss", "message_duplication", "message_reorder", "stored_event_corruption", "no_such_kind")
VALUES = st.one_of(st.integers(-5, 700_000), st.floats(-2.0, 2.0, allow_nan=False), st.sampled_from(
    ["XNAS", "oms", "'*'", "post_trade", "ZZ", "'x y'"]))
FIELD = re.compile(r":\d+: faults\[0\]\.([a-z_]+): \S")


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS_HERE), duration=st.one_of(st.none(), st.floats(-1.0, 100.0, allow_nan=False)),
       params=st.dictionaries(st.sampled_from(PARAMETERS), VALUES, max_size=4))
def test_any_entry_parses_to_its_kind_or_fails_naming_a_field(kind, duration, params):
    parts = [f"kind: {kind}", 'at: "09:40"'] + ([] if duration is None else [f"duration_s: {duration!r}"])
    parts += [f"{name}: {value!r}" if not isinstance(value, str) else f"{name}: {value}" for name, value in params.items()]
    try:
        (fault,) = faults_of("{" + ", ".join(parts) + "}")
    except ScenarioError as exc:
        match = FIELD.search(str(exc))
        assert match, str(exc)
        assert match.group(1) in {"kind", "at", "duration_s", *PARAMETERS}
        return
    assert fault.kind == kind


def test_a_fault_before_the_open_that_lasts_into_the_session_or_one_at_the_close_is_kept():
    down, crash = faults_of('{kind: venue_down, venue: XNAS, at: "09:00", duration_s: 1801}',
                            '{kind: service_crash, service: oms, at: "10:00"}')
    assert (down.duration_ns, crash.service) == (1801 * NS, "oms")


def test_faults_that_act_after_the_close_are_kept():
    """A corruption overnight is caught by the end-of-run audit; services and messages carry post-trade work."""
    corrupt, crash, loss = faults_of('{kind: stored_event_corruption, at: "10:30", position: 0.5, flips: 2}',
                                     '{kind: service_crash, service: post_trade, at: "10:20"}',
                                     '{kind: message_loss, at: "11:00", duration_s: 60, probability: 0.5}')
    assert (corrupt.flips, crash.service, loss.probability) == (2, "post_trade", 0.5)
    scenario = parse_scenario('name: f\nsession: {date: "2026-11-24", open: "09:30", close: "10:00"}\n'
                              'crashes: {plan: [{service: oms, at: "10:01"}]}\n')
    assert len(scenario.crashes.plan) == 1


def test_a_kill_switch_flip_after_the_close_is_refused():
    with pytest.raises(ScenarioError, match=r"trading_state\[0\]\.at: 12:00 is after the close"):
        parse_scenario('name: f\nsession: {date: "2026-11-24", open: "09:30", close: "10:00"}\n'
                       'trading_state: [{at: "12:00", state: HALTED}]\n')
