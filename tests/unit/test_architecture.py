"""The rule of the house, checked: the import-linter contracts in pyproject.toml hold.

``components`` imports no runtime, simulator or infrastructure package; ``twin``
and ``live`` never import each other; venues, scenarios and reports know
neither runtime; no package has an import cycle between its modules
(DESIGN.md, "Layout"). The second test proves the check can fail: the same
contracts run on a copy of the code with one deliberate shortcut in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("components", "twin", "live", "venues_sim", "scenarios", "reports", "loadtests", "chaos")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a test dependency: "
                                                                   "pip install -e '.[test]'")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def copy_of_the_code(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "out"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(("module", "shortcut", "broken"), [
    ("components/shortcut.py", "import twin.runner\n", "components is the core"),
    ("components/shortcut.py", "import simpy\n", "components is the core"),
    ("twin/shortcut.py", "from live.bootstrap import build_live\n", "never import each other"),
    ("venues_sim/book_shortcut.py", "import venues_sim.venue\n", None),  # no cycle: must stay kept
    ("venues_sim/fees_cycle.py", "import venues_sim.venue\n", "no import cycles"),
])
def test_a_deliberate_shortcut_breaks_a_contract(tmp_path, module, shortcut, broken):
    root = copy_of_the_code(tmp_path)
    (root / module).write_text(f'"""A deliberate violation for the test."""\n{shortcut}')
    if module.endswith("fees_cycle.py"):  # close the loop: venue -> fees -> fees_cycle -> venue
        fees = root / "venues_sim" / "fees.py"
        fees.write_text(fees.read_text() + "\nfrom venues_sim import fees_cycle  # noqa: E402,F401\n")
    done = lint_imports(root)
    if broken is None:
        assert done.returncode == 0, done.stdout + done.stderr
        return
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 broken" in done.stdout
    assert broken in done.stdout.split("Broken contracts", 1)[1]
