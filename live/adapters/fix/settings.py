"""QuickFIX settings for the live venue gateway: the shipped template and its rendering.

Turns ``live/adapters/fix/initiator.cfg`` (or a user's settings file in the
same format) into the concrete file QuickFIX loads for one run, written into
the run folder so what was loaded can be read afterwards. ``${SENDER}``,
``${DATA_DICTIONARY}`` and ``${RUN_DIR}`` are filled in. A [SESSION] per
venue is added from ``sessions`` (venue -> host, port) unless the file
already has one for that venue (TargetCompID = venue name); a venue with no
session either way is an error, named.

It also keeps the process-wide list of FIX session ids in use
(``claim_sessions``). QuickFIX registers every session in one static table
keyed by its id: a second session with the same id in the same process is
silently not registered, and when either is destroyed the entry goes, so the
other's next send reads freed memory (a SIGSEGV seen here with two live
stacks in one test process). Claiming ids before creating sessions turns
that into a clear error, or lets the embedded mode pick a free SenderCompID.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from string import Template
from typing import Iterable, Mapping

from components.config.live import VenueDialect
from components.fix.settings import (
    Section,
    data_dictionary,
    format_settings,
    leftover_placeholders,
    parse_settings,
    sessions_of,
)


def template_path() -> Path:
    """The initiator settings template shipped as package data."""
    return Path(str(resources.files(__package__).joinpath("initiator.cfg")))


_VALIDATION = (("validate_user_defined_fields", "ValidateUserDefinedFields"),
               ("allow_unknown_msg_fields", "AllowUnknownMsgFields"),
               ("validate_fields_have_values", "ValidateFieldsHaveValues"),
               ("validate_fields_out_of_order", "ValidateFieldsOutOfOrder"))
"""Dialect switch -> QuickFIX session setting. (No ValidateFieldsOutOfRange: QuickFIX 1.16's Python build
does not know the key; see ``VenueDialect``.)"""
_PLAIN = VenueDialect()
_EXEC_TYPE_VALUES = "<field number='150' name='ExecType' type='CHAR'>"
FIX42_DICTIONARY = "FIX44-exectype42.xml"
"""The dictionary copy of sessions whose dialect has ``fix42_exec_types`` (written to the run folder)."""


def fix42_dictionary(run_dir: Path, source: Path | None = None) -> Path:
    """Write FIX44.xml with ExecType (150) also listing FIX 4.2's 1 (PARTIAL_FILL) and 2 (FILL) into
    ``run_dir``; return its path. Every other rule of the dictionary is unchanged."""
    text = Path(source or data_dictionary()).read_text(encoding="utf-8")
    if _EXEC_TYPE_VALUES not in text:
        raise ValueError(f"{source or data_dictionary()}: no ExecType (150) field definition to extend")
    extended = text.replace(_EXEC_TYPE_VALUES, _EXEC_TYPE_VALUES + "\n   <value enum='1' description='PARTIAL_FILL' />"
                            "\n   <value enum='2' description='FILL' />", 1)
    out = Path(run_dir) / FIX42_DICTIONARY
    out.write_text(extended, encoding="utf-8")
    return out


def dialect_settings(dialect: VenueDialect, run_dir: Path) -> dict[str, str]:
    """The [SESSION] keys a venue's dialect adds: only what differs from a plain FIX 4.4 session, so a
    session with the default dialect renders exactly as before."""
    keys = {name: "Y" if getattr(dialect, field) else "N" for field, name in _VALIDATION
            if getattr(dialect, field) != getattr(_PLAIN, field)}
    if dialect.fix42_exec_types:
        keys["DataDictionary"] = str(fix42_dictionary(run_dir))
    return keys


def render_initiator_settings(text: str, *, sender: str, run_dir: Path, venues: list[str],
                              sessions: Mapping[str, tuple[str, int]] | None = None,
                              dialects: Mapping[str, VenueDialect] | None = None) -> list[Section]:
    """Fill in a settings template; add a [SESSION] for each venue in ``sessions`` it lacks; write each
    venue's ``dialects`` keys (``dialect_settings``) into its [SESSION], given or added.

    Raises ValueError for a venue with no session, or placeholders left over.
    """
    filled = Template(text).safe_substitute(SENDER=sender, DATA_DICTIONARY=str(data_dictionary()),
                                            RUN_DIR=str(run_dir))
    sections = parse_settings(filled)
    if not any(name == "DEFAULT" for name, _ in sections):
        sections.insert(0, ("DEFAULT", {}))
    present = {s.get("TargetCompID") for s in sessions_of(sections)}
    for venue in venues:
        if venue in present or not sessions or venue not in sessions:
            continue
        host, port = sessions[venue]
        sections.append(("SESSION", {"TargetCompID": venue, "SocketConnectHost": host,
                                     "SocketConnectPort": str(port)}))
        present.add(venue)
    for name, keys in sections:
        dialect = (dialects or {}).get(keys.get("TargetCompID", "")) if name == "SESSION" else None
        if dialect is not None:
            keys.update(dialect_settings(dialect, run_dir))
    missing = [v for v in venues if v not in present]
    if missing:
        raise ValueError(f"no FIX session for venue(s) {', '.join(missing)}: add [SESSION] blocks "
                         "(TargetCompID = venue) or [[venue_link.sessions]]")
    leftover = leftover_placeholders(sections)
    if leftover:
        raise ValueError(f"unknown placeholders in settings: {', '.join(leftover)}")
    return sections


def write_initiator_settings(run_dir: Path, *, sender: str, venues: list[str],
                             sessions: Mapping[str, tuple[str, int]] | None = None,
                             config: Path | None = None, dialects: Mapping[str, VenueDialect] | None = None) -> Path:
    """Render ``config`` (default: the shipped template) into ``run_dir/initiator.cfg``; return its path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    source = Path(config) if config is not None else template_path()
    sections = render_initiator_settings(source.read_text(encoding="utf-8"), sender=sender, run_dir=run_dir,
                                         venues=venues, sessions=sessions, dialects=dialects)
    out = run_dir / "initiator.cfg"
    out.write_text(format_settings(sections), encoding="utf-8")
    return out


def apply_dialects(settings_path: Path, dialects: Mapping[str, VenueDialect]) -> None:
    """Write each venue's dialect keys (``dialect_settings``) into its [SESSION] of a rendered settings file,
    in place (the gateway does this before loading it, whoever rendered it); a file whose sessions all
    have the plain dialect is left byte for byte as it was."""
    dialects = {venue: d for venue, d in dialects.items() if d != _PLAIN}
    if not dialects:
        return
    path = Path(settings_path)
    sections = parse_settings(path.read_text(encoding="utf-8"))
    for name, keys in sections:
        dialect = dialects.get(keys.get("TargetCompID", "")) if name == "SESSION" else None
        if dialect is not None:
            keys.update(dialect_settings(dialect, path.parent))
    path.write_text(format_settings(sections), encoding="utf-8")


_claimed: set[str] = set()
_claims_lock = threading.Lock()


def claim_sessions(names: Iterable[str]) -> bool:
    """Reserve session ids (``FIX.4.4:SENDER->TARGET``) for this process; False if any is taken."""
    wanted = set(names)
    with _claims_lock:
        if wanted & _claimed:
            return False
        _claimed.update(wanted)
        return True


def release_sessions(names: Iterable[str]) -> None:
    """Give ids back once the sessions holding them are destroyed (not merely stopped)."""
    with _claims_lock:
        _claimed.difference_update(names)


def session_id(sender: str, target: str, begin: str = "FIX.4.4") -> str:
    return f"{begin}:{sender}->{target}"


def claim_embedded_sender(preferred: str, venues: Iterable[str]) -> tuple[str, list[str]]:
    """A SenderCompID whose sessions with ``venues`` are free on both ends: ``preferred``,
    else ``preferred`` + 2, 3, ... Claims the embedded acceptors' ids (VENUE->SENDER) and
    returns them; the gateway claims its own (SENDER->VENUE) when it starts."""
    venues = list(venues)
    for n in range(1, 1000):
        sender = preferred if n == 1 else f"{preferred}{n}"
        ours = [session_id(sender, v) for v in venues]
        theirs = [session_id(v, sender) for v in venues]
        with _claims_lock:
            if (set(ours) | set(theirs)) & _claimed:
                continue
            _claimed.update(theirs)
        return sender, theirs
    raise RuntimeError(f"no free FIX SenderCompID like {preferred!r} in this process")
