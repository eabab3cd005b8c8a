"""Records you can prove on PostgreSQL: WORM roles, and the twin's tools reading the database.

* ``provision_worm``: the event tables owned by a role nobody logs in as, the
  application role granted INSERT and SELECT only. As the application role,
  appends work and UPDATE, DELETE, TRUNCATE, ALTER TABLE ... DISABLE TRIGGER
  and DROP TABLE are refused by the database (on the events and on the anchors).
* ``twin replay-log postgresql://... --schema S`` runs the same checks as on a
  SQLite file (chain and anchors, from the ``event_anchors`` table and, with
  ``--anchors``, the anchor file, the two compared), and ``twin diff-live``
  reads the same session from either store with the same result.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors, sql

from components.domain.events import EventType, OrderEvent
from components.eventstore.pgsql import compare_anchor_copies
from components.eventstore.sqlite import SqliteEventStore
from live.adapters.anchoring import AnchorSink, AnchoredLog, check_start
from live.adapters.postgres_store import TRIGGERS, PostgresAnchorTable, PostgresEventStore, provision_worm
from twin.cli import main

KEY = "8f" * 32
EVERY = 10


def event(n: int) -> OrderEvent:
    return OrderEvent(
        event_type=EventType.ORDER_RECEIVED, event_id=f"EV-{n:05d}", trace_id=f"TRC-{n}",
        timestamp_utc=1_000 + n, recorded_at=1_000 + n, order_id=f"ORD-{n}", stream_seq=1,
        account_id="A1", symbol="AAPL", side="BUY", quantity=100, order_type="LIMIT", limit_price=1_900_000,
        time_in_force="DAY", actor="advisor:ADV-1", policy_decisions=(), details={"client_order_id": f"C-{n}"},
    )


def url(server, user: str = "twin") -> str:
    return f"postgresql://{user}@127.0.0.1:{server.port}/postgres?connect_timeout=5"


@pytest.fixture
def schema():
    return f"rec_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("secrets") / "anchor.key"
    path.write_text(KEY)
    return path


def anchored_log(server, schema: str, run_dir, n: int, user: str = "twin", first: int = 0) -> None:
    """``n`` events appended as ``twin serve`` does: anchors every EVERY to the file and the table, a stop anchor."""
    store = PostgresEventStore(url(server, user), schema)
    sink = AnchorSink(run_dir / "events.anchors", bytes.fromhex(KEY), PostgresAnchorTable(store))
    log = AnchoredLog(store, sink, EVERY, lambda: 5)
    log.anchor("start")
    for i in range(first, first + n):
        log.append(event(i))
    log.anchor("stop")
    log.close()


def as_superuser(server, schema: str, *statements: str) -> None:
    """Edit the log as its owner would: triggers off, the statements, triggers back on."""
    with psycopg.connect(server.dsn, autocommit=True) as con:
        con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        con.execute("ALTER TABLE events DISABLE TRIGGER USER")
        for statement in statements:
            con.execute(statement)
        con.execute("ALTER TABLE events ENABLE TRIGGER USER")


def replay(server, schema: str, *extra: str) -> int:
    return main(["replay-log", url(server), "--schema", schema, "--verify-only", *extra])


# -- WORM ----------------------------------------------------------------------------------------
@pytest.fixture
def worm(postgres_server, schema):
    app = f"app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as con:
        con.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(app)))
    provision_worm(postgres_server.dsn, schema, "twin_records_owner", app)
    return app


REFUSED_TO_THE_APP = [
    "UPDATE {t} SET {c} = {c}",
    "DELETE FROM {t}",
    "TRUNCATE {t}",
    "ALTER TABLE {t} DISABLE TRIGGER USER",
    "ALTER TABLE {t} DISABLE TRIGGER ALL",
    "DROP TABLE {t}",
    "CREATE TABLE evil (x int)",
]


@pytest.mark.parametrize("statement", REFUSED_TO_THE_APP)
@pytest.mark.parametrize("table,column", [("events", "payload"), ("event_anchors", "line")])
def test_the_application_role_can_append_and_read_but_not_change_anything(postgres_server, schema, worm, tmp_path,
                                                                          statement, table, column):
    anchored_log(postgres_server, schema, tmp_path, 12, user=worm)  # appends and anchors as the application
    with psycopg.connect(url(postgres_server, worm), autocommit=True) as con:
        con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        with pytest.raises(errors.InsufficientPrivilege):
            con.execute(statement.format(t=table, c=column))
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 12


def test_the_tables_belong_to_the_owner_role_and_the_store_leaves_their_ddl_alone(postgres_server, schema, worm):
    with PostgresEventStore(url(postgres_server, worm), schema) as store:
        assert store.owner == "twin_records_owner"
        store.append(event(0))
        assert store.verify().ok
    with psycopg.connect(postgres_server.dsn, autocommit=True) as con:
        grants = con.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                             "WHERE grantee = %s AND table_schema = %s AND table_name = 'events'",
                             (worm, schema)).fetchall()
    assert sorted(g[0] for g in grants) == ["INSERT", "SELECT"]


def test_the_store_refuses_a_table_whose_trigger_its_owner_disabled(postgres_server, schema, worm):
    with psycopg.connect(postgres_server.dsn, autocommit=True) as con:
        con.execute(sql.SQL("ALTER TABLE {}.events DISABLE TRIGGER events_no_update").format(sql.Identifier(schema)))
    from live.adapters.postgres_store import UnprotectedLog

    with pytest.raises(UnprotectedLog, match="events_no_update"):
        PostgresEventStore(url(postgres_server, worm), schema)


# -- twin replay-log on PostgreSQL ----------------------------------------------------------------
def test_replay_log_verifies_a_postgres_log_with_its_anchors(postgres_server, schema, tmp_path, key_file, capsys):
    anchored_log(postgres_server, schema, tmp_path, 25)
    assert main(["replay-log", url(postgres_server), "--schema", schema, "--anchor-key-file", str(key_file),
                 "--anchors", str(tmp_path / "events.anchors")]) == 0
    out = capsys.readouterr().out
    assert "25 events, hash chain ok" in out and "orders 25" in out
    assert "anchors (the anchor file and the event_anchors table): 3 ok, keyed HMAC-SHA-256, checked with the key, last at record 24 (stop)" in out, out


@pytest.mark.parametrize("statements,offset,kind", [
    (["UPDATE events SET payload = replace(payload, 'A1', 'A2') WHERE \"offset\" = 7"], 7, "changed"),
    (["DELETE FROM events WHERE \"offset\" = 3"], 3, "deleted"),
    (["DELETE FROM events WHERE \"offset\" >= 20"], 20, "cut_tail"),
])
def test_replay_log_names_the_tampered_offset_in_postgres(postgres_server, schema, tmp_path, key_file, capsys,
                                                          statements, offset, kind):
    anchored_log(postgres_server, schema, tmp_path, 25)
    as_superuser(postgres_server, schema, *statements)
    assert replay(postgres_server, schema, "--anchor-key-file", str(key_file)) == 1
    err = capsys.readouterr().err
    assert f"first offending offset {offset} ({kind})" in err, err


def test_a_forged_row_with_its_hash_recomputed_passes_the_chain_but_not_the_anchors(postgres_server, schema,
                                                                                   tmp_path, key_file, capsys):
    anchored_log(postgres_server, schema, tmp_path, 25)
    with PostgresEventStore(url(postgres_server), schema) as store:  # the triggers accept a well-formed append
        store.append(event(99))
    assert replay(postgres_server, schema, "--anchor-key-file", str(key_file)) == 1
    assert "first offending offset 25 (appended_after_stop)" in capsys.readouterr().err


def test_the_anchor_file_and_the_table_must_agree(postgres_server, schema, tmp_path, key_file, capsys):
    anchored_log(postgres_server, schema, tmp_path, 25)
    path = tmp_path / "events.anchors"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n")  # the file cut: its own chain still holds
    assert replay(postgres_server, schema, "--anchor-key-file", str(key_file), "--anchors", str(path)) == 1
    assert "anchor log (anchor_copies_differ): the event_anchors table holds anchor" in capsys.readouterr().err


def test_the_verified_start_compares_the_anchor_copies_too(postgres_server, schema, tmp_path):
    anchored_log(postgres_server, schema, tmp_path, 25)
    path = tmp_path / "events.anchors"
    with PostgresEventStore(url(postgres_server), schema) as store:
        table = PostgresAnchorTable(store)
        lines = path.read_text().splitlines()
        assert check_start(store, lines, bytes.fromhex(KEY), table=table, file_lines=lines).ok
        path.write_text("\n".join(lines[:-1]) + "\n")
        cut = path.read_text().splitlines()
        check = check_start(store, cut, bytes.fromhex(KEY), table=table, file_lines=cut)
        assert not check.ok and check.finding.kind == "anchor_copies_differ"


def test_a_new_run_folder_starts_its_anchor_file_from_the_table(postgres_server, schema, tmp_path, key_file):
    anchored_log(postgres_server, schema, tmp_path / "first", 15)
    anchored_log(postgres_server, schema, tmp_path / "second", 5, first=15)  # same log, a new folder: seq carries on
    second = (tmp_path / "second" / "events.anchors").read_text().splitlines()
    with PostgresEventStore(url(postgres_server), schema) as store:
        assert compare_anchor_copies(second, PostgresAnchorTable(store).rows()) == ("", "")
    assert replay(postgres_server, schema, "--anchor-key-file", str(key_file), "--anchors",
                  str(tmp_path / "second" / "events.anchors")) == 0


def test_replay_log_says_what_is_wrong_with_a_dsn(postgres_server, schema, capsys):
    assert replay(postgres_server, schema) == 2
    assert "no events table" in capsys.readouterr().err
    assert main(["replay-log", f"postgresql://twin@127.0.0.1:{postgres_server.port}/nosuchdb"]) == 2
    assert "cannot connect to postgresql://twin@127.0.0.1" in capsys.readouterr().err


def test_the_reader_never_writes(postgres_server, schema, tmp_path):
    anchored_log(postgres_server, schema, tmp_path, 3)
    from twin.pg_log import PostgresLogReader

    with PostgresLogReader(url(postgres_server), schema) as reader:
        assert len(reader) == 3 and [e.event_id for e in reader.read()] == ["EV-00000", "EV-00001", "EV-00002"]
        with pytest.raises(errors.ReadOnlySqlTransaction):
            reader._con.execute("CREATE TABLE x (y int)")


# -- twin diff-live reads either store --------------------------------------------------------------
def test_diff_live_gives_the_same_answer_from_sqlite_and_postgres(postgres_server, schema, tmp_path, capsys):
    events = [event(n) for n in range(3)]
    with SqliteEventStore(tmp_path / "events.sqlite") as sqlite_log:
        sqlite_log.append_batch(events)
    with PostgresEventStore(url(postgres_server), schema) as pg_log:
        pg_log.append_batch(events)
    from_sqlite = main(["diff-live", str(tmp_path / "events.sqlite"), "--out", str(tmp_path / "a.html")])
    out_sqlite = capsys.readouterr().out
    from_pg = main(["diff-live", url(postgres_server), "--schema", schema, "--out", str(tmp_path / "b.html")])
    out_pg = capsys.readouterr().out
    assert from_pg == from_sqlite
    body = lambda out: [line for line in out.splitlines()[1:] if not line.startswith("report:")]  # noqa: E731
    assert body(out_pg) == body(out_sqlite) and "3 requests" in out_pg
    assert main(["diff-live", url(postgres_server), "--schema", schema]) == 2
    assert "--out is required" in capsys.readouterr().err


def test_triggers_named_in_the_store_are_the_ones_provisioned(postgres_server, schema, worm):
    with psycopg.connect(postgres_server.dsn, autocommit=True) as con:
        names = {r[0] for r in con.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
            (f"{schema}.events",)).fetchall()}
    assert names == set(TRIGGERS)
