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
batches (so they are drawn ahead, in blocks). Only IEEE multiply and add touch the path (no ``exp`` per step), so
it is bit-identical on every platform.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from components.domain.money import CENT

from .intraday import IntradayProfile

_NS_PER_S = 1_000_000_000
_NORMALS_BLOCK = 1024  # normals drawn per numpy call by ``MeanRevertingFundamental._take_normals``
_LN2 = 0.6931471805599453  # literal, not math.log(2): one less libm call in a deterministic path


class MeanRevertingFundamental:
    """OU around ``mean_price`` plus Poisson megashocks, in integer units on a tick grid.

    ``vol_bps_per_sqrt_s`` is the diffusion per square root of a second,
    relative to ``mean_price``. ``half_life_s`` is how long a deviation from the
    mean takes to halve. Megashocks arrive ``megashocks_per_hour`` on average;
    each moves the value by a normal ``megashock_mean_bps`` +/-
    ``megashock_std_bps`` of the mean price, up or down with equal odds (the
    bimodal shock of ABIDES: no drift overall, but never a small nudge).

    With a ``profile`` (``scenarios.agents.intraday``) the diffusion's variance
    per step is scaled by the profile's weight at that step (volatility follows
    activity: U-shaped over the day, the same total variance as a flat day);
    ``diffusion_var_per_s`` stays the day's average, which is what agents believe.
    With ``shock_vol_boost`` b > 0 each megashock also raises the diffusion's
    variance by b times its normal level, the excess halving every
    ``shock_vol_half_life_s`` (news is followed by a turbulent spell:
    volatility clusters). Both use the same draws as the plain path.
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
        profile: IntradayProfile | None = None,
        shock_vol_boost: float = 0.0,
        shock_vol_half_life_s: float = 900.0,
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
        if not shock_vol_boost >= 0 or not shock_vol_half_life_s > 0:
            raise ValueError("shock_vol_boost must be >= 0 and shock_vol_half_life_s > 0")
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
        self.profile = profile
        # per profile slice: its diffusion per step (sqrt is exactly rounded by IEEE 754: same everywhere)
        self._slice_sigma = [] if profile is None else [self._sigma * math.sqrt(w) for w in profile.weights]
        self.shock_vol_boost = shock_vol_boost
        self._excess_decay = max(0.0, 1.0 - _LN2 * step_s / shock_vol_half_life_s)  # Euler, as the OU step
        self._excess = 0.0  # extra variance after megashocks, as a multiple of the normal variance
        self._rng = rng
        self._value = float(mean_price)
        self._step = 0
        self.shock_steps, self.shock_sizes = self._draw_shocks(
            rng, megashocks_per_hour, megashock_mean_bps, megashock_std_bps, end_ns - start_ns
        )
        self._next_shock = 0
        self._normals: list[float] = []  # the steps' normals drawn ahead (``_take_normals``)
        self._normals_at = 0  # how many of ``_normals`` the path has used

    def _take_normals(self, k: int) -> list[float]:
        """The next ``k`` normals of the stream, in order. Drawn ahead in blocks of at least
        ``_NORMALS_BLOCK``: the same numbers as one call per step (numpy's ``standard_normal`` gives the
        same sequence however the draws are batched), without a numpy call per read of the path (value
        agents read it ~14,000 times a day, most reads a step or two on). Only the path draws from this
        stream after the shocks are drawn, so drawing ahead moves no other draw."""
        normals, at = self._normals, self._normals_at
        end = at + k
        if end <= len(normals):
            self._normals_at = end
            return normals[at:end]
        taken = normals[at:]
        need = k - len(taken)
        fresh = self._rng.standard_normal(max(_NORMALS_BLOCK, need)).tolist()
        self._normals, self._normals_at = fresh, need
        return taken + fresh[:need]

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
        if target > step and (self.profile is not None or self.shock_vol_boost > 0):
            self._advance_varying(target)
        elif target > step:
            value, decay, sigma, mean = self._value, self._decay, self._sigma, float(self.mean_price)
            shock_steps, k = self.shock_steps, self._next_shock
            floor = float(self.tick)
            for z in self._take_normals(target - step):
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

    def _advance_varying(self, target: int) -> None:
        """``value_at``'s loop with each step's diffusion scaled by the profile and the shocks' excess
        variance (the same draws)."""
        value, decay, mean = self._value, self._decay, float(self.mean_price)
        step, k = self._step, self._next_shock
        shock_steps, floor = self.shock_steps, float(self.tick)
        profile, step_ns, start_ns = self.profile, self.step_ns, self.start_ns
        sigmas = self._slice_sigma
        excess, excess_decay, boost = self._excess, self._excess_decay, self.shock_vol_boost
        for z in self._take_normals(target - step):
            step += 1
            i = None if profile is None else profile.slice_at(start_ns + step * step_ns)
            sigma = self._sigma if i is None else sigmas[i]
            if excess:
                sigma *= math.sqrt(1.0 + excess)  # sqrt is exactly rounded (IEEE 754): the same everywhere
                excess *= excess_decay
            value = mean + (value - mean) * decay + sigma * z
            while k < len(shock_steps) and shock_steps[k] <= step:
                value += self.shock_sizes[k]
                excess += boost
                k += 1
            if value < floor:
                value = floor
        self._value, self._step, self._next_shock, self._excess = value, step, k, excess

    def at(self, now_ns: int) -> int:
        """Fundamental at ``now_ns`` rounded to the tick (at least one tick)."""
        tick = self.tick
        return max(tick, int(round(self.value_at(now_ns) / tick)) * tick)

    def shocks_before(self, now_ns: int) -> int:
        """How many megashocks have hit by ``now_ns`` (for reports and tests)."""
        return bisect_right(self.shock_steps, (now_ns - self.start_ns) // self.step_ns)


class FairValueReading:
    """What a market maker takes as fair value: the fundamental now, read with its own noise.

    Stands for the information a real maker prices from besides this one book
    (index futures, the stock's other venues, correlated names), which leads
    the book instead of following it. ``noise_bps`` is the standard deviation
    of each reading's error (bps of the mean price); at 0 no number is drawn.
    """

    def __init__(self, fundamental: MeanRevertingFundamental, rng: np.random.Generator, noise_bps: float = 0.0):
        if not noise_bps >= 0:
            raise ValueError(f"noise_bps must be >= 0, got {noise_bps!r}")
        self.fundamental = fundamental
        self._rng = rng
        self._noise_sd = noise_bps / 10_000 * fundamental.mean_price

    def at(self, now_ns: int) -> float:
        """One reading at ``now_ns`` (units, float)."""
        value = self.fundamental.value_at(now_ns)
        if self._noise_sd:
            value += self._noise_sd * float(self._rng.standard_normal())
        return value
