"""The verified start: ``twin serve`` refuses a tampered event log (offset and reason, exit 1), and
``--read-only`` serves it for investigation without accepting any change."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from components.config.live import parse_live_config
from components.eventstore.anchorlog import read_lines
from components.eventstore.anchors import KEY_ENV, parse_line
from components.eventstore.chain import link_hash
from live.adapters.anchoring import TamperedLog
from live.bootstrap import build_live
from live.entrypoints import serve
from live.entrypoints.http_api import create_app
from live.entrypoints.service import OrderService
from live.security import Principal
from tests.live_configs import account, quiet_market, symbols, tokens
from tests.unit.components.eventstore import tamper

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-verified-01"
OPERATOR = "test-token-operator-01"
KEY = "a1" * 32
BASE = ('[venue_link]\nmode = "direct"\n[session]\nenabled = false\n[event_log]\nanchor_every = 8\n'
        + symbols(AAPL="190.00") + quiet_market() + account("ACCT-1", "CLNT-1", "ADV-1") + tokens(ADV_1=TOKEN)
        + f'\n[[tokens]]\nadvisor_id = "OPS-1"\ntoken = "{OPERATOR}"\nrole = "operator"\n')
WHO = Principal("ADV-1", "k", "advisor")


def order(n: int) -> dict:
    return {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
            "limit_price": "150.00", "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": f"V-{n}"}


def config_file(folder: Path) -> Path:
    path = folder / "live.toml"
    path.write_text(BASE)
    return path


def config(run_dir: Path):
    return parse_live_config(f'run_dir = "{run_dir}"\n' + BASE, "test")


def serve_once(run_dir: Path, orders: int) -> None:
    """One live process on ``run_dir``: ``orders`` resting orders, then a clean stop."""
    live = build_live(config(run_dir))
    try:
        live.start()
        service = OrderService(live)
        first = len(live.platform.oms.orders)
        for n in range(first, first + orders):
            assert service.submit(order(n), WHO).status == 201
        time.sleep(0.2)
    finally:
        live.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A run folder two processes served (a start anchor and a stop anchor each, periodic ones between)."""
    base = tmp_path_factory.mktemp("verified")
    run_dir = base / "run"
    serve_once(run_dir, 6)
    serve_once(run_dir, 6)
    return run_dir


@pytest.fixture
def run(served, tmp_path):
    return shutil.copytree(served, tmp_path / "run")


# Raw edits of the log (triggers dropped: someone holding the file) go through ``tamper``, in the file's format.
rows = tamper.rows


def refused(run_dir: Path, capsys) -> str:
    status = serve.main(["--config", str(config_file(run_dir.parent)), "--run-dir", str(run_dir)])
    assert status == 1
    return capsys.readouterr().err


def test_the_served_folder_carries_start_stop_and_periodic_anchors(served):
    kinds = [parse_line(line).kind for line in read_lines(served / "events.anchors")]
    assert kinds[0] == "stop" or kinds[0] == "every"
    assert kinds.count("start") == 1 and kinds.count("stop") == 2 and "every" in kinds
    assert tamper.log_format(served / "events.sqlite") == 2  # the default for a new log
    live = build_live(config(served))  # an untouched log verifies
    try:
        assert live.integrity.check.ok and live.restored.events == len(rows(served / "events.sqlite"))
        assert "verified start:" in "\n".join(live.describe())
    finally:
        live.close()


def test_a_changed_byte_refuses_the_start(run, capsys):
    tamper.change(run / "events.sqlite", 5, tamper.flip_byte)
    err = refused(run, capsys)
    assert "offset 5 (changed)" in err and "--read-only" in err


def test_a_deleted_row_refuses_the_start(run, capsys):
    tamper.delete(run / "events.sqlite", 9)
    assert "offset 9 (deleted)" in refused(run, capsys)


def test_swapped_rows_refuse_the_start(run, capsys):
    db = run / "events.sqlite"
    old = rows(db)
    old[3], old[4] = (3, *old[4][1:]), (4, *old[3][1:])
    tamper.rewrite(db, old)
    assert "offset 3 (reordered)" in refused(run, capsys)


def test_an_appended_forged_row_refuses_the_start(run, capsys):
    db = run / "events.sqlite"
    old = rows(db)
    last = old[-1]
    payload = tamper.edited(db, last[1], event_id="EV-FORGED")
    tamper.append_row(db, (len(old), payload, last[3], link_hash(last[3], payload), "EV-FORGED", *last[5:]))
    assert f"offset {len(old)} (appended_after_stop)" in refused(run, capsys)


def test_a_cut_tail_refuses_the_start(run, capsys):
    db = run / "events.sqlite"
    end = len(rows(db))
    tamper.cut_from(db, end - 3)
    assert f"offset {end - 3} (cut_tail)" in refused(run, capsys)


def test_a_log_rewritten_with_a_new_consistent_chain_refuses_the_start(run, capsys):
    db = run / "events.sqlite"
    old = rows(db)
    assert tamper.decode(old[2][1]).quantity == 10
    old[2] = (2, tamper.edited(db, old[2][1], quantity=99), *old[2][2:])
    tamper.rewrite(db, tamper.rechained(old, 2))
    assert "(rewritten)" in refused(run, capsys)


def test_a_deleted_anchor_log_refuses_the_start(run, capsys):
    (run / "events.anchors").unlink()
    assert "(anchors_missing)" in refused(run, capsys)


def test_python_m_live_refuses_a_tampered_log_with_exit_status_1(run):
    tamper.delete(run / "events.sqlite", 4)
    done = subprocess.run([sys.executable, "-m", "live", "--config", str(config_file(run.parent)),
                           "--run-dir", str(run), "--port", "0"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "REFUSED" in done.stderr and "offset 4 (deleted)" in done.stderr


def test_read_only_serves_a_tampered_log_and_refuses_every_change(run):
    db = run / "events.sqlite"
    tamper.change(db, 7, tamper.flip_byte)
    with pytest.raises(TamperedLog):
        build_live(config(run))
    before = db.read_bytes()
    live = build_live(config(run), read_only=True)
    assert live.restored.events == 7  # only the verified records
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(live)) as client:
        health = client.get("/healthz").json()
        assert health["read_only"] is True and health["status"] == "read_only"
        assert "offset 7: changed" in health["read_only_reason"] and health["log_verified"] is False
        order_id = next(iter(live.platform.oms.orders))
        assert client.get(f"/v1/orders/{order_id}", headers=auth).status_code == 200
        for path, body, headers in (("/v1/orders", order(99), auth),
                                    ("/v1/blocks", {}, auth),
                                    (f"/v1/orders/{order_id}/cancel", None, auth),
                                    ("/v1/trading-state", {"state": "HALTED", "reason": "x"},
                                     {"Authorization": f"Bearer {OPERATOR}"})):
            answer = client.post(path, json=body, headers=headers)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json()["error"] == "read_only" and "offset 7: changed" in answer.json()["detail"]
    live.close()
    assert db.read_bytes() == before  # nothing appended


def test_keyed_anchors_verify_with_the_key_and_refuse_another(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    run_dir = tmp_path / "run"
    serve_once(run_dir, 3)
    live = build_live(config(run_dir))
    try:
        assert live.integrity.anchors == "keyed" and live.integrity.health()["anchors"] == "keyed"
    finally:
        live.close()
    monkeypatch.setenv(KEY_ENV, "b2" * 32)
    assert "(anchor_forged)" in refused(run_dir, capsys)
    monkeypatch.delenv(KEY_ENV)
    key_file = run_dir / "anchor.key"
    key_file.write_text(KEY)
    assert serve.main(["--config", str(config_file(tmp_path)), "--run-dir", str(run_dir),
                       "--anchor-key-file", str(key_file)]) == 2
    assert "inside the run folder" in capsys.readouterr().err


def test_a_key_adopted_on_an_unkeyed_history_needs_the_operators_word(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    serve_once(run_dir, 2)  # no key: unkeyed anchors
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(TamperedLog, match="anchor_unkeyed"):
        build_live(config(run_dir))
    live = build_live(config(run_dir), adopt_anchor_key=True)
    live.close()
    live = build_live(config(run_dir))  # the history is now anchored with the key after the unkeyed part
    try:
        assert live.integrity.check.ok
    finally:
        live.close()


def test_postgres_anchors_go_to_their_own_table_and_a_tampered_table_refuses_the_start(postgres_server, tmp_path):
    import uuid

    import psycopg

    schema = f"anchors_{uuid.uuid4().hex[:12]}"
    pg = f'[event_log]\nkind = "postgres"\ndsn = "{postgres_server.dsn}"\nschema = "{schema}"\nanchor_every = 8\n'
    base = BASE.replace("[event_log]\nanchor_every = 8\n", "")

    def pg_config(run_dir: Path):
        return parse_live_config(f'run_dir = "{run_dir}"\n' + base + pg, "test")

    for n, folder in enumerate(("first", "second")):  # a new run folder each time: the table is what is read
        live = build_live(pg_config(tmp_path / folder))
        try:
            live.start()
            service = OrderService(live)
            for i in range(3):
                assert service.submit(order(10 * n + i), WHO).status == 201
            time.sleep(0.2)
        finally:
            live.close()
    with psycopg.connect(postgres_server.dsn, autocommit=True) as con:
        con.execute(f"SET search_path TO {schema}")
        lines = [r[0] for r in con.execute("SELECT line FROM event_anchors ORDER BY seq")]
        assert [parse_line(line).kind for line in lines].count("stop") == 2
        con.execute("ALTER TABLE events DISABLE TRIGGER USER")  # the owner can: the anchors still see it
        con.execute('DELETE FROM events WHERE "offset" >= 5')
    with pytest.raises(TamperedLog, match="cut_tail"):
        build_live(pg_config(tmp_path / "third"))


def test_a_restart_reads_the_log_once_verifying_the_chain_as_it_rebuilds(served, tmp_path, monkeypatch):
    """The verified start's chain check runs during the rebuild's read (``ChainOnRead``): one pass."""
    from components.eventstore.sqlite import SqliteEventStore

    run = shutil.copytree(served, tmp_path / "run")
    passes = []
    rows, reads = SqliteEventStore.stored_rows, SqliteEventStore.read
    monkeypatch.setattr(SqliteEventStore, "stored_rows", lambda self, start=0: passes.append(("rows", start))
                        or rows(self, start))
    monkeypatch.setattr(SqliteEventStore, "read", lambda self, start=0: passes.append(("read", start))
                        or reads(self, start))
    live = build_live(config(run))
    try:
        whole = [p for p in passes if p[1] == 0]
        assert whole == [("rows", 0)], passes  # one whole read, not a check and then a replay
        assert live.integrity.one_pass and live.integrity.check.ok
        assert live.integrity.check.verified == len(live.log) == live.restored.events
        assert any("during the rebuild" in line for line in live.integrity.describe())
        assert read_lines(run / "events.anchors")[-1].count('"kind":"start"') == 1  # anchored once proven
    finally:
        live.close()


def test_a_break_found_during_the_rebuild_refuses_the_start_and_anchors_nothing(served, tmp_path):
    run = shutil.copytree(served, tmp_path / "run")
    anchors_before = read_lines(run / "events.anchors")
    tamper.change(run / "events.sqlite", 20, tamper.flip_byte)
    with pytest.raises(TamperedLog) as refused:
        build_live(config(run))
    finding = refused.value.check.finding
    assert (finding.offset, finding.kind) == (20, "changed") and refused.value.check.verified == 20
    assert read_lines(run / "events.anchors") == anchors_before
