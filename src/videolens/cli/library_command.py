"""Commands over the whole library: ``ask --all``, ``library list``/``search``, ``reindex`` and
``db upgrade`` (registered on the main app in ``cli/app.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from typer import _click as click  # Typer (0.26 on) vendors Click: its classes, not click's

from videolens.api.security import KeyStore, Role
from videolens.cli import chat_command
from videolens.cli.command_group import subcommands_app
from videolens.cli.command_help import PlainCommand
from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr, user_errors
from videolens.cli.options import JsonOption, LabelOption, print_json
from videolens.config import Settings
from videolens.library import LibraryFilter, connect_index, open_index
from videolens.library.hits import shown_hit
from videolens.library.opening import upgrade_index
from videolens.library.questions import LibraryAnswer, answer_question
from videolens.library.reindex import rebuild
from videolens.store import SessionStore
from videolens.streams.store import StreamStore
from videolens.timeline.clock import resolve_zone

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        metavar="KEY",
        help="Act as this API key (vl_…): only its videos (an admin's: all).",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", metavar="DATE", help="From this date or instant (ISO 8601, UTC)."),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", metavar="DATE", help="Up to this date or instant (inclusive)."),
]
SourceOption = Annotated[
    Literal["file", "stream"] | None,
    typer.Option("--source", metavar="SOURCE", help="file or stream."),
]

DB_HELP = (
    "Manage the library database.\n\n"
    "It is SQLite in the data dir, or the PostgreSQL of VIDEOLENS_DATABASE_URL."
)
library_app = subcommands_app("List and search every video's moments in one index.")
db_app = subcommands_app(DB_HELP)
# `ask` alone (registered as this app): its usage has two lines, one per form.
ask_app = typer.Typer(add_completion=False, rich_markup_mode=None)


class _AskCommand(PlainCommand):
    """``ask SESSION_ID QUESTION`` or ``ask --all QUESTION``: one usage line for each."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] SESSION_ID QUESTION")
        formatter.write_usage(ctx.command_path, "[OPTIONS] --all QUESTION", prefix="   or: ")


@db_app.callback()
def _db() -> None:
    """Manage the library database.

    It is SQLite in the data dir, or the PostgreSQL of VIDEOLENS_DATABASE_URL."""


def _owner(settings: Settings, raw_key: str | None) -> str | None:
    """Whose videos the command reads: the key's owner, None for an admin key or no key (the
    operator of this machine, as the API treats the local user)."""
    if raw_key is None:
        return None
    record = KeyStore(settings.data_dir / "keys.json").verify(raw_key)
    if record is None or record.expired():
        fail("unknown or expired key: `videolens keys list` shows the keys", EXIT_BAD_INPUT)
    return None if record.role is Role.ADMIN else record.owner_id


@ask_app.command("ask", cls=_AskCommand)
def ask(
    target: Annotated[
        str,
        typer.Argument(
            metavar="SESSION_ID",
            help="A session id (`videolens sessions`) or a live stream's id; with --all, the "
            "question.",
        ),
    ],
    question: Annotated[
        str | None,
        typer.Argument(metavar="QUESTION", help="The question about the video (not with --all)."),
    ] = None,
    every_video: Annotated[
        bool, typer.Option("--all", help="Ask the whole library: every video you may see.")
    ] = False,
    as_json: JsonOption = False,
    tz: chat_command.TimeZoneOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
) -> None:
    """Ask one question about a video, or (--all) the whole library.

    A session's answer cites [mm:ss] moments, a stream's local wall-clock [14:05:12]; with --all
    ("in which videos does a white van appear?", "how often …", "the last time …") the answer
    cites [video title @ mm:ss] moments of the videos you may see."""
    if not every_video:
        if question is None:
            fail("name the question after the session id, or ask the library with --all",
                 EXIT_BAD_INPUT)  # fmt: skip
        chat_command.ask(target, question, as_json=as_json, tz=tz)
        return
    if question is not None:
        fail("with --all, give only the question", EXIT_BAD_INPUT)
    with user_errors():
        settings = Settings()
        chosen = LibraryFilter(owner=_owner(settings, key), since=since, until=until,
                               source=source)  # fmt: skip
        # The days a question names ("yesterday") are UTC's unless --tz gives the asker's zone.
        zone = resolve_zone(tz, "UTC")
        with open_index(settings) as index:
            answer = answer_question(settings, index, target, chosen, zone)
        _show_answer(answer, as_json)


def _show_answer(answer: LibraryAnswer, as_json: bool) -> None:
    if as_json:
        print_json(answer.as_dict())
        return
    typer.echo(answer.answer)
    if answer.mode == "offline":
        stderr.print("(from the library index; no chat model configured)", style="dim")
    for citation in answer.citations:
        if not citation.valid:
            stderr.print(f"warning: [{citation.text}] matches no moment in the library",
                         style="yellow", highlight=False, markup=False)  # fmt: skip


@library_app.command("list", cls=PlainCommand)
def list_videos(
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    label: LabelOption = None,
    limit: Annotated[
        int, typer.Option(min=1, max=500, metavar="N", help="Most videos listed.")
    ] = 50,
    offset: Annotated[
        int, typer.Option(min=0, metavar="N", help="Videos skipped first (for paging).")
    ] = 0,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the sessions and streams in the library, newest first."""
    with user_errors():
        settings = Settings()
        chosen = LibraryFilter(owner=_owner(settings, key), since=since, until=until,
                               source=source, label=label)  # fmt: skip
        with open_index(settings) as index:
            page = index.videos(chosen, limit=limit, offset=offset)
    if as_json:
        print_json({"videos": [v.as_dict() for v in page.videos], "total": page.total})
        return
    for video in page.videos:
        typer.echo(f"{video.video_id}  {video.kind:6}  {video.status:9}  {video.created_at}  "
                   f"{video.title}")  # fmt: skip
    stderr.print(f"{len(page.videos)} of {page.total} (from {offset})", style="dim")


@library_app.command("search", cls=PlainCommand)
def search_library(
    query: Annotated[str, typer.Argument(help="Words to look for: seen, read or said.")],
    video: Annotated[
        list[str] | None,
        typer.Option("--video", metavar="ID", help="Only this video id (repeatable)."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    limit: Annotated[
        int, typer.Option(min=1, max=200, metavar="N", help="Most moments shown.")
    ] = 20,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search every video's moments at once, ranked with one scoring."""
    with user_errors():
        settings = Settings()
        chosen = LibraryFilter(owner=_owner(settings, key), video_ids=tuple(video or ()),
                               since=since, until=until, source=source)  # fmt: skip
        with open_index(settings) as index:
            hits = index.search(query, chosen, limit)
    if as_json:
        print_json([shown_hit(h) for h in hits])
        return
    for hit in hits:
        shown = shown_hit(hit)
        typer.echo(f"[{shown['citation']}]  {hit.score:.3f}  {shown['description']}")


def reindex() -> None:
    """Rebuild the library index from the stored sessions and streams."""
    with user_errors():
        settings = Settings()
        with open_index(settings) as index:
            rebuilt = rebuild(index, SessionStore(settings.sessions_dir),
                              StreamStore(settings.streams_dir))  # fmt: skip
    typer.echo(f"indexed {rebuilt.sessions} sessions and {rebuilt.streams} streams "
               f"({rebuilt.moments} moments)")  # fmt: skip


@db_app.command("upgrade", cls=PlainCommand)
def upgrade() -> None:
    """Apply the library database's new migrations.

    Run it once per deployment, and after each upgrade of videolens."""
    with user_errors():
        settings = Settings()
        with connect_index(settings) as index:
            version = upgrade_index(index, settings)
    where = "PostgreSQL" if settings.database_url else "SQLite in the data dir"
    typer.echo(f"library database ({where}) at schema version {version}")
