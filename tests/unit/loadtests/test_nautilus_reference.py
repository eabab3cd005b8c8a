"""loadtests/benchmarks/nautilus_reference.py: its result line and table, and (where the venv exists) a tiny real run.

The real runs need ``.venv-nautilus`` (NautilusTrader 1.221.0), which the test suite never installs: they are
skipped, saying so, unless ``python loadtests/benchmarks/nautilus_reference.py`` (or ``bench_replay.py
--nautilus``) has created it on this machine.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import nautilus_reference as ref  # noqa: E402

NEEDS_VENV = pytest.mark.skipif(
    ref.installed_version() != ref.VERSION,
    reason=f"{ref.VENV} with nautilus_trader {ref.VERSION} not found; the tests never install it "
           "(python loadtests/benchmarks/nautilus_reference.py creates it once)")


def a_run(**changes: object) -> ref.ReferenceRun:
    """A consistent run of 2,000 quotes, an order every 100th: 20 orders, each filled at the touch."""
    run = ref.ReferenceRun(version=ref.VERSION, quotes=2000, quotes_seen=2000, orders=20, fills=20,
                           filled_shares=20 * ref.ORDER_QUANTITY, fills_at_touch=20, imports_s=1.25, prep_s=0.5,
                           setup_s=0.25, run_s=2.5, whole_s=4.75, cpu_s=3.5, peak_mib=280.5)
    return dataclasses.replace(run, **changes)


def line_of(values: dict) -> str:
    return "some log line\n" + ref.LINE_TAG + json.dumps(values) + "\nanother line\n"


def test_the_result_line_parses_back_to_the_run_it_was_printed_from():
    run = a_run(quotes=1_000_000, quotes_seen=1_000_000, orders=10_000, fills=10_000, filled_shares=1_000_000,
                run_s=47.125, peak_mib=615.5)
    assert ref.parse_line(line_of(dataclasses.asdict(run))) == run


def test_a_whole_number_for_a_time_is_read_as_seconds():
    values = dataclasses.asdict(a_run())
    values["run_s"] = 3
    parsed = ref.parse_line(line_of(values))
    assert parsed.run_s == 3.0 and isinstance(parsed.run_s, float)


def test_output_without_the_result_line_is_a_one_line_error():
    with pytest.raises(ValueError, match="no 'NAUTILUS-REFERENCE' line in the child's output"):
        ref.parse_line("Traceback (most recent call last):\n  ...\nMemoryError\n")


def test_a_result_line_that_is_not_json_names_the_column():
    with pytest.raises(ValueError, match=r"line is not JSON \(.*column 2\)"):
        ref.parse_line(ref.LINE_TAG + "{oops}")


def test_a_result_line_that_is_not_an_object_is_refused():
    with pytest.raises(ValueError, match="not a JSON object"):
        ref.parse_line(ref.LINE_TAG + "[1, 2]")


@pytest.mark.parametrize("field", [field.name for field in dataclasses.fields(ref.ReferenceRun)])
def test_each_missing_field_is_named(field):
    values = dataclasses.asdict(a_run())
    del values[field]
    with pytest.raises(ValueError, match=f"field '{field}' missing"):
        ref.parse_line(line_of(values))


@pytest.mark.parametrize(("field", "value"), [
    ("orders", "10000"), ("fills", -1), ("quotes", 2.5), ("quotes_seen", True), ("run_s", -0.5),
    ("peak_mib", None), ("whole_s", "fast"), ("version", 1.221),
])
def test_a_field_of_the_wrong_kind_is_named_with_its_value(field, value):
    values = dataclasses.asdict(a_run())
    values[field] = value
    with pytest.raises(ValueError, match=f"field '{field}' must be .*got {re.escape(repr(value))}"):
        ref.parse_line(line_of(values))


@given(st.text(max_size=300))
def test_any_output_gives_a_run_or_a_one_line_error(text):
    for candidate in (text, ref.LINE_TAG + text):
        try:
            run = ref.parse_line(candidate)
        except ValueError as error:
            assert "\n" not in str(error) and str(error).startswith("nautilus_reference: ")
        else:
            assert isinstance(run, ref.ReferenceRun)


def test_the_workload_ran_only_when_every_quote_was_seen_and_every_order_filled_in_full():
    assert a_run().workload_ran
    assert not a_run(fills=19).workload_ran
    assert not a_run(filled_shares=19 * ref.ORDER_QUANTITY).workload_ran
    assert not a_run(quotes_seen=1999).workload_ran
    assert not a_run(orders=0, fills=0, filled_shares=0).workload_ran


def test_the_table_shows_the_workload_its_check_the_phases_and_the_whole_process():
    table = ref.format_table(a_run(), every=100)
    assert "2,000 quotes (2,000 seen by the strategy), 20 MARKET orders (every 100th quote), 20 fills of " \
           "2,000 shares: the workload ran" in table
    assert re.search(r"fills at the touch\s+20 of 20", table), table
    for phase, seconds in (("imports", "1.25"), ("data prep", "0.50"), ("engine setup", "0.25"), ("run\\(\\)", "2.50")):
        assert re.search(rf"\n  {phase}\s+{seconds} s", table), (phase, table)
    assert re.search(r"whole process\s+4.75 s wall, 3.50 s CPU \(user\+sys\), peak RSS 280 MiB", table), table
    assert "MISMATCH" in ref.format_table(a_run(fills=3), every=100)


def test_measuring_without_the_venv_says_which_interpreter_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\.venv-none/bin/python not found \(run ensure_venv first\)"):
        ref.measure(tmp_path, 100, venv=tmp_path / ".venv-none")
    assert ref.installed_version(tmp_path / ".venv-none") is None


def test_an_order_rate_below_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        ref.main(["--every", "0"])
    assert "--every must be at least 1, got 0" in capsys.readouterr().err


def test_a_day_folder_without_quotes_is_refused_before_anything_is_installed(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(ref, "ensure_venv", lambda: pytest.fail("must not install for a bad --day"))
    with pytest.raises(SystemExit):
        ref.main(["--day", str(tmp_path)])
    assert f"--day {tmp_path}: no quotes.parquet in it" in capsys.readouterr().err


@NEEDS_VENV
def test_a_tiny_day_runs_in_nautilus_trader_with_every_order_filled_at_the_touch(tmp_path):
    ref.write_day(tmp_path, 2000)
    run = ref.measure(tmp_path, every=100)
    assert (run.version, run.quotes, run.quotes_seen) == (ref.VERSION, 2000, 2000)
    assert (run.orders, run.fills, run.filled_shares, run.fills_at_touch) == (20, 20, 2000, 20)
    assert run.workload_ran
    # The whole process (seen from the parent) holds the phases timed inside it.
    assert run.whole_s > run.imports_s + run.prep_s + run.setup_s + run.run_s > 0
    assert run.cpu_s > 0 and run.peak_mib > 50


@NEEDS_VENV
def test_bench_replay_with_nautilus_prints_both_whole_processes_measured_in_the_same_run():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_replay.py"),
                           "--quotes", "3000", "--every", "50", "--nautilus"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"workload\s+3,000 quotes \(3,000 seen by the strategy\), 60 MARKET orders \(every 50th "
                     r"quote\), 60 fills of 6,000 shares: the workload ran", out), out
    assert re.search(r"NautilusTrader 1\.221\.0 whole process [0-9.]+s wall, [0-9.]+s CPU, [0-9,]+ MiB \(measured in "
                     r"this run, right after ours", out), out
    assert re.search(r"ratio\s+NautilusTrader whole / ours: [0-9.]+x by wall, [0-9.]+x by CPU", out), out
    assert "not in this run" not in out  # the quoted figures are not printed when measured ones are
