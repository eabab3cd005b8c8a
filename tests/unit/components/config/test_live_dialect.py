"""Venue dialects in live.toml: per-session keys, shared dialect files, overrides, and errors that name
the file, line and key (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from components.config.live import LiveConfigError, VenueDialect, load_live_config, parse_live_config


def live_toml(sessions: str) -> str:
    """Venues XA and XB over FIX with ``sessions``; XB gets a plain session unless ``sessions`` gives it one
    (every venue needs a session: tests/unit/components/config/test_live_venue_sessions.py)."""
    if '"XB"' not in sessions:
        sessions += ', { venue = "XB", port = 9002 }'
    return ('[[venues]]\nname = "XA"\n[[venues]]\nname = "XB"\n[venue_link]\nmode = "fix"\n'
            f'sessions = [{sessions}]\n')


def test_without_a_dialect_every_default_keeps_todays_behaviour():
    config = parse_live_config(live_toml('{ venue = "XA", port = 9001 }'))
    plain = config.venue_link.dialect_of("XA")
    assert plain == VenueDialect() and config.venue_link.dialect_of("ZZZ") == VenueDialect()
    assert plain.all_orders and plain.market_data and not plain.fix42_exec_types
    assert plain.validate_user_defined_fields and not plain.allow_unknown_msg_fields


def test_a_dialect_file_is_shared_and_a_session_overrides_its_keys(tmp_path: Path):
    (tmp_path / "dialects").mkdir()
    (tmp_path / "dialects" / "limit_only.toml").write_text('order_types = ["LIMIT"]\nmarket_data = false\n')
    (tmp_path / "live.toml").write_text(live_toml(
        '{ venue = "XA", port = 9001, dialect_file = "dialects/limit_only.toml" },'
        '{ venue = "XB", port = 9002, dialect_file = "dialects/limit_only.toml", dialect = { market_data = true } }'))
    link = load_live_config(tmp_path / "live.toml").venue_link  # relative to the live.toml's folder
    assert link.dialect_of("XA").order_types == ("LIMIT",) and not link.dialect_of("XA").market_data
    assert link.dialect_of("XB").order_types == ("LIMIT",) and link.dialect_of("XB").market_data
    assert not link.dialect_of("XA").accepts("MARKET", "IOC") and link.dialect_of("XA").accepts("LIMIT", "DAY")


def test_the_shipped_example_dialects_parse():
    shipped = sorted(Path("docs/dialects").glob("*.toml"))
    assert shipped, "docs/dialects/ has no example dialect"
    for path in shipped:
        text = live_toml(f'{{ venue = "XA", port = 9001, dialect_file = "{path.resolve()}" }}')
        assert parse_live_config(text).venue_link.dialect_of("XA") != VenueDialect() or path.stem == "plain"


def test_an_error_in_a_dialect_file_names_the_file_line_and_key(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('market_data = false\ntime_in_force = ["GTC"]\n')
    with pytest.raises(LiveConfigError) as raised:
        parse_live_config(live_toml('{ venue = "XA", port = 9001, dialect_file = "bad.toml" }'), "live.toml", tmp_path)
    assert str(raised.value).startswith(f"{bad}:2: time_in_force[0]: must be one of: DAY, IOC")


def test_an_unknown_key_in_a_dialect_file_is_named(tmp_path: Path):
    (tmp_path / "typo.toml").write_text('\n\nmarket_dta = false\n')
    with pytest.raises(LiveConfigError, match=r"typo.toml:3: market_dta: unknown key; did you mean 'market_data'"):
        parse_live_config(live_toml('{ venue = "XA", port = 9001, dialect_file = "typo.toml" }'), "live.toml", tmp_path)


def test_a_missing_dialect_file_names_the_session_field(tmp_path: Path):
    with pytest.raises(LiveConfigError,
                       match=r"live.toml:7: venue_link.sessions\[0\].dialect_file: cannot read .*nope.toml"):
        parse_live_config(live_toml('{ venue = "XA", port = 9001, dialect_file = "nope.toml" }'), "live.toml", tmp_path)


def test_a_bad_override_is_named_in_live_toml():
    with pytest.raises(LiveConfigError, match=r"live.toml:7: venue_link.sessions\[0\].dialect.order_types: "):
        parse_live_config(live_toml('{ venue = "XA", port = 9001, dialect = { order_types = [] } }'), "live.toml")
    with pytest.raises(LiveConfigError, match=r"dialect.order_types: lists a value twice"):
        parse_live_config(live_toml('{ venue = "XA", port = 9001, dialect = { order_types = ["LIMIT", "LIMIT"] } }'))


@settings(max_examples=60, deadline=None)
@given(order_types=st.lists(st.text(min_size=0, max_size=8), max_size=3),
       market_data=st.one_of(st.booleans(), st.integers(), st.text(max_size=4)))
def test_any_user_written_dialect_parses_or_gets_a_one_line_named_error(tmp_path_factory, order_types, market_data):
    folder = tmp_path_factory.mktemp("d")
    value = str(market_data).lower() if isinstance(market_data, bool) else repr(market_data).replace("'", '"')
    quoted = ", ".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in order_types)
    (folder / "d.toml").write_text(f"order_types = [{quoted}]\nmarket_data = {value}\n", encoding="utf-8")
    try:
        dialect = parse_live_config(live_toml('{ venue = "XA", port = 9001, dialect_file = "d.toml" }'), "live.toml",
                                    folder).venue_link.dialect_of("XA")
    except LiveConfigError as exc:
        assert "\n" not in str(exc) and (str(exc).startswith(str(folder / "d.toml")) or "live.toml" in str(exc))
        assert exc.field != ""
    else:
        assert set(dialect.order_types) <= {"MARKET", "LIMIT"} and isinstance(dialect.market_data, bool)
