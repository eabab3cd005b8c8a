"""A run folder given again holds that run's files only: what an earlier run left there (a bad actors'
``labels.json``, say, that the surveillance backtest would read as this run's episodes) is removed before
the outputs are written; a file the twin does not write is left alone; and ``RUN_FILES`` names every file
a run writes (so the list cannot fall behind the outputs)."""

from __future__ import annotations

import json

from twin.cli import main
from twin.outputs import RUN_FILES, clear_run_files


def test_clear_run_files_removes_only_run_files(tmp_path):
    for name in ("labels.json", "aml_cases.json", "notes.txt"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "summary.json").mkdir()  # not a file: left alone
    assert clear_run_files(tmp_path) == ["labels.json", "aml_cases.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "summary.json"]


def test_a_folder_run_again_holds_the_new_runs_files_only(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "labels.json").write_text(json.dumps({"scenario": "surveillance_day", "episodes": [{"x": 1}]}))
    (out / "notes.txt").write_text("mine")
    assert main(["run", "scenarios/smoke.yaml", "--quiet", "--out", str(out)]) == 0
    written = {p.name for p in out.iterdir()}
    assert "labels.json" not in written  # smoke has no bad actors: the old episodes are gone
    assert (out / "notes.txt").read_text() == "mine"
    assert written - {"notes.txt"} <= set(RUN_FILES)
    assert {"summary.json", "events.sqlite", "report.html", "tca_orders.parquet"} <= written


def test_a_review_written_into_the_run_folder_is_a_run_file():
    """``twin review RUN`` writes beside the run by default: a folder run again must not keep the old review."""
    from reports import best_ex_review as rv

    assert {rv.REVIEW_FILE, rv.TESTS_FILE, rv.ORDERS_FILE} <= set(RUN_FILES)
