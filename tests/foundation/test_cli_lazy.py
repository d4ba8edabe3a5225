"""The lazily loaded command table lists exactly what the eagerly built app registers, in its order."""

from __future__ import annotations

import typer.main

from amzauth.cli import main as cli_main


def test_command_table_matches_the_registered_app() -> None:
    eager = typer.main.get_group(cli_main.build_app())
    lazy = cli_main.lazy_group()
    assert list(lazy.commands) == list(eager.commands)
    for name in eager.commands:
        assert lazy.commands[name].name == eager.commands[name].name
        assert lazy.commands[name].help == eager.commands[name].help
    assert sorted(set(cli_main.COMMANDS.values())) == sorted(cli_main.MODULES)


def test_unknown_command_is_not_in_the_table() -> None:
    lazy = cli_main.lazy_group()
    assert "nosuch" not in lazy.commands
    assert lazy.commands.get("nosuch") is None
