"""Money movement in the twin: a scenario's ``money`` flow, sent through the transfer desk in simulated time.

``schedule_money_movement`` (called by ``twin.runner.simulate``) does nothing
for a scenario without a ``money`` section: no stream drawn, nothing
scheduled, the run unchanged. With one, it generates the window's transfers
and labels (``scenarios.money_flow``, from the section's own seeded stream),
builds a ``components.aml.transfer_desk.TransferDesk`` on the same sanctions
list and screener as the risk engine, and submits each transfer to it at its
``ts_ns``. The window starts at the session open and lasts ``money.days``
days; the run goes on until it ends.

Faked for now: an executed transfer does not move the trading ledger's cash
(transfers are outside the order event log and its fingerprint; the desk's
decisions are their record). ``write_money_outputs`` writes
``transfers.parquet`` (every instruction with its decision and screening
evidence) and ``aml_labels.json`` (the typology labels) into the run folder;
docs/aml_money_flow.md documents the columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from components.aml.screening import NameScreener, screener_for
from components.aml.transfer_desk import TransferDecision, TransferDesk
from components.reference.sanctions import default_sanctions_list, sdn_individual_names
from scenarios.money_flow import DAY, MoneyFlow, generate_money_flow

from .recorder import write_parquet
from .world import TwinWorld

SANCTIONED_NAME_POOL = 50
"""Listed individuals the sanctioned-beneficiary attempts draw their names from."""


@dataclass
class MoneyMovement:
    """A run's money flow and the desk that decided it (``TwinWorld.money``)."""

    flow: MoneyFlow
    desk: TransferDesk
    screener: NameScreener
    start_ns: int
    end_ns: int

    @property
    def decisions(self) -> list[TransferDecision]:
        return self.desk.decisions

    def evidence(self) -> dict[str, Any]:
        """What the sanctions invariant reads (``RunEvidence.extra``): the decisions, and a fresh screen of
        a name at the block threshold (the invariant re-screens; it does not trust the desk's record)."""
        screener = self.screener
        return {"transfers": list(self.decisions), "name_blocked": lambda name: screener.screen(name).blocked}

    def summary(self) -> dict[str, Any]:
        """Counts for summary.json."""
        by_status: dict[str, int] = {}
        for d in self.decisions:
            by_status[d.status.value] = by_status.get(d.status.value, 0) + 1
        by_typology: dict[str, int] = {}
        for label in self.flow.labels:
            by_typology[label.typology.value] = by_typology.get(label.typology.value, 0) + 1
        return {"transfers": len(self.flow.transfers), "decided": len(self.decisions),
                "by_status": dict(sorted(by_status.items())), "episodes_by_typology": by_typology,
                "sanctioned_attempts": len(self.flow.sanctioned_attempts),
                "window_start_ns": self.start_ns, "window_end_ns": self.end_ns}


def schedule_money_movement(world: TwinWorld) -> int:
    """Generate and schedule the scenario's money flow; the end of its window (ns), 0 when it has none."""
    cfg = world.scenario.money
    if cfg is None:
        return 0
    start = world.scenario.session.open_ns()
    end = start + cfg.days * DAY
    sanctions = default_sanctions_list()  # the list twin.bootstrap gives the platform (and its risk engine)
    flow = generate_money_flow(cfg, world.population.accounts, world.streams.stream(cfg.stream), start, end,
                               exclude_accounts=world.sanctioned_accounts,
                               sanctioned_names=sdn_individual_names(SANCTIONED_NAME_POOL))  # fmt: skip

    def holder(account_id: str) -> str | None:
        account = world.accounts.get(account_id)
        return None if account is None else account.client_name

    screener = screener_for(sanctions)
    desk = TransferDesk(screener, holder)
    world.money = MoneyMovement(flow, desk, screener, start, end)
    clock = world.clock
    for transfer in flow.transfers:
        clock.call_at(transfer.ts_ns, lambda transfer=transfer: desk.submit(transfer, clock.now_ns()))
    return end


def write_money_outputs(world: TwinWorld, out_dir: Path) -> dict[str, Any] | None:
    """``transfers.parquet`` and ``aml_labels.json`` for a run with money movement; its summary section.
    None (nothing written) without one."""
    money: MoneyMovement | None = world.money
    if money is None:
        return None
    decided = {d.transfer.transfer_id: d.to_record() for d in money.decisions}
    rows = [decided.get(t.transfer_id) or {**t.to_record(), "status": "UNDECIDED", "executed": False}
            for t in money.flow.transfers]  # every transfer is due inside the run: none should be undecided
    write_parquet(pd.DataFrame(rows, columns=list(TRANSFER_COLUMNS)), out_dir / "transfers.parquet")
    (out_dir / "aml_labels.json").write_text(json.dumps(money.flow.labels_record(), indent=1) + "\n")
    return money.summary()


TRANSFER_COLUMNS = ("transfer_id", "ts_ns", "kind", "source", "target", "amount", "device_id", "country",
                    "beneficiary_name", "decision_id", "decided_ns", "status", "executed", "reason",
                    "screen_outcome", "screen_role", "screen_party", "screen_name", "screen_score_bp",
                    "matched_name", "matched_ent_num", "matched_list", "match_rule", "parties_screened")
"""transfers.parquet's columns, in order (docs/aml_money_flow.md)."""
