"""How a command's ``--help`` reads: usage and arguments named as a person writes them.

Typer marks a required argument ``{video}`` in the usage line and lists it as ``video <path>``;
``PlainCommand`` writes ``videolens analyze [OPTIONS] VIDEO`` and lists ``VIDEO`` with its help,
as Click and most Unix tools do: an argument's metavar, else its name in capitals; ``[NAME]``
when it may be left out; ``NAME...`` when it takes several.
"""

from __future__ import annotations

from typer import _click as click  # Typer (0.26 on) vendors Click: its classes, not click's
from typer.core import TyperCommand


def argument_metavar(argument: click.Parameter) -> str:
    """``VIDEO``, ``[VIDEO]`` (optional), ``WORDS...`` (several): the argument as usage shows it."""
    name = argument.metavar or (argument.name or "").upper()
    if not argument.required and not name.startswith("["):
        name = f"[{name}]"
    if argument.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name


def _argument_help(argument: click.Parameter, ctx: click.Context) -> str:
    """The argument's help with its default, without Typer's ``[required]`` (usage says it)."""
    record = argument.get_help_record(ctx)
    text = record[1] if record else ""
    return text.replace("; required]", "]").replace("[required]", "").strip()


class PlainCommand(TyperCommand):
    """A Typer command whose usage line and argument list read like a person wrote them."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        pieces += [
            argument_metavar(param)
            for param in self.get_params(ctx)
            if param.param_type_name == "argument"
        ]
        return pieces

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        arguments = [
            (argument_metavar(param), _argument_help(param, ctx))
            for param in self.get_params(ctx)
            if param.param_type_name == "argument" and not getattr(param, "hidden", False)
        ]
        options = [
            record
            for param in self.get_params(ctx)
            if param.param_type_name == "option" and (record := param.get_help_record(ctx))
        ]
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)
