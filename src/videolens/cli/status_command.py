"""``videolens status``: workers per task queue, backlog, running sessions and alerts, for a
person (``--json`` for a program). It only reads: in embedded mode it never starts a server.

It answers at once when nothing runs: Temporal is asked only when its port takes a connection,
once, within ``CONNECT_TIMEOUT_S`` (no retries: a server that is down is what status reports),
and the Temporal SDK is imported only then.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import asdict
from datetime import datetime

import typer

from videolens.cli.errors import user_errors
from videolens.cli.options import JsonOption, print_json
from videolens.cli.progress import count_of
from videolens.config import Settings
from videolens.metrics.collect import Alert, Figures, collect_metrics
from videolens.pipeline.embedded_server import running_server_address
from videolens.store import SessionStore

GIB = 1024**3
CONNECT_TIMEOUT_S = 3.0
"""How long status waits for Temporal to take a connection, and then for the client."""


def status(as_json: JsonOption = False) -> None:
    """Show workers, backlog, running sessions and alerts.

    Workers are the pollers Temporal saw on each task queue in the last minutes; the backlog
    is the tasks waiting for one."""
    with user_errors():
        figures = asyncio.run(gather_status(Settings()))
    if as_json:
        print_json(asdict(figures))
    else:
        typer.echo(render_status(figures))


async def gather_status(settings: Settings) -> Figures:
    """The figures of the configured cluster, or of this data dir's embedded server if it runs."""
    store = SessionStore(settings.sessions_dir)
    if settings.temporal_address:
        return await _cluster_figures(settings, store, settings.temporal_address, embedded=False)
    address = running_server_address(settings.data_dir)
    if address is not None:
        # Straight to the recorded server: joining it as a user could stop it on leaving.
        return await _cluster_figures(settings, store, address, embedded=True)
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


async def _cluster_figures(
    settings: Settings, store: SessionStore, address: str, *, embedded: bool
) -> Figures:
    """Ask Temporal at ``address`` once; when it cannot be reached, say why in the figures."""
    where = f"{address} (embedded)" if embedded else address
    refused = await asyncio.to_thread(_connection_refused, address)
    if refused:
        return await collect_metrics(
            settings, store, None, temporal=where, read_gpu=True, connect_error=refused
        )
    # Imported here: the SDK takes a third of a second to load, and is needed only now.
    from temporalio.client import Client

    from videolens.pipeline.temporal_tls import TemporalConnection, temporal_connection

    security = TemporalConnection(tls=False, api_key=None)
    if not embedded:
        security = temporal_connection(settings)
    try:
        client = await asyncio.wait_for(
            Client.connect(
                address,
                namespace=settings.temporal_namespace,
                tls=security.tls,
                api_key=security.api_key,
            ),
            CONNECT_TIMEOUT_S,
        )
    except (RuntimeError, asyncio.TimeoutError) as err:  # RuntimeError: the SDK's error
        reason = str(err) or f"no answer within {CONNECT_TIMEOUT_S:.0f} s"
        return await collect_metrics(
            settings, store, None, temporal=where, read_gpu=True, connect_error=reason
        )
    return await collect_metrics(settings, store, client, temporal=where, read_gpu=True)


def _connection_refused(address: str) -> str:
    """Why nothing takes a TCP connection at ``host:port`` ("" when something does)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S):
            return ""
    except ValueError:
        return f"{address!r} is not host:port"
    except TimeoutError:
        return f"no connection within {CONNECT_TIMEOUT_S:.0f} s"
    except OSError as err:
        return err.strerror or str(err)


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
