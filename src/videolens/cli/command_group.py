"""Command groups that list each command's first sentence whole, and import a command's
module only when that command is used.

Importing every command's module (the API, the chat stack, the pipeline) costs more than a
second; ``videolens status`` or ``videolens sessions`` should not pay it. A command named in
``lazy_commands`` is imported when it runs, or when ``videolens --help`` lists it.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import ClassVar

import typer
from typer import _click as click  # Typer (0.26 on) vendors Click: its classes, not click's
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from videolens.cli.command_help import PlainCommand

# Click cuts a command's first sentence to fit the terminal; this long, it never does.
WHOLE_SENTENCE = 1_000


def load_command(name: str, target: str) -> click.Command:
    """The Click command ``name`` from ``"module:attribute"``: a command function, or a Typer
    app of subcommands."""
    module, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        return typer.main.get_command(found)
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command(name=name, cls=PlainCommand)(found)
    return typer.main.get_command(single)


def subcommands_app(help_text: str) -> typer.Typer:
    """The app of a command made of subcommands (``videolens keys …``): without one it prints
    its help, which lists them (``CommandGroup``)."""
    return typer.Typer(
        cls=CommandGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )


class CommandGroup(TyperGroup):
    """A Typer group whose commands in ``lazy_commands`` (name → ``"module:attribute"``) are
    imported on first use, listed after the commands defined with the app; its help lists
    each command with the first sentence of its help, whole (wrapped, never cut with "...")."""

    lazy_commands: ClassVar[dict[str, str]] = {}

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=WHOLE_SENTENCE)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *(name for name in self.lazy_commands if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = load_command(cmd_name, self.lazy_commands[cmd_name])
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as err:
            # Typer suggests from the commands loaded so far; suggest from all of them.
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in err.message:
                suggestions = ", ".join(repr(match) for match in matches)
                err.message = f"{err.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
