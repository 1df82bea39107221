"""Usage errors of `emissions` are one line naming the close match of what was mistyped, exit 2;
every option has a help text."""

from __future__ import annotations

import argparse

import pytest

from orchestration.cli import main, parser


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["rn"], "invalid choice: 'rn' (choose from 'sample', 'run', 'backfill', 'ui', 'demo', "
         "'sql', 'report'); did you mean run? (see emissions -h)"),
        (["run", "--selct", "raw_stats__gdp"], "unrecognized arguments: --selct raw_stats__gdp; "
         "did you mean --select? (see emissions -h)"),
        (["run", "--frobnicate"], "unrecognized arguments: --frobnicate (see emissions -h)"),
    ],
)  # fmt: skip
def test_a_usage_error_is_one_line_with_the_close_match(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("emissions: ") and lines[0].endswith(expected)


def test_every_option_of_every_command_has_help():
    root = parser()
    commands = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, command in commands.choices.items()
        for action in command._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert not missing, missing
