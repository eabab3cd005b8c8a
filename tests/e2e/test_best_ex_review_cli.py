"""`twin review` as a user meets it on small or wrong folders: one line and exit 2, never a traceback;
and a console summary that keeps venue findings apart from order-class trade-offs."""

from __future__ import annotations

import pytest

from tests.unit.reports.test_best_ex_review import orders_of
from twin.cli import main


def _run_folder(path, groups):
    path.mkdir(parents=True)
    orders_of(groups).to_parquet(path / "tca_orders.parquet")
    return path


def _review(capsys, *argv) -> tuple[int, str, str]:
    status = main(["review", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_run_with_one_order_has_nothing_to_compare(tmp_path, capsys):
    run = _run_folder(tmp_path / "run", [("MARKET", "XNAS", 1, 1.0)])
    status, out, err = _review(capsys, run)
    assert status == 2 and out == ""
    assert err == ("review: nothing to compare: 1 routed order in 1 venue and 1 order class; a comparison needs "
                   "two venues in one order class, or two order classes\n")
    assert list(run.glob("best_ex_review*")) == []  # no page that reads like a clean review, no tables


def test_too_few_orders_a_side_names_the_option(tmp_path, capsys):
    run = _run_folder(tmp_path / "run", [("MARKET", "XNAS", 12, 1.0), ("MARKET", "ARCX", 20, 1.0)])
    status, _, err = _review(capsys, run)
    assert status == 2 and err.count("\n") == 1
    assert "no comparison has 30 orders on each side (the closest: 20 vs 12; --min-orders" in err
    assert _review(capsys, run, "--min-orders", "12")[0] == 0


def test_a_replay_policy_folder_with_one_order(tmp_path, capsys):
    """The reported crash, as the user met it: `twin replay` of one order, then `twin review` of its policy
    folder; and of the replay folder itself, which is not a run folder but holds one per policy."""
    from tests.e2e.replay_days import two_venue_replay_folder
    from venues_sim.synthetic_day import DEFAULT_START_NS

    day = two_venue_replay_folder(tmp_path, name="one_order", seed=3, day_seed=11, ticks=1200,
                                  orders=[f"{DEFAULT_START_NS + 2_000_000_001},AC-00001,AAPL,BUY,200,MARKET,,DAY"])
    assert main(["replay", "--market", str(day / "day"), "--scenario", str(day / "scenario.yaml"),
                 "--orders", str(day / "orders.csv"), "--out", str(day / "rep")]) == 0
    capsys.readouterr()
    status, _, err = _review(capsys, day / "rep" / "fee-aware")
    assert status == 2 and err.count("\n") == 1
    assert err.startswith("review: nothing to compare: 1 routed order in 1 venue and 1 order class")
    status, _, err = _review(capsys, day / "rep")
    assert status == 2
    assert err == (f"review: {day / 'rep'}: not a run folder (no events.parquet or tca_orders.parquet); "
                   "review one of the run folders in it: fee-aware\n")


def test_a_folder_that_is_not_a_run_says_so(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    status, _, err = _review(capsys, tmp_path)
    assert status == 2
    assert err == f"review: {tmp_path}: not a run folder (no events.parquet or tca_orders.parquet)\n"


@pytest.mark.parametrize(("option", "value", "problem"), [
    ("--min-orders", "1", "must be a whole number, 2 or more, got 1"),
    ("--min-orders", "ten", "must be a whole number, 2 or more, got 'ten'"),
    ("--alpha", "2", "must be between 0 and 1 (exclusive), got 2.0"),
    ("--alpha", "nan", "must be between 0 and 1 (exclusive), got nan"),
])
def test_a_bad_option_is_named_as_typed(tmp_path, capsys, option, value, problem):
    run = _run_folder(tmp_path / "run", [("MARKET", "XNAS", 40, 1.0), ("MARKET", "ARCX", 40, 1.0)])
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(run), option, value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"argument {option}: {problem}" in err and "Traceback" not in err


def test_the_summary_keeps_venues_apart_from_order_classes(tmp_path, capsys):
    # The order classes differ by 6 bps (a trade-off); no venue differs within its class.
    run = _run_folder(tmp_path / "run", [
        ("MARKET", "ARCX", 40, 1.0), ("MARKET", "XNAS", 40, 1.0), ("MARKET", "BATS", 40, 1.0),
        ("NON_MARKETABLE_LIMIT", "ARCX", 40, -5.0), ("NON_MARKETABLE_LIMIT", "XNAS", 10, -5.0)])
    status, out, _ = _review(capsys, run)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == (f"review of {run}: 170 routed orders, 30 comparisons, 24 tested "
                        "(Holm-adjusted over the 24, alpha 0.05, 30 orders a side at least)")
    assert lines[1] == ("  venues, each against the other venues of its order class: 0 material difference(s) "
                        "in 18 tests; 6 not tested (too few orders)")
    assert lines[2] == ("  order classes, each against the other classes over all orders (trade-offs of cost "
                        "against fill rate and speed, not venue problems): 3 material difference(s) in 6 tests")
    flags = [line for line in lines if line.startswith("  FLAG")]
    assert len(flags) == 3 and all(line.startswith("  FLAG order class MARKET vs NON_MARKETABLE_LIMIT (all orders): ")
                                   for line in flags)
    assert "effective spread materially worse" in flags[0]
    assert lines[-1] == f"written: {run / 'best_ex_review.html'}"


def test_a_tca_table_without_a_column_is_named(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    orders_of([("MARKET", "XNAS", 40, 1.0)]).drop(columns=["order_class"]).to_parquet(run / "tca_orders.parquet")
    status, _, err = _review(capsys, run)
    assert status == 2 and err == f"review: {run / 'tca_orders.parquet'}: missing column(s) order_class\n"


def test_out_naming_a_folder_is_refused_before_anything_is_written(tmp_path, capsys):
    run = _run_folder(tmp_path / "run", [("MARKET", "XNAS", 40, 1.0), ("MARKET", "ARCX", 40, 1.0)])
    folder = tmp_path / "pages"
    folder.mkdir()
    status, _, err = _review(capsys, run, "--out", folder)
    assert status == 2 and err == f"review: --out {folder}: a folder; give the HTML file to write\n"
    assert list(tmp_path.glob("*.parquet")) == []  # the tables go beside the page: none was written


def test_a_flag_against_many_venues_counts_them(tmp_path, capsys):
    venues = [("MARKET", v, 40, 1.0) for v in ("ARCX", "BATS", "EDGX", "IEXG", "XNAS")]
    run = _run_folder(tmp_path / "run", [("MARKET", "AAAA", 40, 5.0), *venues])
    status, out, _ = _review(capsys, run)
    assert status == 0
    assert "  order classes, each against the other classes over all orders (trade-offs of cost against fill " \
           "rate and speed, not venue problems): nothing to compare (one order class)\n" in out
    flags = [line for line in out.splitlines() if "FLAG" in line]
    # AAAA's spread is 4 bps worse than the others' (its slippage and shortfall 2): flagged for certain
    assert "  FLAG venue AAAA vs the 5 other venues (order_class=MARKET): effective spread materially worse" in out
    assert all(" vs the 5 other venues (order_class=MARKET): " in line for line in flags)


def test_an_unreadable_summary_is_named(tmp_path, capsys):
    run = _run_folder(tmp_path / "run", [("MARKET", "XNAS", 40, 1.0), ("MARKET", "ARCX", 40, 1.0)])
    (run / "summary.json").write_text("{")
    status, _, err = _review(capsys, run)
    assert status == 2 and err.startswith(f"review: {run / 'summary.json'}: not readable JSON (") and err.count("\n") == 1
