"""Test helpers for venues_sim: repo root on sys.path, small builders."""

from __future__ import annotations

import sys
from pathlib import Path

# Tests run as rootdir-relative modules without packages; make the project
# importable however pytest is invoked (``pytest`` or ``python -m pytest``).
_ROOT = Path(__file__).resolve().parents[3]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
