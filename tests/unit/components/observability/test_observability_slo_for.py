"""``for:`` in the generated alerts and in the twin's evaluator, and the rules' short-window test variant."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import yaml
from hypothesis import given, strategies as st

from components.observability.slo import (
    DEFAULT_SLO_FILE, alert_rules, duration_s, load_slos, prometheus_rules, render_rules, scaled)
from components.observability.slo_eval import Series, firings, pendings

SLOS = load_slos(DEFAULT_SLO_FILE)
ACCEPTANCE = next(s for s in SLOS if s.name == "order-acceptance")
PROMTOOL = shutil.which("promtool")
FAST = (("slo", "order-acceptance"), ("service", "router"), ("severity", "page"), ("long_window", "1h"),
        ("short_window", "5m"))


def _series(bad_from: int, bad_to: int, seconds: int = 120, step: int = 1) -> Series:
    """10 orders received per second; all rejected from ``bad_from`` to ``bad_to`` (seconds)."""
    t = np.arange(0, seconds + 1, step)
    rejected = np.cumsum(np.where((t > bad_from) & (t <= bad_to), 10 * step, 0))
    labels = json.dumps({"state": "REJECTED"})
    rows = [(float(x), "bdt_orders_received_total", "{}", float(x * 10)) for x in t]
    rows += [(float(x), "bdt_orders_final_total", labels, float(r)) for x, r in zip(t, rejected)]
    return Series.from_rows(rows)


def _spell(spells, labels):
    return [f for f in spells if f.labels == labels]


def test_burn_alerts_carry_for_and_budget_alerts_do_not():
    rules = alert_rules(ACCEPTANCE)
    assert [r.for_ for r in rules] == ["2m", "15m", "1h", "", "", ""]
    assert [r.to_rule().get("for") for r in rules] == ["2m", "15m", "1h", None, None, None]


def test_the_evaluator_holds_an_alert_pending_for_its_for_then_fires():
    fired = _spell(firings(_series(10, 120), ACCEPTANCE, 60), FAST)  # test variant: 5s/60s windows, for 2s
    (spell,) = fired
    assert spell.pending_s is not None and spell.start_s - spell.pending_s == 2.0
    assert spell.end_s is None  # still firing when the samples end


def test_an_alert_whose_for_has_not_run_out_is_pending_not_firing():
    series = _series(10, 120, seconds=40)  # 30 s of rejections: the ticket's for: (1h -> 60 s) never runs out
    ticket = next(r.labels for r in alert_rules(ACCEPTANCE, 60) if dict(r.labels).get("long_window") == "3d")
    assert not _spell(firings(series, ACCEPTANCE, 60), ticket)
    (pending,) = _spell(pendings(series, ACCEPTANCE, 60), ticket)
    assert pending.start_s is None and pending.pending_s == 11.0
    (fast,) = _spell(firings(series, ACCEPTANCE, 60), FAST)  # the fast page's 2 s did run out
    assert fast.start_s - fast.pending_s >= 2.0
    assert pending.to_record()["pending_s"] == 11.0 and fast.to_record()["start_s"] == fast.start_s


def test_the_test_variant_divides_windows_and_for_but_keeps_the_alert_identity():
    fast = alert_rules(ACCEPTANCE, 60)
    assert [(r.windows, r.for_) for r in fast[:3]] == [(("60s", "5s"), "2s"), (("360s", "30s"), "15s"),
                                                       (("4320s", "360s"), "60s")]
    assert [r.labels for r in fast] == [r.labels for r in alert_rules(ACCEPTANCE)]
    assert fast[3].windows == ("40320s",)
    records = {r["record"] for g in prometheus_rules(SLOS, 60)["groups"] for r in g["rules"] if "record" in r}
    assert "slo:error_ratio:rate5s" in records and "slo:error_ratio:rate5m" not in records
    assert "TEST VARIANT" in render_rules(SLOS, 60) and "TEST VARIANT" not in render_rules(SLOS)


@given(st.sampled_from(["5m", "30m", "1h", "6h", "3d", "28d", "2m", "15m"]), st.integers(1, 400))
def test_scaled_is_exact_or_refused(duration, k):
    try:
        out = scaled(duration, k)
    except ValueError as exc:
        assert duration in str(exc) and str(k) in str(exc)
    else:
        assert duration_s(out) * k == duration_s(duration)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`)")
def test_promtool_accepts_the_test_variant_and_agrees_on_for(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(render_rules(SLOS, 60))
    done = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # 10 orders/s, all rejected from 10 s on: at each second, the burn alerts the evaluator has firing
    spells = firings(_series(10, 120, seconds=40), ACCEPTANCE, 60)
    burn = [r for r in alert_rules(ACCEPTANCE, 60) if r.alert == "SLOBurnRate"]

    def firing_at(second: int) -> list[dict]:
        return [{"exp_labels": dict(r.labels), "exp_annotations": r.to_rule()["annotations"]} for r in burn
                if any(f.start_s <= second for f in _spell(spells, r.labels))]

    (fast,) = _spell(spells, FAST)
    seconds = sorted({int(fast.pending_s), int(fast.start_s) - 1, int(fast.start_s), 20, 30, 40})
    assert not any(a["exp_labels"] == dict(FAST) for a in firing_at(int(fast.start_s) - 1))  # pending, for 2 s
    assert any(a["exp_labels"] == dict(FAST) for a in firing_at(int(fast.start_s)))
    spec = {"rule_files": [str(rules)], "evaluation_interval": "1s", "tests": [{
        "interval": "1s",
        "input_series": [
            {"series": "bdt_orders_received_total", "values": " ".join(str(x * 10) for x in range(41))},
            {"series": 'bdt_orders_final_total{state="REJECTED"}',
             "values": " ".join(str(max(0, x - 10) * 10) for x in range(41))}],
        "alert_rule_test": [{"eval_time": f"{t}s", "alertname": "SLOBurnRate", "exp_alerts": firing_at(t)}
                            for t in seconds]}]}
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100000))
    done = subprocess.run([PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_twin_slo_rules_time_scale_writes_the_test_variant_or_refuses(tmp_path, capsys):
    from twin.cli import main

    out = tmp_path / "rules-test.yaml"
    assert main(["slo-rules", "--time-scale", "60", "--out", str(out)]) == 0
    assert out.read_text() == render_rules(SLOS, 60) and "(test variant, time scale 60)" in capsys.readouterr().out
    assert main(["slo-rules", "--time-scale", "7", "--out", str(tmp_path / "x.yaml")]) == 2
    assert "--time-scale 7: 1h / 7 is not a whole number of seconds" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()
