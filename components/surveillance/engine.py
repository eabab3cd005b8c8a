"""The surveillance engine: every detector fed from one pass over the event log.

``SurveillanceEngine.consume(event)`` takes one ``OrderEvent`` (from a twin
run's log, or from the live bus), folds it into the shared ``OrderTape`` and
hands the resulting fact to each detector; it returns the alerts that became
due. ``finish()`` flushes what waits on a window (end of a run). The same code
serves both runtimes: it needs only the events, a ``Linkage`` and the session
close time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

from ..domain.events import OrderEvent
from .front_running import FrontRunningDetector, FrontRunningParams
from .marking_close import MarkingCloseDetector, MarkingCloseParams
from .model import Alert, Linkage, Pattern
from .spoofing import SpoofingDetector, SpoofingParams
from .tape import CANCEL, FILL, NEW, OrderTape
from .wash import WashParams, WashTradeDetector

NS = 1_000_000_000
_NOTHING: list[Alert] = []  # returned when no alert is due; callers only read it


@dataclass(frozen=True, slots=True)
class SurveillanceConfig:
    """Parameters of every detector; each section's defaults are documented where declared."""

    spoofing: SpoofingParams = field(default_factory=SpoofingParams)
    wash_trade: WashParams = field(default_factory=WashParams)
    marking_the_close: MarkingCloseParams = field(default_factory=MarkingCloseParams)
    front_running: FrontRunningParams = field(default_factory=FrontRunningParams)
    memory_horizon_s: float = 2 * 86_400.0
    """Orders older than this are forgotten (bounded memory on a live stream). Default two days."""


THRESHOLD_FIELD: dict[Pattern, tuple[str, str]] = {
    Pattern.SPOOFING: ("spoofing", "min_orders"),
    Pattern.WASH_TRADE: ("wash_trade", "min_qty_match"),
    Pattern.MARKING_THE_CLOSE: ("marking_the_close", "min_share"),
    Pattern.FRONT_RUNNING: ("front_running", "min_size_ratio"),
}
"""Each pattern's threshold: the parameter its alert ``score`` is compared with (the one the backtest sweeps)."""


def threshold_of(config: SurveillanceConfig, pattern: Pattern) -> float:
    """The threshold value ``config`` sets for ``pattern``."""
    section, name = THRESHOLD_FIELD[pattern]
    return float(getattr(getattr(config, section), name))


def with_threshold(config: SurveillanceConfig, pattern: Pattern, value: float) -> SurveillanceConfig:
    """``config`` with one pattern's threshold replaced (ints stay ints)."""
    section, name = THRESHOLD_FIELD[pattern]
    params = getattr(config, section)
    current = getattr(params, name)
    return replace(config, **{section: replace(params, **{name: type(current)(value)})})


class SurveillanceEngine:
    """All four detectors over one event stream (see the module docstring)."""

    def __init__(self, linkage: Linkage, session_close_ns: int,
                 config: SurveillanceConfig = SurveillanceConfig()) -> None:
        self.config = config
        self.linkage = linkage
        self.tape = OrderTape(linkage.owner_of)
        self.spoofing = SpoofingDetector(config.spoofing)
        self.wash = WashTradeDetector(config.wash_trade)
        self.closing = MarkingCloseDetector(session_close_ns, config.marking_the_close)
        self.front = FrontRunningDetector(linkage, config.front_running)
        self.detectors = (self.spoofing, self.wash, self.closing, self.front)
        self._horizon = int(config.memory_horizon_s * NS)
        self._next_forget = 0
        self.events = 0

    def consume(self, ev: OrderEvent) -> list[Alert]:
        """Fold one event in; the alerts that became due (usually none: then a shared empty list, not to be
        mutated)."""
        self.events += 1
        kind, f, qty, px = self.tape.apply(ev)
        if kind == FILL:
            self.spoofing.on_fill(f, qty, px)  # type: ignore[arg-type]
            self.wash.on_fill(f, qty, px)  # type: ignore[arg-type]
            self.closing.on_fill(f, qty, px)  # type: ignore[arg-type]
        elif kind == CANCEL:
            self.spoofing.on_cancel(f)  # type: ignore[arg-type]
            self.wash.on_cancel(f)  # type: ignore[arg-type]
        elif kind == NEW:
            self.front.on_new(f)  # type: ignore[arg-type]
        now = ev.timestamp_utc
        if now >= self._next_forget:
            self.tape.forget_before(now - self._horizon)
            self._next_forget = now + self._horizon // 4
        if now < self._next_due():  # the hot path: nothing can be due yet
            return _NOTHING
        out: list[Alert] = []
        for d in self.detectors:
            d.advance(now, out)
        return out

    def _next_due(self) -> int:
        """The earliest time any detector has something to decide (0 = now)."""
        due = self.spoofing.next_due()
        for d in (self.wash, self.closing, self.front):
            t = d.next_due()
            if t < due:
                due = t
        return due

    def finish(self) -> list[Alert]:
        """Flush every pending window (end of a run or of a replay)."""
        out: list[Alert] = []
        for d in self.detectors:
            d.finish(out)
        return out

    def run(self, events: Iterable[OrderEvent]) -> list[Alert]:
        """Every alert of a finished stream, in the order raised."""
        out: list[Alert] = []
        for ev in events:
            out.extend(self.consume(ev))
        out.extend(self.finish())
        return out
