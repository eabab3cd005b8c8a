"""The anomaly model: an IsolationForest on account-window features, trained on a seeded normal period.

``account_features`` turns one account's transfers in a window into the
fixed feature vector ``FEATURES`` (counts, log amounts, distinct
counterparties, countries, devices, in/out balance, round-amount, night and
cash shares, largest amount). :func:`train` fits an IsolationForest on rows of
a normal period with a given seed; the :class:`AnomalyModel` it returns
records its version string, the feature list, the training seed and the
training size, and ``score`` gives each row the forest's anomaly score in
(0, 1] (about 0.5 is ordinary, near 1 is isolated quickly: unusual).
Floats are fine here: these are analytics, not money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sklearn.ensemble import IsolationForest

from components.domain.money import PRICE_SCALE

from .findings import CASH_KINDS
from .transfers import Transfer

MODEL_NAME = "iforest"
MODEL_VERSION = "1.0"
FEATURES: tuple[str, ...] = ("n_in", "n_out", "log_amount_in", "log_amount_out", "distinct_in", "distinct_out",
                             "countries", "devices", "in_out_balance", "round_share", "night_share", "cash_share",
                             "log_max_amount")
"""The feature vector, in order (``account_features``)."""
ROUND_UNITS = 100 * PRICE_SCALE
"""An amount that is a whole multiple of $100 counts as round."""
NIGHT_HOURS = frozenset(range(0, 6))
"""UTC hours counted as night."""
MIN_TRAINING_ROWS = 20


def account_features(account: str, transfers: Sequence[Transfer]) -> tuple[float, ...]:
    """``FEATURES`` of ``account`` over ``transfers`` (its transfers in one window; either end)."""
    ins = [t for t in transfers if t.target == account]
    outs = [t for t in transfers if t.source == account]
    amount_in, amount_out = sum(t.amount for t in ins), sum(t.amount for t in outs)
    n = len(transfers) or 1
    dollars = [t.amount / PRICE_SCALE for t in transfers]
    return (float(len(ins)), float(len(outs)), math.log1p(amount_in / PRICE_SCALE),
            math.log1p(amount_out / PRICE_SCALE), float(len({t.source for t in ins})),
            float(len({t.target for t in outs})), float(len({t.country for t in outs if t.country})),
            float(len({t.device_id for t in outs if t.device_id})),
            min(amount_in, amount_out) / max(amount_in, amount_out, 1),
            sum(1 for t in transfers if t.amount % ROUND_UNITS == 0) / n,
            sum(1 for t in transfers if (t.ts_ns // 3_600_000_000_000) % 24 in NIGHT_HOURS) / n,
            sum(1 for t in transfers if t.kind in CASH_KINDS) / n,
            math.log1p(max(dollars, default=0.0)))


@dataclass(frozen=True)
class AnomalyModel:
    """A trained forest and what it was trained on (recorded with every score it gives)."""

    version: str
    """``"iforest-1.0/seed=<seed>/n=<rows>"``: enough to retrain the same model."""
    features: tuple[str, ...]
    seed: int
    n_train: int
    forest: Any = field(repr=False, compare=False)

    def score(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """The anomaly score of each row, in (0, 1]."""
        if not rows:
            return []
        x = np.asarray(rows, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.features):
            raise ValueError(f"anomaly rows must have {len(self.features)} features ({', '.join(self.features)})")
        return [float(s) for s in -self.forest.score_samples(x)]

    def describe(self) -> dict[str, Any]:
        return {"version": self.version, "features": list(self.features), "seed": self.seed, "n_train": self.n_train}


def train(rows: Sequence[Sequence[float]], seed: int, n_estimators: int = 100) -> AnomalyModel:
    """Fit the forest on ``rows`` (feature vectors of a normal period) with ``seed``; deterministic."""
    if len(rows) < MIN_TRAINING_ROWS:
        raise ValueError(f"anomaly model: {len(rows)} training rows, need at least {MIN_TRAINING_ROWS}")
    x = np.asarray(rows, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(FEATURES):
        raise ValueError(f"anomaly model: training rows must have {len(FEATURES)} features")
    forest = IsolationForest(n_estimators=n_estimators, random_state=seed).fit(x)
    return AnomalyModel(f"{MODEL_NAME}-{MODEL_VERSION}/seed={seed}/n={len(rows)}", FEATURES, seed, len(rows), forest)


def training_rows(transfers: Sequence[Transfer], window_ns: int, accounts_of) -> list[tuple[float, ...]]:
    """Feature rows of a normal period: each account's transfers in consecutive ``window_ns`` windows.

    ``accounts_of(t)`` names the firm's accounts a transfer touches
    (``findings.firm_accounts``). Windows are aligned on the first transfer's
    time; an account's window with no transfer gives no row.
    """
    if not transfers:
        return []
    origin = min(t.ts_ns for t in transfers)
    buckets: dict[tuple[str, int], list[Transfer]] = {}
    for t in sorted(transfers, key=lambda t: (t.ts_ns, t.transfer_id)):
        for a in accounts_of(t):
            buckets.setdefault((a, (t.ts_ns - origin) // window_ns), []).append(t)
    return [account_features(a, ts) for (a, _), ts in sorted(buckets.items())]
