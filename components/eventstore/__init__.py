"""The event store: the EventLog port made real.

Events are kept in memory (``memory``) or in a SQLite file (``sqlite``), linked
in a SHA-256 hash chain (``chain``) so any edit, deletion or reordering is
detectable. A new SQLite file is in storage format 2 (``segments``: segments of
MessagePack records, ``packed``); format 1 files (one row per event's canonical
JSON) are still read and appended to. The canonical JSON (``codec.encode``)
stays the one form fingerprints and the in-memory chain hash. Read models are rebuilt from the
events (``projections``), optionally from a snapshot plus the tail
(``snapshot``), and questions about the past are answered bitemporally
(``temporal``). Keyed anchors (``anchors``: pure checks; ``anchorlog``: the
anchor file and the key) keep checkpoints of the chain outside the log, so a
cut tail, a forged append or a rewritten chain is detected too.
"""

from .chain import GENESIS, VerifyResult, link_hash, verify
from .codec import decode, encode
from .memory import InMemoryEventStore
from .projections import Projections
from .snapshot import SnapshotStore, recover
from .sqlite import SqliteEventStore, write_log_file
from .temporal import AccountState, OrderState, account_state_as_of, order_state_as_of

__all__ = [
    "GENESIS", "VerifyResult", "link_hash", "verify", "decode", "encode", "InMemoryEventStore",
    "Projections", "SnapshotStore", "recover", "SqliteEventStore", "write_log_file",
    "AccountState", "OrderState", "account_state_as_of", "order_state_as_of",
]
