"""ValueTrader: trades toward its own noisy reading of the fundamental value.

Like ABIDES' ValueAgent: at each wake-up it observes the fundamental with
noise, folds the observation into a running estimate (a Kalman filter whose
prior mean-reverts toward the long-run mean at the rate it believes the
fundamental does), projects that estimate over its horizon, and compares it
with the market mid. If it thinks the stock is cheap it bids, if dear it
offers. Most orders are passive, priced up to ``depth_spread`` spreads from
the far touch (inside the spread or deeper in the book); a share
``aggressive_fraction`` cross at the touch. It keeps at most one order
resting: the previous one is canceled before a new one is sent.
"""

from __future__ import annotations

import numpy as np

from components.domain.orders import Side
from venues_sim.book import AddResult
from venues_sim.draws import ScalarDraws

from .base import AgentOrders, two_sided_top
from .fundamental import MeanRevertingFundamental
from .intraday import IntradayProfile, ProfiledWaking
from .sizes import OrderSizeModel
from .tape import TapedVenue

_NS_PER_S = 1_000_000_000
_BUY, _SELL = Side.BUY, Side.SELL  # module aliases: read at every decision


class ValueTrader(ProfiledWaking):
    """One value agent on one symbol of one venue front; draws only from ``rng``."""

    def __init__(
        self,
        venue: TapedVenue,
        symbol: str,
        fundamental: MeanRevertingFundamental,
        rng: np.random.Generator,
        owner: str,
        sizes: OrderSizeModel,
        *,
        mean_wake_s: float,
        observation_noise_bps: float,
        horizon_s: float,
        aggressive_fraction: float = 0.1,
        depth_spread: int = 2,
        threshold_ticks: int = 0,
        profile: IntradayProfile | None = None,
    ):
        if not mean_wake_s > 0 or not observation_noise_bps >= 0 or not horizon_s >= 0:
            raise ValueError("mean_wake_s must be > 0; observation_noise_bps and horizon_s >= 0")
        if not 0.0 <= aggressive_fraction <= 1.0:
            raise ValueError(f"aggressive_fraction must be in [0, 1], got {aggressive_fraction!r}")
        if type(depth_spread) is not int or depth_spread < 1:
            raise ValueError(f"depth_spread must be an int >= 1, got {depth_spread!r}")
        self.venue = venue
        self.book = venue.book(symbol)
        self.symbol = symbol
        self.fundamental = fundamental
        self.owner = owner
        self.sizes = sizes
        self.mean_gap_ns = mean_wake_s * _NS_PER_S
        self.aggressive_fraction = aggressive_fraction
        self.depth_spread = depth_spread
        self.threshold_ticks = threshold_ticks
        self.horizon_s = horizon_s
        self.profile = profile  # wake-ups follow the intraday profile when set
        self._rng = rng
        self._draws = ScalarDraws(rng)  # the same stream's scalar draws, without numpy's per-call cost
        self._noise_sd = observation_noise_bps / 10_000 * fundamental.mean_price
        # Beliefs about the process: the agent is told its parameters (as ABIDES
        # value agents are given kappa and sigma_s), not its path.
        self._r_bar = float(fundamental.mean_price)
        self._kappa = fundamental.kappa_per_s
        self._q = fundamental.diffusion_var_per_s
        self.estimate = self._r_bar
        self.estimate_var = 0.0
        self._last_ns = fundamental.start_ns  # the estimate starts as the mean, at the path's start
        self.orders = AgentOrders(venue, owner, symbol)

    def observe(self, now_ns: int) -> float:
        """Fold a noisy observation into the estimate; return the projected value (units)."""
        obs = self.fundamental.value_at(now_ns) + self._noise_sd * self._rng.standard_normal()
        dt = max(0, now_ns - self._last_ns) / _NS_PER_S
        self._last_ns = now_ns
        r_bar = self._r_bar
        # Linear (Euler) decay toward the mean: multiply/add only, so exact on
        # every platform; close to exp(-kappa*dt) while kappa*dt is small.
        decay = max(0.0, 1.0 - self._kappa * dt)
        prior = r_bar + (self.estimate - r_bar) * decay
        prior_var = decay * decay * self.estimate_var + self._q * dt
        obs_var = self._noise_sd ** 2
        gain = 1.0 if obs_var == 0.0 else prior_var / (prior_var + obs_var)
        self.estimate = prior + gain * (obs - prior)
        self.estimate_var = (1.0 - gain) * prior_var
        reach = max(0.0, 1.0 - self._kappa * self.horizon_s)
        return r_bar + (self.estimate - r_bar) * reach

    def act(self, now_ns: int) -> AddResult | None:
        """Observe, decide and (maybe) send one DAY limit order; its outcome or None."""
        value = self.observe(now_ns)
        draws = self._draws
        tick = self.fundamental.tick
        top = two_sided_top(self.book)
        if top is None:
            # No market to compare with: a side at random, priced at its value
            # (this is how a value agent helps an empty book get started).
            side = _BUY if draws.random() < 0.5 else _SELL
            price = max(tick, int(round(value / tick)) * tick)
        else:
            bid, _, ask, _ = top
            edge = 2.0 * value - (bid + ask)  # twice (value - mid), no half-tick rounding
            margin = 2.0 * self.threshold_ticks * tick
            if edge > margin:
                side = _BUY
            elif edge < -margin:
                side = _SELL
            else:
                return None
            spread_ticks = max(1, (ask - bid) // tick)
            if draws.random() < self.aggressive_fraction:
                adjust = 0
            else:
                adjust = draws.integers(0, self.depth_spread * spread_ticks) * tick
            price = ask - adjust if side is _BUY else bid + adjust
            price = max(tick, price)
        qty = self.sizes.sample(self._rng, draws)
        return self.orders.replace(side, qty, price, now_ns)
