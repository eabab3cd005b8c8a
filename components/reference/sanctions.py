"""Sanctions screening: name normalization, a screening list, the OFAC SDN loader.

Screening here is exact matching of *normalized* names: case, accents,
punctuation, spacing and token order are ignored, so ``"SMITH, John"`` and
``"john  smith"`` match. It does not do fuzzy matching; a production screen
would add that (and a human review queue) on top.

The packaged list (``data/sanctions/``, see its ``PROVENANCE.md``) is an old,
incomplete 2019 OFAC SDN snapshot, for tests and demos only.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from os import PathLike
from typing import Iterable, Iterator

OFAC_EMPTY = "-0-"
"""OFAC's legacy CSV marker for an empty field."""

_PACKAGE = "components.reference"

# Apostrophes join ("O'Brien" == "OBRIEN"); every other non-alphanumeric
# character separates tokens ("AL-QAIDA" == "AL QAIDA").
_JOINERS = frozenset("'\u2019`\u00b4")


def normalize_name(name: str) -> str:
    """Canonical form of a person or entity name for matching.

    Uppercase, accents removed, punctuation dropped, whitespace collapsed and
    tokens sorted: ``normalize_name("SMITH, John") == normalize_name("John Smith")
    == "JOHN SMITH"``. Returns ``""`` for a name with no letters or digits.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    chars: list[str] = []
    for ch in decomposed:
        if ch.isalnum():
            chars.append(ch)
        elif ch in _JOINERS or unicodedata.combining(ch):
            continue
        else:
            chars.append(" ")
    return " ".join(sorted("".join(chars).upper().split()))


class SanctionsList:
    """A set of listed names, matched on ``normalize_name``. Immutable."""

    __slots__ = ("_by_key",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        by_key: dict[str, str] = {}
        for name in names:
            key = normalize_name(name)
            if key and key not in by_key:
                by_key[key] = name  # first listing wins: deterministic
        self._by_key = by_key

    def matched(self, name: str) -> str | None:
        """The listed name that ``name`` matches, as listed; None if no match."""
        if not name:
            return None
        return self._by_key.get(normalize_name(name))

    def is_sanctioned(self, name: str) -> bool:
        return self.matched(name) is not None

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[str]:
        """Listed names (as first listed), in load order."""
        return iter(self._by_key.values())


def _cell(value: str) -> str:
    value = value.strip()
    return "" if value == OFAC_EMPTY else value


def _rows(text: str) -> Iterator[list[str]]:
    """CSV rows of an OFAC legacy file, blank rows and the DOS EOF mark skipped."""
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip() or row[0].strip() == "\x1a":
            continue
        yield row


def _read_text(source: str | PathLike[str] | Traversable) -> str:
    if isinstance(source, (str, PathLike)):
        with open(source, "rb") as fh:
            raw = fh.read()
    else:
        raw = source.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # older OFAC files


def _sdn_entries(text: str) -> Iterator[tuple[str, str, str]]:
    """(ent_num, SDN_Name, SDN_Type) per row of an sdn.csv."""
    for row in _rows(text):
        if len(row) < 3:
            continue
        name = _cell(row[1])
        if name:
            yield _cell(row[0]), name, _cell(row[2])


def _alt_names(text: str) -> Iterator[str]:
    """alt_name per row of an alt.csv (aka, fka, nka alike)."""
    for row in _rows(text):
        if len(row) < 4:
            continue
        name = _cell(row[3])
        if name:
            yield name


def load_ofac_sdn(
    sdn_path: str | PathLike[str] | Traversable,
    alt_path: str | PathLike[str] | Traversable | None = None,
) -> SanctionsList:
    """A ``SanctionsList`` of every SDN name (all types) and, if ``alt_path`` is
    given, every alternate name from OFAC's legacy ``alt.csv``."""
    names = [name for _, name, _ in _sdn_entries(_read_text(sdn_path))]
    if alt_path is not None:
        names.extend(_alt_names(_read_text(alt_path)))
    return SanctionsList(names)


def _packaged(filename: str) -> Traversable:
    return resources.files(_PACKAGE) / "data" / "sanctions" / filename


@lru_cache(maxsize=1)
def default_sanctions_list() -> SanctionsList:
    """The packaged 2019 SDN snapshot with its alternate names (loaded once).

    For tests and the twin only: old and incomplete, see PROVENANCE.md.
    """
    return load_ofac_sdn(_packaged("sdn.csv"), _packaged("alt.csv"))


def sdn_individual_names(limit: int = 10) -> tuple[str, ...]:
    """The first ``limit`` individuals' names in the packaged sdn.csv, in file
    order and as listed (e.g. ``"CRUZ, Juan M. de la"``): for planting
    sanctioned clients in a scenario."""
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    out: list[str] = []
    if limit == 0:
        return ()
    for _, name, sdn_type in _sdn_entries(_read_text(_packaged("sdn.csv"))):
        if sdn_type == "individual":
            out.append(name)
            if len(out) == limit:
                break
    return tuple(out)
