"""The client population (``population``): advisors, clients, their accounts' opening cash."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from components.domain.money import to_units

from .fields import Cash
from .schema import Range


@dataclass(frozen=True, slots=True)
class PopulationConfig:
    """Advisors, their clients and the clients' accounts."""

    advisors: Annotated[int, Range(ge=1, le=10_000)] = 20
    """Number of financial advisors. Default 20."""
    clients_per_advisor: Annotated[int, Range(ge=1, le=10_000)] = 8
    """Clients per advisor. Default 8."""
    cash_min: Cash = to_units("50000")
    """Smallest starting cash balance of an account. Default $50,000."""
    cash_max: Cash = to_units("2000000")
    """Largest starting cash balance (balances are log-uniform in between). Default $2,000,000."""
    sanctioned_clients: Annotated[int, Range(ge=0, le=10_000)] = 1
    """Clients whose names come from the sanctions list (AML must stop them). Default 1."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.cash_max < self.cash_min:
            yield "cash_max", "must be >= cash_min"
        clients = self.advisors * self.clients_per_advisor
        if self.sanctioned_clients > clients:
            yield "sanctioned_clients", f"must be <= the number of clients ({clients})"
