"""``videolens status``: workers per task queue, backlog, running sessions and alerts, for a
person (``--json`` for a program). It only reads: in embedded mode it never starts a server."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer
from temporalio.client import Client

from videolens.cli.errors import user_errors
from videolens.cli.progress import count_of
from videolens.config import Settings
from videolens.errors import TemporalUnavailableError
from videolens.metrics.collect import Alert, Figures, collect_metrics
from videolens.pipeline.embedded_server import running_server_address
from videolens.pipeline.temporal_server import temporal_client
from videolens.store import SessionStore

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
GIB = 1024**3


def status(as_json: JsonOption = False) -> None:
    """Workers (pollers) per task queue, backlog, running sessions and alerts."""
    with user_errors():
        figures = asyncio.run(gather_status(Settings()))
    if as_json:
        typer.echo(json.dumps(asdict(figures), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_status(figures))


async def gather_status(settings: Settings) -> Figures:
    """The figures of the configured cluster, or of this data dir's embedded server if it runs."""
    store = SessionStore(settings.sessions_dir)
    if settings.temporal_address:
        where = settings.temporal_address
        try:
            async with temporal_client(settings) as client:
                return await collect_metrics(settings, store, client, temporal=where, read_gpu=True)
        except TemporalUnavailableError as err:
            return await collect_metrics(
                settings, store, None, temporal=where, read_gpu=True, connect_error=str(err)
            )
    address = running_server_address(settings.data_dir)
    if address is None:
        figures = await collect_metrics(
            settings,
            store,
            None,
            temporal=f"embedded, not running (no videolens up/analyze on {settings.data_dir})",
            read_gpu=True,
        )
        if figures.running:
            figures.alerts.append(
                Alert(
                    "VideolensSessionsPaused",
                    "warning",
                    f"{count_of(len(figures.running), 'running session')} "
                    f"{'waits' if len(figures.running) == 1 else 'wait'}: no Temporal "
                    "server runs for this data dir; they go on while `videolens up` or "
                    "`videolens analyze` runs on it",
                )
            )
        return figures
    # Straight to the recorded server: joining it as a user could stop it on leaving.
    where = f"{address} (embedded)"
    try:
        client = await Client.connect(address, namespace=settings.temporal_namespace)
    except RuntimeError as err:  # the SDK's connection error
        return await collect_metrics(
            settings, store, None, temporal=where, read_gpu=True, connect_error=str(err)
        )
    return await collect_metrics(settings, store, client, temporal=where, read_gpu=True)


def render_status(figures: Figures) -> str:
    """The figures as lines for a terminal."""
    lines = [f"Temporal: {figures.temporal}"]
    if figures.queues:
        lines.append("Task queues (workers = pollers seen in the last minutes):")
        width = max(len(queue.task_queue) for queue in figures.queues)
        for queue in figures.queues:
            oldest = f" (oldest waiting {_duration(queue.backlog_age_s)})" if queue.backlog else ""
            lines.append(
                f"  {queue.role:<6}  {queue.task_queue:<{width}}  {queue.kind:<8}  "
                f"{count_of(queue.pollers, 'worker'):>10}  backlog {queue.backlog}{oldest}"
            )
    counts = ", ".join(f"{count} {status}" for status, count in figures.sessions.items())
    lines.append(f"Sessions: {counts}")
    for session in figures.running:
        frames = count_of(int(session["frames"]), "frame")
        video = session.get("filename") or session["video"]
        lines.append(
            f"  running  {session['session_id']}  {frames} described  "
            f"since {session['created_at']}  {video}"
        )
    if figures.streams:
        streams = ", ".join(f"{count} {status}" for status, count in figures.streams.items())
        lines.append(f"Live streams: {streams}")
    for stream in figures.active_streams:
        frames = count_of(int(stream.get("frames_total") or 0), "frame")
        last = stream.get("last_frame_at")
        seen = (
            f"last frame {datetime.fromtimestamp(float(last)).strftime('%H:%M:%S')}"
            if last
            else "no frame yet"
        )
        lines.append(
            f"  {stream['status']}  {stream['stream_id']}  {frames}  {seen}  {stream['url']}"
        )
    for gpu in figures.gpus:
        lines.append(
            f"GPU {gpu.index} ({gpu.name}): memory {gpu.memory_used_bytes / GIB:.1f} of "
            f"{gpu.memory_total_bytes / GIB:.1f} GiB ({gpu.memory_used_ratio:.0%}), "
            f"busy {gpu.utilization_ratio:.0%}"
        )
    if not figures.alerts:
        lines.append("Alerts: none")
    else:
        lines.append("Alerts:")
        lines.extend(f"  {a.severity}: {a.name}: {a.message}" for a in figures.alerts)
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
