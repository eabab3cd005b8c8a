"""QuickFIX settings files as data: parse, format, session names, the data dictionary.

A QuickFIX settings file is ``[DEFAULT]`` plus repeated ``[SESSION]``
sections of ``Key=Value`` lines, which is why this is not ``configparser``.
Used to render the shipped templates of both ends (the venue acceptor,
``venues_sim.fix_config``; the live gateway's initiator,
``live.adapters.fix.settings``). No quickfix import: the data dictionary is
found on disk where the quickfix package installs it.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from pathlib import Path

Section = tuple[str, dict[str, str]]


def data_dictionary(name: str = "FIX44.xml") -> Path:
    """Path of a FIX data dictionary installed with quickfix.

    ``QUICKFIX_DATA_DICTIONARY_DIR`` (if set) is tried first, then the
    ``share/quickfix`` folder of this interpreter's prefix, its data path and
    the user base. Raises FileNotFoundError listing where it looked.
    """
    dirs = []
    if os.environ.get("QUICKFIX_DATA_DICTIONARY_DIR"):
        dirs.append(Path(os.environ["QUICKFIX_DATA_DICTIONARY_DIR"]))
    for base in (sys.prefix, sysconfig.get_path("data"), sys.base_prefix, site.getuserbase()):
        dirs.append(Path(base) / "share" / "quickfix")
    for folder in dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} not found; looked in: {', '.join(str(d) for d in dict.fromkeys(dirs))}")


def parse_settings(text: str) -> list[Section]:
    """A QuickFIX settings file as ``[(section name, {key: value})]`` in file order.

    Comments (``#``) and blank lines are dropped. Raises ValueError for a key
    outside a section or a line without ``=``.
    """
    sections: list[Section] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].strip(), {}))
            continue
        key, eq, value = line.partition("=")
        if not eq or not sections:
            raise ValueError(f"line {number}: expected [SECTION] or KEY=VALUE, got {raw!r}")
        sections[-1][1][key.strip()] = value.strip()
    return sections


def format_settings(sections: list[Section]) -> str:
    """Inverse of ``parse_settings`` (without the comments)."""
    lines: list[str] = []
    for name, values in sections:
        lines.append(f"[{name}]")
        lines.extend(f"{key}={value}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def defaults_of(sections: list[Section]) -> dict[str, str]:
    """The [DEFAULT] section's values (an empty dict if there is none)."""
    return next((values for name, values in sections if name == "DEFAULT"), {})


def sessions_of(sections: list[Section]) -> list[dict[str, str]]:
    """Each [SESSION] with the [DEFAULT] values filling its gaps, in file order."""
    defaults = defaults_of(sections)
    return [{**defaults, **values} for name, values in sections if name == "SESSION"]


def session_names(sections: list[Section]) -> list[str]:
    """``BEGIN:SENDER->TARGET`` of each [SESSION], [DEFAULT] values filling the gaps."""
    return [f"{s.get('BeginString')}:{s.get('SenderCompID')}->{s.get('TargetCompID')}" for s in sessions_of(sections)]


def leftover_placeholders(sections: list[Section]) -> list[str]:
    """``KEY=VALUE`` lines still holding a ``${...}`` placeholder after rendering."""
    return [f"{key}={value}" for _, values in sections for key, value in values.items() if "${" in value]
