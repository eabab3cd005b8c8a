"""``twin run`` and ``twin validate`` on a user's mistake: one line naming what is wrong, exit 2, no
traceback, and nothing run (the checks come before the simulation)."""

from __future__ import annotations

import pytest

from twin.cli import main


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_missing_scenario_file_or_a_folder_is_one_line(command, tmp_path, capsys):
    for path, problem in ((tmp_path / "missing.yaml", "No such file or directory"), (tmp_path, "Is a directory")):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err == f"cannot read {path}: {problem}\n"


def test_out_naming_a_file_is_refused_before_the_run(tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    assert main(["run", "scenarios/smoke.yaml", "--quiet", "--out", str(taken)]) == 2
    assert capsys.readouterr().err == f"--out: {taken} is a file, not a folder\n"
    assert taken.read_text() == "mine"


def test_out_through_a_file_is_refused_before_the_run(tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    assert main(["run", "scenarios/smoke.yaml", "--quiet", "--out", str(taken / "sub")]) == 2
    assert capsys.readouterr().err == f"--out: cannot make {taken / 'sub'}: Not a directory\n"
