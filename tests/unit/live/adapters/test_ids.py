"""Live ids: real version 4 uuids, never repeated, and never shared with a forked child."""

from __future__ import annotations

import os
import uuid
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import live.adapters.ids as ids_module
from live.adapters.ids import UuidIds, uuid4_hex


def test_every_id_is_a_version_4_rfc_4122_uuid():
    for _ in range(3 * 256 + 7):  # across several reads of OS entropy
        text = uuid4_hex()
        parsed = uuid.UUID(hex=text)
        assert len(text) == 32 and parsed.hex == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_ids_do_not_repeat_and_carry_the_namespace_and_prefix():
    ids = UuidIds("eu-")
    made = [ids.next_id("ORD") for _ in range(20_000)]
    assert len(set(made)) == len(made)
    assert all(i.startswith("eu-ORD-") and len(i) == len("eu-ORD-") + 32 for i in made)


def test_random_bits_are_not_constant():
    # Each of the 122 random bit positions takes both values over a few hundred ids.
    values = [int(uuid4_hex(), 16) for _ in range(600)]
    ones = 0
    zeros = 0
    for v in values:
        ones |= v
        zeros |= ~v
    fixed = (0xF << 76) | (0x3 << 62)  # the version and variant bits
    assert (ones & zeros) | fixed == (1 << 128) - 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_never_hands_out_its_parents_next_ids():
    uuid4_hex()  # the parent now holds ids made but not handed out
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the ids it makes
        try:
            os.write(write, ",".join(uuid4_hex() for _ in range(10)).encode())
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 1 << 16).decode().split(",")
    os.close(read)
    os.waitpid(pid, 0)
    parent = [uuid4_hex() for _ in range(300)]
    assert len(child) == 10 and not set(child) & set(parent)


def _one_uuid(raw16: bytes) -> str:
    """The per-id formula the batch replaces (one read of OS entropy per id)."""
    raw = bytearray(raw16)
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=16 * ids_module.BATCH, max_size=16 * ids_module.BATCH))
def test_a_batch_is_the_per_id_formula_on_each_16_bytes(entropy):
    ids_module._made.clear()
    with patch.object(ids_module.os, "urandom", lambda n: entropy[:n]):
        made = [uuid4_hex() for _ in range(ids_module.BATCH)]
    ids_module._made.clear()  # nothing made from the fake entropy is left for other tests
    expected = [_one_uuid(entropy[i:i + 16]) for i in range(0, len(entropy), 16)]
    assert sorted(made) == sorted(expected) and len(made) == len(expected)
