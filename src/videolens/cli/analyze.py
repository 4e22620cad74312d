"""``videolens analyze``: validate, create the session, run the workflow, follow it live."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import typer
from temporalio.client import WorkflowFailureError, WorkflowHandle

from videolens.backends import backend_class
from videolens.cli.errors import EXIT_INTERRUPTED, fail, stderr
from videolens.cli.progress import AnalysisProgressBar
from videolens.config import Settings
from videolens.pipeline.client import (
    analysis_input,
    follow,
    recorded_options,
    start_analysis,
)
from videolens.pipeline.shared import AnalysisSummary
from videolens.pipeline.temporal_server import temporal_client
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore
from videolens.video.probe import probe_video


def analyze_file(settings: Settings, video: Path) -> dict[str, Any]:
    """Analyse ``video`` and return the session document; errors exit with a one-line message."""
    path = video.expanduser().resolve()
    # Checked here, before a session exists, so bad input leaves nothing behind.
    probe_video(path)
    backend_class(settings.backend)
    store = SessionStore(settings.sessions_dir)
    session_id = store.new_session_id()
    store.create(str(path), recorded_options(settings), session_id=session_id)
    interrupted = asyncio.run(_run(settings, store, session_id, str(path)))
    document = store.get(session_id)
    if interrupted:
        stderr.print(f"cancelled: session {session_id} keeps what was described so far")
        raise typer.Exit(EXIT_INTERRUPTED)
    if document["status"] != "completed":
        fail(f"analysis failed: {document.get('error') or document['status']}")
    return document


async def _run(settings: Settings, store: SessionStore, session_id: str, video_path: str) -> bool:
    """Run the workflow to its end; True when the user interrupted it (then it is cancelled)."""
    request = analysis_input(settings, session_id, video_path, str(store.frames_dir(session_id)))
    async with temporal_client(settings) as client:
        if settings.temporal_address:
            handle = await start_analysis(client, request)
            return await _follow_until_done(handle)
        # Embedded mode: this process is the worker too.
        async with running_workers(client, settings, Queue.ALL):
            handle = await start_analysis(client, request)
            return await _follow_until_done(handle)


async def _follow_until_done(handle: WorkflowHandle[object, AnalysisSummary]) -> bool:
    loop = asyncio.get_running_loop()
    interrupt = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, interrupt.set)
    loop.add_signal_handler(signal.SIGTERM, interrupt.set)
    try:
        with AnalysisProgressBar(stderr) as bar:
            following = asyncio.ensure_future(follow(handle, bar.update))
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
