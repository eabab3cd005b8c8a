"""Builders for AML monitoring tests: transfers by hand, in hours from a fixed midnight."""

from __future__ import annotations

from itertools import count

from components.aml.transfers import Transfer, TransferKind
from components.domain.money import PRICE_SCALE

T0 = 1_780_012_800 * 1_000_000_000
HOUR = 3_600 * 1_000_000_000
_ids = count(1)


def usd(dollars: float | int) -> int:
    return int(round(dollars * 100)) * (PRICE_SCALE // 100)


def tr(hours: float, source: str, target: str, dollars: float, kind: TransferKind = TransferKind.INTERNAL,
       device: str = "", country: str = "", tid: str | None = None) -> Transfer:
    return Transfer(tid or f"T{next(_ids):07d}", T0 + int(hours * HOUR), kind, source, target, usd(dollars),
                    device, country)
