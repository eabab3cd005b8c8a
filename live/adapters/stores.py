"""The live event log: memory, a SQLite file (the embedded default) or PostgreSQL.

``open_event_log`` builds the EventLog port from ``[event_log]``. The SQLite
store is the event store's own (``components.eventstore.sqlite``: hash
chained, append-only triggers), opened so the live runtime's threads may use
it: Python's sqlite3 ties a connection to the thread that made it, but the
OMS appends from the HTTP handlers, the FIX gateway's report pump and timer
callbacks, always holding the live runtime's lock, so calls never overlap.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from components.eventstore.sqlite import SqliteEventStore
from components.memory import InMemoryEventLog
from components.ports import EventLog

from components.config.live import EventLogConfig

DEFAULT_SQLITE_NAME = "events.sqlite"


class SharedSqliteEventStore(SqliteEventStore):
    """A ``SqliteEventStore`` whose connection any thread may use, one at a time."""

    def __init__(self, path: str | Path, durable: bool = False) -> None:
        super().__init__(path, durable=durable)  # creates the file, schema and triggers
        # Reopened without the same-thread check (the creating connection carries it);
        # the pragmas are per connection, so they are set again.
        self._con.close()
        self._con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._load_head()


def sqlite_path(config: EventLogConfig, run_dir: Path) -> Path:
    """The SQLite events file: ``path``, or events.sqlite in the run folder."""
    return Path(config.path) if config.path else Path(run_dir) / DEFAULT_SQLITE_NAME


def open_event_log(config: EventLogConfig, run_dir: Path) -> EventLog:
    """The EventLog for ``config`` (PostgreSQL is imported only when asked for)."""
    if config.kind == "memory":
        return InMemoryEventLog()
    if config.kind == "sqlite":
        path = sqlite_path(config, run_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SharedSqliteEventStore(path, durable=config.durable)
    from live.adapters.postgres_store import PostgresEventStore

    return PostgresEventStore(config.dsn, config.schema or None)


def describe(config: EventLogConfig, run_dir: Path) -> str:
    """One line saying where events go, for the start-up banner (no password shown)."""
    if config.kind == "sqlite":
        return f"sqlite {sqlite_path(config, run_dir)}"
    if config.kind == "postgres":
        dsn = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", config.dsn)  # URL form: user:password@
        return "postgres " + " ".join(p for p in dsn.split() if not p.lower().startswith("password"))
    return "memory (lost at exit)"
