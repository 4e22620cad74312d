"""``videolens analyze``: validate, create the session, run the workflow, follow it live."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError

from videolens.backends import backend_class
from videolens.cli.errors import EXIT_INTERRUPTED, fail, stderr
from videolens.cli.progress import AnalysisProgressBar
from videolens.config import Settings
from videolens.errors import TemporalUnavailableError
from videolens.pipeline.client import (
    analysis_input,
    follow,
    recorded_options,
    start_analysis,
)
from videolens.pipeline.embedded_server import restart_if_dead
from videolens.pipeline.reconcile import reconcile_session
from videolens.pipeline.shared import AnalysisSummary, AnalyzeVideoInput
from videolens.pipeline.temporal_server import client_address, temporal_client
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus
from videolens.video.probe import probe_video


@dataclass
class _Run:
    settings: Settings
    store: SessionStore
    session_id: str
    video_path: str
    started: bool = False  # the workflow exists: from now on it owns the session's status


def analyze_file(settings: Settings, video: Path) -> dict[str, Any]:
    """Analyse ``video`` and return the session document; errors exit with a one-line message."""
    path = video.expanduser().resolve()
    # Checked here, before a session exists, so bad input leaves nothing behind.
    probe_video(path)
    backend_class(settings.backend)
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create(str(path), recorded_options(settings), session_id=session_id)
    run = _Run(settings, store, session_id, str(path))
    _quiet_temporal_core()
    try:
        interrupted = asyncio.run(_run(run))
    except TemporalUnavailableError as err:
        fail(_unavailable_message(run, err))
    document = store.get(session_id)
    if interrupted:
        stderr.print(f"cancelled: session {session_id} keeps what was described so far")
        raise typer.Exit(EXIT_INTERRUPTED)
    if document["status"] != "completed":
        fail(f"analysis failed: {document.get('error') or document['status']}")
    return document


def _quiet_temporal_core() -> None:
    """Keep the SDK core's retry warnings off the terminal: outages are reported in one line."""
    with contextlib.suppress(RuntimeError):
        quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=quiet)))


def _unavailable_message(run: _Run, err: TemporalUnavailableError) -> str:
    if not run.started:
        # No workflow will ever write this session: say so in it as well.
        with contextlib.suppress(Exception):
            run.store.finish(run.session_id, SessionStatus.FAILED, error=str(err))
        return f"{err}; nothing was analysed"
    where = (
        "it goes on in Temporal if its workers are up; `videolens show` tells"
        if run.settings.temporal_address
        else "it resumes the next time `videolens up` or `videolens analyze` runs on this data dir"
    )
    return f"{err}; session {run.session_id} was left unfinished: {where}"


async def _run(run: _Run) -> bool:
    """Run the workflow to its end; True when the user interrupted it (then it is cancelled)."""
    settings, store = run.settings, run.store
    request = analysis_input(
        settings, run.session_id, run.video_path, str(store.frames_dir(run.session_id))
    )
    try:
        async with temporal_client(settings) as client:
            recover = None if settings.temporal_address else _restarter(settings, client)
            if settings.temporal_address:
                interrupted = await _start_and_follow(run, client, request, recover)
            else:
                # Embedded mode: this process is the worker too.
                async with running_workers(client, settings, Queue.ALL):
                    interrupted = await _start_and_follow(run, client, request, recover)
            # A workflow that ended without finalizing (terminated, lost) leaves the session
            # running: give it its true status before reporting.
            await reconcile_session(client, store, store.get(run.session_id))
            return interrupted
    except RPCError as err:
        raise TemporalUnavailableError(f"Temporal stopped answering ({err.message})") from err


def _restarter(settings: Settings, client: Client) -> Callable[[], Awaitable[None]]:
    """Embedded mode: bring this data dir's server back on the port our client and worker use."""
    port = int(client_address(client).rsplit(":", 1)[1])

    async def recover() -> None:
        restarted = await asyncio.to_thread(
            restart_if_dead, settings.data_dir, settings.temporal_db_path, port
        )
        if restarted:
            stderr.print("the embedded Temporal server stopped; restarted it, following on")

    return recover


async def _start_and_follow(
    run: _Run,
    client: Client,
    request: AnalyzeVideoInput,
    recover: Callable[[], Awaitable[None]] | None,
) -> bool:
    handle = await start_analysis(client, request)
    run.started = True
    return await _follow_until_done(handle, recover)


async def _follow_until_done(
    handle: WorkflowHandle[object, AnalysisSummary],
    recover: Callable[[], Awaitable[None]] | None,
) -> bool:
    loop = asyncio.get_running_loop()
    interrupt = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, interrupt.set)
    loop.add_signal_handler(signal.SIGTERM, interrupt.set)
    try:
        with AnalysisProgressBar(stderr) as bar:
            following = asyncio.ensure_future(follow(handle, bar.update, recover=recover))
            stop = asyncio.ensure_future(interrupt.wait())
            await asyncio.wait({following, stop}, return_when=asyncio.FIRST_COMPLETED)
            if following.done():
                stop.cancel()
                try:
                    summary = following.result()
                except WorkflowFailureError:
                    return False  # the session document holds the reason
                bar.finish(summary.frames)
                return False
            following.cancel()
        stderr.print("interrupted: cancelling the analysis…")
        await handle.cancel()
        # Expected: the workflow ends cancelled once it has marked the session.
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
        return True
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
