"""Settlement at T+N through the in-memory clearing adapter: fails, retries, buy-ins."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from components.blocks import AllocationStatement, Block, BlockFill, allocate
from components.business_days import BusinessCalendar
from components.clearing import (
    CONFLICTING_INSTRUCTION,
    DUPLICATE_INSTRUCTION,
    FAIL_TO_DELIVER,
    FAIL_TO_RECEIVE,
    SETTLEMENT_DATE_MISMATCH,
    ClearingAdapter,
    InMemoryClearing,
    SeededFailModel,
    SettlementInstruction,
    SettlementStatus,
    instruction_for,
)
from components.confirmations import confirm
from components.domain.money import PRICE_SCALE
from components.domain.orders import Side

D = PRICE_SCALE
THANKSGIVING = date(2026, 11, 26)
CAL = BusinessCalendar(frozenset({THANKSGIVING}))
T1 = CAL.settlement_date_fn(1)
WED, FRI, MON, TUE = date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)


def instruction(iid: str = "SI-1", side: Side = Side.SELL, trade: date = WED, settle: date | None = None):
    return SettlementInstruction(iid, f"CONF-{iid}", "A", "AAPL", side, 100, 100 * 190 * D, trade,
                                 settle or T1(trade), "SELF")  # fmt: skip


def clearing(fail_model=None, max_retries: int = 2) -> InMemoryClearing:
    kw = {} if fail_model is None else {"fail_model": fail_model}
    return InMemoryClearing(T1, CAL.next_business_day, max_retries=max_retries, **kw)


def test_calendar_skips_weekends_and_holidays():
    assert T1(WED) == FRI  # Thursday is Thanksgiving
    assert T1(FRI) == MON
    assert CAL.add_business_days(WED, 0) == WED
    assert CAL.settlement_date_fn(2)(WED) == MON
    assert not CAL.is_business_day(THANKSGIVING) and CAL.is_business_day(FRI)
    with pytest.raises(ValueError):
        CAL.add_business_days(WED, -1)


def test_settles_on_the_settlement_date_not_before():
    c: ClearingAdapter = clearing()
    accepted = c.submit(instruction(), now_ns=1)
    assert accepted.status is SettlementStatus.PENDING and accepted.business_day == FRI
    assert c.run_settlement(WED, now_ns=2) == ()
    (settled,) = c.run_settlement(FRI, now_ns=3)
    assert (settled.status, settled.attempt, settled.business_day, settled.recorded_ns) == (
        SettlementStatus.SETTLED, 1, FRI, 3)  # fmt: skip
    assert c.status("SI-1") is SettlementStatus.SETTLED
    assert c.run_settlement(MON, now_ns=4) == ()  # settled once only


def test_a_fail_is_retried_next_business_day_then_settles():
    fails_once = lambda ins, day, attempt: FAIL_TO_DELIVER if attempt == 1 else None  # noqa: E731
    c = clearing(fails_once)
    c.submit(instruction(), 0)
    (failed,) = c.run_settlement(FRI, 1)
    assert failed.status is SettlementStatus.FAILED and failed.reason_code == FAIL_TO_DELIVER
    assert failed.next_attempt == MON
    assert c.run_settlement(date(2026, 11, 28), 2) == ()  # Saturday: not due yet
    (settled,) = c.run_settlement(MON, 3)
    assert settled.status is SettlementStatus.SETTLED and settled.attempt == 2
    assert [o.status for o in c.history("SI-1")] == [SettlementStatus.PENDING, SettlementStatus.FAILED,
                                                     SettlementStatus.SETTLED]  # fmt: skip


def test_retries_exhausted_flags_a_buy_in():
    always = lambda ins, day, attempt: FAIL_TO_DELIVER  # noqa: E731
    c = clearing(always, max_retries=2)
    c.submit(instruction(), 0)
    days = [FRI, MON, TUE]
    outcomes = [c.run_settlement(d, i)[0] for i, d in enumerate(days)]
    assert [o.status for o in outcomes] == [SettlementStatus.FAILED, SettlementStatus.FAILED,
                                            SettlementStatus.BUY_IN_REQUIRED]  # fmt: skip
    last = outcomes[-1]
    assert last.attempt == 3 and last.reason_code == FAIL_TO_DELIVER and last.next_attempt is None
    assert dict(last.params) == {"attempt": 3, "max_retries": 2, "settlement_date": "2026-11-27"}
    assert c.run_settlement(date(2026, 12, 2), 9) == ()  # terminal
    assert c.open_instructions() == ()
    json.dumps(last.to_record())


def test_zero_retries_means_buy_in_on_first_fail():
    c = clearing(lambda ins, day, attempt: FAIL_TO_DELIVER, max_retries=0)
    c.submit(instruction(), 0)
    assert c.run_settlement(FRI, 0)[0].status is SettlementStatus.BUY_IN_REQUIRED


def test_duplicates_conflicts_and_wrong_dates_are_outcomes_not_exceptions():
    c = clearing()
    c.submit(instruction(), 0)
    dup = c.submit(instruction(), 1)
    assert (dup.status, dup.reason_code) == (SettlementStatus.DUPLICATE, DUPLICATE_INSTRUCTION)
    conflict = c.submit(replace(instruction(), quantity=5), 2)
    assert (conflict.status, conflict.reason_code) == (SettlementStatus.REJECTED, CONFLICTING_INSTRUCTION)
    wrong = c.submit(instruction("SI-2", settle=MON), 3)
    assert (wrong.status, wrong.reason_code) == (SettlementStatus.REJECTED, SETTLEMENT_DATE_MISMATCH)
    assert dict(wrong.params) == {"expected": "2026-11-27", "got": "2026-11-30"}
    assert c.status("SI-2") is None and c.open_instructions() == ("SI-1",)


def test_seeded_fail_model_is_deterministic_and_near_its_rate():
    model = SeededFailModel(probability=0.2, seed=42)
    ins = [instruction(f"SI-{i}", side=Side.BUY if i % 2 else Side.SELL) for i in range(2_000)]
    draws = [model(i, FRI, 1) for i in ins]
    assert draws == [SeededFailModel(0.2, 42)(i, FRI, 1) for i in ins]
    assert draws != [SeededFailModel(0.2, 43)(i, FRI, 1) for i in ins]
    rate = sum(d is not None for d in draws) / len(draws)
    assert 0.17 < rate < 0.23  # binomial sd ~0.009
    assert {d for i, d in zip(ins, draws) if d and i.side is Side.SELL} == {FAIL_TO_DELIVER}
    assert {d for i, d in zip(ins, draws) if d and i.side is Side.BUY} == {FAIL_TO_RECEIVE}
    assert SeededFailModel(0.0, 1)(ins[0], FRI, 1) is None and SeededFailModel(1.0, 1)(ins[0], FRI, 1)
    with pytest.raises(ValueError):
        SeededFailModel(1.5, 0)


def test_block_to_settlement_end_to_end():
    block = Block("BLK-7", AllocationStatement("AAPL", Side.BUY, (("A", 100), ("B", 100), ("C", 50)), "ADV1", 0))
    block.add_fill(BlockFill("X1", 120, 190 * D, 5))
    block.add_fill(BlockFill("X2", 81, 190 * D + 3, 6))
    result = allocate(block, "rotational")
    confs = confirm(result, trade_date=WED, settlement_date=T1(WED), created_ns=10)
    c = clearing(SeededFailModel(0.5, seed=7), max_retries=1)
    for conf in confs.client:
        assert c.submit(instruction_for(conf), 11).status is SettlementStatus.PENDING
    day, finals = FRI, {}
    while c.open_instructions():
        for outcome in c.run_settlement(day, 12):
            if outcome.status in (SettlementStatus.SETTLED, SettlementStatus.BUY_IN_REQUIRED):
                finals[outcome.instruction_id] = outcome.status
        day = CAL.next_business_day(day)
    assert set(finals) == {f"{conf.confirmation_id}/SI" for conf in confs.client}
    assert sum(conf.quantity for conf in confs.client) == 201
