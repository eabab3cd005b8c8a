"""Live ids: real version 4 uuids, never repeated, and never shared with a forked child."""

from __future__ import annotations

import os
import uuid

import pytest

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
