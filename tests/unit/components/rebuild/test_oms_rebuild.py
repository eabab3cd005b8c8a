"""The OMS order table rebuilt from the event log equals the live one (end of a run)."""

from __future__ import annotations

import pytest

from components.memory import SequentialIds
from components.oms import Oms
from components.rebuild.oms import rebuild
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.runner import run_scenario


def _view(order):
    return (order.order_id, order.trace_id, order.status, order.filled_qty, order.filled_notional, order.fees,
            order.spec.account_id, order.spec.quantity, order.spec.client_order_id, dict(order.open_children))


@pytest.mark.parametrize("scenario", ["smoke.yaml", "blocks_day.yaml"])
def test_rebuilt_order_table_matches_the_live_one(scenario):
    run = run_scenario(load_scenario(SCENARIOS / scenario), seed=3)
    live = run.world.platform.oms
    events = list(run.world.log.read())
    rebuilt = rebuild(Oms(run.world.clock, SequentialIds(), run.world.log), events)
    assert [_view(o) for o in rebuilt.orders.values()] == [_view(o) for o in live.orders.values()]
    assert rebuilt._applied_fills == live._applied_fills
    assert {k: s.seq for k, s in rebuilt._streams.items()} == {k: s.seq for k, s in live._streams.items()}
    # advisors come back from the entry actor; block parents are entered by the desk
    for order in rebuilt.orders.values():
        if order.spec.advisor_id:
            assert order.spec.advisor_id == live.orders[order.order_id].spec.advisor_id
