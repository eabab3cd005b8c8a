"""The load test's SLO: its file, its defaults from the blueprint, the verdict, locust's CSV."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from loadtests.loopback import NotLoopback, require_loopback
from loadtests.slo_check import (DEFAULT_P99_MS, Measured, Slo, SloError, check, load_slo, main,
                                 read_locust_stats)
from reports.latency import BUDGETS_MS

HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
          "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
          "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n")


def stats_csv(tmp_path, requests=1000, failures=3, p99=120):
    path = tmp_path / "load_stats.csv"
    path.write_text(HEADER + f"POST,/v1/orders,{requests},{failures},10,12,1,300,100,50.0,0.1,"
                    f"10,12,14,15,20,40,80,{p99},200,300,300\n"
                    f",Aggregated,{requests},{failures},10,12,1,300,100,50.0,0.1,10,12,14,15,20,40,80,{p99},"
                    "200,300,300\n", encoding="utf-8")
    return path


def test_the_default_p99_is_the_order_path_budgets_of_the_blueprint():
    assert DEFAULT_P99_MS == sum(BUDGETS_MS[s][1] for s in ("gateway", "oms", "risk", "routing"))
    assert load_slo() == Slo()  # loadtests/slo.toml states the defaults


def test_flags_override_the_file(tmp_path):
    file = tmp_path / "slo.toml"
    file.write_text("p99_ms = 80\nmax_error_rate = 0.05\n", encoding="utf-8")
    assert load_slo(file) == Slo(80.0, 0.05)
    assert load_slo(file, p99_ms=10) == Slo(10.0, 0.05)


@pytest.mark.parametrize("text, message", [
    ("p99 = 80\n", "p99: unknown key"),
    ('p99_ms = "fast"\n', "p99_ms: must be a number"),
    ("p99_ms = -1\n", "p99_ms: must be a positive"),
    ("max_error_rate = 2\n", "max_error_rate: must be a fraction"),
    ("p99_ms = \n", "not TOML"),
])
def test_a_bad_slo_file_is_one_line_naming_the_file_and_field(tmp_path, text, message):
    file = tmp_path / "slo.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(SloError, match=message) as err:
        load_slo(file)
    assert str(file) in str(err.value) and "\n" not in str(err.value)


def test_the_verdict_names_each_breach():
    slo = Slo(100.0, 0.01)
    assert check(Measured(1000, 10, 5, 50, 100, 40.0), slo).passed  # both exactly at the limit
    verdict = check(Measured(1000, 11, 5, 50, 101, 40.0), slo)
    assert not verdict.passed
    assert verdict.breaches == ("p99 101 ms > 100 ms", "error rate 1.10% > 1.00%")
    assert check(Measured(0, 0, 0, 0, 0, 0.0), slo).breaches == ("no requests were made",)


@given(requests=st.integers(1, 10**6), failures=st.integers(0, 10**6), p99=st.floats(0, 1e5),
       limit=st.floats(0.001, 1e5), rate=st.floats(0, 1))
def test_pass_iff_both_within(requests, failures, p99, limit, rate):
    failures = min(failures, requests)
    measured = Measured(requests, failures, 0, 0, p99, 1.0)
    assert check(measured, Slo(limit, rate)).passed == (p99 <= limit and failures / requests <= rate)


def test_the_csv_check_reads_the_aggregated_row(tmp_path, capsys):
    path = stats_csv(tmp_path)
    measured = read_locust_stats(path)
    assert (measured.requests, measured.failures, measured.p99_ms) == (1000, 3, 120.0)
    assert math.isclose(measured.error_rate, 0.003)
    assert main([str(path)]) == 0 and "SLO PASS" in capsys.readouterr().out
    assert main([str(path), "--p99-ms", "100"]) == 1 and "breach: p99 120 ms > 100 ms" in capsys.readouterr().out


def test_a_file_that_is_not_locust_stats_is_refused(tmp_path, capsys):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main([str(path)]) == 2
    assert "no 'Aggregated' row" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80",
                                 "http://127.3.4.5"])
def test_loopback_hosts_are_accepted(url):
    assert require_loopback(url) == url


@pytest.mark.parametrize("url", ["http://10.0.0.1:8080", "https://example.com", "http://0.0.0.0:80", None])
def test_other_hosts_are_refused_saying_why(url):
    with pytest.raises(NotLoopback, match="loopback|--host"):
        require_loopback(url)
