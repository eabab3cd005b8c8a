"""`twin replay-log`: a run's event log verified and replayed, and tampering caught."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from components.eventstore import sqlite as sqlite_store
from components.eventstore.chain import link_hash
from tests.conftest import SCENARIOS
from tests.unit.components.eventstore import tamper
from twin.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay") / "run"
    assert main(["run", str(SCENARIOS / "smoke.yaml"), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def run_dir_v1(tmp_path_factory):
    """The same run with its log in storage format 1 (no longer the default for new files; such logs exist)."""
    out = tmp_path_factory.mktemp("replay_v1") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite_store, "NEW_FILE_FORMAT", 1)
        assert main(["run", str(SCENARIOS / "smoke.yaml"), "--out", str(out), "--quiet"]) == 0
    assert tamper.log_format(out / "events.sqlite") == 1
    return out


@pytest.fixture
def copy_of_run(run_dir, tmp_path):
    return shutil.copytree(run_dir, tmp_path / "run")


def _copy_in(request, tmp_path, fmt):
    source = request.getfixturevalue("run_dir_v1" if fmt == 1 else "run_dir")
    assert tamper.log_format(source / "events.sqlite") == fmt
    return fmt, shutil.copytree(source, tmp_path / "run")


@pytest.fixture(params=[1, 2], ids=["format1", "format2"])
def copy_of_either(request, tmp_path):
    """(format, a copy of the run with its log in that storage format): each edit is caught in both."""
    return _copy_in(request, tmp_path, request.param)


def _flip_side(db, offset):
    """Record ``offset`` made a SELL (a BUY in the smoke run), its stored hash left as it was."""
    rows = tamper.rows(db)
    assert tamper.edited(db, rows[offset][1], side="BUY") == rows[offset][1]
    tamper.change(db, offset, lambda data: tamper.edited(db, data, side="SELL"))


def test_a_fresh_run_verifies_and_replays(run_dir, capsys):
    assert (run_dir / "events.sqlite").stat().st_size > 0
    assert tamper.log_format(run_dir / "events.sqlite") == 2  # the default for a new log
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


def test_a_changed_row_fails_naming_its_offset(copy_of_either, capsys):
    _, copy_of_run = copy_of_either
    _flip_side(copy_of_run / "events.sqlite", 41)
    assert main(["replay-log", str(copy_of_run)]) == 1
    err = capsys.readouterr().err
    assert "TAMPERED" in err and "offset 41" in err


def test_a_deleted_row_fails_naming_its_offset(copy_of_either, capsys):
    _, copy_of_run = copy_of_either
    tamper.delete(copy_of_run / "events.sqlite", 500)
    assert main(["replay-log", str(copy_of_run), "--verify-only"]) == 1
    assert "offset 500" in capsys.readouterr().err


def test_a_cut_tail_is_caught_by_the_run_fingerprint(copy_of_run, capsys):
    tamper.cut_from(copy_of_run / "events.sqlite", 1_000)
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


def _refused(run, capsys, *extra):
    assert main(["replay-log", str(run), "--verify-only", *extra]) == 1
    return capsys.readouterr().err


def test_a_run_writes_its_anchor_log_and_its_last_anchor_into_the_summary(run_dir, capsys):
    summary = json.loads((run_dir / "summary.json").read_text())
    lines = (run_dir / "events.anchors").read_text().splitlines()
    assert json.loads(lines[-1]) == summary["anchor"] and summary["anchor"]["kind"] == "stop"
    assert summary["anchor"]["offset"] == len(tamper.rows(run_dir / "events.sqlite")) - 1
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
    rows = tamper.rows(db)
    rows[41] = (41, tamper.edited(db, rows[41][1], side="SELL"), *rows[41][2:])
    tamper.rewrite(db, tamper.rechained(rows, 41))
    monkeypatch.delenv("TWIN_ANCHOR_KEY")
    from twin.outputs import write_run_anchors

    forged = write_run_anchors(db)
    summary = json.loads((out / "summary.json").read_text())
    summary["anchor"] = forged.to_record()
    (out / "summary.json").write_text(json.dumps(summary))
    key_file.write_text(KEY)
    err = _refused(out, capsys, "--anchor-key-file", str(key_file))
    assert "(anchor_unkeyed)" in err


def test_a_changed_byte_is_named(copy_of_either, capsys):
    _, copy_of_run = copy_of_either
    tamper.change(copy_of_run / "events.sqlite", 77, tamper.flip_byte)  # one byte: the record's last
    assert "first offending offset 77 (changed)" in _refused(copy_of_run, capsys)


# Format 1 keeps each record's parent hash in its own row, so a deleted row is a gap and swapped rows break the
# parent links; in format 2 a record's parent is the stored hash before it in its segment, so a record cut out
# of a segment, or two swapped inside one (the smoke run's log is a few segments), fail their hash: `changed`.
@pytest.mark.parametrize("fmt, kind", [(1, "deleted"), (2, "changed")])
def test_a_deleted_row_is_named(request, tmp_path, capsys, fmt, kind):
    _, copy_of_run = _copy_in(request, tmp_path, fmt)
    tamper.delete(copy_of_run / "events.sqlite", 300)
    assert f"first offending offset 300 ({kind})" in _refused(copy_of_run, capsys)


@pytest.mark.parametrize("fmt, kind", [(1, "reordered"), (2, "changed")])
def test_swapped_rows_are_named(request, tmp_path, capsys, fmt, kind):
    _, copy_of_run = _copy_in(request, tmp_path, fmt)
    db = copy_of_run / "events.sqlite"
    rows = tamper.rows(db)
    rows[200], rows[201] = (200, *rows[201][1:]), (201, *rows[200][1:])
    tamper.rewrite(db, rows)
    assert f"first offending offset 200 ({kind})" in _refused(copy_of_run, capsys)


def test_an_appended_forged_row_with_its_hash_recomputed_is_named(copy_of_either, capsys):
    _, copy_of_run = copy_of_either
    db = copy_of_run / "events.sqlite"
    rows = tamper.rows(db)
    end, last = len(rows), rows[-1]
    payload = tamper.edited(db, last[1], event_id="EV-FORGED")
    tamper.append_row(db, (end, payload, last[3], link_hash(last[3], payload), "EV-FORGED", *last[5:]))  # the triggers accept it
    err = _refused(copy_of_run, capsys)
    assert f"first offending offset {end} (appended_after_stop)" in err


def test_a_cut_tail_is_named(copy_of_either, capsys):
    _, copy_of_run = copy_of_either
    tamper.cut_from(copy_of_run / "events.sqlite", 1_000)
    assert "first offending offset 1000 (cut_tail)" in _refused(copy_of_run, capsys)


def test_a_whole_log_rewritten_with_a_new_consistent_chain_is_named(copy_of_run, capsys):
    db = copy_of_run / "events.sqlite"
    rows = tamper.rows(db)
    rows[0] = (0, tamper.edited(db, rows[0][1], side="SELL"), *rows[0][2:])
    tamper.rewrite(db, tamper.rechained(rows, 0))
    err = _refused(copy_of_run, capsys)
    assert f"first offending offset {len(rows) - 1} (rewritten)" in err and "from the start" in err


def test_a_deleted_anchor_log_is_named_from_the_summary(copy_of_run, capsys):
    (copy_of_run / "events.anchors").unlink()
    assert "(anchors_missing)" in _refused(copy_of_run, capsys)


def test_a_key_file_inside_the_run_folder_is_refused(copy_of_run, capsys):
    (copy_of_run / "anchor.key").write_text(KEY)
    assert main(["replay-log", str(copy_of_run), "--anchor-key-file", str(copy_of_run / "anchor.key")]) == 2
    assert "inside the run folder" in capsys.readouterr().err
