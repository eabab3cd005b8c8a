"""Headline figures of a benchmark, collected for ``make bench`` (``run_all.py``).

A benchmark script calls ``record`` once per headline figure, after it prints it::

    from loadtests.benchmarks import figures
    figures.record("appends_per_s", rate, "events/s", "higher")

``record`` appends one JSON line to the file named by the ``BENCH_FIGURES``
environment variable and does nothing when it is unset, so a benchmark run by
hand behaves exactly as before. ``run_all.py`` sets the variable for each
benchmark it starts and gathers the lines with ``read``. Lines, not one JSON
document, so a figure recorded before a crash is still kept and appending needs
no read-modify-write.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

ENV = "BENCH_FIGURES"
BETTER = ("lower", "higher")


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: ``better`` says which direction is an improvement."""

    name: str
    value: float
    unit: str
    better: str

    def as_json(self) -> dict:
        return {"value": self.value, "unit": self.unit, "better": self.better}


def figure(name: str, value: float, unit: str, better: str) -> Figure:
    """A checked ``Figure``: a one-line ``ValueError`` naming the field on bad input."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"figure name: must be a non-empty string, got {name!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"figure {name!r} value: must be a finite number, got {value!r}")
    if not isinstance(unit, str):
        raise ValueError(f"figure {name!r} unit: must be a string, got {unit!r}")
    if better not in BETTER:
        raise ValueError(f"figure {name!r} better: must be 'lower' or 'higher', got {better!r}")
    return Figure(name, float(value), unit, better)


def record(name: str, value: float, unit: str, better: str) -> None:
    """Append one figure to the ``BENCH_FIGURES`` file (no-op when the variable is unset).

    The arguments are checked either way, so a bad call fails in a hand run too."""
    checked = figure(name, value, unit, better)
    path = os.environ.get(ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({"name": checked.name, **checked.as_json()}) + "\n")


def read(path: str | os.PathLike) -> dict[str, dict]:
    """The figures recorded in ``path`` as ``{name: {value, unit, better}}`` (a later
    record of a name wins); an empty dict if the file does not exist."""
    path = Path(path)
    if not path.exists():
        return {}
    found: dict[str, dict] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            checked = figure(raw["name"], raw["value"], raw["unit"], raw["better"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a figure record ({exc})") from None
        found[checked.name] = checked.as_json()
    return found
