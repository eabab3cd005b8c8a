"""The game-day page a new SRE reads: faults and control-plane times on the New York session clock,
order figures against the fault-free baseline (or labelled as totals), the SLO over simulated time,
and ``twin gameday``'s exit status for CI."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime

import pytest

from components.config.session import NEW_YORK, to_ns
from reports.gameday import JournalError, plot_slo_session, plot_timeline, read_journal, session_time, write_gameday
from twin.cli import main

NS = 1_000_000_000


def ny(text: str) -> int:
    return to_ns(datetime.fromisoformat(f"2026-11-24T{text}").replace(tzinfo=NEW_YORK))


VENUE_DOWN = {"kind": "venue_down", "family": "venues", "at_ns": ny("09:30:00"), "duration_ns": 300 * NS,
              "at": "09:30:00", "duration_s": 300.0, "params": {"venue": "XNAS"},
              "describe": f"venue_down: VenueDown(venue='XNAS', at_ns={ny('09:30:00')}, duration_ns={300 * NS})"}
ORDERS = {"BLOCKED": 44, "CANCELED": 8, "EXPIRED": 22, "SETTLED": 133}
ACTION_OUTPUT = {
    "order_path": {"count": 163, "p99_ms": 28.0}, "invariants_held": True, "faults": [VENUE_DOWN],
    "orders": ORDERS, "affected": {"count": 44, "ended": {"BLOCKED": 16, "CANCELED": 1, "SETTLED": 27}},
    "order_path_by_minute": [{"t_ns": ny("09:30:00"), "count": 5, "p99_ms": 30.0},
                             {"t_ns": ny("09:31:00"), "count": 6, "p99_ms": 20.0}],
    "control_plane": {"timeline": [{"t_ns": ny("09:35:00"), "what": "outage", "detail": ""},
                                   {"t_ns": ny("09:50:00") + 21_632_382, "what": "applied", "detail": "risk v4"}]},
    "baseline": {"orders": dict(ORDERS, SETTLED=132, EXPIRED=23),
                 "affected": {"count": 44, "ended": {"BLOCKED": 16, "CANCELED": 1, "SETTLED": 27}},
                 "order_path_by_minute": [{"t_ns": ny("09:30:00"), "count": 5, "p99_ms": 25.0}]},
}
JOURNAL = {
    "experiment": {"title": "XNAS down", "description": "XNAS is down from the open (09:30)"},
    "status": "completed", "deviated": False, "start": "2026-12-05T06:00:00+00:00", "duration": 0.4,
    "steady_states": {"before": {"probes": []}, "after": {"probes": []}},
    "run": [{"activity": {"type": "action", "name": "xnas-down"}, "status": "succeeded", "duration": 0.3,
             "start": "2026-12-05T06:00:00.050000+00:00", "output": ACTION_OUTPUT}],
    "rollbacks": [],
}


def _page(tmp_path, journal) -> str:
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(journal))
    html = write_gameday(read_journal(path), tmp_path / "out").read_text()
    return re.sub(r'src="data:image/png;base64,[^"]*"', 'src="PNG"', html)


def _without(*keys: str, faults_too: tuple[str, ...] = ()) -> dict:
    journal = copy.deepcopy(JOURNAL)
    output = journal["run"][0]["output"]
    for key in keys:
        output.pop(key)
    for fault in output["faults"]:
        for key in faults_too:
            fault.pop(key)
    return journal


def test_session_time_is_new_york_wall_clock():
    assert session_time(ny("09:35:00")) == "09:35:00"
    assert session_time(ny("09:50:00") + 21_632_382, ms=True) == "09:50:00.021"


@pytest.mark.parametrize("journal", [JOURNAL, _without(faults_too=("params", "at", "duration_s"))],
                         ids=["recorded", "older journal"])
def test_a_fault_reads_as_kind_parameters_new_york_start_and_seconds(tmp_path, journal):
    html = _page(tmp_path, journal)
    faults = html[html.index("<h2>Faults injected"):html.index("<h2>RPO")]
    assert "venue_down" in faults and ">09:30:00<" in faults and ">300<" in faults
    assert str(ny("09:30:00")) not in html  # no epoch nanoseconds anywhere
    if journal is JOURNAL:
        assert "VenueDown(" not in html and "venue XNAS" in faults


def test_the_control_plane_timeline_is_on_the_same_new_york_clock(tmp_path):
    html = _page(tmp_path, JOURNAL)
    control = html[html.index("<h2>Control plane"):html.index("<h2>RPO")]
    assert "New York" in control and ">09:35:00.000<" in control and ">09:50:00.021<" in control
    assert str(ny("09:35:00")) not in control and "Z<" not in control


def test_order_figures_are_shown_against_the_fault_free_baseline(tmp_path):
    html = _page(tmp_path, JOURNAL)
    orders = html[html.index("<h2>Orders affected"):]
    assert "fault-free baseline" in orders and "difference" in orders
    # SETTLED 133 against 132, EXPIRED 22 against 23; unchanged statuses show +0
    assert re.search(r"SETTLED</td><td class=\"num\">133</td>\s*<td class=\"num\">132</td>\s*"
                     r"<td class=\"num fail\">\+1</td>", orders), orders
    assert re.search(r"BLOCKED</td><td class=\"num\">44</td>\s*<td class=\"num\">44</td>\s*"
                     r"<td class=\"num \">\+0</td>", orders), orders
    assert "Totals, not effects of the fault" not in orders
    assert orders.count("differs from the fault-free baseline") == 1  # every order; the affected ones match
    assert orders.count("no difference from the fault-free baseline") == 1


def test_without_a_baseline_the_order_figures_are_labelled_totals_with_how_to_compare(tmp_path):
    orders = _page(tmp_path, _without("baseline"))
    orders = orders[orders.index("<h2>Orders affected"):]
    assert "Totals, not effects of the fault" in orders and "run_twin_scenario" in orders
    assert "difference" not in orders


def test_the_slo_is_plotted_over_simulated_new_york_time(tmp_path):
    day = read_journal(_write(tmp_path, JOURNAL))
    ax = plot_slo_session(day).axes[0]
    assert "New York session time" in ax.get_xlabel()
    lines = [line for line in ax.get_lines() if len(line.get_xdata())]
    assert sorted(list(line.get_xdata()) for line in lines) == [[570.0], [570.0, 571.0]]  # 09:30, 09:31 (minutes)
    assert "simulated" not in plot_timeline(day).axes[0].get_xlabel()
    assert "wall-clock" in plot_timeline(day).axes[0].get_xlabel()
    html = _page(tmp_path, JOURNAL)
    assert "The SLO over the simulated session" in html and "order-path p99 per simulated minute" in html


def _write(tmp_path, journal):
    path = tmp_path / "j.json"
    path.write_text(json.dumps(journal))
    return path


@pytest.mark.parametrize("status, deviated, code", [("completed", False, 0), ("completed", True, 1),
                                                    ("failed", False, 1), ("aborted", False, 1)])
def test_twin_gameday_exits_non_zero_when_the_steady_state_did_not_hold(tmp_path, capsys, status, deviated, code):
    journal = dict(JOURNAL, status=status, deviated=deviated)
    assert main(["gameday", str(_write(tmp_path, journal)), "--out", str(tmp_path / "o")]) == code
    assert (tmp_path / "o" / "gameday.html").exists()  # the report is written either way
    assert "report:" in capsys.readouterr().out


def test_twin_gameday_exits_2_on_what_is_not_a_journal(tmp_path, capsys):
    (tmp_path / "x.json").write_text("[]")
    assert main(["gameday", str(tmp_path / "x.json")]) == 2
    assert "not a Chaos Toolkit journal" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["fault", "control plane", "series"])
def test_a_time_no_clock_can_show_is_refused_in_one_line(tmp_path, where):
    journal = copy.deepcopy(JOURNAL)
    output = journal["run"][0]["output"]
    target = {"fault": output["faults"][0], "control plane": output["control_plane"]["timeline"][0],
              "series": output["order_path_by_minute"][0]}[where]
    target["at_ns" if where == "fault" else "t_ns"] = 10**30
    with pytest.raises(JournalError, match=r"j.json: not a Chaos Toolkit journal") as err:
        read_journal(_write(tmp_path, journal))
    assert "\n" not in str(err.value)
