"""Anchors and the proof of a log: pure checks over stored rows and anchor lines.

A log here is a list of stored rows as a SQL store holds them (``Rows``), built
with the project's codec and chain; each tampering is done on that list, the
way someone with raw access to the file would.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.eventstore.anchorlog import AnchorFile, read_lines, resolve_key, write_anchors
from components.eventstore.anchors import (
    GENESIS,
    KEY_ENV,
    AnchorKeyError,
    check_anchors,
    parse_key,
    parse_line,
    seal,
    verify_log,
)
from components.eventstore.chain import link_hash
from components.eventstore.codec import encode
from tests.unit.components.eventstore.test_eventstore_contract import sample_events

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def stored_rows(events) -> list[tuple]:
    rows, head = [], GENESIS
    for offset, event in enumerate(events):
        payload = encode(event).decode()
        digest = link_hash(head, payload.encode())
        rows.append((offset, payload, head, digest, event.event_id, event.order_id, event.stream_seq,
                     event.timestamp_utc, event.recorded_at))
        head = digest
    return rows


def rechain(rows: list[tuple], start: int = 0) -> list[tuple]:
    """Recompute every hash from ``start`` on (a forger who knows the chain rule)."""
    rows = list(rows)
    head = rows[start - 1][3] if start else GENESIS
    for i in range(start, len(rows)):
        offset, payload, _parent, _digest, *cols = rows[i]
        digest = link_hash(head, payload.encode())
        rows[i] = (i, payload, head, digest, *cols)
        head = digest
    return rows


def anchor_lines(rows: list[tuple], key: bytes | None, every: int = 4, stop: bool = True) -> list[str]:
    lines, prev, seq = [], GENESIS, 0
    offsets = list(range(every - 1, len(rows) - 1, every)) + ([len(rows) - 1] if stop else [])
    for i, offset in enumerate(offsets):
        kind = "stop" if stop and i == len(offsets) - 1 else "every"
        a = seal(seq, offset, rows[offset][3], 1_000 + seq, kind, prev, key)
        lines.append(a.to_line())
        prev, seq = a.mac, seq + 1
    return lines


def check(rows, lines, key=KEY, **kw):
    hashes = {r[0]: r[3] for r in rows}
    return verify_log(lambda start: (r for r in rows if r[0] >= start), len(rows), hashes.get, lines, key, **kw)


@pytest.fixture(scope="module")
def good():
    rows = stored_rows(sample_events(20))
    return rows, anchor_lines(rows, KEY)


def test_an_untouched_log_and_its_keyed_anchors_verify(good):
    rows, lines = good
    result = check(rows, lines)
    assert result.ok and result.verified == 20 and result.anchors.keyed and result.anchors.anchors == 5
    assert result.anchors.last.kind == "stop" and result.anchors.last.offset == 19


def test_a_changed_byte_is_named(good):
    rows, lines = good
    offset, payload, *rest = rows[7]
    rows = [*rows[:7], (offset, payload.replace('"BUY"', '"BUX"'), *rest), *rows[8:]]
    result = check(rows, lines)
    assert (result.finding.offset, result.finding.kind) == (7, "changed") and result.verified == 7


def test_a_deleted_row_is_named(good):
    rows, lines = good
    result = check(rows[:5] + rows[6:], lines)
    assert (result.finding.offset, result.finding.kind) == (5, "deleted")


def test_swapped_rows_are_named(good):
    rows, lines = good
    swapped = [*rows[:3], (3, *rows[4][1:]), (4, *rows[3][1:]), *rows[5:]]
    result = check(swapped, lines)
    assert (result.finding.offset, result.finding.kind) == (3, "reordered")


def test_a_forged_row_appended_with_its_hash_recomputed_is_named(good):
    rows, lines = good
    forged = stored_rows(sample_events(21))[20]
    result = check(rows + [forged], lines)  # the chain alone accepts it
    assert (result.finding.offset, result.finding.kind) == (20, "appended_after_stop")


def test_a_cut_tail_is_named(good):
    rows, lines = good
    result = check(rows[:17], lines)
    assert (result.finding.offset, result.finding.kind) == (17, "cut_tail")


def test_a_log_rewritten_with_a_new_consistent_chain_is_named(good):
    rows, lines = good
    offset, payload, *rest = rows[9]
    changed = [*rows[:9], (offset, payload.replace('"BUY"', '"BUX"'), *rest), *rows[10:]]
    rewritten = rechain(changed, 9)
    assert check(rewritten, None).ok  # the chain alone is consistent
    result = check(rewritten, lines)
    # The first anchor at or after the rewrite names it: records after 7 up to 11 were rewritten.
    assert (result.finding.offset, result.finding.kind) == (11, "rewritten")
    assert "after record 7" in result.finding.reason


def test_anchors_rewritten_with_the_chain_but_without_the_key_are_forged(good):
    rows, _ = good
    rewritten = rechain([*rows[:2], (2, rows[2][1].replace('"BUY"', '"BUX"'), *rows[2][2:]), *rows[3:]], 2)
    result = check(rewritten, anchor_lines(rewritten, OTHER_KEY))
    assert result.finding.kind == "anchor_forged" and "another key" in result.finding.reason
    result = check(rewritten, anchor_lines(rewritten, None))
    assert result.finding.kind == "anchor_unkeyed"


def test_an_anchor_with_a_changed_field_fails_its_hmac(good):
    rows, lines = good
    record = json.loads(lines[2])
    record["offset"] = 5
    result = check(rows, [*lines[:2], json.dumps(record), *lines[3:]])
    assert result.finding.kind == "anchor_forged" and "HMAC" in result.finding.reason


def test_a_removed_anchor_line_is_named(good):
    rows, lines = good
    result = check(rows, lines[:1] + lines[2:])
    assert result.finding.kind == "anchor_deleted"


def test_a_log_with_records_and_no_anchor_log_is_a_finding_only_when_required(good):
    rows, _ = good
    assert check(rows, None).ok and "no anchor log" in check(rows, None).notes[0]
    assert check(rows, None, require_anchors=True).finding.kind == "anchors_missing"


def test_unkeyed_anchors_detect_a_cut_tail_and_say_they_prove_no_more(good):
    rows, _ = good
    lines = anchor_lines(rows, None)
    result = check(rows, lines, key=None)
    assert result.ok and not result.anchors.keyed and any("not a forgery" in n for n in result.notes)
    assert check(rows[:18], lines, key=None).finding.kind == "cut_tail"


def test_keyed_anchors_without_the_key_are_not_passed_off_as_checked(good):
    rows, lines = good
    result = check(rows, lines, key=None)
    assert result.ok and not result.anchors.keyed and "not checked" in result.notes[0]


def test_adopting_a_key_accepts_unkeyed_anchors_only_before_the_keyed_ones(good):
    rows, _ = good
    unkeyed = anchor_lines(rows[:10], None, stop=True)
    # Under a key, unkeyed anchors alone prove nothing: refused unless the operator adopts the key.
    assert check(rows[:10], unkeyed).finding.kind == "anchor_unkeyed"
    assert check(rows[:10], unkeyed, adopt_unkeyed=True).ok
    last = parse_line(unkeyed[-1])
    keyed = seal(last.seq + 1, 10, rows[10][3], 5, "start", last.mac, KEY).to_line()
    assert check(rows, unkeyed + [keyed], adopt_unkeyed=True).ok is False  # 10 follows the stop at 9
    start = seal(last.seq + 1, 9, rows[9][3], 5, "start", last.mac, KEY)
    later = seal(start.seq + 1, 19, rows[19][3], 6, "stop", start.mac, KEY)
    lines = unkeyed + [start.to_line(), later.to_line()]
    assert check(rows, lines).ok  # a checked keyed anchor vouches for every record before it
    after = seal(later.seq + 1, 19, rows[19][3], 7, "start", later.mac, None)
    assert check(rows, lines + [after.to_line()]).finding.kind == "anchor_unkeyed"


def test_a_restart_anchor_accounts_for_what_the_next_process_appended(good):
    rows, _ = good
    first = anchor_lines(rows[:10], KEY)  # ... stop at 9
    last = parse_line(first[-1])
    start = seal(last.seq + 1, 9, rows[9][3], 5, "start", last.mac, KEY)
    stop = seal(start.seq + 1, 19, rows[19][3], 6, "stop", start.mac, KEY)
    assert check(rows, first + [start.to_line(), stop.to_line()]).ok
    # A crash after the start: the tail is verified by the chain, noted as not anchored.
    result = check(rows, first + [start.to_line()])
    assert result.ok and any("not anchored" in n for n in result.notes)


def test_a_verified_start_checks_query_columns_only_after_the_last_anchor(good):
    rows, lines = good
    offset, payload, parent, digest, event_id, *cols = rows[3]
    edited = [*rows[:3], (offset, payload, parent, digest, "EV-FORGED", *cols), *rows[4:]]
    assert check(edited, lines).finding.kind == "columns"
    assert check(edited, lines[:2], full=False).ok  # anchored up to 7: its columns are not decoded
    assert check(edited, lines[:2], full=False).columns_from == 8


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_byte_change_or_row_deletion_is_detected(good, data):
    rows, lines = good
    if data.draw(st.booleans(), label="delete"):
        i = data.draw(st.integers(0, len(rows) - 1), label="row")
        tampered = [r for j, r in enumerate(rows) if j != i]
    else:
        i = data.draw(st.integers(0, len(rows) - 1), label="row")
        payload = rows[i][1]
        at = data.draw(st.integers(0, len(payload) - 1), label="byte")
        new = data.draw(st.sampled_from("0123456789abcdefxyzXYZ\"{}:,"), label="char")
        if payload[at] == new:
            return
        tampered = [*rows[:i], (i, payload[:at] + new + payload[at + 1:], *rows[i][2:]), *rows[i + 1:]]
    result = check(tampered, lines)
    assert not result.ok
    assert result.finding.offset in (i, i + 1)  # the row itself, or (a changed hash column) the next one


def test_keys_from_hex_or_text_and_never_short():
    assert parse_key("ab" * 32) == bytes.fromhex("ab" * 32)
    assert parse_key("  a text key of some length \n") == b"a text key of some length"
    with pytest.raises(AnchorKeyError):
        parse_key("short")


def test_a_key_file_inside_the_run_folder_is_refused(tmp_path):
    inside = tmp_path / "anchor.key"
    inside.write_text("ab" * 32)
    with pytest.raises(AnchorKeyError, match="inside the run folder"):
        resolve_key(inside, tmp_path)
    outside = tmp_path / "keys" / "anchor.key"
    outside.parent.mkdir()
    outside.write_text("cd" * 32)
    assert resolve_key(outside, tmp_path / "run") == (bytes.fromhex("cd" * 32), f"key file {outside.resolve()}")
    assert resolve_key(None, tmp_path, {KEY_ENV: "ef" * 32})[0] == bytes.fromhex("ef" * 32)
    assert resolve_key(None, tmp_path, {}) == (None, "none")


def test_the_anchor_file_continues_its_own_chain(tmp_path, good):
    rows, _ = good
    path = tmp_path / "events.anchors"
    write_anchors(path, {r[0]: r[3] for r in rows[:10]}, 1, KEY, every=4)
    anchors = AnchorFile(path, KEY)
    anchors.write(9, rows[9][3], 2, "start")
    anchors.write(19, rows[19][3], 3, "stop")
    anchors.close()
    lines = read_lines(path)
    assert [parse_line(line).kind for line in lines] == ["every", "every", "stop", "start", "stop"]
    hashes = {r[0]: r[3] for r in rows}
    assert check_anchors(lines, KEY, 20, hashes.get).ok


def test_a_start_from_the_last_anchor_hashes_only_the_records_after_it(good):
    rows, lines = good
    every = lines[:3]  # anchors at 3, 7, 11: records 12.. are the unanchored tail
    result = check(rows, every, full=False, from_anchor=True)
    assert result.ok and result.chain_from == 12 and result.verified == 20
    tail = [*rows[:14], (14, rows[14][1].replace('"BUY"', '"BUX"'), *rows[14][2:]), *rows[15:]]
    assert (check(tail, every, from_anchor=True).finding.offset, check(tail, every, from_anchor=True).finding.kind) \
        == (14, "changed")
    # The trade it makes: a payload edited before the last anchor, its stored hash left alone, is not seen.
    early = [*rows[:5], (5, rows[5][1].replace('"BUY"', '"BUX"'), *rows[5][2:]), *rows[6:]]
    assert check(early, every, from_anchor=True).ok and not check(early, every).ok
