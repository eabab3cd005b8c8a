"""``[venue_link] mode = "fix"`` with ``[[venue_link.sessions]]`` and no settings file: every venue needs a
session, or the stack would fail as it starts (a traceback from the server's lifespan); the config names the
venues without one, with the line, before anything starts."""

from __future__ import annotations

import pytest

from components.config.live import LiveConfigError, parse_live_config

SESSION = '\n[[venue_link.sessions]]\nvenue = "{}"\nhost = "127.0.0.1"\nport = 9{}\n'
VENUES = '\n[[venues]]\nname = "XNAS"\n\n[[venues]]\nname = "ARCX"\n'


def test_a_venue_without_a_session_is_named():
    text = '[venue_link]\nmode = "fix"\n' + SESSION.format("XNAS", 1) + VENUES
    with pytest.raises(LiveConfigError, match=r"venue_link\.sessions: no session for venue\(s\) ARCX: "):
        parse_live_config(text, "live.toml")


def test_every_venue_with_a_session_or_a_settings_file_is_accepted():
    both = '[venue_link]\nmode = "fix"\n' + SESSION.format("XNAS", 1) + SESSION.format("ARCX", 2) + VENUES
    assert len(parse_live_config(both).venue_link.sessions) == 2
    with_file = '[venue_link]\nmode = "fix"\nsettings = "initiator.cfg"\n' + SESSION.format("XNAS", 1) + VENUES
    assert parse_live_config(with_file).venue_link.settings == "initiator.cfg"  # its [SESSION]s are read at start
