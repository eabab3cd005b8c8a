"""The transaction monitor: a streaming consumer of transfers that scores accounts and raises alerts.

Feed transfers in time order with :meth:`TransactionMonitor.ingest`. Each one
updates the account histories and the sliding transfer graph; checks that need
the transfer itself (a cycle it closes, the payers of its beneficiary) run at
once. Every ``tick_ns`` of transfer time the monitor evaluates the accounts
touched since the last evaluation, all at once (one batched call to the
anomaly model): rules on each account's window, the graph's fan and
scatter-gather checks, the forest's score of its features, and the combined
:class:`~components.aml.scoring.RiskScore`. Every evaluation is a
:class:`ScoreDecision` record (score, contributions, findings, model version,
feature values, and whether it alerted); a score at or above the threshold
raises an :class:`Alert` unless every detector behind it already alerted
for the account within ``cooldown_ns``
(:func:`gate` is that rule on its own, for threshold sweeps over recorded
decisions). Call :meth:`flush` at the end of the stream. :meth:`warm` first takes a history period
(learned from, never scored) so the first window does not start cold.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .anomaly import FEATURES, AnomalyModel, account_features
from .findings import Finding, firm_accounts
from .graph import GraphParams, TransferGraph
from .rules import DAY_NS, HOUR_NS, AccountView, Rule, default_rules, run_rules
from .scoring import RiskScore, ScoreParams, risk_score
from .transfers import Transfer, Typology

NO_MODEL = "none"


@dataclass(frozen=True)
class MonitorConfig:
    """Everything the monitor's decisions depend on (defaults documented in each module)."""

    rules: tuple[Rule, ...] = field(default_factory=default_rules)
    graph: GraphParams = GraphParams()
    score: ScoreParams = ScoreParams()
    window_ns: int = 7 * DAY_NS
    """Each account's history the rules and features see."""
    recent_ns: int = DAY_NS
    """What counts as recent for the geo/device profile (older is the established profile)."""
    tick_ns: int = HOUR_NS
    """Evaluation cadence in transfer time."""
    cooldown_ns: int = 3 * DAY_NS
    """An account alerts again for the same detector only after this long."""

    def with_score(self, **changes: Any) -> "MonitorConfig":
        from dataclasses import replace
        return replace(self, score=replace(self.score, **changes))


@dataclass(frozen=True, slots=True)
class ScoreDecision:
    """One evaluation of one account: the record behind every alert and every non-alert."""

    decision_id: str
    risk: RiskScore
    threshold: float
    alerted: bool
    reason: str
    """``ALERT``, ``BELOW_THRESHOLD`` or ``COOLDOWN`` (scored high but alerted within the cooldown)."""
    model_version: str
    features: tuple[tuple[str, float], ...]
    findings: tuple[Finding, ...]

    def to_record(self) -> dict[str, Any]:
        r = self.risk
        return {"decision_id": self.decision_id, "account": r.account, "ts_ns": r.ts_ns, "score": round(r.score, 6),
                "contributions": r.contributions(), "anomaly_raw": r.anomaly_raw,
                "typology": r.typology.value if r.typology else None, "threshold": self.threshold,
                "alerted": self.alerted, "reason": self.reason, "model_version": self.model_version,
                "features": {k: round(v, 6) for k, v in self.features},
                "findings": [f.detector for f in self.findings]}


@dataclass(frozen=True, slots=True)
class Alert:
    """An account scored at or above the threshold: what fired, the evidence, the model and its inputs."""

    alert_id: str
    decision_id: str
    account: str
    ts_ns: int
    score: float
    threshold: float
    contributions: tuple[tuple[str, float], ...]
    typology: Typology | None
    accounts: tuple[str, ...]
    """The account and the firm's other accounts its findings link (sorted)."""
    evidence: tuple[str, ...]
    """Transfer ids behind the findings (sorted)."""
    findings: tuple[Finding, ...]
    model_version: str
    features: tuple[tuple[str, float], ...]
    graph_excerpt: tuple[dict[str, Any], ...] = ()
    """The window's money edges among the named accounts and their findings' parties, at alert time."""

    def to_record(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "decision_id": self.decision_id, "account": self.account,
                "ts_ns": self.ts_ns, "score": round(self.score, 6), "threshold": self.threshold,
                "contributions": dict(self.contributions), "typology": self.typology.value if self.typology else None,
                "accounts": list(self.accounts), "evidence": list(self.evidence),
                "findings": [f.to_record() for f in self.findings], "model_version": self.model_version,
                "features": {k: round(v, 6) for k, v in self.features}, "graph_excerpt": list(self.graph_excerpt)}


def detectors_of(findings: Iterable[Finding]) -> tuple[str, ...]:
    """The detectors behind a decision (``anomaly`` when no finding: the model alone)."""
    names = sorted({f.detector for f in findings})
    return tuple(names) if names else ("anomaly",)


class _Cooldown:
    """An account alerts again for a detector only ``cooldown_ns`` after it last alerted for it.

    Per detector, so an account cleared for one shape still alerts at once when
    another shape appears (a false alarm must not hide a real episode)."""

    def __init__(self, cooldown_ns: int) -> None:
        self.cooldown_ns = cooldown_ns
        self._last: dict[tuple[str, str], int] = {}

    def fresh(self, account: str, ts_ns: int, detectors: Sequence[str]) -> bool:
        return any(ts_ns - self._last.get((account, d), ts_ns - self.cooldown_ns) >= self.cooldown_ns
                   for d in detectors)

    def mark(self, account: str, ts_ns: int, detectors: Sequence[str]) -> None:
        for d in detectors:
            self._last[(account, d)] = ts_ns


def gate(decisions: Iterable[ScoreDecision], threshold: float, cooldown_ns: int) -> list[ScoreDecision]:
    """The decisions that alert at ``threshold``: score >= threshold and a detector out of its cooldown."""
    cool = _Cooldown(cooldown_ns)
    out = []
    for d in decisions:
        if d.risk.score < threshold:
            continue
        names = detectors_of(d.findings)
        if cool.fresh(d.risk.account, d.risk.ts_ns, names):
            cool.mark(d.risk.account, d.risk.ts_ns, names)
            out.append(d)
    return out


@dataclass
class _History:
    transfers: deque = field(default_factory=deque)
    countries: dict = field(default_factory=dict)
    devices: dict = field(default_factory=dict)
    total: int = 0


class TransactionMonitor:
    """Streaming AML monitoring; ``decisions`` and ``alerts`` keep everything it decided, in order."""

    def __init__(self, config: MonitorConfig | None = None, model: AnomalyModel | None = None) -> None:
        self.config = config or MonitorConfig()
        self.model = model
        self.graph = TransferGraph(self.config.graph)
        self.decisions: list[ScoreDecision] = []
        self.alerts: list[Alert] = []
        self.accounts: set[str] = set()
        """Every party seen as one of the firm's accounts."""
        self._hist: dict[str, _History] = {}
        self._dirty: set[str] = set()
        self._pending: dict[str, list[Finding]] = {}
        self._last_ts: int | None = None
        self._next_tick: int | None = None
        self._cooldown = _Cooldown(self.config.cooldown_ns)
        self.transfers_seen = 0
        self.history_seen = 0
        """Warm-up transfers taken by :meth:`warm` (not scored)."""

    @property
    def model_version(self) -> str:
        return self.model.version if self.model else NO_MODEL

    def ingest(self, t: Transfer) -> list[Alert]:
        """Take one transfer (not earlier than the last); returns the alerts an evaluation it triggered raised."""
        if self._last_ts is not None and t.ts_ns < self._last_ts:
            raise ValueError(f"transfer {t.transfer_id}: ts_ns {t.ts_ns} is before the last one ({self._last_ts}); "
                             f"feed transfers in time order")
        raised: list[Alert] = []
        tick = self.config.tick_ns
        if self._next_tick is None:
            self._next_tick = (t.ts_ns // tick + 1) * tick
        elif t.ts_ns >= self._next_tick:
            raised = self._evaluate()
            self._next_tick = (t.ts_ns // tick + 1) * tick
        self._last_ts = t.ts_ns
        self.transfers_seen += 1
        self.graph.add(t)
        for a in firm_accounts(t):
            self._remember(a, t)
            self._dirty.add(a)
        for f in self.graph.cycles(t) + self.graph.shared_beneficiary(t):
            self._pending.setdefault(f.account, []).append(f)
            self._dirty.add(f.account)
        return raised

    def warm(self, transfers: Iterable[Transfer]) -> int:
        """Take a history period before the scored stream (in time order, before any :meth:`ingest`): account
        histories, profiles and the graph learn from it, nothing is evaluated or recorded. Without it the
        monitor's first window sees every beneficiary as new (cold start). Returns the transfers taken."""
        if self.transfers_seen:
            raise ValueError("warm-up history must come before the first scored transfer")
        n = 0
        for t in sorted(transfers, key=lambda t: (t.ts_ns, t.transfer_id)):
            if self._last_ts is not None and t.ts_ns < self._last_ts:
                raise ValueError(f"history transfer {t.transfer_id}: ts_ns {t.ts_ns} is before the last one")
            self._last_ts = t.ts_ns
            self.graph.add_history(t)
            for a in firm_accounts(t):
                self._remember(a, t)
            n += 1
        self.history_seen += n
        return n

    def _remember(self, a: str, t: Transfer) -> _History:
        self.accounts.add(a)
        h = self._hist.setdefault(a, _History())
        h.transfers.append(t)
        h.total += 1
        # Where the account is operated from: the origin of any transfer touching it (a deposit
        # or an internal transfer in carries the holder's device too; a cash branch none).
        if t.country:
            h.countries.setdefault(t.country, t.ts_ns)
        if t.device_id:
            h.devices.setdefault(t.device_id, t.ts_ns)
        return h

    def flush(self) -> list[Alert]:
        """Evaluate what is still pending (call at the end of the stream)."""
        return self._evaluate()

    def run(self, transfers: Iterable[Transfer]) -> list[Alert]:
        """Ingest every transfer (sorted by time, then id) and flush; returns all alerts raised."""
        for t in sorted(transfers, key=lambda t: (t.ts_ns, t.transfer_id)):
            self.ingest(t)
        self.flush()
        return list(self.alerts)

    def _view(self, account: str, now: int) -> AccountView:
        cfg = self.config
        h = self._hist[account]
        lo = now - cfg.window_ns
        while h.transfers and h.transfers[0].ts_ns < lo:
            h.transfers.popleft()
        return AccountView(account, now, tuple(h.transfers), h.countries, h.devices,
                           h.total - len(h.transfers), cfg.recent_ns)

    def _evaluate(self) -> list[Alert]:
        if not self._dirty or self._last_ts is None:
            return []
        now = self._last_ts
        cfg = self.config
        accounts = sorted(self._dirty)
        self._dirty.clear()
        views = [self._view(a, now) for a in accounts]
        rows = [account_features(v.account, v.transfers) for v in views]
        found = [run_rules(cfg.rules, v) + self.graph.fan(v.account, now) + self.graph.scatter_gather(v.account, now)
                 + self._pending.pop(v.account, []) for v in views]
        raw = self._anomaly(rows, found)
        raised = []
        for view, row, anomaly_raw, findings in zip(views, rows, raw, found):
            a = view.account
            risk = risk_score(a, now, findings, anomaly_raw, cfg.score)
            features = tuple(zip(FEATURES, row))
            did = f"D{len(self.decisions) + 1:08d}"
            reason = "BELOW_THRESHOLD"
            names = detectors_of(findings)
            if risk.score >= cfg.score.threshold:
                reason = "ALERT" if self._cooldown.fresh(a, now, names) else "COOLDOWN"
            self.decisions.append(ScoreDecision(did, risk, cfg.score.threshold, reason == "ALERT", reason,
                                                self.model_version, features, tuple(findings)))
            if reason == "ALERT":
                self._cooldown.mark(a, now, names)
                alert = self._alert(did, risk, findings, features)
                self.alerts.append(alert)  # before the next one: alert ids count what was raised
                raised.append(alert)
        return raised

    def _anomaly(self, rows: list[tuple[float, ...]], found: list[list[Finding]]) -> list[float | None]:
        """The forest's score per row, in one batched call.

        While the anomaly weight is below the threshold the model alone can
        never alert, so only accounts with a finding are scored (the others'
        decisions record ``anomaly_raw`` None): the forest is the costly part.
        """
        if self.model is None:
            return [None] * len(rows)
        everyone = self.config.score.weight_anomaly >= self.config.score.threshold
        pick = [i for i, f in enumerate(found) if everyone or f]
        scores = self.model.score([rows[i] for i in pick])
        out: list[float | None] = [None] * len(rows)
        for i, s in zip(pick, scores):
            out[i] = s
        return out

    def _alert(self, did: str, risk: RiskScore, findings: list[Finding],
               features: tuple[tuple[str, float], ...]) -> Alert:
        named = {risk.account}
        parties = {risk.account}
        evidence: set[str] = set()
        for f in findings:
            named.update(p for p in f.accounts if p in self.accounts)
            parties.update(f.accounts)
            evidence.update(f.evidence)
        return Alert(f"A{len(self.alerts) + 1:06d}", did, risk.account, risk.ts_ns, risk.score,
                     self.config.score.threshold, tuple(risk.contributions().items()), risk.typology,
                     tuple(sorted(named)), tuple(sorted(evidence)), tuple(findings), self.model_version, features,
                     tuple(self.graph.excerpt(parties)))
