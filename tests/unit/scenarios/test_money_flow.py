"""The money-flow generator: ordinary flow, each typology's shape, labels, determinism, stream independence."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace

import pytest

from components.aml.transfers import Transfer, TransferKind, Typology
from components.domain.money import PRICE_SCALE
from components.reference.accounts import Account
from scenarios.config_money import MoneyFlowConfig, TypologyCounts
from scenarios.money_flow import DAY, HOUR, MINUTE, MoneyFlow, generate_money_flow

START = 1_795_530_600_000_000_000  # 2026-11-24 09:30 New York
DAYS = 4
END = START + DAYS * DAY
ACCOUNTS = tuple(Account(f"AC-{i:05d}", f"CL-{i // 2 if i < 60 else i - 30:04d}", f"Holder {i}", "ADV-001",
                         cash=100_000 * PRICE_SCALE) for i in range(1, 201))  # fmt: skip
"""200 accounts of 170 clients (the first 30 clients hold two accounts)."""
EVERY = TypologyCounts(**{t.value: 3 for t in Typology})
CONFIG = MoneyFlowConfig(days=DAYS, typologies=EVERY, sanctioned_beneficiary_attempts=3)
NAMES = ("NORIEGA, Manuel Antonio", "CRUZ, Juan M. de la", "HABBASH, George")


def flow_of(config: MoneyFlowConfig = CONFIG, seed: int = 3, **kw) -> MoneyFlow:
    return generate_money_flow(config, ACCOUNTS, seed, START, END, sanctioned_names=kw.pop("names", NAMES), **kw)


@pytest.fixture(scope="module")
def flow() -> MoneyFlow:
    return flow_of()


def episodes(flow: MoneyFlow, typology: Typology) -> list[list[Transfer]]:
    by_id = {t.transfer_id: t for t in flow.transfers}
    out = [[by_id[i] for i in label.transfer_ids] for label in flow.labels if label.typology is typology]
    assert len(out) == 3, typology
    return [sorted(ts, key=lambda t: t.ts_ns) for ts in out]


def firm(party: str) -> bool:
    return party.startswith("AC-")


def test_transfers_are_sorted_numbered_inside_the_window_in_integer_units(flow):
    assert flow.transfers and [t.ts_ns for t in flow.transfers] == sorted(t.ts_ns for t in flow.transfers)
    assert [t.transfer_id for t in flow.transfers] == [f"TR-{n:07d}" for n in range(1, len(flow.transfers) + 1)]
    assert all(START <= t.ts_ns < END and type(t.amount) is int and t.amount > 0 for t in flow.transfers)
    kinds = Counter(t.kind for t in flow.transfers)
    assert all(kinds[k] > 20 for k in TransferKind)


def test_labels_reference_existing_transfers_and_the_accounts_they_use(flow):
    by_id = {t.transfer_id: t for t in flow.transfers}
    assert Counter(label.typology for label in flow.labels) == {t: 3 for t in Typology}
    assert len({label.episode_id for label in flow.labels}) == len(flow.labels)
    for label in flow.labels:
        transfers = [by_id[i] for i in label.transfer_ids]  # KeyError if a label names a missing transfer
        assert label.start_ns == min(t.ts_ns for t in transfers) and label.end_ns == max(t.ts_ns for t in transfers)
        used = {p for t in transfers for p in (t.source, t.target) if firm(p)}
        assert set(label.accounts) <= used, label
    assert all(by_id[i].kind is TransferKind.EXTERNAL for i in flow.sanctioned_attempts)
    assert len(flow.sanctioned_attempts) == 3


def test_same_seed_same_flow_other_seed_other_flow(flow):
    assert flow_of() == flow
    assert flow_of(seed=4).transfers != flow.transfers


def test_fan_in_has_at_least_width_sources_into_one_account_within_a_day(flow):
    for ep in episodes(flow, Typology.FAN_IN):
        (collector,) = {t.target for t in ep}
        assert len({t.source for t in ep}) >= CONFIG.fan_width and firm(collector)
        assert ep[-1].ts_ns - ep[0].ts_ns <= 25 * HOUR


def test_fan_out_pays_at_least_width_targets_from_one_account(flow):
    for ep in episodes(flow, Typology.FAN_OUT):
        funding, *fan = ep
        assert funding.kind is TransferKind.DEPOSIT
        (source,) = {t.source for t in fan}
        assert funding.target == source and len({t.target for t in fan}) >= CONFIG.fan_width
        assert sum(t.amount for t in fan) <= funding.amount
        assert fan[-1].ts_ns - fan[0].ts_ns <= 25 * HOUR


def test_a_cycle_is_a_ring_of_internal_transfers_back_to_its_start(flow):
    for ep in episodes(flow, Typology.CYCLE):
        assert all(t.kind is TransferKind.INTERNAL for t in ep) and len(ep) >= 3
        assert [t.target for t in ep[:-1]] == [t.source for t in ep[1:]] and ep[-1].target == ep[0].source
        assert [t.amount for t in ep] == sorted((t.amount for t in ep), reverse=True)  # a cut kept at each hop


def test_scatter_gather_goes_through_mules_to_one_final_account(flow):
    for ep in episodes(flow, Typology.SCATTER_GATHER):
        (source,) = {t.source for t in ep} - {t.target for t in ep}
        (final,) = {t.target for t in ep} - {t.source for t in ep}
        mules = {t.target for t in ep if t.source == source}
        assert len(mules) >= CONFIG.fan_width and {t.source for t in ep if t.target == final} == mules


def test_gather_scatter_fills_a_hub_that_then_pays_many(flow):
    for ep in episodes(flow, Typology.GATHER_SCATTER):
        (hub,) = [p for p, n in Counter(p for t in ep for p in (t.source, t.target)).items() if n == len(ep)]
        ins = [t for t in ep if t.target == hub]
        outs = [t for t in ep if t.source == hub]
        assert len(ins) >= CONFIG.fan_width and len(outs) >= CONFIG.fan_width
        assert max(t.ts_ns for t in ins) < min(t.ts_ns for t in outs)
        assert sum(t.amount for t in outs) <= sum(t.amount for t in ins)


def test_velocity_passes_each_deposit_down_the_chain_minutes_per_hop(flow):
    for ep in episodes(flow, Typology.VELOCITY):
        rounds = [i for i, t in enumerate(ep) if t.kind is TransferKind.DEPOSIT]
        assert len(rounds) >= 2
        for a, b in zip(rounds, [*rounds[1:], len(ep)]):
            hops = ep[a:b]
            assert all(0 < y.ts_ns - x.ts_ns <= 20 * MINUTE for x, y in zip(hops, hops[1:]))
            assert [t.target for t in hops[:-1]] == [t.source for t in hops[1:]]
            assert hops[-1].kind is TransferKind.EXTERNAL and hops[-1].amount <= hops[0].amount


def test_structuring_stays_below_the_threshold_but_adds_up_over_it_across_hours(flow):
    for ep in episodes(flow, Typology.STRUCTURING):
        assert all(t.kind is TransferKind.DEPOSIT and t.amount < CONFIG.ctr_threshold for t in ep)
        assert all(t.amount >= CONFIG.ctr_threshold * 0.8 for t in ep) and len(ep) >= 4
        assert sum(t.amount for t in ep) > 3 * CONFIG.ctr_threshold
        assert ep[-1].ts_ns - ep[0].ts_ns > 6 * HOUR


def test_shared_beneficiary_is_paid_by_unrelated_accounts(flow):
    client_of = {a.account_id: a.client_id for a in ACCOUNTS}
    for ep in episodes(flow, Typology.SHARED_BENEFICIARY):
        assert len({t.target for t in ep}) == 1 and len({t.beneficiary_name for t in ep}) == 1
        payers = {t.source for t in ep}
        assert len(payers) >= 3 and len({client_of[p] for p in payers}) == len(payers)


def test_geo_device_shift_comes_from_a_new_country_and_device(flow):
    for ep in episodes(flow, Typology.GEO_DEVICE_SHIFT):
        (account,) = {t.source for t in ep}
        (device,) = {t.device_id for t in ep}
        (country,) = {t.country for t in ep}
        before = [t for t in flow.transfers if t.ts_ns < ep[0].ts_ns and account in (t.source, t.target)
                  and t.device_id]
        assert device not in {t.device_id for t in flow.transfers if t not in ep}
        assert country not in {t.country for t in before}
        instructed = [t for t in before if t.source == account or t.kind is TransferKind.DEPOSIT]
        assert len(instructed) >= 3  # an established account: its own instructions before the shift


def test_ordinary_clients_also_do_big_round_near_threshold_and_new_device_transfers(flow):
    """What keeps the typologies from being separable on one feature."""
    labelled = {i for label in flow.labels for i in label.transfer_ids} | set(flow.sanctioned_attempts)
    ordinary = [t for t in flow.transfers if t.transfer_id not in labelled]
    assert sum(t.amount >= 10_000 * PRICE_SCALE for t in ordinary) >= 5
    assert sum(t.amount % (100 * PRICE_SCALE) == 0 for t in ordinary) > len(ordinary) // 5
    assert any(t.kind is TransferKind.DEPOSIT and 0.8 * CONFIG.ctr_threshold <= t.amount < CONFIG.ctr_threshold
               and t.source.startswith("BR-") for t in ordinary)
    devices = defaultdict(Counter)
    for t in ordinary:
        if t.device_id:
            devices[t.source if firm(t.source) else t.target][t.device_id] += 1
    assert any(len(d) > 2 for d in devices.values())  # one or two usual devices, and a new one sometimes
    assert {t.country for t in ordinary} - {"US", ""}
    senders = defaultdict(set)  # an ordinary fan-in (rents) and fan-out (contractors) of fan_width or more
    payees = defaultdict(set)
    for t in ordinary:
        if t.kind is TransferKind.DEPOSIT and t.source.startswith("EXT-"):
            senders[t.target].add(t.source)
        if t.kind is TransferKind.EXTERNAL:
            payees[t.source].add(t.target)
    assert max(map(len, senders.values())) >= CONFIG.fan_width and max(map(len, payees.values())) >= CONFIG.fan_width
    payees = Counter((t.target, t.source) for t in ordinary if t.kind is TransferKind.WITHDRAWAL)
    assert max(Counter(target for target, _ in payees).values()) >= 5  # a biller many clients pay


def test_adding_a_typology_leaves_the_ordinary_flow_and_other_typologies_alone():
    def key(t: Transfer):
        return (t.ts_ns, t.kind, t.source, t.target, t.amount, t.device_id, t.country, t.beneficiary_name)

    base = flow_of(replace(CONFIG, typologies=TypologyCounts(cycle=2, shared_beneficiary=2, geo_device_shift=2)))
    more = flow_of(replace(CONFIG, typologies=TypologyCounts(cycle=2, shared_beneficiary=2, geo_device_shift=2,
                                                             fan_in=2, structuring=1)))
    added = {i for label in more.labels if label.typology in (Typology.FAN_IN, Typology.STRUCTURING)
             for i in label.transfer_ids}
    assert added and {key(t) for t in base.transfers} == {key(t) for t in more.transfers
                                                         if t.transfer_id not in added}


def test_bad_inputs_fail_naming_the_problem():
    with pytest.raises(ValueError, match="sanctioned names"):
        flow_of(names=())
    with pytest.raises(ValueError, match="window is empty"):
        generate_money_flow(CONFIG, ACCOUNTS, 1, END, START)
    with pytest.raises(ValueError, match="too few accounts"):
        generate_money_flow(replace(CONFIG, sanctioned_beneficiary_attempts=0), ACCOUNTS[:6], 1, START, END)
    assert generate_money_flow(CONFIG, (), 1, START, END, sanctioned_names=NAMES) == MoneyFlow()


def test_excluded_accounts_never_act_in_a_typology(flow):
    excluded = {a.account_id for a in ACCOUNTS[:100]}
    flow = flow_of(exclude_accounts=excluded)
    assert flow.labels and not excluded & {a for label in flow.labels for a in label.accounts}
