"""Commands: analyze, demo, sessions, show, worker; chat, ask, search, export; models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from videolens import __version__
from videolens.cli.analyze import analyze_file
from videolens.cli.chat_command import ask, chat, export, search
from videolens.cli.clip_command import clip, sheet
from videolens.cli.demo_footage import demo_video
from videolens.cli.errors import stderr, user_errors
from videolens.cli.keys_command import keys_app
from videolens.cli.models_command import models_app
from videolens.cli.progress import count_of, render_timeline
from videolens.cli.schema_command import schema
from videolens.cli.status_command import status
from videolens.cli.watch_command import watch
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.embedded_server import server_running
from videolens.pipeline.worker import Queue
from videolens.store import SessionStore


def _default(field: str) -> str:
    """``[default: …; env VIDEOLENS_…]`` for a setting an option overrides (the option itself
    defaults to None so that the environment and ``.env`` still apply)."""
    info = Settings.model_fields[field]
    value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
    value = getattr(value, "value", value)
    shown = "none" if value is None else value
    return f"  [default: {shown}; env VIDEOLENS_{field.upper()}]"


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
    help="Analyse videos with vision models on Temporal workers, then explore the results.",
    epilog=_sessions_epilog(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
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


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app.command()
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
    with user_errors():
        settings = _settings(
            strategy=strategy, interval_s=interval, max_frames=max_frames, backend=backend
        )
        document = analyze_file(settings, video)
    if as_json:
        _print_json(document.as_json())
    else:
        typer.echo(render_timeline(document))


@app.command()
def demo(as_json: JsonOption = False) -> None:
    """Analyse a sample: OpenCV's real footage with dialogue where Debian's opencv-doc is
    installed, else a generated clip with known shots and on-screen text."""
    with user_errors():
        settings = _settings()
        video = demo_video(settings.data_dir)
        stderr.print(Text(f"demo: {video.about}"), soft_wrap=True)
        document = analyze_file(settings, video.path)
    if as_json:
        _print_json(document.as_json())
    else:
        typer.echo(render_timeline(document))


@app.command()
def sessions(as_json: JsonOption = False) -> None:
    """List sessions, newest first (they are kept in DATA_DIR/sessions; see `videolens -h`)."""
    with user_errors():
        settings = _settings()
        summaries = SessionStore(settings.sessions_dir).list_sessions()
    if as_json:
        _print_json([summary.as_json() for summary in summaries])
        return
    paused = _paused(settings)
    if not summaries:
        typer.echo("no sessions yet: run `videolens analyze VIDEO`")
    for summary in summaries:
        status = summary.status + (f" ({summary.error})" if summary.error else "")
        if summary.status == "running" and paused:
            status += " (paused: no Temporal server runs for this data dir)"
        typer.echo(
            f"{summary.session_id}  {summary.created_at}  "
            f"{count_of(summary.frames, 'frame'):>11}  "
            f"{status}  {summary.video}"
        )


@app.command()
def show(
    session_id: Annotated[str, typer.Argument(help="A session id from `videolens sessions`.")],
    as_json: JsonOption = False,
) -> None:
    """Print one session's result."""
    with user_errors():
        settings = _settings()
        document = SessionStore(settings.sessions_dir).document(session_id)
    if as_json:
        _print_json(document.as_json())
        return
    typer.echo(render_timeline(document))
    if document.status == "running" and _paused(settings):
        stderr.print(Text(PAUSED_HINT), soft_wrap=True)


PAUSED_HINT = (
    "this analysis is paused: no Temporal server runs for this data dir; it goes on while "
    "`videolens up` or `videolens analyze` runs on it"
)


def _paused(settings: Settings) -> bool:
    """Embedded mode with no live server: a running session's workflow waits, it cannot move."""
    return not settings.temporal_address and not server_running(settings.data_dir)


@app.command()
def worker(
    queue: Annotated[
        Queue,
        typer.Option(
            metavar="[" + "|".join(q.value for q in Queue) + "]",
            help="Which task queue(s) to serve.",
        ),
    ] = Queue.ALL,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", help="Most activities at once.  [default: 2 cpu, 1 vision]"
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            metavar="PORT",
            help="Serve Prometheus metrics at :PORT/metrics; 0: none. Two workers on one host "
            "need two ports." + _default("worker_metrics_port"),
        ),
    ] = None,
) -> None:
    """Run a worker until interrupted (needs VIDEOLENS_TEMPORAL_ADDRESS or an embedded server)."""
    from videolens.cli.worker_command import serve_worker

    with user_errors():
        asyncio.run(serve_worker(_settings(worker_metrics_port=metrics_port), queue, concurrency))


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
    "serve": "Serve the REST API and web UI against the Temporal cluster in "
    "VIDEOLENS_TEMPORAL_ADDRESS.",
    "up": "All in one: embedded Temporal, a worker, the REST API and the web UI; prints the URL.",
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
    app.command(name=_name, help=_help)(_server_command(_name))
app.add_typer(keys_app, name="keys", help="Create, list, rotate and revoke API keys.")
app.add_typer(models_app, name="models", help="Vision backends: which can run here; pull weights.")
for _command in (chat, ask, search, export, watch, status, clip, sheet, schema):
    app.command()(_command)
