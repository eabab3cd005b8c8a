"""`twin replay-log`: a run's event log verified and replayed, and tampering caught."""

from __future__ import annotations

import json
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
    (copy_of_run / "events.anchors").unlink()  # without the anchors, summary.json still knows
    summary = json.loads((copy_of_run / "summary.json").read_text())
    del summary["anchor"]
    (copy_of_run / "summary.json").write_text(json.dumps(summary))
    assert main(["replay-log", str(copy_of_run)]) == 1
    assert "fingerprint" in capsys.readouterr().err


def test_a_missing_log_exits_2(tmp_path, capsys):
    assert main(["replay-log", str(tmp_path)]) == 2
    assert "no event log" in capsys.readouterr().err


# -- anchors: what the chain alone cannot see, and each tampering named with its offset and kind --------------

KEY = "5e" * 32


def _rows(db):
    con = sqlite3.connect(db)
    rows = con.execute('SELECT "offset", event_id, stream, stream_seq, business_time, system_time, payload, '
                       'parent_hash, hash FROM events ORDER BY "offset"').fetchall()
    con.close()
    return rows


def _rewrite(db, rows):
    """Replace the whole table with ``rows`` (triggers dropped: someone with raw access to the file)."""
    con = sqlite3.connect(db, isolation_level=None)
    for name in TRIGGERS:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    con.execute("DELETE FROM events")
    con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


def _rechained(rows, start):
    from components.eventstore.chain import link_hash

    out, head = list(rows[:start]), rows[start - 1][8] if start else "0" * 64
    for offset, *cols, payload, _parent, _digest in rows[start:]:
        digest = link_hash(head, payload.encode())
        out.append((offset, *cols, payload, head, digest))
        head = digest
    return out


def _refused(run, capsys, *extra):
    assert main(["replay-log", str(run), "--verify-only", *extra]) == 1
    return capsys.readouterr().err


def test_a_run_writes_its_anchor_log_and_its_last_anchor_into_the_summary(run_dir, capsys):
    summary = json.loads((run_dir / "summary.json").read_text())
    lines = (run_dir / "events.anchors").read_text().splitlines()
    assert json.loads(lines[-1]) == summary["anchor"] and summary["anchor"]["kind"] == "stop"
    assert summary["anchor"]["offset"] == len(_rows(run_dir / "events.sqlite")) - 1
    assert main(["replay-log", str(run_dir), "--verify-only"]) == 0
    assert "anchors: 1 ok, unkeyed" in capsys.readouterr().out


def test_a_keyed_run_verifies_with_its_key_and_fails_with_another(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TWIN_ANCHOR_KEY", KEY)
    out = tmp_path / "keyed"
    assert main(["run", str(SCENARIOS / "smoke.yaml"), "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "summary.json").read_text())["anchor"]["alg"] == "HMAC-SHA256"
    capsys.readouterr()
    assert main(["replay-log", str(out), "--verify-only"]) == 0
    assert "keyed HMAC-SHA-256, checked with the key" in capsys.readouterr().out
    key_file = tmp_path / "other.key"
    key_file.write_text("77" * 32)
    err = _refused(out, capsys, "--anchor-key-file", str(key_file))
    assert "(anchor_forged)" in err and "another key" in err
    # A forger without the key rewrites the chain and the anchors (unkeyed) and summary.json's anchor.
    db = out / "events.sqlite"
    rows = _rows(db)
    rows[41] = (*rows[41][:6], rows[41][6].replace('"side":"BUY"', '"side":"SELL"'), *rows[41][7:])
    _rewrite(db, _rechained(rows, 41))
    monkeypatch.delenv("TWIN_ANCHOR_KEY")
    from twin.outputs import write_run_anchors

    forged = write_run_anchors(db)
    summary = json.loads((out / "summary.json").read_text())
    summary["anchor"] = forged.to_record()
    (out / "summary.json").write_text(json.dumps(summary))
    key_file.write_text(KEY)
    err = _refused(out, capsys, "--anchor-key-file", str(key_file))
    assert "(anchor_unkeyed)" in err


def test_a_changed_byte_is_named(copy_of_run, capsys):
    _tamper(copy_of_run / "events.sqlite",  # one byte: the payload's last character
            """UPDATE events SET payload = substr(payload, 1, length(payload) - 1) || ']' WHERE "offset" = ?""", 77)
    assert "first offending offset 77 (changed)" in _refused(copy_of_run, capsys)


def test_a_deleted_row_is_named(copy_of_run, capsys):
    _tamper(copy_of_run / "events.sqlite", 'DELETE FROM events WHERE "offset" = ?', 300)
    assert "first offending offset 300 (deleted)" in _refused(copy_of_run, capsys)


def test_swapped_rows_are_named(copy_of_run, capsys):
    db = copy_of_run / "events.sqlite"
    rows = _rows(db)
    rows[200], rows[201] = (200, *rows[201][1:]), (201, *rows[200][1:])
    _rewrite(db, rows)
    assert "first offending offset 200 (reordered)" in _refused(copy_of_run, capsys)


def test_an_appended_forged_row_with_its_hash_recomputed_is_named(copy_of_run, capsys):
    from components.eventstore.chain import link_hash

    db = copy_of_run / "events.sqlite"
    rows = _rows(db)
    end = len(rows)
    payload = rows[-1][6].replace(rows[-1][1], "EV-FORGED")
    forged = (end, "EV-FORGED", *rows[-1][2:6], payload, rows[-1][8], link_hash(rows[-1][8], payload.encode()))
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", forged)  # the triggers accept it
    con.close()
    err = _refused(copy_of_run, capsys)
    assert f"first offending offset {end} (appended_after_stop)" in err


def test_a_cut_tail_is_named(copy_of_run, capsys):
    _tamper(copy_of_run / "events.sqlite", 'DELETE FROM events WHERE "offset" >= ?', 1_000)
    assert "first offending offset 1000 (cut_tail)" in _refused(copy_of_run, capsys)


def test_a_whole_log_rewritten_with_a_new_consistent_chain_is_named(copy_of_run, capsys):
    db = copy_of_run / "events.sqlite"
    rows = _rows(db)
    rows[0] = (*rows[0][:6], rows[0][6].replace('"side":"BUY"', '"side":"SELL"'), *rows[0][7:])
    _rewrite(db, _rechained(rows, 0))
    err = _refused(copy_of_run, capsys)
    assert f"first offending offset {len(rows) - 1} (rewritten)" in err and "from the start" in err


def test_a_deleted_anchor_log_is_named_from_the_summary(copy_of_run, capsys):
    (copy_of_run / "events.anchors").unlink()
    assert "(anchors_missing)" in _refused(copy_of_run, capsys)


def test_a_key_file_inside_the_run_folder_is_refused(copy_of_run, capsys):
    (copy_of_run / "anchor.key").write_text(KEY)
    assert main(["replay-log", str(copy_of_run), "--anchor-key-file", str(copy_of_run / "anchor.key")]) == 2
    assert "inside the run folder" in capsys.readouterr().err
