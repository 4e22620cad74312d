"""The embedded Temporal dev server of one data dir, shared by the processes that use that dir.

The server belongs to its data dir: its port and process id are recorded in
``<data_dir>/temporal-server.json``, and a server is reused only when that record names a live
``temporal`` process running on this data dir's database. Anything else listening on the
configured port (another data dir's server, a user's own dev server) is never used: a free port
is taken instead.

Several processes may use one data dir's server at once (two ``videolens analyze`` runs, ``up``
beside an ``analyze``). Each holds a shared ``flock`` on ``temporal-server.users`` while it does;
the last one to leave (the one that can turn its lock exclusive) stops the server. The kernel
drops the locks of a killed process, so a crashed user never keeps the server alive for ever, and
a server orphaned by a crash is adopted by the next user and stopped by the last one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import psutil

from videolens.errors import TemporalUnavailableError
from videolens.pipeline.dev_server import (
    START_DEADLINE_S,
    free_port,
    listening,
    start_dev_server,
    wait_until_listening,
)

STATE_FILE = "temporal-server.json"
START_LOCK_FILE = "temporal-server.lock"
USERS_LOCK_FILE = "temporal-server.users"
STOP_DEADLINE_S = 10.0
START_ATTEMPTS = 3


@dataclass
class ServerRecord:
    """What the data dir knows of its server."""

    port: int
    pid: int
    db_path: str


def _read_record(data_dir: Path) -> ServerRecord | None:
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        return ServerRecord(port=int(raw["port"]), pid=int(raw["pid"]), db_path=str(raw["db_path"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(data_dir: Path, record: ServerRecord) -> None:
    temporary = data_dir / f".{STATE_FILE}.tmp"
    temporary.write_text(json.dumps(asdict(record)), encoding="utf-8")
    temporary.replace(data_dir / STATE_FILE)


def is_our_server(record: ServerRecord) -> bool:
    """True when ``record.pid`` is a live ``temporal`` dev server on ``record.db_path``."""
    try:
        process = psutil.Process(record.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        command = process.cmdline()
    except (psutil.Error, OSError):
        return False
    return "start-dev" in command and record.db_path in command


def server_running(data_dir: Path) -> bool:
    """Whether this data dir's embedded server is alive (without starting one)."""
    record = _read_record(data_dir)
    return record is not None and is_our_server(record)


def running_server_address(data_dir: Path) -> str | None:
    """``127.0.0.1:PORT`` of this data dir's embedded server while it is alive, else None.

    For readers (``videolens status``) that must not start a server, nor stop it on leaving.
    """
    record = _read_record(data_dir)
    return f"127.0.0.1:{record.port}" if record is not None and is_our_server(record) else None


@contextmanager
def _locked(path: Path, mode: int) -> Iterator[IO[bytes]]:
    handle = path.open("a+b")
    try:
        fcntl.flock(handle, mode)
        yield handle
    finally:
        handle.close()  # closing drops the lock


@contextmanager
def embedded_server(data_dir: Path, db_path: Path, preferred_port: int) -> Iterator[str]:
    """Yield the address of this data dir's dev server, starting it when none runs.

    The server is stopped when the last process using it leaves the block.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    users = (data_dir / USERS_LOCK_FILE).open("a+b")
    try:
        with _locked(data_dir / START_LOCK_FILE, fcntl.LOCK_EX):
            record = _running_record(data_dir, db_path, preferred_port)
            fcntl.flock(users, fcntl.LOCK_SH)
        yield f"127.0.0.1:{record.port}"
    finally:
        with _locked(data_dir / START_LOCK_FILE, fcntl.LOCK_EX):
            try:
                # Succeeds only when no other process holds the users lock: we are the last.
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass
            else:
                _stop_recorded(data_dir)
            users.close()


def restart_if_dead(data_dir: Path, db_path: Path, port: int) -> bool:
    """Start this data dir's server again on ``port`` when it has died; True when restarted.

    For a process inside ``embedded_server`` whose server was killed under it: its clients and
    workers reconnect by themselves once a server answers on the same port with the same
    database, so the server must come back on that port, not a free one.
    """
    with _locked(data_dir / START_LOCK_FILE, fcntl.LOCK_EX):
        record = _read_record(data_dir)
        if record is not None and record.db_path == str(db_path) and is_our_server(record):
            return False  # alive, or already restarted by another user of the data dir
        if record is not None:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(record.pid, os.WNOHANG)  # reap it when it was our child
        if listening(port):
            raise TemporalUnavailableError(
                f"the embedded Temporal server died and port {port} is now taken by another "
                "process, so it cannot be restarted where this run's clients expect it"
            )
        process = start_dev_server(port, data_dir / "temporal.log", db_path=db_path)
        if not _serves(process, port):
            _stop_pid(process.pid)
            raise TemporalUnavailableError(
                f"the embedded Temporal server died and did not restart; see "
                f"{data_dir / 'temporal.log'}"
            )
        _write_record(data_dir, ServerRecord(port=port, pid=process.pid, db_path=str(db_path)))
        return True


def _running_record(data_dir: Path, db_path: Path, preferred_port: int) -> ServerRecord:
    """The recorded server when it is ours and alive, else a newly started one."""
    record = _read_record(data_dir)
    if record is not None and record.db_path == str(db_path) and is_our_server(record):
        wait_until_listening(record.port)
        return record
    port = preferred_port if not listening(preferred_port) else free_port()
    for _ in range(START_ATTEMPTS):
        process = start_dev_server(port, data_dir / "temporal.log", db_path=db_path)
        if _serves(process, port):
            record = ServerRecord(port=port, pid=process.pid, db_path=str(db_path))
            _write_record(data_dir, record)
            return record
        # Another process took the port between our check and the bind: try a free one.
        _stop_pid(process.pid)
        port = free_port()
    raise TemporalUnavailableError(
        f"the embedded Temporal server did not start; see {data_dir / 'temporal.log'}"
    )


def _serves(process: subprocess.Popen[bytes], port: int) -> bool:
    """Wait until ``process`` itself listens on ``port``; False if it exits or never does.

    Checking only that the port answers is not enough: another server may hold it.
    """
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            sockets = psutil.Process(process.pid).net_connections(kind="tcp")
        except psutil.Error:
            return False
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in sockets):
            return True
        time.sleep(0.05)
    return False


def _stop_recorded(data_dir: Path) -> None:
    record = _read_record(data_dir)
    if record is not None and is_our_server(record):
        _stop_pid(record.pid)
    (data_dir / STATE_FILE).unlink(missing_ok=True)


def _stop_pid(pid: int) -> None:
    """SIGTERM, then SIGKILL after a deadline; reaps the process when it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_DEADLINE_S
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # started by another process
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
