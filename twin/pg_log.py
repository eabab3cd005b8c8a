"""A PostgreSQL event log opened read-only, for the twin's tools (``twin replay-log``, ``twin diff-live``).

The live runtime writes PostgreSQL logs (``live.adapters.postgres_store``), but
the twin may not import the live runtime, and ``components`` may not import
psycopg. So the read path both use (SQL and paging) is in
``components.eventstore.pgsql`` and this module only connects: a session
with ``default_transaction_read_only`` on (the database refuses any write
this tool might attempt) and the log's schema alone on the search path. It
creates nothing: a schema without an ``events`` table is an error, not a new
empty log.
"""

from __future__ import annotations

from typing import Iterator

from components.domain.events import OrderEvent
from components.eventstore import pgsql

DSN_PREFIXES = ("postgresql://", "postgres://")


class NoPostgresLog(ValueError):
    """The DSN or schema names no PostgreSQL event log (unreachable, or no events table)."""


def is_dsn(text: str) -> bool:
    """Whether a command-line argument is a PostgreSQL URL rather than a path."""
    return text.startswith(DSN_PREFIXES)


def redact(dsn: str) -> str:
    """``dsn`` without its password, for messages."""
    import re

    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", dsn)


class PostgresLogReader:
    """The read side of a PostgreSQL event log: what ``verify_log`` and the replay need."""

    def __init__(self, dsn: str, schema: str | None = None, connect_timeout: int = 10) -> None:
        import psycopg
        from psycopg import sql

        self.source = redact(dsn) + (f" schema {schema}" if schema else "")
        try:
            self._con = psycopg.connect(dsn, autocommit=True, connect_timeout=connect_timeout,
                                        options="-c default_transaction_read_only=on")
        except psycopg.Error as exc:
            raise NoPostgresLog(f"cannot connect to {self.source}: {str(exc).strip()}") from None
        try:
            if schema is not None:
                self._con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            if not self._fetch("SELECT to_regclass('events') IS NOT NULL", ())[0][0]:
                raise NoPostgresLog(f"no events table in {self.source}")
        except BaseException:
            self._con.close()
            raise

    def _fetch(self, query: str, params) -> list:
        return self._con.execute(query, params).fetchall()

    def __len__(self) -> int:
        return pgsql.head(self._fetch)[0]

    @property
    def head_hash(self) -> str:
        return pgsql.head(self._fetch)[1]

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        return pgsql.events(self._fetch, start)

    def stored_rows(self, start: int = 0) -> Iterator[tuple]:
        return pgsql.stored_rows(self._fetch, start)

    def hash_at(self, offset: int) -> str | None:
        return pgsql.hash_at(self._fetch, offset)

    def anchor_rows(self) -> list[tuple[int, str]] | None:
        """The ``event_anchors`` table's (seq, line) rows; None when the schema has none."""
        return pgsql.anchor_rows(self._fetch)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "PostgresLogReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
