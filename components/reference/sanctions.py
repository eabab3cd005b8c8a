"""Sanctions lists: name normalization, a screening list, the OFAC SDN loader.

``SanctionsList`` holds a list's names (``ListedName``: entity number, name,
type, alias kind) and matches *exactly* on normalized names: case, accents,
punctuation, spacing and token order are ignored, so ``"SMITH, John"`` and
``"john  smith"`` match. Fuzzy screening (typos, dropped middle names, short
tokens, thresholds) is ``components.aml.screening.NameScreener``, built from a
``SanctionsList``'s entries; the risk engine screens with that. The exact
matcher stays as the cheap, dependency-free check (e.g. the twin's
"no sanctioned party traded" invariant).

The packaged list (``data/sanctions/``, see its ``PROVENANCE.md``) is an old,
incomplete 2019 OFAC SDN snapshot, for tests and demos only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from os import PathLike
from dataclasses import dataclass
from typing import Iterable, Iterator

OFAC_EMPTY = "-0-"
"""OFAC's legacy CSV marker for an empty field."""

_PACKAGE = "components.reference"

# Apostrophes join ("O'Brien" == "OBRIEN"); every other non-alphanumeric
# character separates tokens ("AL-QAIDA" == "AL QAIDA").
_JOINERS = frozenset("'\u2019`\u00b4")
_DROP_JOINERS = {ord(ch): None for ch in _JOINERS}
_SEPARATORS = re.compile(r"[\W_]+")  # \w is exactly str.isalnum() plus "_"


def name_tokens(name: str) -> list[str]:
    """The tokens of a name, in written order: uppercase, accents removed,
    apostrophes joined, every other non-alphanumeric character a separator.
    ``name_tokens("O'Brien-Núñez, José") == ["OBRIEN", "NUNEZ", "JOSE"]``."""
    if not name.isascii():  # NFKD splits accents off as combining marks, which go
        name = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", name.translate(_DROP_JOINERS)).upper().split()


def normalize_name(name: str) -> str:
    """Canonical form of a person or entity name for matching.

    Uppercase, accents removed, punctuation dropped, whitespace collapsed and
    tokens sorted: ``normalize_name("SMITH, John") == normalize_name("John Smith")
    == "JOHN SMITH"``. Returns ``""`` for a name with no letters or digits.
    """
    return " ".join(sorted(name_tokens(name)))


@dataclass(frozen=True, slots=True)
class ListedName:
    """One screenable name of a list: an SDN primary name or one of its aliases."""

    name: str
    """As listed (e.g. ``"CRUZ, Juan M. de la"``)."""
    ent_num: str = ""
    """The list's entity number (OFAC ``ent_num``); ``""`` for a name given without one.
    An alias carries its entity's number."""
    sdn_type: str = ""
    """``individual``, ``vessel``, ``aircraft`` or ``""`` (OFAC leaves entities empty)."""
    alias_type: str = ""
    """``""`` for a primary name; ``aka``, ``fka`` or ``nka`` for an alt.csv name."""


class SanctionsList:
    """A set of listed names, matched exactly on ``normalize_name``. Immutable.

    ``names`` are plain strings or ``ListedName`` entries; ``list_name`` names the
    list in screening evidence (e.g. ``"OFAC SDN"``). Names with no letters or
    digits are dropped; of several names with the same normalized form the first
    listed is kept (deterministic).
    """

    __slots__ = ("_by_key", "entries", "list_name")

    def __init__(self, names: Iterable[str | ListedName] = (), list_name: str = "custom") -> None:
        by_key: dict[str, ListedName] = {}
        for item in names:
            entry = item if isinstance(item, ListedName) else ListedName(item)
            key = normalize_name(entry.name)
            if key and key not in by_key:
                by_key[key] = entry  # first listing wins: deterministic
        self._by_key = by_key
        self.entries: tuple[ListedName, ...] = tuple(by_key.values())
        """Every distinct listed name, in load order."""
        self.list_name = list_name

    def matched(self, name: str) -> str | None:
        """The listed name that ``name`` matches, as listed; None if no match."""
        if not name:
            return None
        entry = self._by_key.get(normalize_name(name))
        return None if entry is None else entry.name

    def is_sanctioned(self, name: str) -> bool:
        return self.matched(name) is not None

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[str]:
        """Listed names (as first listed), in load order."""
        return (entry.name for entry in self.entries)


def _cell(value: str) -> str:
    value = value.strip()
    return "" if value == OFAC_EMPTY else value


def _rows(text: str, source: str, min_fields: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) of an OFAC legacy CSV, blank rows and the DOS EOF mark
    skipped; ValueError naming the file and line for a row too short or with a
    non-integer ``ent_num``."""
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        if not row or not row[0].strip() or row[0].strip() == "\x1a":
            continue
        line = reader.line_num
        if len(row) < min_fields:
            raise ValueError(f"{source} line {line}: {len(row)} fields, the OFAC layout needs at least {min_fields}")
        if not row[0].strip().isdigit():
            raise ValueError(f"{source} line {line}: ent_num {row[0].strip()!r} is not an integer")
        yield line, row


def _source_name(source: str | PathLike[str] | Traversable) -> str:
    return str(source) if isinstance(source, (str, PathLike)) else source.name


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


def _sdn_entries(source: str | PathLike[str] | Traversable) -> Iterator[ListedName]:
    """One entry per named row of an sdn.csv (columns relied on: ent_num, SDN_Name, SDN_Type)."""
    for _, row in _rows(_read_text(source), _source_name(source), 3):
        name = _cell(row[1])
        if name:
            yield ListedName(name, row[0].strip(), _cell(row[2]))


def _alt_entries(source: str | PathLike[str] | Traversable,
                 types: dict[str, str]) -> Iterator[ListedName]:  # fmt: skip
    """One entry per named row of an alt.csv (ent_num, alt_type, alt_name; aka, fka, nka
    alike), typed like its SDN entry (``types``: ent_num -> SDN_Type)."""
    for _, row in _rows(_read_text(source), _source_name(source), 4):
        name = _cell(row[3])
        if name:
            ent_num = row[0].strip()
            yield ListedName(name, ent_num, types.get(ent_num, ""), _cell(row[2]).lower() or "aka")


def load_ofac_sdn(
    sdn_path: str | PathLike[str] | Traversable,
    alt_path: str | PathLike[str] | Traversable | None = None,
    list_name: str = "OFAC SDN",
) -> SanctionsList:
    """A ``SanctionsList`` of every SDN name (all types) and, if ``alt_path`` is
    given, every alternate name from OFAC's legacy ``alt.csv``. Any list in the
    same two-file layout loads the same way (name it with ``list_name``).
    ValueError naming the file and line for a malformed row."""
    entries = list(_sdn_entries(sdn_path))
    if alt_path is not None:
        types = {e.ent_num: e.sdn_type for e in entries}
        entries.extend(_alt_entries(alt_path, types))
    return SanctionsList(entries, list_name)


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
    for entry in _sdn_entries(_packaged("sdn.csv")):
        if entry.sdn_type == "individual":
            out.append(entry.name)
            if len(out) == limit:
                break
    return tuple(out)
