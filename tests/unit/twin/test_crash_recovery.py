"""Every crashable component restarts from its last snapshot plus replay of the log.

* At random message boundaries of a run with blocks and settlement fails, each
  component (risk, order entry, block desk, post-trade) rebuilt from its newest
  snapshot and the events after it dumps exactly as the live one did; the run
  then goes on with the rebuilt state and still passes every invariant.
* crash_day crashes every hosted service mid-day: all invariants hold, nothing
  is filled, allocated or confirmed twice, and no rebuild diverged.
* The gap is closed: a risk engine that lost its memory still blocks an order
  over the account's daily limit once it has restarted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from components.domain.commands import CheckRisk, SubmitOrder, ValidateOrder
from components.domain.events import EventType
from components.domain.money import PRICE_SCALE
from components.block_desk import BLOCK_FORMED, BlockDesk
from components.rebuild import recover
from components.rebuild.desk import DeskPart
from components.rebuild.desk import dump as desk_dump
from components.risk.policies import DAILY_NOTIONAL_EXCEEDED
from components.rebuild.risk import RiskPart
from scenarios.config import Scenario, load_scenario
from scenarios.config_faults import Crashes
from components.config.schema import ScenarioError
from tests.conftest import SCENARIOS
from twin.bootstrap import build_twin
from twin.crashes import HOSTED, Recovery
from twin.runner import run_scenario, simulate

CRASH_DAY = load_scenario(SCENARIOS / "crash_day.yaml")
# Same day (blocks, settlement fails), nothing crashes: the property test rebuilds by hand.
QUIET_DAY = replace(CRASH_DAY, crashes=Crashes(), order_flow=replace(CRASH_DAY.order_flow, orders=120))
REBUILT = ("risk", "entry", "desk", "post_trade")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))  # a whole run per example: no shrinking
@given(every=st.integers(5, 400), points=st.lists(st.integers(1, 1_500), min_size=1, max_size=8, unique=True),
       which=st.lists(st.sampled_from(REBUILT), min_size=1, max_size=4, unique=True))
def test_each_component_rebuilt_at_any_message_boundary_equals_the_live_one(every, points, which):
    world = build_twin(QUIET_DAY, QUIET_DAY.seed)
    recovery = world.recovery = Recovery(world, every=every)
    handled = 0
    checked: list[int] = []
    wanted = set(points)

    def check(handler):
        def handle(message):
            nonlocal handled
            out = handler(message)
            handled += 1
            if handled in wanted:
                for name in which:
                    part = recovery.parts[name]
                    live = part.dump()
                    latest = recovery.latest.get(name)
                    assert latest is None or latest.offset <= len(world.log)
                    recover(part, world.log, latest)  # the live component loses its memory, as in a crash
                    assert part.dump() == live, (name, handled)
                checked.append(handled)
            return out

        return handle

    for service in world.network.services.values():
        service.wrap_handler(check)  # outside the snapshotter: checks see the snapshot just taken
    simulate(world)
    assert checked == sorted(p for p in points if p <= handled)
    assert handled > 500 and world.platform.desk.state.results  # blocks were formed and allocated


def test_the_log_alone_re_forms_every_block_with_its_statement_policy_and_allocation():
    world = build_twin(QUIET_DAY, QUIET_DAY.seed)
    simulate(world)
    live = world.platform.desk
    assert live.state.blocks and not live.state.pending  # blocks formed; none left waiting at the close
    rebuilt = BlockDesk()
    recover(DeskPart(rebuilt, lambda o: world.platform.oms.orders[o].status), world.log)  # the whole log
    assert desk_dump(rebuilt) == desk_dump(live)
    formed = [d for e in world.log.read() for d in e.policy_decisions if d.policy == BLOCK_FORMED]
    assert len(formed) == len(live.state.blocks)
    assert {dict(d.params)["policy"] for d in formed} <= {"pro_rata", "rotational"}


def _counts(log, kind, key):
    return Counter(key(e) for e in log.read() if e.event_type is kind)


def test_crash_day_crashes_every_service_and_duplicates_nothing():
    run = run_scenario(CRASH_DAY)
    assert run.passed, run
    world, recovery = run.world, run.world.recovery
    assert world.recovery is recovery and recovery.every == 500
    for name, service in world.network.services.items():
        stats = recovery.services[name]
        assert service.crashes >= 1 and stats.restarts == service.crashes, name
        assert stats.divergences == [], name
        if HOSTED[name]:
            assert stats.replayed > 0, name  # memory really was rebuilt from the log
    assert set(HOSTED) == set(world.network.services)
    log = world.log
    fills = Counter()
    for e in log.read():
        if e.event_type in (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED):
            fills[(e.order_id, e.details["venue"], e.details["exec_id"])] += 1
    assert fills and max(fills.values()) == 1  # no venue execution applied twice
    for kind in (EventType.ORDER_ALLOCATED, EventType.ORDER_CONFIRMED, EventType.ORDER_RECEIVED):
        per_order = _counts(log, kind, lambda e: e.order_id)
        assert per_order and max(per_order.values()) == 1, kind
    # one order per (account, client order id): a redelivered submission never opens a second
    received = _counts(log, EventType.ORDER_RECEIVED, lambda e: (e.account_id, e.details["client_order_id"]))
    assert max(received.values()) == 1
    # every block allocation's fills are each applied once
    for e in log.read():
        if e.event_type is EventType.ORDER_ALLOCATED and "fills" in e.details:
            ids = [f["exec_id"] for f in e.details["fills"]]
            assert len(ids) == len(set(ids))
    assert any("fills" in e.details for e in log.read() if e.event_type is EventType.ORDER_ALLOCATED)


def test_crashes_section_takes_the_snapshot_interval_and_rejects_unknown_keys(tmp_path):
    base = (SCENARIOS / "crash_day.yaml").read_text()
    assert load_scenario(SCENARIOS / "crash_day.yaml").crashes.snapshot_every == 500
    assert Crashes().snapshot_every == 500 and Scenario.__dataclass_fields__["crashes"].default_factory().plan == ()
    path = tmp_path / "x.yaml"
    path.write_text(base.replace("snapshot_every: 500", "snapshot_every: 40"))
    assert load_scenario(path).crashes.snapshot_every == 40
    path.write_text(base.replace("snapshot_every: 500", "snapshot_evry: 40"))
    with pytest.raises(ScenarioError, match=r"crashes\.snapshot_evry"):
        load_scenario(path)
    path.write_text(base.replace("snapshot_every: 500", "snapshot_every: 0"))
    with pytest.raises(ScenarioError, match=r"crashes\.snapshot_every"):
        load_scenario(path)


def _submit(platform, account, advisor, coid, qty, price, now):
    body = {"account_id": account, "symbol": "AAPL", "side": "BUY", "quantity": qty, "order_type": "LIMIT",
            "limit_price": f"{price / PRICE_SCALE:.2f}", "time_in_force": "DAY", "advisor_id": advisor,
            "client_order_id": coid}  # fmt: skip
    (validate,) = platform.handle(SubmitOrder(body, now)).follow_ups
    assert isinstance(validate, ValidateOrder)
    (check,) = platform.handle(validate).follow_ups
    assert isinstance(check, CheckRisk)
    platform.handle(check)
    return platform.oms.get(check.order_id)


def test_a_restarted_risk_engine_still_blocks_an_order_over_the_daily_limit():
    limit = 100_000 * PRICE_SCALE
    scenario = replace(QUIET_DAY, risk=replace(QUIET_DAY.risk, max_daily_notional_per_account=limit,
                                               concentration_max_bps=10_000))  # fmt: skip
    world = build_twin(scenario, scenario.seed)
    recovery = world.recovery = Recovery(world, every=10_000)
    platform, risk = world.platform, world.platform.risk
    account = max(world.population.accounts, key=lambda a: a.cash)
    assert account.cash > limit
    price = world.market_data.reference_price("AAPL")
    qty = (limit * 4 // 10) // price  # each order takes 40% of the day's limit
    now = world.clock.now_ns()
    first = _submit(platform, account.account_id, account.advisor_id, "c-1", qty, price, now)
    recovery.snapshot_all()  # the snapshot holds the first approval; the second is only in the log
    second = _submit(platform, account.account_id, account.advisor_id, "c-2", qty + 1, price, now + 1)
    assert first.status.value == second.status.value == "RISK_APPROVED"
    approved = risk.day_notional(account.account_id)
    reserved = risk.reserved(account.account_id)
    assert approved == (2 * qty + 1) * price

    RiskPart(risk).reset(None)  # the process dies: its memory is gone...
    assert risk.day_notional(account.account_id) == 0 and not risk.is_open(first.order_id)
    recovery.restart("risk")  # ...and the restart rebuilds it from the snapshot plus the log
    assert recovery.services["risk"].replayed > 0
    assert risk.day_notional(account.account_id) == approved and risk.reserved(account.account_id) == reserved
    assert risk.is_open(first.order_id) and risk.is_open(second.order_id)

    third = _submit(platform, account.account_id, account.advisor_id, "c-3", qty + 2, price, now + 2)
    assert third.status.value == "BLOCKED"
    blocked = [e for e in world.log.read() if e.order_id == third.order_id][-1]
    assert blocked.details["reason"] == DAILY_NOTIONAL_EXCEEDED


def test_a_risk_engine_without_its_rebuild_would_approve_it():
    """The control for the test above: memory lost and not rebuilt, the same order passes."""
    limit = 100_000 * PRICE_SCALE
    scenario = replace(QUIET_DAY, risk=replace(QUIET_DAY.risk, max_daily_notional_per_account=limit,
                                               concentration_max_bps=10_000))  # fmt: skip
    world = build_twin(scenario, scenario.seed)
    platform, risk = world.platform, world.platform.risk
    account = max(world.population.accounts, key=lambda a: a.cash)
    price = world.market_data.reference_price("AAPL")
    qty = (limit * 4 // 10) // price
    now = world.clock.now_ns()
    _submit(platform, account.account_id, account.advisor_id, "c-1", qty, price, now)
    _submit(platform, account.account_id, account.advisor_id, "c-2", qty + 1, price, now + 1)
    RiskPart(risk).reset(None)
    third = _submit(platform, account.account_id, account.advisor_id, "c-3", qty + 2, price, now + 2)
    assert third.status.value == "RISK_APPROVED"
