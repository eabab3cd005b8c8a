"""`twin aml` registers without loading its analytics: scikit-learn and networkx load only when a command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from twin.cli import build_parser
from twin.cli_aml import account_scores

ROOT = Path(__file__).resolve().parents[3]


def test_the_parser_knows_aml_score_and_evaluate():
    args = build_parser().parse_args(["aml", "score", "tx.csv", "--format", "ibm-aml", "--accounts", "a.csv"])
    assert args.aml_command == "score" and args.format == "ibm-aml" and args.accounts == "a.csv"
    args = build_parser().parse_args(["aml", "evaluate"])
    assert args.seed == 301 and args.model_seed == 1201  # the documented acceptance seeds, not tuning seeds


def test_building_the_parser_loads_no_analytics_library():
    script = ("import sys; from twin.cli import build_parser; build_parser(); "
              "print(sorted(m for m in ('sklearn', 'networkx', 'numpy.random', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sklearn" not in done.stdout and "networkx" not in done.stdout and "pandas" not in done.stdout


def test_account_scores_count_unlisted_flagged_accounts_as_false_positives():
    s = account_scores({"A": True, "B": True, "C": False}, {"A", "C", "Z"})
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 1)
    assert s["precision"] == round(1 / 3, 4) and s["recall"] == 0.5
    assert account_scores({}, set())["precision"] is None
