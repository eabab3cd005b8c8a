"""``twin COMMAND`` imports the command modules only up to the one that adds COMMAND (``build_parser(command)``),
and the scenario loader only in the commands that read a scenario; ``twin --help`` still lists every command.

The import checks run in a fresh interpreter, so no other test's imports leak into ``sys.modules``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from twin.cli import COMMAND_MODULES, build_parser

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import contextlib, io, json, sys
from twin.cli import COMMAND_MODULES, main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --help
        code = exc.code
print(json.dumps({"code": code, "stdout": out.getvalue(),
                  "modules": [m for m in COMMAND_MODULES if m in sys.modules],
                  "heavy": sorted(m for m in ("scenarios.config", "pyarrow", "numpy") if m in sys.modules)}))
"""


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _twin(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_command_is_found_by_the_parser_built_for_it():
    everything = _commands(build_parser())
    assert {"run", "validate", "serve", "venue", "reports", "aml"} <= set(everything)
    for name in everything:
        lazily = _commands(build_parser(name))
        assert name in lazily, name
        assert lazily[name].format_help() == everything[name].format_help(), name


def test_an_unknown_command_or_no_command_gets_the_whole_parser():
    everything = set(_commands(build_parser()))
    assert set(_commands(build_parser("no-such-command"))) == everything
    assert set(_commands(build_parser("--help"))) == everything


def test_validate_imports_no_command_module():
    out = _twin("validate", str(ROOT / "scenarios" / "smoke.yaml"))
    assert out["code"] == 0 and out["stdout"].startswith("ok: ")
    assert out["modules"] == []


def test_a_command_that_reads_no_scenario_does_not_load_the_scenario_model():
    out = _twin("replay-log", "--help")
    assert out["code"] == 0 and "replay-log" in out["stdout"]
    assert out["modules"] == [COMMAND_MODULES[0]]  # twin.cli_replay_log adds replay-log
    assert out["heavy"] == []


def test_help_still_lists_every_command():
    out = _twin("--help")
    assert out["code"] == 0
    assert out["modules"] == list(COMMAND_MODULES)
    for name in _commands(build_parser()):
        assert name in out["stdout"], name
