"""A crashed OMS restarts from its last snapshot plus replay, reconciled with the venues.

At any message boundary of a recorded smoke run, the OMS rebuilt from the
newest snapshot and the log after it, then reconciled with the venues'
order-status answers, equals the live OMS once that one has also seen the
reports still in flight.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from components.block_desk import BLOCK_ACCOUNT
from components.domain.lifecycle import is_terminal
from components.memory import InMemoryEventLog, SequentialIds
from components.oms import Oms
from components.rebuild.oms import reconcile, recover, snapshot
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.bootstrap import build_twin
from twin.crashes import Recovery
from twin.runner import run_scenario, simulate

SMOKE = load_scenario(SCENARIOS / "smoke.yaml")


def _spec(order):
    # A block parent's advisor is not in the log (the desk enters it): the desk's statement keeps it.
    return replace(order.spec, advisor_id="") if order.spec.account_id == BLOCK_ACCOUNT else order.spec


def _view(oms: Oms) -> dict:
    working = [o for o in oms.orders.values() if not is_terminal(o)]
    return {
        "orders": [(o.order_id, o.status, o.filled_qty, o.filled_notional, o.fees, _spec(o),
                    dict(o.open_children)) for o in oms.orders.values()],  # fmt: skip
        "seq": {k: s.seq for k, s in oms._streams.items()},
        "fills": oms._applied_fills,
        "child_venue": oms.child_venue,
        "refused_by": oms.refused_by,
        "reroutes": oms.reroutes,
        "working": [(o.order_id, o.order_id in oms._cancel_requested, o.order_id in oms._refused_since_routing,
                     oms._market_refusal.get(o.order_id)) for o in working],  # fmt: skip
    }


def _settle(oms: Oms, world) -> Oms:
    """Apply the venues' answers to an order-status request (the OMS dedupes them)."""
    for report in reconcile(oms, world.gateway):
        oms.on_execution(report)
    return oms


def _scratch(world) -> Oms:
    return Oms(world.clock, SequentialIds(), InMemoryEventLog())  # its events go nowhere


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))  # a whole run per example: no shrinking
@given(every=st.integers(20, 400), points=st.lists(st.integers(1, 1_300), min_size=1, max_size=6, unique=True))
def test_a_rebuilt_oms_equals_the_live_one_at_any_message_boundary(every, points):
    world = build_twin(SMOKE, SMOKE.seed)
    recovery = Recovery(world, every=every)
    handled = 0
    checked: list[int] = []
    wanted = set(points)

    def check(handler):
        def handle(message):
            nonlocal handled
            out = handler(message)
            handled += 1
            if handled in wanted:
                live = world.platform.oms
                copy_of_live = recover(_scratch(world), world.log, snapshot(live, len(world.log)))
                latest = recovery.latest.get("oms")
                rebuilt = recover(_scratch(world), world.log, latest)
                assert latest is None or latest.offset <= len(world.log)
                assert _view(_settle(rebuilt, world)) == _view(_settle(copy_of_live, world)), handled
                checked.append(handled)
            return out

        return handle

    for service in world.network.services.values():
        service.wrap_handler(check)  # outside the snapshotter: checks see the snapshot just taken
    simulate(world)
    assert checked == sorted(p for p in points if p <= handled)


CRASH_DAY = "crash_day.yaml"
_FINGERPRINT = (
    "from scenarios.config import load_scenario; from twin.runner import run_scenario; import sys; "
    "r = run_scenario(load_scenario(sys.argv[1])); "
    "print(r.fingerprint, r.passed, r.world.recovery.services[\"oms\"].restarts)"
)


def test_crash_day_oms_restarts_from_snapshot_and_replay_deterministically():
    run = run_scenario(load_scenario(SCENARIOS / CRASH_DAY))
    assert run.passed
    recovery = run.world.recovery
    assert recovery.services["oms"].restarts == 2 and "oms" in recovery.latest and recovery.reconciled > 0
    outs = {subprocess.run([sys.executable, "-c", _FINGERPRINT, str(SCENARIOS / CRASH_DAY)], check=True,
                           capture_output=True, text=True).stdout.split()[0] for _ in range(2)}  # fmt: skip
    assert outs == {run.fingerprint}
