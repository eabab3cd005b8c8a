"""The fundamental value path informed agents trade toward.

``MeanRevertingFundamental`` is an Ornstein-Uhlenbeck process around a mean
price with occasional Poisson "megashocks" of random sign, in the spirit of
ABIDES' ``SparseMeanRevertingOracle``: OU alone is one noisy return to the
mean; the shocks keep pushing the value away from it, and they are what gives
the market its jumps (fat-tailed returns) and its bursts of trading.

Determinism: the path is advanced in fixed steps of ``step_ns`` from
``start_ns``, lazily, so it does not depend on how often or when it is asked.
The megashock schedule (times and sizes) up to ``end_ns`` is drawn first, at
construction, then the same stream supplies one normal per step; numpy's
``standard_normal`` gives the same numbers whether drawn one at a time or in
batches. Only IEEE multiply and add touch the path (no ``exp`` per step), so
it is bit-identical on every platform.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from components.domain.money import CENT

_NS_PER_S = 1_000_000_000
_LN2 = 0.6931471805599453  # literal, not math.log(2): one less libm call in a deterministic path


class MeanRevertingFundamental:
    """OU around ``mean_price`` plus Poisson megashocks, in integer units on a tick grid.

    ``vol_bps_per_sqrt_s`` is the diffusion per square root of a second,
    relative to ``mean_price``. ``half_life_s`` is how long a deviation from the
    mean takes to halve. Megashocks arrive ``megashocks_per_hour`` on average;
    each moves the value by a normal ``megashock_mean_bps`` +/-
    ``megashock_std_bps`` of the mean price, up or down with equal odds (the
    bimodal shock of ABIDES: no drift overall, but never a small nudge).
    """

    def __init__(
        self,
        mean_price: int,
        rng: np.random.Generator,
        *,
        vol_bps_per_sqrt_s: float,
        half_life_s: float,
        megashocks_per_hour: float,
        megashock_mean_bps: float,
        megashock_std_bps: float,
        start_ns: int,
        end_ns: int,
        step_ns: int = _NS_PER_S,
        tick: int = CENT,
    ):
        if type(mean_price) is not int or mean_price <= 0:
            raise ValueError(f"mean_price must be a positive int of units, got {mean_price!r}")
        if not vol_bps_per_sqrt_s >= 0:
            raise ValueError(f"vol_bps_per_sqrt_s must be >= 0, got {vol_bps_per_sqrt_s!r}")
        if not half_life_s > 0:
            raise ValueError(f"half_life_s must be > 0, got {half_life_s!r}")
        if not megashocks_per_hour >= 0 or not megashock_mean_bps >= 0 or not megashock_std_bps >= 0:
            raise ValueError("megashock parameters must be >= 0")
        if type(step_ns) is not int or step_ns <= 0 or type(tick) is not int or tick <= 0:
            raise ValueError("step_ns and tick must be positive ints")
        if end_ns < start_ns:
            raise ValueError(f"end_ns {end_ns} is before start_ns {start_ns}")
        self.mean_price = mean_price
        self.tick = tick
        self.step_ns = step_ns
        self.start_ns = start_ns
        step_s = step_ns / _NS_PER_S
        self.kappa_per_s = _LN2 / half_life_s
        """Mean-reversion rate per second (what a value agent may believe)."""
        self.diffusion_var_per_s = (vol_bps_per_sqrt_s / 10_000 * mean_price) ** 2
        """Variance of the diffusion per second, in units squared."""
        # Euler step of OU: exact enough for kappa*step << 1 and made of
        # multiply/add only.
        self._decay = max(0.0, 1.0 - self.kappa_per_s * step_s)
        self._sigma = math.sqrt(self.diffusion_var_per_s * step_s)
        self._rng = rng
        self._value = float(mean_price)
        self._step = 0
        self.shock_steps, self.shock_sizes = self._draw_shocks(
            rng, megashocks_per_hour, megashock_mean_bps, megashock_std_bps, end_ns - start_ns
        )
        self._next_shock = 0

    def _draw_shocks(
        self, rng: np.random.Generator, per_hour: float, mean_bps: float, std_bps: float, span_ns: int
    ) -> tuple[list[int], list[float]]:
        """Megashock step indices (ascending) and signed sizes in units, for the whole span."""
        steps: list[int] = []
        sizes: list[float] = []
        if per_hour <= 0:
            return steps, sizes
        mean_gap_ns = 3600 * _NS_PER_S / per_hour
        at = 0.0
        while True:
            at += float(rng.exponential(mean_gap_ns))
            if at > span_ns:
                return steps, sizes
            size = float(rng.normal(mean_bps, std_bps)) / 10_000 * self.mean_price
            sign = 1.0 if rng.random() < 0.5 else -1.0
            steps.append(int(at) // self.step_ns + 1)  # applied at the first step after it
            sizes.append(sign * size)

    def value_at(self, now_ns: int) -> float:
        """Unrounded fundamental at ``now_ns`` (units, float); advances the path.

        Raises ``ValueError`` for a time before a step already drawn.
        """
        target = (now_ns - self.start_ns) // self.step_ns
        step = self._step
        if target > step:
            value, decay, sigma, mean = self._value, self._decay, self._sigma, float(self.mean_price)
            shock_steps, k = self.shock_steps, self._next_shock
            floor = float(self.tick)
            for z in self._rng.standard_normal(target - step).tolist():
                step += 1
                value = mean + (value - mean) * decay + sigma * z
                while k < len(shock_steps) and shock_steps[k] <= step:
                    value += self.shock_sizes[k]
                    k += 1
                if value < floor:
                    value = floor  # a price never reaches zero
            self._value, self._step, self._next_shock = value, step, k
        elif target < step:
            raise ValueError(f"now_ns {now_ns} is before fundamental step {step} already drawn")
        return self._value

    def at(self, now_ns: int) -> int:
        """Fundamental at ``now_ns`` rounded to the tick (at least one tick)."""
        tick = self.tick
        return max(tick, int(round(self.value_at(now_ns) / tick)) * tick)

    def shocks_before(self, now_ns: int) -> int:
        """How many megashocks have hit by ``now_ns`` (for reports and tests)."""
        return bisect_right(self.shock_steps, (now_ns - self.start_ns) // self.step_ns)
