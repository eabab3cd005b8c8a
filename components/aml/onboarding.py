"""Sanctions screening at onboarding: every loaded account's holder, screened once.

``screen_accounts`` is called where a platform loads its accounts (the risk
engine does it when it is built, and again when the list changes), so each
account's result exists before its first order and is what pre-trade risk
reads. Each distinct holder name is screened once. Results are kept in memory
and not written to the event log: onboarding is not an order event, and the
twin's fingerprints are over the order log. Transfers do not exist in the
platform yet (issue 20, a later session); they will screen the same way.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping

from ..reference.accounts import Account
from .screening import NameScreener, ScreeningResult


def screen_accounts(accounts: Iterable[Account], screener: NameScreener) -> Mapping[str, ScreeningResult]:
    """Account id -> the screening result of its holder (``client_name``), in account order. Read-only."""
    by_name: dict[str, ScreeningResult] = {}
    out: dict[str, ScreeningResult] = {}
    for account in accounts:
        result = by_name.get(account.client_name)
        if result is None:
            result = by_name[account.client_name] = screener.screen(account.client_name)
        out[account.account_id] = result
    return MappingProxyType(out)
