"""``videolens models``: which vision backends can run here, and pulling model weights.

Downloading is always this explicit command (or the ``allow_model_download`` setting), never a
side effect of analysing a video.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from videolens.backends import available_backends
from videolens.backends.qwen.loading import GPU_EXTRA
from videolens.cli.command_group import CommandGroup
from videolens.cli.command_help import PlainCommand
from videolens.cli.errors import EXIT_BAD_INPUT, fail, user_errors
from videolens.cli.options import JsonOption
from videolens.config import Settings
from videolens.speech import transcriber_status

models_app = typer.Typer(
    cls=CommandGroup,
    help="Say which vision backends can run here, and pull weights.\n\n"
    "Without a command: the list (`videolens models list`).",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

NOTHING_TO_PULL = {
    "basic": "the basic backend ships with videolens; there is nothing to pull",
    "openai": "the openai backend runs on a server (VIDEOLENS_VISION_BASE_URL); nothing to pull",
    "auto": "auto picks another backend; pull that one (e.g. `videolens models pull qwen`)",
}


def backend_rows(settings: Settings) -> list[dict[str, Any]]:
    """``[{"name", "available", "reason"}]`` for every registered backend, sorted by name."""
    return [
        {"name": name, "available": availability.available, "reason": availability.reason}
        for name, availability in available_backends(settings).items()
    ]


@models_app.callback()
def models(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the vision backends and whether each can run here."""
    if ctx.invoked_subcommand is None:
        list_models(as_json)


@models_app.command("list", cls=PlainCommand)
def list_models(as_json: JsonOption = False) -> None:
    """List the vision backends and whether each can run here."""
    with user_errors():
        settings = Settings()
        rows = backend_rows(settings)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("backend", "available", "reason")
    for row in rows:
        # Text, not markup: a reason such as 'pip install -e ".[gpu]"' keeps its brackets.
        table.add_row(Text(row["name"]), "yes" if row["available"] else "no", Text(row["reason"]))
    console = Console()
    console.print(table)
    console.print(Text(_speech_line(settings)), soft_wrap=True)


def _speech_line(settings: Settings) -> str:
    """What transcribes speech with these settings, and why not when it cannot."""
    status = transcriber_status(settings)
    if status.available:
        return f"speech: {status.model} ({status.name}), available"
    return f"speech: not available — {status.reason}"


@models_app.command(cls=PlainCommand)
def pull(name: Annotated[str, typer.Argument(help="The backend whose model to download.")]) -> None:
    """Download the weights of NAME's model into the Hugging Face cache."""
    with user_errors():
        settings = Settings()
    if name in NOTHING_TO_PULL:
        typer.echo(NOTHING_TO_PULL[name])
        return
    if name != "qwen":
        fail(f"unknown backend {name!r}; `videolens models` lists them", EXIT_BAD_INPUT)
    try:
        import huggingface_hub
    except ImportError:
        fail(f"pulling qwen needs the gpu extra: {GPU_EXTRA}")
    typer.echo(f"downloading {settings.qwen_model} (about 16 GB for the 7B model)…")
    try:
        path = huggingface_hub.snapshot_download(settings.qwen_model)
    except Exception as err:  # network, auth, disk: all end the same way for the user
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        fail(f"could not download {settings.qwen_model}: {message}")
    typer.echo(f"{settings.qwen_model} is in {path}")
