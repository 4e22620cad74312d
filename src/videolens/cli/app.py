"""Commands: analyze, demo, sessions, show, worker; chat, ask, search, export; models."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from videolens.cli.analyze import analyze_file
from videolens.cli.chat_command import ask, chat, export, search
from videolens.cli.errors import user_errors
from videolens.cli.keys_command import keys_app
from videolens.cli.models_command import models_app
from videolens.cli.progress import render_timeline
from videolens.config import SamplingStrategy, Settings
from videolens.pipeline.worker import Queue
from videolens.store import SessionStore
from videolens.video.synthetic import write_clip

app = typer.Typer(
    name="videolens",
    help="Analyse videos with vision models on Temporal workers, then explore the results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app.command()
def analyze(
    video: Annotated[Path, typer.Argument(help="The video file to analyse.")],
    strategy: Annotated[
        SamplingStrategy | None, typer.Option(help="Frame sampling strategy.")
    ] = None,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between frames (interval strategy).")
    ] = None,
    max_frames: Annotated[int | None, typer.Option(help="Most frames analysed per video.")] = None,
    backend: Annotated[str | None, typer.Option(help="Vision backend (see the README).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Analyse VIDEO with a live progress bar, then print its timeline."""
    with user_errors():
        settings = _settings(
            strategy=strategy, interval_s=interval, max_frames=max_frames, backend=backend
        )
        document = analyze_file(settings, video)
    if as_json:
        _print_json(document)
    else:
        typer.echo(render_timeline(document))


@app.command()
def demo(as_json: JsonOption = False) -> None:
    """Generate a short clip with known shots and on-screen text, and analyse it."""
    with user_errors():
        settings = _settings()
        clip = write_clip(settings.data_dir / "demo" / "demo.mp4")
        document = analyze_file(settings, clip.path)
    if as_json:
        _print_json(document)
    else:
        typer.echo(render_timeline(document))


@app.command()
def sessions(as_json: JsonOption = False) -> None:
    """List sessions, newest first."""
    with user_errors():
        summaries = SessionStore(_settings().sessions_dir).list_sessions()
    if as_json:
        _print_json(summaries)
        return
    if not summaries:
        typer.echo("no sessions yet: run `videolens analyze VIDEO`")
    for summary in summaries:
        status = summary["status"] + (f" ({summary['error']})" if summary.get("error") else "")
        typer.echo(
            f"{summary['session_id']}  {summary['created_at']}  {summary['frames']:>4} frames  "
            f"{status}  {summary['video']}"
        )


@app.command()
def show(
    session_id: Annotated[str, typer.Argument(help="A session id from `videolens sessions`.")],
    as_json: JsonOption = False,
) -> None:
    """Print one session's result."""
    with user_errors():
        document = SessionStore(_settings().sessions_dir).get(session_id)
    if as_json:
        _print_json(document)
    else:
        typer.echo(render_timeline(document))


@app.command()
def worker(
    queue: Annotated[Queue, typer.Option(help="Which task queue(s) to serve.")] = Queue.ALL,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Most activities at once (default: 2 cpu, 1 vision)."),
    ] = None,
) -> None:
    """Run a worker until interrupted (needs VIDEOLENS_TEMPORAL_ADDRESS or an embedded server)."""
    from videolens.cli.worker_command import serve_worker

    with user_errors():
        asyncio.run(serve_worker(_settings(), queue, concurrency))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the REST API and web UI against the Temporal cluster in VIDEOLENS_TEMPORAL_ADDRESS."""
    from videolens.cli import server_command

    with user_errors():
        server_command.serve(host, port)


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """All in one: embedded Temporal, a worker, the REST API and the web UI; prints the URL."""
    from videolens.cli import server_command

    with user_errors():
        server_command.up(host, port)


app.add_typer(keys_app, name="keys", help="Create, list and revoke API keys.")
app.add_typer(models_app, name="models", help="Vision backends: which can run here; pull weights.")
app.command()(chat)
app.command()(ask)
app.command()(search)
app.command()(export)
