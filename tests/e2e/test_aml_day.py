"""aml_day: money movement through the transfer desk in a twin run, and AML monitoring of it.

Same seed, same fingerprint and the same transfers, labels and decisions (in a fresh process too);
transfers.parquet and aml_labels.json land in the run folder; every sanctioned party's transfer and
every sanctioned-beneficiary attempt is blocked, and the sanctions invariant catches a desk that lets
one through (a faulty component, not tampered evidence) as well as a routed sanctioned order.
The run monitors its executed transfers (twin.aml_monitoring): aml_alerts.jsonl, aml_cases.json and
aml_decisions.jsonl are the same in a fresh process, recall is >= 0.9 per typology, no SAR is filed
without an approving BSA sign-off, and a run without money imports no scikit-learn, networkx or scipy.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest

from components.aml.transfer_desk import TransferDesk, TransferDecision, TransferStatus
from components.aml.transfers import Transfer, Typology, TypologyLabel
from components.domain.events import EventType
from components.domain.venues import ChildOrder
from components.ledger import FILL_EVENTS
from scenarios.config import load_scenario, parse_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline
from twin.invariants import InvariantViolation, no_sanctioned_party_traded
from twin.money_movement import TRANSFER_COLUMNS
from twin.runner import evidence_of, run_scenario

SCRIPT = (
    "import sys, json, hashlib, pathlib; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]), out_dir=sys.argv[2]);"
    "d = [x.to_record() for x in r.world.money.decisions];"
    "f = {n: hashlib.sha256((pathlib.Path(sys.argv[2]) / n).read_bytes()).hexdigest() for n in sys.argv[3:]};"
    "print(json.dumps([r.fingerprint, hashlib.sha256(json.dumps([d, r.world.money.flow.labels_record()],"
    " sort_keys=True).encode()).hexdigest(), f]))"
)
AML_FILES = ("aml_alerts.jsonl", "aml_cases.json", "aml_decisions.jsonl")


def digest(run) -> str:
    decisions = [d.to_record() for d in run.world.money.decisions]
    return hashlib.sha256(json.dumps([decisions, run.world.money.flow.labels_record()], sort_keys=True)
                          .encode()).hexdigest()


@pytest.fixture(scope="module")
def aml_run(tmp_path_factory):
    return run_scenario(load_scenario(SCENARIOS / "aml_day.yaml"), out_dir=tmp_path_factory.mktemp("aml_day"))


def test_same_seed_same_fingerprint_transfers_labels_decisions_and_aml_files_in_a_fresh_process(aml_run, tmp_path):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / "aml_day.yaml"), str(tmp_path / "again"),
                          *AML_FILES], capture_output=True, text=True, check=True)
    fingerprint, other, files = json.loads(out.stdout.strip().splitlines()[-1])
    assert_baseline("aml_day.yaml", aml_run.fingerprint)
    assert fingerprint == aml_run.fingerprint
    assert other == digest(aml_run)
    assert files == {n: hashlib.sha256((aml_run.out_dir / n).read_bytes()).hexdigest() for n in AML_FILES}


def test_every_transfer_is_decided_at_its_time_and_every_invariant_passes(aml_run):
    money = aml_run.world.money
    assert aml_run.passed and len(money.decisions) == len(money.flow.transfers) > 300
    assert [d.transfer for d in money.decisions] == list(money.flow.transfers)
    assert all(d.decided_ns == d.transfer.ts_ns for d in money.decisions)
    assert {label.typology for label in money.flow.labels} == set(Typology)


def test_sanctioned_holders_and_beneficiaries_are_blocked(aml_run):
    world = aml_run.world
    decisions = {d.transfer.transfer_id: d for d in world.money.decisions}
    attempts = world.money.flow.sanctioned_attempts
    assert attempts and all(decisions[t].status is TransferStatus.BLOCKED for t in attempts)
    assert world.sanctioned_accounts
    of_sanctioned = [d for d in decisions.values()
                     if {d.transfer.source, d.transfer.target} & world.sanctioned_accounts]
    assert of_sanctioned and all(d.status is TransferStatus.BLOCKED for d in of_sanctioned)


def test_the_run_folder_has_transfers_and_labels(aml_run):
    frame = pd.read_parquet(aml_run.out_dir / "transfers.parquet")
    assert tuple(frame.columns) == TRANSFER_COLUMNS and len(frame) == len(aml_run.world.money.flow.transfers)
    assert str(frame["amount"].dtype) == "int64" and str(frame["screen_score_bp"].dtype) == "int64"
    first = Transfer.from_record(frame.iloc[0].to_dict())
    assert first == aml_run.world.money.flow.transfers[0]
    blocked = frame[frame["status"] == "BLOCKED"]
    assert len(blocked) and (blocked["screen_score_bp"] >= 9_000).all() and not blocked["executed"].any()
    assert (blocked["matched_ent_num"] != "").all()
    labels = json.loads((aml_run.out_dir / "aml_labels.json").read_text())
    assert tuple(TypologyLabel.from_record(r) for r in labels["labels"]) == aml_run.world.money.flow.labels
    assert set(labels["sanctioned_attempts"]) <= set(frame["transfer_id"])
    summary = json.loads((aml_run.out_dir / "summary.json").read_text())
    assert summary["money"]["transfers"] == len(frame) and summary["money"]["by_status"]["BLOCKED"] == len(blocked)


def test_the_invariant_rescreens_executed_transfers(aml_run):
    evidence = evidence_of(aml_run.world)
    assert no_sanctioned_party_traded(evidence) is None
    decisions: list[TransferDecision] = evidence.extra["transfers"]
    attempt = next(d for d in decisions if d.transfer.transfer_id in aml_run.world.money.flow.sanctioned_attempts)
    holder = next(d for d in decisions if d.status is TransferStatus.BLOCKED
                  and {d.transfer.source, d.transfer.target} & aml_run.world.sanctioned_accounts)
    for blocked, why in ((attempt, "sanctioned outside party"), (holder, "of sanctioned account")):
        evidence.extra["transfers"] = [*decisions, replace(blocked, status=TransferStatus.EXECUTED)]
        violation = no_sanctioned_party_traded(evidence)
        assert violation is not None and why in violation.problem and blocked.transfer.transfer_id in violation.problem


def test_the_invariant_catches_a_routed_order_of_a_sanctioned_account(aml_run):
    evidence = evidence_of(aml_run.world)
    traded = {e.account_id for e in evidence.events if e.event_type in FILL_EVENTS}
    blocked = next(e for e in evidence.events if e.event_type is EventType.ORDER_BLOCKED
                   and e.account_id not in traded)  # so the fills check does not fire first
    order = evidence.orders[blocked.order_id]
    evidence.sanctioned_accounts = frozenset({order.spec.account_id})
    child = ChildOrder("CH-X", order.order_id, "XNAS", order.spec.symbol, order.spec.side, order.spec.quantity,
                       order.spec.order_type, order.spec.limit_price, order.spec.time_in_force)
    evidence.child_sends.append((len(evidence.events), child))
    violation = no_sanctioned_party_traded(evidence)
    assert violation is not None and "routed to XNAS" in violation.problem


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_run_monitors_its_transfers_and_meets_recall_per_typology(aml_run):
    aml = json.loads((aml_run.out_dir / "summary.json").read_text())["aml"]
    executed = [d for d in aml_run.world.money.decisions if d.executed]
    assert aml["transfers_monitored"] == len(executed) and aml["history_transfers"] > len(executed)
    typologies = aml["evaluation"]["typologies"]
    assert set(typologies) == {t.value for t in Typology}
    for name, t in typologies.items():
        assert t["episodes"] == 3 and t["recall"] >= 0.9, (name, t)
    assert aml["alerts"] > 0 and aml["model"]["version"].startswith("iforest-")
    assert set(aml["pr_curves"]) == set(typologies)
    html = (aml_run.out_dir / "report.html").read_text()
    assert "AML monitoring" in html and 'alt="AML precision-recall"' in html


def test_alerts_and_decisions_carry_model_version_and_features(aml_run):
    alerts = _lines(aml_run.out_dir / "aml_alerts.jsonl")
    decisions = _lines(aml_run.out_dir / "aml_decisions.jsonl")
    aml = json.loads((aml_run.out_dir / "summary.json").read_text())["aml"]
    assert len(alerts) == aml["alerts"] and len(decisions) == aml["decisions"] > len(alerts)
    version = aml["model"]["version"]
    assert all(d["model_version"] == version and d["features"] and d["reason"] for d in decisions)
    alerted = {d["decision_id"] for d in decisions if d["alerted"]}
    assert {a["decision_id"] for a in alerts} == alerted
    assert all(a["case_id"].startswith("AMLC-") and a["contributions"] and a["model_version"] == version
               for a in alerts)


def test_cases_have_evidence_and_narrative_and_no_sar_without_an_approving_signoff(aml_run):
    record = json.loads((aml_run.out_dir / "aml_cases.json").read_text())
    cases, events = record["cases"], record["events"]
    assert cases and all(c["narrative"].startswith(f"Case {c['case_id']}") and c["transfers"] for c in cases)
    assert all(a["contributions"] and a["features"] and a["model_version"] for c in cases for a in c["alerts"])
    filed = [c for c in cases if c["sar"] is not None]
    assert filed and all(c["status"] == "sar_filed" for c in filed)
    position = {e["event_id"]: i for i, e in enumerate(events)}
    for c in filed:
        signoff = c["signoff"]
        assert signoff["approved"] and c["sar"]["signoff_event_id"] == signoff["event_id"]
        assert position[signoff["event_id"]] < position[c["sar"]["event_id"]]
        assert c["sar"]["at_ns"] >= signoff["at_ns"]
    declined = [c for c in cases if c["signoff"] is not None and not c["signoff"]["approved"]]
    assert all(c["sar"] is None and c["status"] == "sar_declined" for c in declined)
    closed = {e["alert_id"] for e in events if e["event_type"] == "AmlAlertClosed"}
    assert closed == {a["alert_id"] for c in cases for a in c["alerts"]}  # every alert disposed


def test_a_run_without_money_imports_no_sklearn_networkx_or_scipy(tmp_path):
    script = ("import sys; from scenarios.config import parse_scenario; from twin.runner import run_scenario;"
              f"run_scenario(parse_scenario({NO_MONEY!r}), out_dir=sys.argv[1]);"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'networkx', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert not (tmp_path / "aml_alerts.jsonl").exists()
    assert "aml" not in json.loads((tmp_path / "summary.json").read_text())


NO_MONEY = """
name: no_money
seed: 3
session: {date: "2026-11-24", open: "09:30", close: "09:45"}
population: {advisors: 3, clients_per_advisor: 10, sanctioned_clients: 1}
order_flow: {orders: 20}
liquidity: {noise_traders: 1}
"""


SMALL = """
name: aml_small
seed: 3
session: {date: "2026-11-24", open: "09:30", close: "09:45"}
population: {advisors: 3, clients_per_advisor: 10, sanctioned_clients: 1}
order_flow: {orders: 20}
liquidity: {noise_traders: 1}
money: {days: 1, sanctioned_beneficiary_attempts: 2, typologies: {fan_in: 1}}
"""


def test_a_desk_that_executes_everything_fails_the_run(monkeypatch):
    """Not tampering with evidence: a faulty component, caught by the checker."""
    submit = TransferDesk.submit

    def execute_all(self, transfer, now_ns):
        decision = submit(self, transfer, now_ns)
        self.decisions[-1] = replace(decision, status=TransferStatus.EXECUTED)
        return self.decisions[-1]

    monkeypatch.setattr(TransferDesk, "submit", execute_all)
    with pytest.raises(InvariantViolation) as caught:
        run_scenario(parse_scenario(SMALL), seed=3)
    assert caught.value.violation.invariant == "no_sanctioned_party_traded"
    assert "transfer TR-" in str(caught.value) and "seed 3" in str(caught.value)


def test_every_file_of_the_run_folder_is_a_run_file(aml_run):
    """``twin.outputs.RUN_FILES`` names what a run writes (a folder run again is cleared by it)."""
    from twin.outputs import RUN_FILES

    assert {p.name for p in aml_run.out_dir.iterdir()} <= set(RUN_FILES)
