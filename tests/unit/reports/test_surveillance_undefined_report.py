"""Undefined scores (None: no alerts, or no labels) in every surveillance consumer: the console table, the
backtest page, the run report's section and the precision-recall plot show "n/a" or leave the point out,
never crash and never show a perfect score for nothing."""

from __future__ import annotations

import re

from components.surveillance import Pattern
from components.surveillance.scoring import PatternScore
from reports.html import write_report
from reports.surveillance import plot_precision_recall, run_section
from reports.surveillance_page import write_backtest_page
from tests.unit.reports.test_report_html import make_summary, run_frames
from twin.cli_surveil import _print


def record(pattern: Pattern, alerts: int, tp: int, labels: int, detected: int, threshold: float = 1.0) -> dict:
    return {"threshold": threshold, **PatternScore(pattern, alerts, tp, alerts - tp, labels, detected,
                                                   labels - detected).to_record()}


def patterns() -> dict[str, dict]:
    """Nothing at all (spoofing), episodes but no alert (wash), alerts but no episode (close), measured (front)."""
    out = {"spoofing": record(Pattern.SPOOFING, 0, 0, 0, 0), "wash_trade": record(Pattern.WASH_TRADE, 0, 0, 2, 0),
           "marking_the_close": record(Pattern.MARKING_THE_CLOSE, 3, 0, 0, 0),
           "front_running": record(Pattern.FRONT_RUNNING, 4, 3, 4, 3)}
    out["spoofing"]["sweep"] = [record(Pattern.SPOOFING, 0, 0, 0, 0, t) for t in (1, 2)]
    out["wash_trade"]["sweep"] = [record(Pattern.WASH_TRADE, 2, 2, 2, 2, 0.1),
                                  record(Pattern.WASH_TRADE, 0, 0, 2, 0, 0.9)]
    out["marking_the_close"]["sweep"] = [record(Pattern.MARKING_THE_CLOSE, 3, 0, 0, 0, 0.1)]
    out["front_running"]["sweep"] = [record(Pattern.FRONT_RUNNING, 4, 3, 4, 3, 0.1),
                                     record(Pattern.FRONT_RUNNING, 0, 0, 4, 0, 1.0)]
    for p in out.values():
        p["alerts_per_10k_orders"] = 0.0
    return out


def result() -> dict:
    return {"scenario": "t", "default": {"seeds": [1], "orders": 10, "events": 50, "labels": 6, "refused_episodes": 0,
                                         "patterns": patterns(), "case_funnel": {"open": 1}, "cases": 1}}


def cells(html: str, pattern: str) -> list[str]:
    row = re.search(rf"<tr><td>{pattern}</td>(.*?)</tr>", html, re.S)
    assert row, pattern
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_console_table_says_n_a_for_what_was_not_measured(capsys):
    _print(result())
    lines = {ln.split()[0]: ln.split() for ln in capsys.readouterr().out.splitlines() if ln.startswith("  ")}
    assert lines["spoofing"][-4:-1] == ["n/a", "n/a", "n/a"]
    assert lines["wash_trade"][-4:-1] == ["n/a", "0.000", "0.000"]
    assert lines["marking_the_close"][-4:-1] == ["0.000", "n/a", "0.000"]
    assert lines["front_running"][-4:-1] == ["0.750", "0.750", "0.750"]


def test_backtest_page_says_n_a_and_never_none(tmp_path):
    html = write_backtest_page(result(), tmp_path).read_text(encoding="utf-8")
    assert "None" not in html
    # columns: threshold alerts tp fp fn precision recall f1 per10k
    assert cells(html, "spoofing")[5:8] == ["n/a", "n/a", "n/a"]
    assert cells(html, "wash_trade")[5:8] == ["n/a", "0.0", "0.0"]
    assert cells(html, "marking_the_close")[5:8] == ["0.0", "n/a", "0.0"]


def test_run_report_section_says_n_a_and_never_none(tmp_path):
    events, orders = run_frames()
    summary = make_summary(events, orders, [])
    summary["surveillance"] = run_section({p: 0 for p in patterns()}, {"open": 0}, 10, scores=patterns())
    html = write_report(summary, events, orders, tmp_path, workers=1).read_text(encoding="utf-8")
    section = html[html.index("<h2>Surveillance</h2>"):]
    section = section[:section.index("<h3>Case funnel</h3>")]
    assert "None" not in section
    # columns: alerts, per 10k, labelled, precision, recall, F1
    assert cells(section, "spoofing")[3:] == ["n/a", "n/a", "n/a"]
    assert cells(section, "wash_trade")[3:] == ["n/a", "0.0", "0.0"]


def test_plot_leaves_undefined_points_out():
    fig = plot_precision_recall(patterns())
    ax = fig.axes[0]
    ys = [y for line in ax.lines for y in line.get_ydata()]
    assert None not in ys and all(y == y for y in ys)  # no None, no NaN
    # wash_trade: only its 0.1 point has a precision (1.0, measured); its 0.9 point and its dot have none
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("wash_trade") and "no alerts" in legend[0]
    assert [line.get_ydata().tolist() for line in ax.lines[:1]] == [[1.0]]
    assert not any(text.startswith("spoofing") or text.startswith("marking") for text in legend)
