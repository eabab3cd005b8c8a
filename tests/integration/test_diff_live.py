"""``twin diff-live`` end to end on a live session recorded here.

The session runs on the live stack as ``twin serve`` would (live.toml read
from a file, SQLite event log in the run folder, FIX gateway to simulated
venues served over FIX in-process, no market makers); its venues' books are
seeded with resting orders that are also written to ``books.json``. The
requests come 300 ms apart, as people send them, so the twin (whose
services take milliseconds) finishes each before the next, as live did.
Replayed with the same config and books, the twin agrees with the log; with
a lower per-order notional limit it diverges, and the report says where.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.money import to_units  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import load_live_config  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from twin.cli import main as twin_main  # noqa: E402
from twin.diff_live.flow import books_from_json  # noqa: E402
from twin.scripted import Cancel, Submit  # noqa: E402

MS = 1_000_000
CONFIG = """
run_dir = "{run_dir}"
population_seed = 5
[population]
advisors = 1
clients_per_advisor = 2
cash_min = "5000000"
cash_max = "5000000"
sanctioned_clients = 0
[event_log]
kind = "sqlite"
[venue_link]
liquidity = false
[[symbols]]
symbol = "AAPL"
reference_price = "190.00"
[[venues]]
name = "XNAS"
[[venues]]
name = "BATS"
maker_rebate = "0.0025"
[risk]
max_order_notional = "{limit}"
duplicate_window_s = 0.0
"""
BOOKS = [
    {"venue": "XNAS", "symbol": "AAPL", "side": "SELL", "quantity": 300, "price": "190.05"},
    {"venue": "XNAS", "symbol": "AAPL", "side": "BUY", "quantity": 300, "price": "189.95"},
    {"venue": "BATS", "symbol": "AAPL", "side": "SELL", "quantity": 400, "price": "190.07"},
    {"venue": "BATS", "symbol": "AAPL", "side": "BUY", "quantity": 200, "price": "189.93"},
]


def request(n: int, side: str, qty: int, kind: str, price: str | None = None, tif: str = "DAY") -> Submit:
    body = {"account_id": "AC-00001", "symbol": "AAPL", "side": side, "quantity": qty, "order_type": kind,
            "time_in_force": tif, "advisor_id": "ADV-001", "client_order_id": f"D-{n}"}
    if price:
        body["limit_price"] = price
    return Submit(n * 300 * MS, body)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A recorded live session: (folder, live.toml, books.json, events.sqlite)."""
    folder = tmp_path_factory.mktemp("diff-live")
    config_path = folder / "live.toml"
    config_path.write_text(CONFIG.format(run_dir=folder / "run", limit="1000000"), encoding="utf-8")
    books_path = folder / "books.json"
    books_path.write_text(json.dumps(BOOKS), encoding="utf-8")
    live = build_live(load_live_config(config_path))
    try:
        live.start()
        LiveScript(live).run([
            *books_from_json(books_path),
            request(1, "BUY", 100, "LIMIT", "190.05"),  # fills at XNAS
            request(2, "BUY", 400, "LIMIT", "190.07"),  # XNAS 200 + BATS 200
            request(3, "BUY", 100, "LIMIT", "189.00"),  # rests at BATS
            Cancel(4 * 300 * MS, "AC-00001", "D-3"),
            request(5, "SELL", 500, "LIMIT", "189.93", "IOC"),  # 300 + 200, nothing left
            request(6, "BUY", 100, "LIMIT", "250.00"),  # blocked: collar
            request(7, "BUY", 100, "MARKET"),  # fills at BATS, 100 of 200 left
        ], paced=True)
        assert live.runtime.failures == []
    finally:
        live.close()
    return folder, config_path, books_path, folder / "run" / "events.sqlite"


def test_the_twin_replay_of_a_recorded_session_agrees(session, capsys):
    folder, config, books, log = session
    code = twin_main(["diff-live", str(log), "--config", str(config), "--books", str(books)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "the streams agree" in out and "6 requests and 1 client cancels replayed" in out, out
    assert "AC-00001/D-2" in out and "OrderConfirmed" in out
    for segment in ("gateway", "oms", "risk", "routing", "first_fill"):
        assert segment in out
    html = (log.parent / "diff-live.html").read_text(encoding="utf-8")
    assert "the streams agree" in html and "data:image/png;base64," in html


def test_the_run_folder_stands_for_its_log(session, capsys):
    """As replay-log and order-timeline take a run folder, so does diff-live (it said "no event store")."""
    folder, config, books, log = session
    assert twin_main(["diff-live", str(log.parent), "--config", str(config), "--books", str(books)]) == 0
    assert "the streams agree" in capsys.readouterr().out


def test_a_stricter_twin_diverges_and_the_report_names_order_and_state(session, capsys, tmp_path):
    folder, _, books, log = session
    strict = tmp_path / "strict.toml"
    strict.write_text(CONFIG.format(run_dir=tmp_path / "unused", limit="50000"), encoding="utf-8")
    out_html = tmp_path / "strict.html"
    code = twin_main(["diff-live", str(log), "--config", str(strict), "--books", str(books), "--out", str(out_html)])
    out = capsys.readouterr().out
    assert code == 1, out
    # D-2 is 400 x 190.07 = $76,028: over the twin's $50,000 limit, under the session's $1,000,000.
    assert "order AC-00001/D-2 (BUY 400 AAPL LIMIT 190.0700 DAY): states: step 3 after OrderValidated: " \
           "live OrderRiskApproved, twin OrderBlocked" in out, out
    assert "policy max_order_notional: live PASS, twin FAIL NOTIONAL_EXCEEDS_MAX_PER_ORDER" in out, out
    html = out_html.read_text(encoding="utf-8")
    assert "AC-00001/D-2" in html and "divergence(s)" in html


def test_bad_input_is_refused_with_status_2(session, tmp_path, capsys):
    _, config, _, log = session
    assert twin_main(["diff-live", str(tmp_path / "missing.sqlite")]) == 2
    bad_books = tmp_path / "books.json"
    bad_books.write_text('[{"venue": "XNAS"}]', encoding="utf-8")
    assert twin_main(["diff-live", str(log), "--config", str(config), "--books", str(bad_books)]) == 2
    assert "entry 0" in capsys.readouterr().err
