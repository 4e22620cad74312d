"""The ``videolens`` app: analyze, demo, sessions, show, serve and up are defined here; the
other commands live in their own modules, imported when they run (``LAZY_COMMANDS``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from videolens import __version__
from videolens.cli.command_group import CommandGroup
from videolens.cli.command_help import PlainCommand
from videolens.cli.errors import stderr, user_errors
from videolens.cli.options import JsonOption, LabelOption, print_json
from videolens.cli.options import setting_default as _default
from videolens.cli.progress import count_of, render_timeline
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.embedded_server import server_running
from videolens.store import SessionStore
from videolens.timeline.model import SessionDocument

# The commands defined in other modules, in the order `videolens --help` lists them after the
# ones defined here: each is imported only when it runs (or the help lists it).
LAZY_COMMANDS = {
    "worker": "videolens.cli.worker_command:worker",
    "chat": "videolens.cli.chat_command:chat",
    "ask": "videolens.cli.library_command:ask_app",  # one video, or --all: the whole library
    "search": "videolens.cli.chat_command:search",
    "export": "videolens.cli.chat_command:export",
    "watch": "videolens.cli.watch_command:watch",
    "status": "videolens.cli.status_command:status",
    "clip": "videolens.cli.clip_command:clip",
    "sheet": "videolens.cli.clip_command:sheet",
    "schema": "videolens.cli.schema_command:schema",
    "keys": "videolens.cli.keys_command:keys_app",
    "models": "videolens.cli.models_command:models_app",
    "library": "videolens.cli.library_command:library_app",
    "reindex": "videolens.cli.library_command:reindex",
    "db": "videolens.cli.library_command:db_app",
}


class _Commands(CommandGroup):
    lazy_commands = LAZY_COMMANDS


def _sessions_epilog() -> str:
    data_dir = Settings.model_fields["data_dir"].default_factory()  # type: ignore[call-arg, misc]
    return (
        f"Sessions (results, frames, uploads) are kept in DATA_DIR/sessions; DATA_DIR is "
        f"{data_dir} unless VIDEOLENS_DATA_DIR says otherwise."
    )


# Plain Click help (not Rich panels): flags shown as flags, choices as [a|b], and no markup to
# eat text in brackets such as [mm:ss]. -h works as --help in every command.
app = typer.Typer(
    name="videolens",
    cls=_Commands,
    help="Analyse videos with vision models on Temporal workers, then explore the results.",
    epilog=_sessions_epilog(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

STRATEGIES = "[" + "|".join(s.value for s in SamplingStrategy) + "]"
# The built-in backends; a plugin's name (entry point) is accepted too.
BACKENDS = "[auto|basic|qwen|openai]"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"videolens {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Analyse videos with vision models on Temporal workers, then explore the results."""


def _settings(**overrides: Any) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def _print_timeline(document: SessionDocument, as_json: bool) -> None:
    """A session's timeline, as text or (``--json``) its whole document."""
    if as_json:
        print_json(document.as_json())
    else:
        typer.echo(render_timeline(document))


@app.command(cls=PlainCommand)
def analyze(
    video: Annotated[Path, typer.Argument(help="The video file to analyse.")],
    strategy: Annotated[
        SamplingStrategy | None,
        typer.Option(metavar=STRATEGIES, help="Frame sampling strategy." + _default("strategy")),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            help="Seconds between frames (interval strategy)." + _default("interval_s"),
        ),
    ] = None,
    max_frames: Annotated[
        int | None,
        typer.Option(metavar="N", help="Most frames analysed per video." + _default("max_frames")),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            metavar=BACKENDS,
            help="Vision backend, or a plugin's name; `videolens models` says which can run here."
            + _default("backend"),
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Analyse VIDEO with a live progress bar, then print its timeline."""
    from videolens.cli.analyze import analyze_file  # the pipeline: imported when it runs

    with user_errors():
        settings = _settings(
            strategy=strategy, interval_s=interval, max_frames=max_frames, backend=backend
        )
        document = analyze_file(settings, video)
    _print_timeline(document, as_json)


@app.command(cls=PlainCommand)
def demo(as_json: JsonOption = False) -> None:
    """Analyse a sample video and print its timeline.

    The sample is OpenCV's real footage with dialogue where Debian's opencv-doc is installed,
    else a generated clip with known shots and on-screen text."""
    from videolens.cli.analyze import analyze_file
    from videolens.cli.demo_footage import demo_video

    with user_errors():
        settings = _settings()
        video = demo_video(settings.data_dir)
        stderr.print(Text(f"demo: {video.about}"), soft_wrap=True)
        document = analyze_file(settings, video.path)
    _print_timeline(document, as_json)


@app.command(cls=PlainCommand)
def sessions(
    as_json: JsonOption = False,
    status: Annotated[
        str | None,
        typer.Option(metavar="STATUS", help="Only sessions in this state (running, completed…)."),
    ] = None,
    label: LabelOption = None,
    limit: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Most sessions listed (default: all).")
    ] = None,
    offset: Annotated[
        int, typer.Option(min=0, metavar="N", help="Sessions skipped first (for paging).")
    ] = 0,
) -> None:
    """List the sessions, newest first.

    They are kept in DATA_DIR/sessions (see `videolens -h`) and listed from the library index
    (the folders themselves when it cannot be read)."""
    from videolens.library import LibraryFilter
    from videolens.library.listings import Asked, stored_session_listing

    with user_errors():
        settings = _settings()
        chosen = LibraryFilter(status=status, label=label)
        listing = stored_session_listing(settings, Asked(chosen, limit, offset))
    summaries = listing.entries
    if as_json:
        print_json([summary.as_json() for summary in summaries])
        return
    paused = _paused(settings)
    if listing.total == 0 and chosen == LibraryFilter():
        typer.echo("no sessions yet: run `videolens analyze VIDEO`")
    for summary in summaries:
        state = summary.status + (f" ({summary.error})" if summary.error else "")
        if summary.status == "running" and paused:
            state += " (paused: no Temporal server runs for this data dir)"
        typer.echo(
            f"{summary.session_id}  {summary.created_at}  "
            f"{count_of(summary.frames, 'frame'):>11}  "
            f"{state}  {summary.video}"
        )
    if limit is not None or offset:
        stderr.print(f"{len(summaries)} of {listing.total} (from {offset})", style="dim")


@app.command(cls=PlainCommand)
def show(
    session_id: Annotated[str, typer.Argument(help="A session id from `videolens sessions`.")],
    as_json: JsonOption = False,
) -> None:
    """Print one session's timeline."""
    with user_errors():
        settings = _settings()
        document = SessionStore(settings.sessions_dir).document(session_id)
    _print_timeline(document, as_json)
    if not as_json and document.status == "running" and _paused(settings):
        stderr.print(Text(PAUSED_HINT), soft_wrap=True)


PAUSED_HINT = (
    "this analysis is paused: no Temporal server runs for this data dir; it goes on while "
    "`videolens up` or `videolens analyze` runs on it"
)


def _paused(settings: Settings) -> bool:
    """Embedded mode with no live server: a running session's workflow waits, it cannot move."""
    return not settings.temporal_address and not server_running(settings.data_dir)


SslCertOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PEM",
        help="Serve HTTPS with this certificate (chain); needs --ssl-keyfile."
        + _default("ssl_certfile"),
    ),
]
SslKeyOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PEM", help="The certificate's private key (unencrypted)." + _default("ssl_keyfile")
    ),
]


# The commands that serve the API, each run by ``server_command``'s function of the same name
# (imported when one runs: it pulls in the web stack).
_SERVER_COMMANDS = {
    "serve": "Serve the REST API and web UI on a Temporal cluster.\n\n"
    "The cluster is the one in VIDEOLENS_TEMPORAL_ADDRESS; its workers run apart "
    "(`videolens worker`).",
    "up": "Run it all: Temporal, a worker, the REST API and web UI.\n\n"
    "Temporal is this data dir's embedded server; the URL to open is printed first.",
}


def _server_command(name: str) -> Callable[..., None]:
    def run(
        host: Annotated[str, typer.Option(metavar="HOST", help="Address to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
        ssl_certfile: SslCertOption = None,
        ssl_keyfile: SslKeyOption = None,
    ) -> None:
        from videolens.cli import server_command

        serve_api: Callable[[str, int, Settings], None] = getattr(server_command, name)
        with user_errors():
            settings = _settings(ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
            serve_api(host, port, settings)

    return run


for _name, _help in _SERVER_COMMANDS.items():
    app.command(name=_name, help=_help, cls=PlainCommand)(_server_command(_name))
