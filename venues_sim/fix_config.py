"""QuickFIX settings for a venue acceptor: the shipped template, rendering, the data dictionary.

Owns turning ``venues_sim/fix/acceptor.cfg`` (or a user's settings file in
the same format) into a concrete QuickFIX settings file for one run:
``${VENUE}``, ``${PORT}``, ``${DATA_DICTIONARY}`` and ``${RUN_DIR}`` are
filled in, the listening port is forced to the one asked for, and sessions
are limited to loopback peers, and sequence numbers are kept across
disconnects unless the file says otherwise (``KEEP_SEQUENCES``). The
rendered file is written into the run folder so what QuickFIX actually loaded can be read afterwards.

No quickfix import here. Reading and writing settings files and finding the
data dictionary are ``components.fix.settings`` (shared with the live
gateway's initiator); their names are re-exported here.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from components.fix.settings import (  # noqa: F401 - re-exported for the front's users
    Section,
    data_dictionary,
    format_settings,
    leftover_placeholders,
    parse_settings,
    session_names,
)

LOOPBACK = "127.0.0.1"
KEEP_SEQUENCES = {"ResetOnLogon": "N", "ResetOnLogout": "N", "ResetOnDisconnect": "N", "PersistMessages": "Y"}
"""Acceptor defaults (QuickFIX's own, made explicit): sequence numbers and sent messages survive a
dropped session, so a gateway logging on again gets what it missed by ResendRequest. Not
ResetOnLogon=Y: the acceptor would start each logon at 1 and throw away the reports to resend
(the gateway sends ResetSeqNumFlag=Y itself when a new session is really wanted)."""


def template_path() -> Path:
    """The acceptor settings template shipped as package data."""
    return Path(str(resources.files(__package__).joinpath("fix", "acceptor.cfg")))


def render_acceptor_settings(text: str, *, venue: str, port: int, run_dir: Path) -> list[Section]:
    """Fill in a settings template for one acceptor run.

    Placeholders are substituted; then SocketAcceptPort is set to ``port``
    everywhere it appears (and in [DEFAULT]), and AllowedRemoteAddresses
    defaults to loopback: QuickFIX 1.16 has no setting to bind one interface,
    so admitting only loopback peers is how the venue stays local.
    """
    filled = Template(text).safe_substitute(
        VENUE=venue, PORT=str(port), DATA_DICTIONARY=str(data_dictionary()), RUN_DIR=str(run_dir)
    )
    sections = parse_settings(filled)
    defaults = next((values for name, values in sections if name == "DEFAULT"), None)
    if defaults is None:
        defaults = {}
        sections.insert(0, ("DEFAULT", defaults))
    if not any(name == "SESSION" for name, _ in sections):
        raise ValueError("settings have no [SESSION] section")
    for _, values in sections:
        if "SocketAcceptPort" in values:
            values["SocketAcceptPort"] = str(port)
    defaults["SocketAcceptPort"] = str(port)
    defaults.setdefault("AllowedRemoteAddresses", LOOPBACK)
    for key, value in KEEP_SEQUENCES.items():  # written out, so the rendered file says it
        defaults.setdefault(key, value)
    leftover = leftover_placeholders(sections)
    if leftover:
        raise ValueError(f"unknown placeholders in settings: {', '.join(leftover)}")
    return sections


def write_acceptor_settings(run_dir: Path, *, venue: str, port: int, config: Path | None = None) -> Path:
    """Render ``config`` (default: the shipped template) into ``run_dir/acceptor.cfg``; return its path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    source = Path(config) if config is not None else template_path()
    sections = render_acceptor_settings(source.read_text(encoding="utf-8"), venue=venue, port=port,
                                        run_dir=run_dir)
    out = run_dir / "acceptor.cfg"
    out.write_text(format_settings(sections), encoding="utf-8")
    return out
