"""Builders for governance tests: registered versions with small byte artefacts, shadow verdicts.

Test modules here are not a package, so they get these through fixtures. Everything goes
through the public API with the in-memory ModelStore.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from components.governance.fairness import FairnessCheck
from components.governance.registry import ModelCard, ModelRegistry, ModelVersion, TrainingScope
from components.governance.shadow import ShadowCriteria, ShadowRun
from components.governance.store import InMemoryModelStore, content_hash

DAY = 86_400 * 1_000_000_000
T0 = 20_454 * DAY


def fair(value: float = 0.02) -> FairnessCheck:
    return FairnessCheck("demographic_parity_difference", "group", value, 0.1, (("A", 0.3), ("B", 0.3 + value)))


def make_version(name: str, version: str, artefact: bytes, at: int = T0, declared: str | None = None) -> ModelVersion:
    return ModelVersion(name, version, at, TrainingScope("test rows", 100, at - DAY, at), ("x",),
                        (("family", "test"),), (("roc_auc", 0.8),),
                        content_hash(artefact) if declared is None else declared)


def card(fairness: tuple[FairnessCheck, ...] = (fair(),)) -> ModelCard:
    return ModelCard("test objective", "tests only", ("synthetic",), fairness)


@dataclass
class Gov:
    """A registry with helpers to walk versions through their stages."""

    store: InMemoryModelStore
    registry: ModelRegistry

    def register(self, version: str, name: str = "churn", fairness: tuple[FairnessCheck, ...] = (fair(),),
                 at: int = T0) -> None:
        blob = f"{name}-{version}".encode()
        self.registry.register(make_version(name, version, blob, at), blob, card(fairness), "trainer")

    def shadow(self, version: str, passed: bool = True, name: str = "churn", at: int = T0) -> None:
        """Register (if needed), enter shadow and record a verdict that passes or fails."""
        if version not in self.registry.versions(name):
            self.register(version, name)
        self.registry.start_shadow(name, version, at, "trainer", "shadow period")
        production = self.registry.production(name)
        run = ShadowRun(name, version, production, ShadowCriteria(min_days=1, min_samples=4, metric_floor=0.5),
                        lambda s: np.asarray(s) >= 0.5, lambda y, s: float(np.mean((np.asarray(s) >= 0.5) == y)))
        y = np.array([True, False, True, False])
        good = np.array([0.9, 0.1, 0.8, 0.2])
        run.observe(at, good if passed else 1 - good, y, None if production is None else good)
        self.registry.record_verdict(run.verdict(at))

    def to_production(self, version: str, name: str = "churn", at: int = T0) -> None:
        self.shadow(version, True, name, at)
        self.registry.promote(name, version, at, "board", "shadow passed")


@pytest.fixture
def gov() -> Gov:
    store = InMemoryModelStore()
    return Gov(store, ModelRegistry(store))


@pytest.fixture
def make_gov() -> Callable[[], Gov]:
    def build() -> Gov:
        store = InMemoryModelStore()
        return Gov(store, ModelRegistry(store))
    return build


@pytest.fixture
def kit():
    """The builders above (test modules cannot import conftest under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(T0=T0, DAY=DAY, card=card, fair=fair, make_version=make_version)
