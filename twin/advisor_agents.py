"""The trade-execution agent in the twin, gated by a simulated advisor population.

Installed only when the scenario has an ``advisors`` section (``scenarios.config_advisors``), so
every other run, its draws and its fingerprint are unchanged. In simulated time:

* ``proposals`` drift signals arrive over the session (stream ``advisors:signals``), each for one
  client household of the twin's own population (``TwinHouseholds``: a client's accounts, their
  cash and positions as pre-trade risk holds them at that moment); the ``PortfolioAdvisorAgent``
  asks the portfolio engine (``components.portfolio.rebalance.propose``) for the household's
  ``RebalanceProposal``. Opening positions get seeded tax lots (``scenarios.households.position_lots``);
  the IPS comes from the section's fields. Only symbols both in the portfolio universe and listed
  on the twin's venues are tradable: the IPS restricts every other universe symbol, so the model's
  weight in them is spread over the tradable ones (``InvestmentPolicy.targets_bps``) and none is
  ever proposed; held symbols outside the universe are not managed (left out of the book).
* the ``TradeExecutionAgent`` plans it into block orders and asks the advisor. Each simulated
  advisor answers from a stream of their own (``advisors:ADV-...``): approve with
  ``approve_probability``, reject with ``reject_probability``, otherwise never (the plan expires),
  after a log-normal delay (``median_response_s``, ``p99_response_s``).
* an approved plan's blocks leave through ``TwinOrderPort``: the advisor's link to the order
  gateway, exactly as the twin's block flow sends ``SubmitBlock`` (validation, entitlement,
  pre-trade risk, the block desk, allocation).
* the kill switch is the control plane's feature flag ``trade_agent`` (``twin.control_plane``):
  the agent keeps a data-plane copy; ``kill_switch_at`` publishes ``trade_agent=off``, and when the
  copy applies it the agent cancels every pending plan and submits nothing more.

``check`` adds two invariants to the run: every agent order in the event log was submitted after
an approval event for its plan's exact hash, and none was submitted after the kill switch. They
read the platform's event log (the member orders' ``OrderReceived``) against the step log, so an
order that reached the platform around the agent is caught too. ``write`` puts the hash-chained
step log in the run folder as ``agent_steps.jsonl`` and returns the summary's ``agent`` section.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from components.agents import (AgentConfig, ApprovalEvent, DriftSignal, HardLimits, PlanState,
                               PortfolioAdvisorAgent, StepLog, TradeExecutionAgent, Verdict)
from components.domain.commands import SubmitBlock, member_client_order_id
from components.domain.events import EventType, OrderEvent
from components.domain.orders import OrderStatus, Side
from components.memory import SequentialIds
from components.portfolio.households import (AccountKind, DriftBands, Household, InvestmentPolicy,
                                             PortfolioAccount)
from components.portfolio.lots import Lot, Realised, choose_lots, sell
from components.portfolio.proposals import RebalanceProposal
from components.portfolio.rebalance import HouseholdBook, RebalanceResult, RebalanceSettings, propose
from components.portfolio.tax_loss import Acquisition
from components.portfolio.universe import MODELS, SECURITIES, RiskLevel
from scenarios.config_advisors import Advisors
from scenarios.households import position_lots, recent_acquisitions

from .control_plane import ConfigChange, ConfigVersion, DataPlaneCopy, Setting, control_plane_of
from .draws import Z99
from .invariants import InvariantResult
from .world import TwinWorld

NS = 1_000_000_000
FLAG = "trade_agent"
"""The control plane's feature flag: ``off`` is the agent's kill switch."""
PLAN_PREFIX = "AGTPLAN"
"""Agent plan ids (``AGTPLAN-0000001``); its blocks are ``AGTPLAN-0000001-B1``, their members ``...-B1-1``."""


_MODEL_OF = {RiskLevel.CONSERVATIVE: "conservative", RiskLevel.BALANCED: "balanced", RiskLevel.GROWTH: "growth"}
PROFILE_WEIGHTS = (0.3, 0.4, 0.3)
"""Chance of a conservative, balanced, growth household when ``model`` is ``profile``."""


class TwinHouseholds:
    """The twin's clients as the portfolio engine's households (see the module docstring).

    A household is one client (``CL-...``) of the population, its accounts the client's twin accounts
    (the first taxable, any further one a traditional IRA), so every proposed trade names a real
    account that pre-trade risk knows. Its lots start as each opening position split into seeded
    lots; before each proposal they are brought to the platform's current position (the day's sells
    consume lots tax-aware, as the engine would; the day's buys become a lot acquired today at the
    reference price) and the shares already committed to open sells are left out, so a proposal
    sells only what pre-trade risk will let it sell. Cash is the account's cash less what open buys
    hold (``RiskEngine.cash`` - ``reserved``).
    """

    def __init__(self, world: TwinWorld, cfg: Advisors) -> None:
        self.world, self.cfg = world, cfg
        scenario = world.scenario
        listed = set(scenario.symbol_names)
        self.tradable = tuple(s for s in scenario.symbol_names if s in SECURITIES)
        """Universe symbols the twin's venues list: the only ones a proposal may trade."""
        not_listed = frozenset(s for s in SECURITIES if s not in listed)
        self.as_of = scenario.session.date
        self.settings = RebalanceSettings(min_trade=cfg.min_trade)
        rng = world.streams.stream("advisors:households")
        sanctioned = world.sanctioned_accounts
        cap = min(cfg.max_position_bps, scenario.risk.concentration_max_bps)
        self.households: dict[str, Household] = {}
        self.lots: dict[str, list[Lot]] = {}
        self.acquisitions: dict[str, list[Acquisition]] = {}
        self.realised: dict[str, list[Realised]] = {}
        by_client: dict[str, list[Any]] = {}
        for account in world.population.accounts:
            by_client.setdefault(account.client_id, []).append(account)
        prices = {s: SECURITIES[s].reference_price for s in SECURITIES}
        prices.update({s.symbol: s.reference_price for s in scenario.symbols if s.symbol in SECURITIES})
        for client_id, accounts in by_client.items():  # population order: deterministic
            profile = RiskLevel(int(rng.choice([1, 2, 3], p=PROFILE_WEIGHTS)))  # drawn for every client: aligned
            if any(a.account_id in sanctioned for a in accounts):
                continue  # no proposals for a sanctioned client (pre-trade risk would block them anyway)
            model = _MODEL_OF[profile] if cfg.model == "profile" else cfg.model
            # a model named in the scenario is the advisor's choice for every client: the profile is raised to
            # the model's risk, so the model itself is never what suitability refuses
            policy = InvestmentPolicy(max(profile, MODELS[model].risk), model, not_listed,
                                      max_position_bps=cap, cash_floor_bps=cfg.cash_floor_bps,
                                      bands=DriftBands(cfg.drift_absolute_bps, cfg.drift_relative_bps))
            kinds = [AccountKind.TAXABLE] + [AccountKind.IRA] * (len(accounts) - 1)
            members = tuple(PortfolioAccount(a.account_id, client_id, k) for a, k in zip(accounts, kinds))
            self.households[client_id] = Household(client_id, accounts[0].client_name, accounts[0].advisor_id,
                                                   members, policy)
            lots: list[Lot] = []
            acquisitions: list[Acquisition] = []
            for a, kind in zip(accounts, kinds):
                for symbol, qty in a.positions:
                    if symbol in SECURITIES and qty > 0:
                        new = position_lots(rng, a.account_id, symbol, qty, prices[symbol], self.as_of,
                                            cfg.max_lots)
                        lots.extend(new)
                        acquisitions.extend(recent_acquisitions(new, kind, self.as_of))
            self.lots[client_id], self.acquisitions[client_id], self.realised[client_id] = lots, acquisitions, []

    def book(self, household_id: str, prices: dict[str, int]) -> HouseholdBook:
        """The household as pre-trade risk holds it now (see the class docstring)."""
        hh = self.households[household_id]
        risk = self.world.platform.risk
        accounts = {a.account_id for a in hh.accounts}
        open_sells: dict[tuple[str, str], int] = {}
        for order in self.world.platform.oms.open_orders():
            spec = order.spec
            if spec.account_id in accounts and spec.side == Side.SELL and spec.symbol in prices:
                key = (spec.account_id, spec.symbol)
                open_sells[key] = open_sells.get(key, 0) + order.leaves_qty
        members = []
        for acct in hh.accounts:
            for symbol in self.tradable:
                self._reconcile(hh, acct, symbol, risk.position(acct.account_id, symbol), prices[symbol])
            cash = risk.cash(acct.account_id) - risk.reserved(acct.account_id)
            members.append(PortfolioAccount(acct.account_id, household_id, acct.kind, max(0, cash)))
        free = list(self.lots[household_id])
        for (account_id, symbol), qty in sorted(open_sells.items()):
            held = sum(x.quantity for x in free if x.account_id == account_id and x.symbol == symbol)
            committed = min(qty, held)
            if committed:  # shares an open sell already holds are not the engine's to sell again
                ids = choose_lots(free, account_id, symbol, committed, prices[symbol], self.as_of)
                free = list(sell(free, account_id, symbol, committed, ids, prices[symbol], self.as_of).remaining)
        hh = Household(hh.household_id, hh.name, hh.advisor_id, tuple(members), hh.policy)
        return HouseholdBook(hh, tuple(free), tuple(self.acquisitions[household_id]),
                             tuple(self.realised[household_id]))

    def _reconcile(self, hh: Household, acct: PortfolioAccount, symbol: str, position: int, price: int) -> list[Lot]:
        """Bring the household's lots of ``symbol`` in ``acct`` to the platform's ``position``."""
        hid = hh.household_id
        lots = self.lots[hid]
        have = sum(x.quantity for x in lots if x.account_id == acct.account_id and x.symbol == symbol)
        target = max(position, 0)  # wealth accounts are never short; a short would be no lot at all
        if target < have:  # sold today: consume lots tax-aware, as the engine's own sells would
            ids = choose_lots(lots, acct.account_id, symbol, have - target, price, self.as_of)
            sale = sell(lots, acct.account_id, symbol, have - target, ids, price, self.as_of)
            lots = self.lots[hid] = list(sale.remaining)
            if acct.kind.taxable:
                self.realised[hid].extend(sale.realised)
        elif target > have:  # bought today
            n = sum(1 for x in lots if x.lot_id.startswith(f"T-{acct.account_id}-{symbol}-"))
            lot = Lot(f"T-{acct.account_id}-{symbol}-{n + 1}", acct.account_id, symbol, target - have,
                      (target - have) * price, self.as_of)
            lots.append(lot)
            self.acquisitions[hid].append(Acquisition(lot.lot_id, acct.account_id, acct.kind, symbol, lot.quantity,
                                                      self.as_of))
        return lots


_WORKING = frozenset({OrderStatus.NEW, OrderStatus.VALIDATED, OrderStatus.RISK_APPROVED, OrderStatus.ROUTED,
                      OrderStatus.PARTIALLY_FILLED})
"""States in which an order may still fill (pre-trade risk books the proceeds of a sell only as it fills)."""
POLL_NS = NS
"""How often a held buy block looks again at its plan's sells."""


@dataclass
class TwinOrderPort:
    """The agent's way to the platform: ``SubmitBlock`` on the advisor's link to the gateway.

    Sells first: a rebalance pays for its buys partly with its own sales, but pre-trade risk counts a
    sale's cash only once it fills. So a plan's buy blocks wait here until every member order of the
    same plan's sell blocks has stopped working (filled, blocked, cancelled or expired), polled every
    second, and then leave stamped with the time they leave (``sent``). A buy still waiting when the
    agent's kill switch is on, or at the session close, is dropped (``dropped``), never sent.
    """

    world: TwinWorld
    killed: Any = None
    """``() -> bool``: is the agent's kill switch on (set by ``AdvisorAgents``)."""
    sent: list[tuple[int, SubmitBlock]] = field(default_factory=list)
    held: list[SubmitBlock] = field(default_factory=list)
    dropped: list[SubmitBlock] = field(default_factory=list)
    _sells: dict[str, list[str]] = field(default_factory=dict)  # plan id -> its sell members' client order ids

    def submit_block(self, command: SubmitBlock) -> None:
        plan_id = command.block_ref.rsplit("-B", 1)[0]
        if command.side == Side.SELL.value:
            self._sells.setdefault(plan_id, []).extend(
                member_client_order_id(command.block_ref, i) for i in range(1, len(command.lines) + 1))
            self._send(command)
        elif plan_id in self._sells:
            self.held.append(command)
            self.world.clock.call_later(POLL_NS, lambda: self._release(command))
        else:
            self._send(command)
        return None  # the gateway's answer comes later, as events

    def _send(self, command: SubmitBlock) -> None:
        now = self.world.clock.now_ns()
        if command.submitted_ns != now:
            command = replace(command, submitted_ns=now)
        self.sent.append((now, command))
        self.world.network.send("advisor", command)

    def _release(self, command: SubmitBlock) -> None:
        # the kill switch stops the buys; so does the close (a sell block the gateway refused whole never
        # shows its members in the OMS, and a buy must not poll all night for them)
        if (self.killed is not None and self.killed()) or self.world.clock.now_ns() >= self.world.scenario.session.close_ns():
            self.held.remove(command)
            self.dropped.append(command)
            return
        wanted = set(self._sells[command.block_ref.rsplit("-B", 1)[0]])
        seen = [o for o in self.world.platform.oms.orders.values() if o.spec.client_order_id in wanted]
        if len(seen) < len(wanted) or any(o.status in _WORKING for o in seen):
            self.world.clock.call_later(POLL_NS, lambda: self._release(command))
            return
        self.held.remove(command)
        self._send(command)


class AdvisorAgents:
    """The agent, the advisor agent and the simulated advisors of one run (see the module docstring)."""

    def __init__(self, world: TwinWorld, cfg: Advisors) -> None:
        self.world, self.cfg = world, cfg
        self.steps = StepLog()
        self.port = TwinOrderPort(world)
        limits = HardLimits(cfg.max_order_notional, cfg.max_account_notional, cfg.max_day_notional)
        config = AgentConfig(limits, int(cfg.approval_timeout_s * NS), cfg.policy)
        self.agent = TradeExecutionAgent(config, self.port, SequentialIds(), world.market_data.reference_price,
                                         self.steps, id_prefix=PLAN_PREFIX)
        self.port.killed = lambda: self.agent.killed
        self.advisor = PortfolioAdvisorAgent(self._recommend, self.steps)
        self.kill_requested_ns: int | None = None
        self._signal_rng = world.streams.stream("advisors:signals")
        self.households = TwinHouseholds(world, cfg)
        self.results: list[RebalanceResult] = []
        """The portfolio engine's answer to every signal it was asked about, in order."""
        self.skipped_pending = 0
        """Signals for a household whose previous plan still waited for its advisor (not asked again)."""
        self._plan_of: dict[str, str] = {}  # household -> its latest plan id
        self._rngs: dict[str, np.random.Generator] = {}
        self._signals = 0

    # -- wiring --------------------------------------------------------------------------------------
    def install(self) -> None:
        """Attach the kill-switch copy to the control plane and book the day's signals."""
        world, cfg = self.world, self.cfg
        plane = control_plane_of(world)

        def apply(version: ConfigVersion) -> None:
            self.agent.set_kill_switch(not version.flag(FLAG), world.clock.now_ns(), "control_plane",
                                       f"config v{version.version}")

        plane.attach(DataPlaneCopy("trade_agent", ConfigVersion(0, frozenset()), lambda v: None, apply))
        session = world.scenario.session
        if cfg.kill_switch_at is not None:
            at = session.at_ns(cfg.kill_switch_at)
            self.kill_requested_ns = at
            world.clock.call_at(at, lambda: plane.publish(ConfigChange(at, Setting.FLAG, FLAG, "off")))
        open_ns, close_ns = session.open_ns(), session.close_ns()
        rng = self._signal_rng
        times = np.sort(rng.integers(open_ns, max(open_ns + 1, close_ns - 60 * NS), cfg.proposals))
        households = sorted(self.households.households)
        if not households or not self.households.tradable:
            return
        for at in times.tolist():
            household = households[int(rng.integers(0, len(households)))]
            world.clock.call_at(int(at), lambda household=household: self._signal(household))

    # -- the day -------------------------------------------------------------------------------------
    def _signal(self, household_id: str) -> None:
        now = self.world.clock.now_ns()
        self._signals += 1
        pending = self._plan_of.get(household_id)
        if pending is not None and self.agent.plans[pending].state is PlanState.PENDING_APPROVAL:
            self.skipped_pending += 1  # its advisor has not answered the last plan: do not stack another on it
            return
        advisor_id = self.households.households[household_id].advisor_id
        signal = DriftSignal(household_id, advisor_id, now, "scheduled drift review (twin.advisor_agents)")
        proposal = self.advisor.on_signal(signal, now)
        if proposal is None:
            return
        outcome = self.agent.detect(proposal, now)
        if outcome.state is not PlanState.PENDING_APPROVAL:
            return
        self._plan_of[household_id] = outcome.plan_id
        plan = self.agent.plans[outcome.plan_id]
        self.world.clock.call_at(plan.expires_ns + 1, lambda: self.agent.expire(self.world.clock.now_ns()))
        self._ask(advisor_id, outcome.plan_id, plan.plan.plan_hash)

    def _ask(self, advisor_id: str, plan_id: str, plan_hash: str) -> None:
        """The advisor's answer (or silence), from their own stream."""
        rng = self._rngs.get(advisor_id)
        if rng is None:
            rng = self._rngs[advisor_id] = self.world.streams.stream(f"advisors:{advisor_id}")
        cfg = self.cfg
        u = float(rng.random())
        median = cfg.median_response_s * NS
        sigma = math.log(cfg.p99_response_s / cfg.median_response_s) / Z99 if cfg.p99_response_s > cfg.median_response_s else 0.0
        delay = int(rng.lognormal(math.log(median), sigma)) if sigma else int(median)
        if u < cfg.approve_probability:
            verdict = Verdict.APPROVE
        elif u < cfg.approve_probability + cfg.reject_probability:
            verdict = Verdict.REJECT
        else:
            return  # this advisor never answers: the plan expires

        def answer() -> None:
            self.agent.decide(ApprovalEvent(plan_id, plan_hash, advisor_id, verdict, self.world.clock.now_ns(),
                                            "simulated advisor"))

        self.world.clock.call_later(max(1, delay), answer)

    def _recommend(self, signal: DriftSignal) -> RebalanceProposal | None:
        """The portfolio engine's proposal for the signal's household, on the twin's prices now."""
        market = self.world.market_data
        prices = {s: sec.reference_price for s, sec in SECURITIES.items()}  # never traded: restricted by the IPS
        for symbol in self.households.tradable:
            prices[symbol] = market.reference_price(symbol)
        if any(prices[s] <= 0 for s in self.households.tradable):
            return None  # no reference price yet: the engine cannot value the household
        book = self.households.book(signal.household_id, prices)
        result = propose(book, prices, self.households.as_of, signal.as_of_ns,
                         f"PROP-{signal.household_id}-{self._signals:04d}", self.households.settings)
        self.results.append(result)
        return result.proposal

    # -- after the run -------------------------------------------------------------------------------
    def kill_applied_ns(self) -> int | None:
        """When the agent's copy applied the kill switch (its ``kill_switch_on`` step), if it did."""
        return next((s.at_ns for s in self.steps.steps if s.name == "kill_switch_on"), None)

    def check(self, events: list[OrderEvent]) -> list[InvariantResult]:
        """The agent's two invariants on this run's event log (see ``check_agent_orders``)."""
        return check_agent_orders(events, [s.to_record() for s in self.steps.steps])

    def engine_summary(self) -> dict[str, Any]:
        """What the portfolio engine answered: offered, within bands, withheld (with the findings' codes),
        no feasible or no big-enough trade; and the signals skipped while a plan waited."""
        notes: dict[str, int] = {}
        findings: dict[str, int] = {}
        for r in self.results:
            key = "offered" if r.offered else r.note.split(":")[0].replace(" ", "_").replace(",", "")
            notes[key] = notes.get(key, 0) + 1
            for f in r.findings:
                findings[f.code] = findings.get(f.code, 0) + 1
        offered = [r for r in self.results if r.offered and r.drift_after is not None]
        before = [r.drift_before.max_abs_deviation_bps for r in offered]
        after = [r.drift_after.max_abs_deviation_bps for r in offered]
        return {"asked": len(self.results), "outcomes": dict(sorted(notes.items())),
                "withheld_findings": dict(sorted(findings.items())), "skipped_pending_plan": self.skipped_pending,
                "tradable": list(self.households.tradable), "households": len(self.households.households),
                "harvested_loss": sum(r.harvested_loss for r in self.results if r.offered),
                # each offered proposal's largest |weight - target| before it and after it (as proposed)
                "drift_bps": {"before_mean": float(np.mean(before)) if before else None,
                              "before_max": max(before, default=None),
                              "after_mean": float(np.mean(after)) if after else None,
                              "after_max": max(after, default=None)}}

    def fills(self) -> dict[str, int]:
        """Did the submitted agent blocks fill? Member orders received, filled in full, and refused by
        pre-trade risk (from the event log); blocks all of whose members filled."""
        received: dict[str, str] = {}  # order id -> block ref
        filled: set[str] = set()
        risk_rejected: set[str] = set()
        for e in self.world.log.read():  # an order's receipt is logged before its fill or block
            if e.event_type is EventType.ORDER_RECEIVED and (e.detail("block_ref") or "").startswith(PLAN_PREFIX):
                received[e.order_id] = e.detail("block_ref")
            elif e.order_id in received:
                if e.event_type is EventType.ORDER_FILLED:
                    filled.add(e.order_id)
                elif e.event_type is EventType.ORDER_BLOCKED:
                    risk_rejected.add(e.order_id)
        blocks: dict[str, bool] = {}
        for order_id, ref in received.items():
            blocks[ref] = blocks.get(ref, True) and order_id in filled
        return {"member_orders": len(received), "member_orders_filled": len(filled),
                "member_orders_blocked_by_risk": len(risk_rejected), "blocks": len(blocks),
                "blocks_filled": sum(blocks.values())}

    def summary(self) -> dict[str, Any]:
        agent = self.agent
        answered = [(t.approval.at_ns - t.requested_ns) / NS for t in agent.plans.values() if t.approval is not None]
        kill = self.kill_applied_ns()
        return {
            "funnel": agent.funnel(),
            "signals": self._signals,
            "engine": self.engine_summary(),
            "fills": self.fills(),
            "blocks_submitted": len(self.port.sent),
            "blocks_held_then_dropped": len(self.port.dropped),
            "blocks_still_held": len(self.port.held),
            "notional_submitted": sum(t.plan.notional for t in agent.plans.values() if t.state is PlanState.SUBMITTED),
            "steps": len(self.steps),
            "step_log_head": self.steps.head,
            "step_log_verified": self.steps.verify().ok,
            "median_answer_s": float(np.median(answered)) if answered else None,
            "kill_switch": {"requested_ns": self.kill_requested_ns, "applied_ns": kill,
                            "staleness_ms": None if kill is None or self.kill_requested_ns is None
                            else (kill - self.kill_requested_ns) / 1e6},
        }

    def write(self, out_dir: Path) -> dict[str, Any]:
        """``agent_steps.jsonl`` and ``agent_plans.json`` in ``out_dir``; the summary's ``agent`` section."""
        (Path(out_dir) / "agent_steps.jsonl").write_text(self.steps.to_jsonl(), encoding="utf-8")
        plans = [t.to_record() for t in self.agent.plans.values()]
        (Path(out_dir) / "agent_plans.json").write_text(json.dumps(plans, indent=1, sort_keys=True), encoding="utf-8")
        return self.summary()


def install_advisor_agents(world: TwinWorld) -> AdvisorAgents | None:
    """The scenario's agent day, installed on ``world`` (None without an ``advisors`` section)."""
    cfg = world.scenario.advisors
    if cfg is None:
        return None
    agents = AdvisorAgents(world, cfg)
    agents.install()
    return agents


def check_agent_orders(events: list[OrderEvent], steps: list[dict[str, Any]]) -> list[InvariantResult]:
    """Two invariants over the event log and the agent's step records (``Step.to_record``):

    * ``agent_orders_approved_first``: every order received for an agent block (``block_ref`` with the
      agent's prefix) was submitted (``submitted_ns``) no earlier than an ``approved`` decision naming
      its plan with the plan's hash as assembled, and that decision followed an ``approval_event``;
    * ``agent_none_after_kill_switch``: none was submitted at or after the agent applied its kill switch.
    """
    planned: dict[str, str] = {}  # plan id -> hash as assembled
    approved: dict[str, int] = {}  # plan id -> time of the approved decision for that hash
    heard: set[str] = set()  # plans an approval event was observed for
    kill_ns: int | None = None
    for s in steps:
        detail = dict(s["detail"]) if isinstance(s["detail"], dict) else {k: v for k, v in s["detail"]}
        if s["name"] == "assemble_blocks":
            planned[s["plan_id"]] = detail.get("plan_hash", "")
        elif s["name"] == "approval_event":
            heard.add(s["plan_id"])
        elif s["name"] == "approved" and s["plan_id"] in heard and detail.get("plan_hash") == planned.get(s["plan_id"]):
            approved.setdefault(s["plan_id"], s["at_ns"])
        elif s["name"] == "kill_switch_on" and kill_ns is None:
            kill_ns = s["at_ns"]
    first_bad: tuple[str, str] | None = None
    after_kill: tuple[str, str] | None = None
    for event in events:
        if event.event_type is not EventType.ORDER_RECEIVED:
            continue
        ref = event.detail("block_ref") or ""
        if not ref.startswith(PLAN_PREFIX + "-"):
            continue
        plan_id = ref.rsplit("-B", 1)[0]
        submitted = event.detail("submitted_ns")
        if first_bad is None and (plan_id not in approved or submitted < approved[plan_id]):
            first_bad = (event.event_id, f"order {event.order_id} of block {ref} was submitted without a prior "
                                         f"approval event for plan {plan_id} as planned")
        if after_kill is None and kill_ns is not None and submitted >= kill_ns:
            after_kill = (event.event_id, f"order {event.order_id} of block {ref} was submitted at {submitted}, "
                                          f"after the kill switch ({kill_ns})")
    return [_result("agent_orders_approved_first", first_bad), _result("agent_none_after_kill_switch", after_kill)]


def _result(name: str, bad: tuple[str, str] | None) -> InvariantResult:
    return InvariantResult(name, True) if bad is None else InvariantResult(name, False, bad[1], bad[0])
