"""generate_history: the same clients' ordinary flow before a window, the monitor's warm-up history."""

from __future__ import annotations

import numpy as np
import pytest

from components.aml.transfers import TransferKind
from scenarios.money_flow import DAY, HISTORY_PREFIX, generate_history, generate_money_flow

from .test_money_flow import ACCOUNTS, CONFIG, NAMES, START, END


def history_of(seed: int = 3, history_seed: int = 99):
    return generate_history(CONFIG, ACCOUNTS, seed, np.random.default_rng(history_seed), START - 7 * DAY, START)


def paid(flow) -> set[str]:
    return {t.target for t in flow.transfers if t.kind in (TransferKind.EXTERNAL, TransferKind.WITHDRAWAL)
            and t.target.startswith("EXT-")}


def test_history_is_ordinary_inside_its_period_with_its_own_ids():
    h = history_of()
    assert len(h.transfers) > 500 and not h.labels and not h.sanctioned_attempts
    assert all(START - 7 * DAY <= t.ts_ns < START for t in h.transfers)
    assert all(t.transfer_id.startswith(HISTORY_PREFIX + "-") for t in h.transfers)


def test_history_pays_the_same_companies_as_the_window_but_draws_its_own_transfers():
    window = generate_money_flow(CONFIG, ACCOUNTS, 3, START, END, sanctioned_names=NAMES)
    same, other_profiles = history_of(3), history_of(4)
    shared = paid(same) & paid(window)
    assert len(shared) >= 10  # billers and employers: the same outside parties
    assert len(paid(other_profiles) & paid(window)) < len(shared) // 2
    # its own stream: not the window's ordinary draws moved back in time
    offsets = {t.ts_ns - START for t in window.transfers[:50]}
    assert len(offsets & {t.ts_ns - (START - 7 * DAY) for t in same.transfers[:50]}) < 5


def test_history_is_deterministic_and_leaves_the_window_unchanged():
    assert history_of().transfers == history_of().transfers
    assert history_of(history_seed=98).transfers != history_of().transfers
    rng = np.random.default_rng(3)
    window = generate_money_flow(CONFIG, ACCOUNTS, 3, START, END, sanctioned_names=NAMES)
    generate_history(CONFIG, ACCOUNTS, rng, np.random.default_rng(99), START - DAY, START)
    assert generate_money_flow(CONFIG, ACCOUNTS, 3, START, END, sanctioned_names=NAMES) == window


def test_an_empty_history_period_is_refused():
    with pytest.raises(ValueError, match="history is empty"):
        generate_history(CONFIG, ACCOUNTS, 3, np.random.default_rng(1), START, START)
