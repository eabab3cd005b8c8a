"""``twin.cli_args``: a seed is a whole number from 0 to 2**63-1 (a scenario's range); anything else is
refused where argparse reads it, naming the option (exit 2), for every command that takes ``--seed``."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin import cli_args
from twin.cli import build_parser


@given(value=st.integers(-(2**70), 2**70))
def test_a_seed_is_accepted_exactly_in_range(value):
    if 0 <= value <= 2**63 - 1:
        assert cli_args.seed(str(value)) == value
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="whole number from 0 to"):
            cli_args.seed(str(value))


@pytest.mark.parametrize("text", ["", "x", "1.5", "1e3", "-0x1"])
def test_a_seed_that_is_not_a_whole_number_is_refused_with_what_was_given(text):
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text).replace("\\", "\\\\")):
        cli_args.seed(text)


def seed_commands() -> list[list[str]]:
    """Every ``twin`` (sub)command whose parser has a ``--seed`` option, as the argv that reaches it."""
    found = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, [*path, name])
            elif "--seed" in action.option_strings:
                found.append((path, action))

    walk(build_parser(), [])
    return found


def test_every_seed_option_uses_the_shared_type():
    found = seed_commands()
    assert len(found) >= 10  # run, calibrate, capacity, replay, reports run-days, venue serve, ...
    assert [path for path, action in found if action.type is not cli_args.seed] == []


@pytest.mark.parametrize("argv", [["run", "scenarios/smoke.yaml", "--seed", "-1"],
                                  ["capacity", "scenarios/smoke.yaml", "--seed", "-1"],
                                  ["calibrate-market", "--seed", "-3"]])
def test_a_negative_seed_is_a_usage_error_naming_the_option(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser(argv[0]).parse_args(argv)
    assert exit_.value.code == 2
    assert "argument --seed: must be a whole number from 0 to" in capsys.readouterr().err


@given(value=st.integers(-(2**40), 2**40))
def test_a_count_is_a_whole_number_of_one_or_more(value):
    if value >= 1:
        assert cli_args.positive(str(value)) == value
    else:
        with pytest.raises(argparse.ArgumentTypeError, match=f"must be a whole number >= 1, got '{value}'"):
            cli_args.positive(str(value))


def test_swarm_counts_and_first_seed_use_the_shared_types(capsys):
    for argv, problem in ((["--seeds", "-3"], "argument --seeds: must be a whole number >= 1, got '-3'"),
                          (["--seeds", "2", "--first-seed", "-1"], "argument --first-seed: must be a whole number from 0")):
        with pytest.raises(SystemExit):
            build_parser("swarm").parse_args(["swarm", *argv])
        assert problem in capsys.readouterr().err
