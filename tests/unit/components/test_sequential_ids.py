"""SequentialIds: PREFIX-0000001 counted per prefix, with the namespace in front."""

from __future__ import annotations

from hypothesis import given, strategies as st

from components.memory import SequentialIds


def test_ids_count_per_prefix_from_one():
    ids = SequentialIds("eu-")
    assert [ids.next_id("ORD"), ids.next_id("C"), ids.next_id("ORD")] == ["eu-ORD-0000001", "eu-C-0000001",
                                                                          "eu-ORD-0000002"]


@given(st.lists(st.sampled_from(["ORD", "C", "EVT", "ALLOC"]), max_size=60), st.sampled_from(["", "us-", "x"]))
def test_ids_are_the_namespace_the_prefix_and_the_count_of_that_prefix(prefixes, namespace):
    ids = SequentialIds(namespace)
    seen: dict[str, int] = {}
    for prefix in prefixes:
        seen[prefix] = seen.get(prefix, 0) + 1
        assert ids.next_id(prefix) == f"{namespace}{prefix}-{seen[prefix]:07d}"


def test_counts_past_seven_digits_keep_every_digit():
    ids = SequentialIds()
    ids._counters["ORD"] = 9_999_999  # as if that many ids had been made
    assert ids.next_id("ORD") == "ORD-10000000"
