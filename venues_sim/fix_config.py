"""QuickFIX settings for a venue acceptor: the shipped template, rendering, the data dictionary.

Owns turning ``venues_sim/fix/acceptor.cfg`` (or a user's settings file in
the same format) into a concrete QuickFIX settings file for one run:
``${VENUE}``, ``${PORT}``, ``${DATA_DICTIONARY}`` and ``${RUN_DIR}`` are
filled in, the listening port is forced to the one asked for, and sessions
are limited to loopback peers. The rendered file is written into the run
folder so what QuickFIX actually loaded can be read afterwards.

No quickfix import here: the data dictionary is found on disk, where the
quickfix package installs it (``<prefix>/share/quickfix/FIX44.xml``).
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from importlib import resources
from pathlib import Path
from string import Template

LOOPBACK = "127.0.0.1"

Section = tuple[str, dict[str, str]]


def template_path() -> Path:
    """The acceptor settings template shipped as package data."""
    return Path(str(resources.files(__package__).joinpath("fix", "acceptor.cfg")))


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

    Comments (``#``) and blank lines are dropped; [SESSION] may repeat, which
    is why this is not ``configparser``. Raises ValueError for a key outside
    a section or a line without ``=``.
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
    leftover = [f"{key}={value}" for _, values in sections for key, value in values.items() if "${" in value]
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


def session_names(sections: list[Section]) -> list[str]:
    """``BEGIN:SENDER->TARGET`` of each [SESSION], [DEFAULT] values filling the gaps."""
    defaults = next((values for name, values in sections if name == "DEFAULT"), {})
    names = []
    for name, values in sections:
        if name == "SESSION":
            merged = {**defaults, **values}
            names.append(f"{merged.get('BeginString')}:{merged.get('SenderCompID')}->{merged.get('TargetCompID')}")
    return names
