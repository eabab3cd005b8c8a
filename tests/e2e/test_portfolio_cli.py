"""``twin portfolio propose`` on a small seed: the files it writes, determinism (same seed, same
proposals.json byte for byte), and one-line refusals of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from twin.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_propose_writes_proposals_audit_report_and_plot(tmp_path, capsys):
    out = tmp_path / "a"
    assert main(["portfolio", "propose", "--seed", "4", "--households", "6", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "portfolio seed 4: households 6" in printed and "proposal time mean" in printed
    data = json.loads((out / "proposals.json").read_text())
    assert data["seed"] == 4 and len(data["households"]) == 6
    offered = [h for h in data["households"] if h["proposal"]]
    assert offered, data["households"]
    for h in offered:
        assert h["proposal"]["trades"] and all(t["explanation"] and t["quantity"] > 0 for t in h["proposal"]["trades"])
        assert h["drift_before"]["explanation"].startswith(h["household_id"])
    for h in data["households"]:
        if h["status"].startswith("withheld"):
            assert h["findings"] and h["proposal"] is None
    audit = json.loads((out / "audit.json").read_text())
    assert [a["action"] for a in audit].count("offered") == len(offered)
    assert all(a["actor"] == "portfolio-engine" for a in audit)
    assert "![drift before and after](drift.png)" in (out / "report.md").read_text()
    assert (out / "drift.png").stat().st_size > 1_000


def test_same_seed_same_proposals_in_another_process_and_another_seed_differs(tmp_path):
    runs = {}
    for name, seed in (("a", "9"), ("c", "10")):
        assert main(["portfolio", "propose", "--seed", seed, "--households", "4", "--no-plot",
                     "--out", str(tmp_path / name)]) == 0
        runs[name] = (tmp_path / name / "proposals.json").read_bytes()
    done = subprocess.run([sys.executable, "-m", "twin.cli", "portfolio", "propose", "--seed", "9", "--households",
                           "4", "--no-plot", "--out", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "b" / "proposals.json").read_bytes() == runs["a"]
    assert runs["a"] != runs["c"]


def test_bad_input_is_one_line(tmp_path, capsys):
    assert main(["portfolio", "propose", "--households", "0", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "invalid: --households must be in 1..100000, got 0"
    bad = tmp_path / "p.yaml"
    bad.write_text("households: many\n", encoding="utf-8")
    assert main(["portfolio", "propose", "--config", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"invalid: {bad}:1: households: must be a whole number") and "\n" not in err
