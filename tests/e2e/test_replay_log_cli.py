"""`twin replay-log`: a run's event log verified and replayed, and tampering caught."""

from __future__ import annotations

import shutil
import sqlite3

import pandas as pd
import pytest

from components.eventstore.sqlite import TRIGGERS
from tests.conftest import SCENARIOS
from twin.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay") / "run"
    assert main(["run", str(SCENARIOS / "smoke.yaml"), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def copy_of_run(run_dir, tmp_path):
    return shutil.copytree(run_dir, tmp_path / "run")


def _tamper(db, sql, *args):
    con = sqlite3.connect(db, isolation_level=None)
    for name in TRIGGERS:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    con.execute(sql, args)
    con.close()


def test_a_fresh_run_verifies_and_replays(run_dir, capsys):
    assert (run_dir / "events.sqlite").stat().st_size > 0
    assert main(["replay-log", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "hash chain ok" in out and "fingerprint matches" in out
    orders = len(pd.read_parquet(run_dir / "orders.parquet"))
    assert f"orders {orders} " in out and "open orders 0" in out and "accounts with positions" in out


def test_verify_only_on_the_sqlite_file(run_dir, capsys):
    assert main(["replay-log", str(run_dir / "events.sqlite"), "--verify-only"]) == 0
    out = capsys.readouterr().out
    assert "hash chain ok" in out and "orders" not in out


def test_replay_log_leaves_the_file_as_it_was(copy_of_run):
    db = copy_of_run / "events.sqlite"
    before = db.read_bytes()
    assert main(["replay-log", str(copy_of_run)]) == 0
    assert db.read_bytes() == before
    assert sorted(p.name for p in copy_of_run.iterdir() if p.name.startswith("events.sqlite")) == ["events.sqlite"]


def test_a_changed_row_fails_naming_its_offset(copy_of_run, capsys):
    _tamper(copy_of_run / "events.sqlite",
            """UPDATE events SET payload = replace(payload, '"side":"BUY"', '"side":"SELL"') WHERE "offset" = ?""",
            41)
    assert main(["replay-log", str(copy_of_run)]) == 1
    err = capsys.readouterr().err
    assert "TAMPERED" in err and "offset 41" in err


def test_a_deleted_row_fails_naming_its_offset(copy_of_run, capsys):
    _tamper(copy_of_run / "events.sqlite", 'DELETE FROM events WHERE "offset" = ?', 500)
    assert main(["replay-log", str(copy_of_run), "--verify-only"]) == 1
    assert "offset 500" in capsys.readouterr().err


def test_a_cut_tail_is_caught_by_the_run_fingerprint(copy_of_run, capsys):
    _tamper(copy_of_run / "events.sqlite", 'DELETE FROM events WHERE "offset" >= ?', 1_000)
    assert main(["replay-log", str(copy_of_run)]) == 1
    assert "fingerprint" in capsys.readouterr().err


def test_a_missing_log_exits_2(tmp_path, capsys):
    assert main(["replay-log", str(tmp_path)]) == 2
    assert "no event log" in capsys.readouterr().err
