"""Money movement: the transfer record that monitoring, screening and the twin's flows share.

A :class:`Transfer` is one movement of cash: a deposit into a client account,
a withdrawal out of one, an internal transfer between two of the firm's
accounts, or an external transfer to or from a beneficiary outside the firm.
Amounts are integer units (``components.domain.money``: 1 dollar = 10,000
units), never floats. Timestamps are nanoseconds since the epoch (the twin's
clock or the wall clock, the same field either way).

A :class:`TypologyLabel` marks the transfers a bad actor made to enact one
laundering typology: the ground truth monitoring is scored against. Both are
plain frozen records with a flat ``to_record`` / ``from_record`` so they go
through CSV, JSON and parquet unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping


class TransferKind(str, Enum):
    """Which way the money moves relative to the firm."""

    DEPOSIT = "DEPOSIT"
    """From an outside party (``counterparty``) into ``account_id``."""
    WITHDRAWAL = "WITHDRAWAL"
    """From ``account_id`` to an outside party (``counterparty``), e.g. cash out, a cheque."""
    INTERNAL = "INTERNAL"
    """From ``account_id`` to another account of the firm (``counterparty`` is that account id)."""
    EXTERNAL = "EXTERNAL"
    """From ``account_id`` to a named beneficiary at another institution (``counterparty``)."""


class Typology(str, Enum):
    """The laundering typologies bad actors enact (issue 20's list)."""

    FAN_IN = "fan_in"
    FAN_OUT = "fan_out"
    CYCLE = "cycle"
    SCATTER_GATHER = "scatter_gather"
    GATHER_SCATTER = "gather_scatter"
    VELOCITY = "velocity"
    STRUCTURING = "structuring"
    SHARED_BENEFICIARY = "shared_beneficiary"
    GEO_DEVICE_SHIFT = "geo_device_shift"


@dataclass(frozen=True, slots=True)
class Transfer:
    """One movement of cash, as the platform records it.

    ``source`` and ``target`` are the two ends as party ids: an account id of
    the firm, or an outside party id (a beneficiary or a depositor, e.g.
    ``"EXT-000123"``). For a DEPOSIT the target is the firm's account; for a
    WITHDRAWAL or EXTERNAL transfer the source is; for INTERNAL both are.
    ``beneficiary_name`` is the outside party's name as given (screened
    against the sanctions list); empty for INTERNAL. ``device_id`` and
    ``country`` (ISO 3166 alpha-2) say where the instruction came from.
    """

    transfer_id: str
    ts_ns: int
    kind: TransferKind
    source: str
    target: str
    amount: int
    device_id: str = ""
    country: str = ""
    beneficiary_name: str = ""

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise TypeError(f"Transfer.amount must be int units, not {type(self.amount).__name__}")
        if self.amount <= 0:
            raise ValueError(f"Transfer.amount must be > 0 units, got {self.amount}")
        if type(self.ts_ns) is not int:
            raise TypeError(f"Transfer.ts_ns must be int nanoseconds, not {type(self.ts_ns).__name__}")
        if not self.transfer_id:
            raise ValueError("Transfer.transfer_id must not be empty")
        if not self.source or not self.target:
            raise ValueError(f"Transfer {self.transfer_id}: source and target must not be empty")
        if self.source == self.target:
            raise ValueError(f"Transfer {self.transfer_id}: source and target are the same party {self.source!r}")

    def to_record(self) -> dict[str, Any]:
        """Flat dict of plain values (kind as its string)."""
        return {"transfer_id": self.transfer_id, "ts_ns": self.ts_ns, "kind": self.kind.value,
                "source": self.source, "target": self.target, "amount": self.amount,
                "device_id": self.device_id, "country": self.country,
                "beneficiary_name": self.beneficiary_name}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "Transfer":
        """The inverse of :meth:`to_record`."""
        return cls(transfer_id=str(record["transfer_id"]), ts_ns=int(record["ts_ns"]),
                   kind=TransferKind(record["kind"]), source=str(record["source"]),
                   target=str(record["target"]), amount=int(record["amount"]),
                   device_id=str(record.get("device_id", "")), country=str(record.get("country", "")),
                   beneficiary_name=str(record.get("beneficiary_name", "")))


@dataclass(frozen=True, slots=True)
class TypologyLabel:
    """Ground truth: one enacted laundering episode and the transfers that make it up."""

    episode_id: str
    typology: Typology
    accounts: tuple[str, ...]
    """The firm's accounts the bad actor used (the ones monitoring should flag)."""
    transfer_ids: tuple[str, ...]
    start_ns: int
    end_ns: int

    def to_record(self) -> dict[str, Any]:
        return {"episode_id": self.episode_id, "typology": self.typology.value,
                "accounts": list(self.accounts), "transfer_ids": list(self.transfer_ids),
                "start_ns": self.start_ns, "end_ns": self.end_ns}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "TypologyLabel":
        return cls(episode_id=str(record["episode_id"]), typology=Typology(record["typology"]),
                   accounts=tuple(record["accounts"]), transfer_ids=tuple(record["transfer_ids"]),
                   start_ns=int(record["start_ns"]), end_ns=int(record["end_ns"]))
