"""FIX 4.4 market data vocabulary shared by the venue front and the gateway (no quickfix import).

Tags, message types and enumerations of MarketDataRequest (35=V),
MarketDataSnapshotFullRefresh (35=W) and MarketDataRequestReject (35=Y), and
``Group``: a repeating group as plain data, so codecs can build messages with
groups (NoMDEntries, NoMDEntryTypes, NoRelatedSym) without quickfix and each
sender turns it into a ``quickfix.Group`` (delimiter first, as FIX requires).

Only top of book is served: one bid (MDEntryType 0) and one offer (1) per
symbol, each with MDEntryPx (a decimal with at most four places, exact
integer units on both ends) and MDEntrySize (whole shares).
"""

from __future__ import annotations

from dataclasses import dataclass

# Tags.
NO_RELATED_SYM, MD_REQ_ID, SUBSCRIPTION_REQUEST_TYPE, MARKET_DEPTH, MD_UPDATE_TYPE = 146, 262, 263, 264, 265
NO_MD_ENTRY_TYPES, NO_MD_ENTRIES, MD_ENTRY_TYPE, MD_ENTRY_PX, MD_ENTRY_SIZE = 267, 268, 269, 270, 271
MD_REQ_REJ_REASON = 281

# Message types.
MARKET_DATA_REQUEST, MARKET_DATA_SNAPSHOT, MARKET_DATA_REQUEST_REJECT = "V", "W", "Y"

# SubscriptionRequestType (263).
SNAPSHOT, SNAPSHOT_AND_UPDATES, DISABLE = "0", "1", "2"
# MDUpdateType (265): only full refresh is served.
FULL_REFRESH = "0"
# MDEntryType (269): the two sides of the top of book.
BID, OFFER = "0", "1"
# MarketDepth (264): 0 full book, 1 top of book. Top of book is what is served for either.
TOP_OF_BOOK = "1"

# MDReqRejReason (281).
REJ_UNKNOWN_SYMBOL, REJ_DUPLICATE_MD_REQ_ID = "0", "1"
REJ_UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE, REJ_UNSUPPORTED_MARKET_DEPTH = "4", "5"
REJ_UNSUPPORTED_MD_UPDATE_TYPE, REJ_UNSUPPORTED_MD_ENTRY_TYPE = "6", "8"

FIELD_NAMES = {
    NO_RELATED_SYM: "NoRelatedSym", MD_REQ_ID: "MDReqID", SUBSCRIPTION_REQUEST_TYPE: "SubscriptionRequestType",
    MARKET_DEPTH: "MarketDepth", MD_UPDATE_TYPE: "MDUpdateType", NO_MD_ENTRY_TYPES: "NoMDEntryTypes",
    NO_MD_ENTRIES: "NoMDEntries", MD_ENTRY_TYPE: "MDEntryType", MD_ENTRY_PX: "MDEntryPx",
    MD_ENTRY_SIZE: "MDEntrySize", MD_REQ_REJ_REASON: "MDReqRejReason", 55: "Symbol",
}
"""Names used in error messages, so a bad field is named as ``MDEntryPx (270)``."""


def field_name(tag: int) -> str:
    """``"MDEntryPx (270)"``: how errors name a field."""
    return f"{FIELD_NAMES.get(tag, 'tag')} ({tag})"


@dataclass(frozen=True, slots=True)
class Group:
    """A repeating group: ``count_tag`` (NoXxx), its ``delimiter`` (first tag of each
    entry) and the entries, each a list of ``(tag, text)`` with the delimiter first."""

    count_tag: int
    delimiter: int
    entries: tuple[tuple[tuple[int, str], ...], ...]
