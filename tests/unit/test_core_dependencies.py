"""`make run` installs only the core dependencies (`pip install -e .`), so everything a
`twin run` imports must come from them. CI installs every extra for the tests, so a module
that only an extra brings would pass here and fail for a new user: this test runs the smoke
scenario with every module outside the core's requirement closure made unimportable, as on
a core-only install (optional imports, such as pyarrow's of cloudpickle, fall back as they
would there)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"components", "twin", "live", "venues_sim", "scenarios", "reports", "loadtests", "chaos", "tests"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def core_closure() -> set[str]:
    """The core dependencies and everything they require (extras and markers not taken)."""
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    todo, seen = [_name(r) for r in core], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for req in metadata.requires(name) or ():
            if "extra ==" not in req:
                todo.append(_name(req))
    return seen


BLOCKER = """
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not a core dependency)", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
"""


def test_a_twin_run_needs_nothing_beyond_the_core_dependencies(tmp_path):
    allowed = core_closure()
    blocked = sorted(module for module, dists in metadata.packages_distributions().items()
                     if module not in OWN and not {d.lower().replace("_", "-") for d in dists} & allowed)
    assert "quickfix" in blocked and "numpy" not in blocked  # the closure is what it should be
    script = (f"BLOCKED = set({blocked!r})" + BLOCKER + "from twin.cli import main; "
              f"sys.exit(main(['run', 'scenarios/smoke.yaml', '--out', {str(tmp_path / 'run')!r}, '--quiet']))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "invariants:" in done.stdout
