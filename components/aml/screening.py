"""Fuzzy sanctions screening: one name against a whole list, with evidence.

``NameScreener`` indexes a ``SanctionsList``'s entries (primary names and
aliases alike) once, then screens a name in well under a millisecond on the
packaged 16,411-name OFAC list (``loadtests/benchmarks/bench_screening.py``).
rapidfuzz does the string scoring; like numpy it is a pure-computation library
(no I/O, no clock, no threads here), which is why ``components`` may import it
(a lead's decision, issue 20).

Matching rules, tried in this order (``docs/sanctions.md`` has the measurements):

1. **exact**: the normalized names are equal (case, accents, punctuation and
   word order ignored: ``components.reference.sanctions.normalize_name``).
   Score 100. The only rule that sees short tokens.
2. **token / jaro_winkler**: names are compared token by token on their
   *significant* tokens: longer than ``MINOR_TOKEN_LEN`` (2) characters, so
   initials, "de", "al", "M." never match anything on their own. Each query
   token pairs with at most one listed token (best pairs first): equal tokens
   score 1; tokens that differ score their Jaro-Winkler similarity when it is at
   least ``TOKEN_FLOOR`` and the pair is one typo apart (``MAX_TYPO_EDITS``
   optimal-string-alignment edit) with the longer at least ``TYPO_MIN_LEN``
   letters. Shorter tokens must be equal. (Blocking: one edit in a word of
   five letters or more changes its length by at most one and leaves its first
   two or its last two letters alone, so only such listed tokens are scored.)
   A name needs at least two paired tokens (or see the single-token case below).
   Score = 100 x the length-weighted mean similarity of the pairs, minus
   ``UNPAIRED_PENALTY`` points per significant token left unpaired on either
   side (a dropped or added middle name). The rule is ``token`` when every pair
   is equal, ``jaro_winkler`` when a pair needed the fuzzy score. A name with
   a single significant token pairs only with a listed name with a single one
   *and the same short tokens* ("Al Qaida" ~ "AL-QAIDA"; "Ray Wu" !~ "AL RA'Y
   TV"), so short tokens never carry a match on their own.

Thresholds (``ScreeningThresholds``): a best score at or above ``block`` is a
hit (hard block, no override); at or above ``review``, a flag for a human;
below, clear. Deterministic: ties go to the entry listed first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from ..reference.sanctions import ListedName, SanctionsList, name_tokens

MINOR_TOKEN_LEN = 2
"""Tokens of at most this many characters (initials, "de", "al") take part in exact matching only."""
TYPO_MIN_LEN = 5
"""A token pair may differ (a typo) only if the longer token has at least this many letters."""
TOKEN_FLOOR = 0.70
"""Least Jaro-Winkler similarity for two different tokens to pair. Whether they are a typo apart
is decided by the edit distance (``MAX_TYPO_EDITS``); JW grades how bad the typo is (a first
letter lost or changed costs most). One edit in a listed token of 5+ letters measured >= 0.738."""
MAX_TYPO_EDITS = 1
"""Most edits (insert, delete, substitute, swap two neighbours: optimal string alignment) a typo may make."""
UNPAIRED_PENALTY = 8.0
"""Points off per significant token left unpaired (a dropped or added middle name, an extra surname):
one leaves a name at 92 (blocked), two at 84 (clear); see docs/sanctions.md for the measurement."""


class MatchRule(str, Enum):
    """Which rule produced a hit."""

    EXACT = "exact"
    TOKEN = "token"
    JARO_WINKLER = "jaro_winkler"


class Outcome(str, Enum):
    """What the screen decided."""

    CLEAR = "CLEAR"
    REVIEW = "REVIEW"
    """Flag for a human; not blocked."""
    BLOCK = "BLOCK"
    """Hard block, no override."""


@dataclass(frozen=True, slots=True)
class ScreeningThresholds:
    """Score cut-offs (0-100). Defaults chosen from the measurements in docs/sanctions.md."""

    block: float = 90.0
    """At or above: a hit, hard block. Catches one typo in a two-token name and a dropped middle name."""
    review: float = 85.0
    """At or above (and below ``block``): flagged for review, not blocked."""

    def __post_init__(self) -> None:
        for name in ("block", "review"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
                raise ValueError(f"ScreeningThresholds.{name} must be a number in (0, 100], got {value!r}")
        if self.review > self.block:
            raise ValueError(f"ScreeningThresholds.review ({self.review}) must be <= block ({self.block})")


@dataclass(frozen=True, slots=True)
class ScreeningHit:
    """The best listed name a screened name matched: the evidence."""

    listed_name: str
    """As listed (an alias is reported as the alias)."""
    ent_num: str
    """The list's entity number ("" when the list gave none)."""
    list_name: str
    score: float
    """0-100, rounded to 2 decimals."""
    rule: MatchRule
    alias_type: str = ""
    """"" when the primary name matched, else aka / fka / nka."""

    @property
    def score_bp(self) -> int:
        """The score in hundredths (int): how decisions record it."""
        return round(self.score * 100)

    def params(self) -> tuple[tuple[str, int | str], ...]:
        """The hit as decision parameters (int and str values only)."""
        return (("matched", self.listed_name), ("ent_num", self.ent_num), ("list", self.list_name),
                ("score_bp", self.score_bp), ("rule", self.rule.value))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """One name's screen: the outcome and, unless nothing scored at ``review``, the best hit."""

    name: str
    outcome: Outcome
    hit: ScreeningHit | None = None

    @property
    def blocked(self) -> bool:
        return self.outcome is Outcome.BLOCK


def _significant(tokens: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(t for t in tokens if len(t) > MINOR_TOKEN_LEN))  # repeats kept: "UMAR, Abu Umar"


def _minor(tokens: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(t for t in tokens if len(t) <= MINOR_TOKEN_LEN))


class NameScreener:
    """A list indexed for fuzzy screening. Immutable; build once per list (``screener_for``)."""

    def __init__(self, sanctions: SanctionsList, thresholds: ScreeningThresholds = ScreeningThresholds()) -> None:
        self.thresholds = thresholds
        self.list_name = sanctions.list_name
        self._entries: tuple[ListedName, ...] = sanctions.entries
        self._exact: dict[str, int] = {}
        self._tokens: list[tuple[str, ...]] = []
        self._minor: list[tuple[str, ...]] = []
        postings: dict[str, list[int]] = {}
        for i, entry in enumerate(self._entries):
            tokens = name_tokens(entry.name)
            self._exact.setdefault(" ".join(sorted(tokens)), i)
            significant = _significant(tokens)
            self._tokens.append(significant)
            self._minor.append(_minor(tokens))
            for token in dict.fromkeys(significant):
                postings.setdefault(token, []).append(i)
        self._postings = postings
        # Blocking for typos: one edit in a token of >= TYPO_MIN_LEN letters changes its length by at
        # most one and leaves its first two or its last two letters alone, so a query token is only
        # compared with listed tokens of a near length sharing one of those ends (tens, not 13,000).
        blocks: dict[tuple[int, str, str], list[str]] = {}
        for token in sorted(postings):
            if len(token) >= TYPO_MIN_LEN - 1:
                blocks.setdefault((len(token), "^", token[:2]), []).append(token)
                blocks.setdefault((len(token), "$", token[-2:]), []).append(token)
        self._blocks = blocks

    def __len__(self) -> int:
        return len(self._entries)

    def screen(self, name: str) -> ScreeningResult:
        """Screen one name against the whole list."""
        found = self.best(name)
        if found is None or found.score < self.thresholds.review:
            return ScreeningResult(name, Outcome.CLEAR)
        outcome = Outcome.BLOCK if found.score >= self.thresholds.block else Outcome.REVIEW
        return ScreeningResult(name, outcome, found)

    def best(self, name: str) -> ScreeningHit | None:
        """The best-scoring listed name for ``name`` under the rules, whatever its score;
        None if no rule pairs it with anything."""
        tokens = name_tokens(name)
        if not tokens:
            return None
        exact = self._exact.get(" ".join(sorted(tokens)))
        if exact is not None:
            return self._hit(exact, 100.0, MatchRule.EXACT)
        query = _significant(tokens)
        if not query:
            return None
        similar = [self._similar_tokens(q) for q in query]
        hits: dict[int, int] = {}
        for sims in similar:
            seen: set[int] = set()
            for token in sims:
                for i in self._postings[token]:
                    if i not in seen:
                        seen.add(i)
                        hits[i] = hits.get(i, 0) + 1
        # One significant token pairs on its own only against one, and only when the short tokens
        # around it are the same too ("Al Qaida" ~ "AL-QAIDA", but "Tara Ho" !~ "TAURA S.A.").
        single = _minor(tokens) if len(query) == 1 else None
        best: tuple[float, int, bool] | None = None  # (score, entry, all pairs equal)
        for i in sorted(hits):
            if hits[i] < 2 and (single is None or len(self._tokens[i]) != 1 or self._minor[i] != single):
                continue
            scored = self._score(query, similar, self._tokens[i])
            if scored is not None and (best is None or scored[0] > best[0]):
                best = (scored[0], i, scored[1])
        if best is None:
            return None
        return self._hit(best[1], best[0], MatchRule.TOKEN if best[2] else MatchRule.JARO_WINKLER)

    def _similar_tokens(self, token: str) -> dict[str, float]:
        """Listed tokens ``token`` may pair with, and their similarity."""
        out: dict[str, float] = {}
        n = len(token)
        if n >= TYPO_MIN_LEN - 1:
            near: set[str] = set()
            get = self._blocks.get
            for length in (n - 1, n, n + 1):
                if max(length, n) >= TYPO_MIN_LEN:
                    near.update(get((length, "^", token[:2]), ()))
                    near.update(get((length, "$", token[-2:]), ()))
            if near:
                for listed, score, _ in process.extract(token, sorted(near), scorer=JaroWinkler.normalized_similarity,
                                                        score_cutoff=TOKEN_FLOOR, limit=None):  # fmt: skip
                    # JW alone also pairs different names sharing a long prefix (GONZALO, GONZALEZ: two edits).
                    if OSA.distance(token, listed, score_cutoff=MAX_TYPO_EDITS) <= MAX_TYPO_EDITS:
                        out[listed] = score
        if token in self._postings:
            out[token] = 1.0
        return out

    @staticmethod
    def _score(query: tuple[str, ...], similar: list[dict[str, float]],
               listed: tuple[str, ...]) -> tuple[float, bool] | None:  # fmt: skip
        """(score, every pair equal) of the best one-to-one pairing, or None when too few tokens pair."""
        pairs = sorted(((similar[qi].get(lt, 0.0), qi, li) for qi in range(len(query))
                        for li, lt in enumerate(listed)), key=lambda p: (-p[0], p[1], p[2]))  # fmt: skip
        used_q: set[int] = set()
        used_l: set[int] = set()
        weighted = weight = 0.0
        exact = True
        for sim, qi, li in pairs:
            if sim <= 0.0:
                break
            if qi in used_q or li in used_l:
                continue
            used_q.add(qi)
            used_l.add(li)
            w = max(len(query[qi]), len(listed[li]))
            weighted += w * sim
            weight += w
            exact = exact and sim == 1.0
        paired = len(used_q)
        if paired < 2 and not (paired == 1 and len(query) == 1 and len(listed) == 1):
            return None
        unpaired = len(query) + len(listed) - 2 * paired
        return 100.0 * weighted / weight - UNPAIRED_PENALTY * unpaired, exact

    def _hit(self, index: int, score: float, rule: MatchRule) -> ScreeningHit:
        entry = self._entries[index]
        return ScreeningHit(entry.name, entry.ent_num, self.list_name, round(max(score, 0.0), 2), rule,
                            entry.alias_type)  # fmt: skip


@lru_cache(maxsize=8)
def screener_for(sanctions: SanctionsList, thresholds: ScreeningThresholds = ScreeningThresholds()) -> NameScreener:
    """The (cached) screener of a list: indexing the packaged list takes a fraction of a second,
    so every engine built on the same list object shares one index."""
    return NameScreener(sanctions, thresholds)
