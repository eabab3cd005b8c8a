"""Conformance the other way round (issue 10): a third-party style initiator against ``twin venue serve``.

The initiator here is not QuickFIX: a few dozen lines of raw-socket FIX 4.4 written from the
specification (tag=value fields, SOH separated, BodyLength and CheckSum computed by hand), as a firm
with its own FIX engine would connect. It logs on, sends orders and cancels, and checks every answer of
our acceptor: framing (BodyLength, CheckSum, sequence numbers), the ExecutionReports' fields, a session
Reject (35=3) naming the tag for malformed messages, a session still alive after them (TestRequest
answered), and a clean Logout; the acceptor process never crashes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (twin venue serve needs it)")

from tests.integration.test_fix_venue import _read_line  # noqa: E402
from tests.services import free_port  # noqa: E402

SOH = "\x01"
WAIT = 10.0
VENUE, US = "XRAW", "BD"  # the shipped acceptor template's counterparty is BD


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def checksum(data: bytes) -> str:
    return f"{sum(data) % 256:03d}"


def frame(msg_type: str, seq: int, fields: list[tuple[int, str]]) -> bytes:
    """A FIX 4.4 message: header, ``fields``, BodyLength (9) and CheckSum (10) as the spec defines them."""
    body = SOH.join(f"{t}={v}" for t, v in [(35, msg_type), (49, US), (56, VENUE), (34, str(seq)), (52, _now()),
                                                *fields]) + SOH
    head = f"8=FIX.4.4{SOH}9={len(body.encode())}{SOH}"
    data = (head + body).encode()
    return data + f"10={checksum(data)}{SOH}".encode()


class RawInitiator:
    """One FIX session over a plain socket; ``expect`` reads and checks the acceptor's messages."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buffer = b""
        self.seq = 0
        self.their_seq = 0

    def send(self, msg_type: str, *fields: tuple[int, str]) -> int:
        self.seq += 1
        self.sock.sendall(frame(msg_type, self.seq, list(fields)))
        return self.seq

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_one(self, deadline: float) -> dict[str, str]:
        while True:
            end = self.buffer.find(f"{SOH}10=".encode())
            if end >= 0 and self.buffer.find(SOH.encode(), end + 1) >= 0:
                stop = self.buffer.find(SOH.encode(), end + 1) + 1
                raw, self.buffer = self.buffer[:stop], self.buffer[stop:]
                return self._check(raw)
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError("the acceptor sent nothing in time") from None
            assert chunk, "the acceptor closed the connection"
            self.buffer += chunk

    def _check(self, raw: bytes) -> dict[str, str]:
        """Parse one message, checking what any counterparty would: framing, checksum, sequence."""
        text = raw.decode()
        pairs = [p.split("=", 1) for p in text.split(SOH) if p]
        fields = {t: v for t, v in pairs}
        assert [t for t, _ in pairs[:3]] == ["8", "9", "35"], f"header order: {text!r}"
        assert fields["8"] == "FIX.4.4"
        start = text.index(SOH, text.index("9=")) + 1
        assert int(fields["9"]) == len(raw[start:raw.rindex(b"10=")]), f"BodyLength: {text!r}"
        assert fields["10"] == checksum(raw[:raw.rindex(b"10=")]), f"CheckSum: {text!r}"
        assert fields["49"] == VENUE and fields["56"] == US
        self.their_seq += 1
        assert int(fields["34"]) == self.their_seq, f"MsgSeqNum {fields['34']}, expected {self.their_seq}"
        return fields

    def expect(self, msg_type: str, **want: str) -> dict[str, str]:
        """The next message of ``msg_type`` (heartbeats skipped) with ``t<tag>=value`` fields as given."""
        deadline = time.monotonic() + WAIT
        while True:
            fields = self._read_one(deadline)
            if fields["35"] == "0" and msg_type != "0":
                continue
            assert fields["35"] == msg_type, f"expected 35={msg_type}, got {fields}"
            for key, value in want.items():
                assert fields.get(key[1:]) == value, f"tag {key[1:]}: {fields.get(key[1:])!r} != {value!r} in {fields}"
            return fields

    def close(self) -> None:
        self.sock.close()


def order(cl_ord_id: str, *, side: str = "1", qty: int = 100, price: str | None = "150.00",
          ord_type: str = "2", tif: str = "0") -> list[tuple[int, str]]:
    fields = [(11, cl_ord_id), (55, "AAPL"), (54, side), (60, _now()), (38, str(qty)), (40, ord_type), (59, tif)]
    return fields + ([(44, price)] if price is not None else [])


def test_a_hand_written_initiator_trades_and_is_answered_by_the_rules(tmp_path: Path):
    port = free_port()
    cmd = [sys.executable, "-m", "twin.cli", "venue", "serve", "--venue", VENUE, "--port", str(port),
           "--symbols", "AAPL", "--run-dir", str(tmp_path / "venue")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=Path(__file__).resolve().parents[2])
    client = None
    try:
        banner = _read_line(proc.stdout, 30.0)
        assert banner.startswith(f"serving venue {VENUE}"), (banner, proc.poll())
        client = RawInitiator(port)
        client.send("A", (98, "0"), (108, "30"), (141, "Y"))
        client.expect("A", t98="0", t108="30")

        # A DAY limit far from any market rests: acknowledged New with all its leaves.
        client.send("D", *order("RAW-1"))
        ack = client.expect("8", t11="RAW-1", t150="0", t39="0", t151="100", t14="0", t55="AAPL", t54="1")
        assert ack["37"] and ack["17"]
        # Cancel it: Canceled, naming the order by OrigClOrdID, nothing left.
        client.send("F", (11, "RAW-2"), (41, "RAW-1"), (55, "AAPL"), (54, "1"), (60, _now()), (38, "100"))
        client.expect("8", t11="RAW-2", t41="RAW-1", t150="4", t39="4", t151="0")
        # Cancel of an order the venue does not know: OrderCancelReject, unknown order.
        client.send("F", (11, "RAW-3"), (41, "NOT-THERE"), (55, "AAPL"), (54, "1"), (60, _now()), (38, "100"))
        client.expect("9", t11="RAW-3", t434="1", t102="1")
        # An order for a symbol the venue does not trade: rejected with a reason, not dropped.
        client.send("D", (11, "RAW-4"), (55, "ZZZZ"), (54, "1"), (60, _now()), (38, "100"), (40, "2"), (59, "0"),
                    (44, "10.00"))
        rejected = client.expect("8", t11="RAW-4", t150="8", t39="8")
        assert "UNKNOWN_SYMBOL" in rejected.get("58", ""), rejected

        # Malformed messages get a session Reject naming the problem; the session lives on.
        bad = client.send("D", *[f for f in order("RAW-5") if f[0] != 40])  # no OrdType
        client.expect("3", t45=str(bad), t371="40", t373="1")  # required tag missing
        bad = client.send("D", *[(54, "Z") if t == 54 else (t, v) for t, v in order("RAW-6")])  # Side Z
        client.expect("3", t45=str(bad), t371="54", t373="5")  # value incorrect (out of range)
        bad = client.send("D", *order("RAW-7"), (9999, "x"))  # a tag FIX44.xml does not define
        client.expect("3", t45=str(bad), t373="0")  # invalid tag number
        client.send("1", (112, "STILL-THERE"))
        client.expect("0", t112="STILL-THERE")
        client.send("D", *order("RAW-8", side="2", price="250.00"))
        client.expect("8", t11="RAW-8", t150="0", t39="0")  # and still trades

        client.send("5")
        client.expect("5")
        assert proc.poll() is None, "the acceptor process died"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0 and f"stopped venue {VENUE}" in out, err
    finally:
        if client is not None:
            client.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
