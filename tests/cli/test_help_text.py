"""Every ``--help`` of the real app reads as a person wrote it (issue 20): usage lines name
arguments as ``VIDEO`` or ``SESSION_ID QUESTION``, never Typer's ``{video}`` or ``<path>``, and
``videolens --help`` lists each command with a whole first sentence, never cut with "..."."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from videolens.cli.app import app

runner = CliRunner()
ROOT = typer.main.get_command(app)


def _help(args: list[str], columns: int = 80) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _command_paths() -> list[list[str]]:
    """Every command and subcommand of the app, as the words that run it."""
    context = typer.Context(ROOT)
    paths = []
    for name in ROOT.list_commands(context):
        command = ROOT.get_command(context, name)
        paths.append([name])
        if hasattr(command, "list_commands"):
            sub = typer.Context(command, parent=context)
            paths += [[name, child] for child in command.list_commands(sub)]
    return paths


def _commands_section(help_text: str) -> list[str]:
    """The lines of the help's Commands section (rows and their wrapped continuations)."""
    section = help_text.split("Commands:\n", 1)[1]
    return section.split("\n\n", 1)[0].splitlines()


def test_every_command_is_listed() -> None:
    names = [path[0] for path in _command_paths() if len(path) == 1]
    assert {"analyze", "ask", "status", "worker", "keys", "models", "schema"} <= set(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["analyze"], "Usage: videolens analyze [OPTIONS] VIDEO"),
        (["ask"], "Usage: videolens ask [OPTIONS] SESSION_ID QUESTION"),
        (["chat"], "Usage: videolens chat [OPTIONS] SESSION_ID"),
        (["search"], "Usage: videolens search [OPTIONS] [ID] QUERY..."),
        (["clip"], "Usage: videolens clip [OPTIONS] SESSION_ID TIME"),
        (["watch"], "Usage: videolens watch [OPTIONS] URL"),
        (["models", "pull"], "Usage: videolens models pull [OPTIONS] NAME"),
        (["keys", "revoke"], "Usage: videolens keys revoke [OPTIONS] KEY_ID"),
        (["status"], "Usage: videolens status [OPTIONS]"),
    ],
)
def test_usage_lines_name_arguments_in_capitals(args: list[str], usage: str) -> None:
    assert _help(args).splitlines()[0] == usage


def test_no_help_shows_typer_markup() -> None:
    """No ``{video}``, no ``video <path>`` or ``--tz <str>``: arguments and option values are
    named in capitals, listed under the name the usage line gives them."""
    for path in _command_paths():
        text = _help(path)
        usage = text.split("\n\n", 1)[0]  # the usage line(s)
        assert "{" not in usage and "}" not in usage, (path, usage)
        assert not re.search(r"<[a-z][a-z ,\[\]|]*>", text), (path, text)
        arguments = (
            text.split("Arguments:\n", 1)[1].split("\n\n", 1)[0] if "Arguments:" in text else ""
        )
        for row in re.findall(r"^  (\S[^ ]*(?: \S+)*?)  ", arguments, re.MULTILINE):
            assert (
                row.replace("[", "").replace("]", "").replace("...", "").replace(" ", "").isupper()
            ), (
                path,
                row,
            )
            assert row.strip("[]") in usage, (path, row, usage)


@pytest.mark.parametrize("group", [[], ["keys"], ["models"], ["library"], ["db"]])
def test_command_lists_give_whole_sentences_that_fit(group: list[str]) -> None:
    """At 80 columns each command's line is one whole sentence; never cut with '...'."""
    rows = _commands_section(_help(group))
    assert rows
    for row in rows:
        assert re.match(r"^  \S+ +\S", row), f"a command's help wrapped: {row!r}"
        assert row.endswith("."), row
        assert "..." not in row, row


def test_a_narrow_terminal_wraps_the_sentence_rather_than_cutting_it() -> None:
    rows = _commands_section(_help([], columns=50))
    flat = " ".join(" ".join(rows).split())
    assert "..." not in flat
    assert "status Show workers, backlog, running sessions and alerts." in flat


def test_the_listed_sentence_opens_the_command_help() -> None:
    listed = {row.split()[0]: row.split(None, 1)[1] for row in _commands_section(_help([]))}
    for name, sentence in listed.items():
        body = " ".join(_help([name], columns=200).split("\n\n", 2)[1].split())
        assert body.startswith(sentence), (name, sentence, body)
