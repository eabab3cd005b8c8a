"""``twin.observability.slo_line``: the console's one line about a run's SLO alerts (an SRE must not have
to open the report to learn that a day paged)."""

from __future__ import annotations

from twin.observability import slo_line


def alert(slo: str, severity: str, start: str, end: str | None = None) -> dict:
    return {"alert": "SLOErrorBudgetBurned", "labels": {"slo": slo, "severity": severity, "burned": "50"},
            "start_utc": start, "end_utc": end}


SECTION = {
    "slos": [{"name": "gateway-latency", "budget_burned": 0.985222}, {"name": "risk-latency", "budget_burned": None}],
    "alerts": [alert("gateway-latency", "ticket", "2026-11-24T14:41:00+00:00"),
               alert("gateway-latency", "page", "2026-11-24T14:45:00+00:00", "2026-11-24T15:02:00+00:00"),
               alert("risk-latency", "ticket", "2026-11-24T14:49:00+00:00", "2026-11-24T14:51:00+00:00")],
}


def test_each_slo_that_fired_with_its_worst_alert_in_session_time():
    assert slo_line(SECTION) == (
        "slo: 3 alert(s), 1 page(s): gateway-latency 98.5% of its budget burned, page from 09:45 to 10:02; "
        "risk-latency ticket from 09:49 to 09:51 (New York time)")


def test_an_alert_still_firing_at_the_end_says_so():
    section = {"slos": [], "alerts": [alert("oms-latency", "page", "2026-11-24T20:59:00+00:00")]}
    assert slo_line(section) == "slo: 1 alert(s), 1 page(s): oms-latency page from 15:59 to the end (New York time)"


def test_no_alert_and_no_evaluation_are_said_plainly():
    assert slo_line({"slos": [{"name": "x", "budget_burned": 0.1}], "alerts": []}) == "slo: no alert fired"
    assert slo_line(None) == "slo: not evaluated"
