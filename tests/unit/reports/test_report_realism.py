"""Market-realism figures on synthetic samples: returns moments, |return| ACF, spread, depth, digest."""

from __future__ import annotations

import numpy as np
import pytest

from components.domain.money import CENT, to_units
from reports.html import write_report
from reports.realism import autocorrelation, minute_mids, moments, realism_section

S = 1_000_000_000
PX = to_units("100.00")


def samples_from_mids(mids_ticks: np.ndarray, per_minute: int = 60, spread: int = 1) -> dict[str, list[int]]:
    """One sample per second; the mid holds for each minute (whole ticks, so exact)."""
    mid = np.repeat(mids_ticks, per_minute).astype(np.int64) * CENT
    n = len(mid)
    return {"t_ns": list(np.arange(n, dtype=np.int64) * S), "bid": list(mid - spread * CENT // 1),
            "bid_size": [100] * n, "ask": list(mid + spread * CENT), "ask_size": [300] * n}


def test_moments_of_a_normal_sample_have_no_excess_kurtosis() -> None:
    x = np.random.default_rng(1).standard_normal(200_000)
    m = moments(x)
    assert abs(m["excess_kurtosis"]) < 0.05 and abs(m["skewness"]) < 0.05 and m["std"] == pytest.approx(1, abs=0.01)
    assert moments(np.array([1.0, 2.0]))["excess_kurtosis"] is None


def test_autocorrelation_sees_clustering() -> None:
    rng = np.random.default_rng(2)
    calm_and_wild = np.concatenate([rng.standard_normal(100) * s for s in (1, 10, 1, 10, 1)])
    acf = autocorrelation(np.abs(calm_and_wild), 3)
    assert acf[0] > 0.3
    white = autocorrelation(np.abs(rng.standard_normal(5000)), 3)
    assert all(abs(v) < 0.05 for v in white)
    assert autocorrelation(np.ones(5), 2) == [None, None]


def test_minute_mids_take_each_minutes_last_sample_and_carry_over_empty_sides() -> None:
    t = np.arange(180, dtype=np.int64) * S
    bid = np.full(180, PX - CENT)
    ask = np.full(180, PX + CENT)
    bid[:30] = 0  # one-sided at first: no mid yet
    bid[90:100] = PX  # 1:30-1:39 the mid moves up half a tick
    ask[100:] = 0  # one-sided from 1:40: that mid carries on to the end of minutes 1 and 2
    mids = minute_mids(t, bid, ask)
    assert list(mids) == [PX, PX + CENT // 2, PX + CENT // 2]


def test_realism_section_of_a_jumpy_clustered_path() -> None:
    rng = np.random.default_rng(3)
    steps = np.concatenate([rng.integers(-1, 2, 150), rng.integers(-30, 31, 40), rng.integers(-1, 2, 200)])
    mids = PX // CENT + np.cumsum(steps)
    s = samples_from_mids(mids)
    trades = {"t_ns": [1, 2], "price": [PX, PX + 2 * CENT], "qty": [100, 300], "orders": 7}
    section = realism_section({"ABM": s}, {"ABM": trades}, venue="XNAS", sample_interval_s=1.0)
    assert section["venue"] == "XNAS" and len(section["market_digest"]) == 64
    r = section["symbols"]["ABM"]
    assert r["samples"] == len(s["t_ns"]) and r["two_sided_fraction"] == 1.0
    assert r["returns_1min"]["count"] == len(mids) - 1
    assert r["returns_1min"]["excess_kurtosis"] > 1
    assert r["abs_return_acf"]["values"][0] > 0.2 and r["abs_return_acf"]["lags"] == list(range(1, 11))
    assert r["spread_ticks"]["p50"] == 2.0 and r["spread_ticks"]["histogram"]["counts"][1] == len(s["t_ns"])
    assert r["top_depth"]["p50"] == 400.0
    assert r["trades"] == {"orders": 7, "count": 2, "volume": 400, "vwap": pytest.approx(100.015)}
    # The digest is of the data: same data same digest, any change another.
    again = realism_section({"ABM": s}, {"ABM": trades}, venue="XNAS", sample_interval_s=1.0)
    assert again["market_digest"] == section["market_digest"]
    s["ask_size"][5] += 1
    assert realism_section({"ABM": s}, {"ABM": trades}, venue="XNAS", sample_interval_s=1.0)["market_digest"] \
        != section["market_digest"]


def test_realism_section_without_samples_or_trades() -> None:
    empty = {k: [] for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")}
    r = realism_section({"X": empty}, venue="V", sample_interval_s=1.0)["symbols"]["X"]
    assert r["samples"] == 0 and r["returns_1min"]["count"] == 0 and r["trades"] is None


def test_crossed_and_locked_samples_are_counted_not_histogrammed() -> None:
    """A recorded day's consolidated quotes can be crossed or locked; the section must not crash on them."""
    s = samples_from_mids(np.full(3, PX // CENT))
    s["ask"][0] = s["bid"][0] - CENT  # crossed by a cent
    s["ask"][1] = s["bid"][1]  # locked
    r = realism_section({"ABM": s}, venue="XNAS", sample_interval_s=1.0)["symbols"]["ABM"]
    assert r["crossed_samples"] == 1 and r["locked_samples"] == 1
    assert sum(r["spread_ticks"]["histogram"]["counts"]) == len(s["t_ns"]) - 2
    assert r["spread_ticks"]["p50"] == 2.0


def test_a_few_very_deep_books_do_not_squash_the_depth_histogram_into_one_bar() -> None:
    s = samples_from_mids(np.full(3, PX // CENT))
    s["bid_size"] = [100 + (i % 50) for i in range(len(s["t_ns"]))]
    s["bid_size"][0] = 1_000_000  # one enormous book
    r = realism_section({"ABM": s}, venue="XNAS", sample_interval_s=1.0)["symbols"]["ABM"]
    hist = r["top_depth"]["histogram"]
    assert hist["last_includes_larger"] is True
    assert sum(c > 0 for c in hist["counts"]) > 10 and sum(hist["counts"]) == len(s["t_ns"])
    assert r["top_depth"]["max"] == 1_000_000 + 300  # the distribution itself is not clipped


def test_report_shows_the_realism_section(tmp_path) -> None:
    mids = PX // CENT + np.cumsum(np.random.default_rng(4).integers(-3, 4, 120))
    section = realism_section({"ABM": samples_from_mids(mids)}, venue="XNAS", sample_interval_s=1.0)
    summary = {"scenario": "t", "seed": 1, "fingerprint": "f", "market_realism": section}
    html = write_report(summary, None, None, tmp_path).read_text(encoding="utf-8")
    assert "Market realism (simulated market, XNAS" in html and 'alt="Market realism: ABM"' in html
    assert "Market realism" not in write_report({"scenario": "t"}, None, None, tmp_path / "b").read_text()
