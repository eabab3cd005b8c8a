"""Trade surveillance: streaming detectors over the order event log, alerts, and analyst cases.

Detectors (each named, versioned, with frozen parameter dataclasses):
spoofing/layering (``spoofing``), wash trades (``wash``), marking the close
(``marking_close``), front-running of client blocks (``front_running``). The
``SurveillanceEngine`` feeds them from one pass over ``OrderEvent`` records;
``CaseBook`` clusters alerts into cases that only an analyst's disposition
closes. Pure: standard library only. See docs/surveillance.md.
"""

from .cases import Case, CaseBook, CaseDisposed, CaseStatus, Disposition, DispositionRequired, UnknownCase
from .engine import THRESHOLD_FIELD, SurveillanceConfig, SurveillanceEngine, threshold_of, with_threshold
from .front_running import FrontRunningParams
from .marking_close import MarkingCloseParams
from .model import AccountRef, Alert, Linkage, Pattern
from .spoofing import SpoofingParams
from .wash import WashParams

__all__ = ["AccountRef", "Alert", "Case", "CaseBook", "CaseDisposed", "CaseStatus", "Disposition",
           "DispositionRequired", "FrontRunningParams", "Linkage", "MarkingCloseParams", "Pattern",
           "SpoofingParams", "SurveillanceConfig", "SurveillanceEngine", "THRESHOLD_FIELD", "UnknownCase",
           "WashParams", "threshold_of", "with_threshold"]
