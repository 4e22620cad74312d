"""Streaming multipart uploads: chunks go straight to a staging file, never whole into memory.

The size limit is enforced as bytes arrive (and up front from ``Content-Length``); on any error
the partial file is deleted. An upload declared larger than the disk's free space is refused
before a byte is written, one that fills the disk raises ``OutOfSpaceError`` (507). The client's
filename is kept only as display metadata. A writer holds an exclusive ``flock`` on its
``.part`` file, so parts left by a killed server (no lock, no recent write) can be told apart from
uploads in progress and removed.
"""

from __future__ import annotations

import fcntl
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from videolens.api.errors import ApiError
from videolens.errors import OutOfSpaceError
from videolens.store.space import free_bytes, human_bytes, raising_out_of_space

FILE_FIELD = "file"
# Room for the multipart envelope and the small option fields around the file.
ENVELOPE_BYTES = 64 * 1024
MAX_FIELD_BYTES = 4096
MAX_PARTS = 16
# Disk writes leave the event loop in batches of this size.
FLUSH_BYTES = 1024 * 1024
PART_SUFFIX = ".part"
STALE_PART_S = 10.0
"""An unlocked part untouched this long has no writer: its server was killed mid-upload."""

logger = logging.getLogger(__name__)


@dataclass
class StagedUpload:
    """A complete upload on disk, waiting to be probed."""

    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def display_filename(raw: str) -> str:
    """A safe name to show: the last path component, printable, at most 120 characters."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()\[\]]", "_", name).strip(" .")
    return name[:120] or "upload"


class _PartCollector:
    """Parser callbacks: file bytes into ``pending`` (flushed by the caller), fields in memory."""

    def __init__(self, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.file_bytes = 0
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self.parts = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._name = ""
        self._is_file = False
        self._value = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ApiError(400, "bad_request", f"at most {MAX_PARTS} form parts are accepted")
        self._headers, self._value = {}, bytearray()

    def _header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = self._name == FILE_FIELD
        if self._is_file:
            if self.filename is not None:
                raise ApiError(400, "bad_request", "send one `file` part only", field=FILE_FIELD)
            raw_name = params.get(b"filename", b"").decode("utf-8", "replace")
            self.filename = display_filename(raw_name)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file:
            self._value.extend(data[start:end])
            if len(self._value) > MAX_FIELD_BYTES:
                raise ApiError(
                    413, "field_too_large", f"{self._name} is too long", field=self._name
                )
            return
        self.file_bytes += end - start
        if self.file_bytes > self.max_file_bytes:
            raise _too_large(self.max_file_bytes)
        self.pending.append(data[start:end])
        self.pending_bytes += end - start

    def _part_end(self) -> None:
        if not self._is_file and self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def take_pending(self) -> bytes:
        chunk = b"".join(self.pending)
        self.pending, self.pending_bytes = [], 0
        return chunk


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413, "payload_too_large", f"the upload exceeds the limit of {limit} bytes", field=FILE_FIELD
    )


def _boundary(request: Request) -> bytes:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(
            415, "unsupported_media_type", "send the video as multipart/form-data in a `file` part"
        )
    return boundary


def _check_declared_length(request: Request, max_bytes: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + ENVELOPE_BYTES:
        raise _too_large(max_bytes)


async def receive_upload(
    request: Request, staging_dir: Path, max_bytes: int, read_timeout_s: float
) -> StagedUpload:
    """Stream the request's multipart body to a new file in ``staging_dir``.

    A client that hangs up raises :class:`ClientDisconnect`, one that stalls for
    ``read_timeout_s`` a 408; either way the partial file is removed.
    """
    boundary = _boundary(request)
    _check_declared_length(request, max_bytes)
    await anyio.to_thread.run_sync(_check_room, request, staging_dir)
    path = staging_dir / f"{secrets.token_hex(8)}{PART_SUFFIX}"
    collector = _PartCollector(max_bytes)
    try:
        with raising_out_of_space(staging_dir):
            await anyio.to_thread.run_sync(lambda: staging_dir.mkdir(parents=True, exist_ok=True))
            handle: BinaryIO = await anyio.to_thread.run_sync(_open_locked, path)
            try:
                parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
                await _parse_into(request, parser, collector, handle, max_bytes, read_timeout_s)
            finally:
                await anyio.to_thread.run_sync(handle.close)
        if collector.filename is None:
            raise ApiError(422, "validation_error", "a `file` part is required", field=FILE_FIELD)
        if collector.file_bytes == 0:
            raise ApiError(422, "empty_upload", "the uploaded file is empty", field=FILE_FIELD)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedUpload(path, collector.filename, collector.file_bytes, collector.fields)


def _check_room(request: Request, staging_dir: Path) -> None:
    """Refuse an upload whose declared length is more than the disk has free."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        return
    free = free_bytes(staging_dir)
    if int(declared) > free:
        raise OutOfSpaceError(
            f"an upload of {human_bytes(int(declared))} does not fit: {human_bytes(free)} free "
            f"on the disk holding {staging_dir}"
        )


def _open_locked(path: Path) -> BinaryIO:
    # "xb": never follows or overwrites anything already there; the lock marks a live writer.
    handle = path.open("xb")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def remove_stale_parts(staging_dir: Path) -> int:
    """Remove the ``.part`` files in ``staging_dir`` that no live process is writing.

    A part is stale when nobody holds its lock and it has not been written to for a few
    seconds (the lock is taken just after the file is created). Returns how many were removed.
    """
    if not staging_dir.is_dir():
        return 0
    removed = 0
    for path in staging_dir.glob(f"*{PART_SUFFIX}"):
        try:
            if time.time() - path.stat().st_mtime < STALE_PART_S:
                continue
            with path.open("rb") as probe:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while being written
                path.unlink()
        except (BlockingIOError, FileNotFoundError):
            continue
        except OSError as err:
            logger.warning("could not remove the stale upload part %s: %s", path.name, err)
            continue
        removed += 1
    return removed


async def _parse_into(
    request: Request,
    parser: MultipartParser,
    collector: _PartCollector,
    handle: BinaryIO,
    max_bytes: int,
    read_timeout_s: float,
) -> None:
    body_bytes = 0
    try:
        async for chunk in _body_chunks(request, read_timeout_s):
            body_bytes += len(chunk)
            if body_bytes > max_bytes + ENVELOPE_BYTES:
                raise _too_large(max_bytes)
            parser.write(chunk)
            if collector.pending_bytes >= FLUSH_BYTES:
                await anyio.to_thread.run_sync(handle.write, collector.take_pending())
        parser.finalize()
    except MultipartParseError as err:
        raise ApiError(400, "bad_request", "the multipart body is malformed") from err
    if collector.pending_bytes:
        await anyio.to_thread.run_sync(handle.write, collector.take_pending())


async def _body_chunks(request: Request, read_timeout_s: float) -> AsyncIterator[bytes]:
    """The request body as it arrives; :class:`ClientDisconnect` when the client hangs up, a
    408 when it sends nothing for ``read_timeout_s`` (a declared body that never comes)."""
    while True:
        try:
            with anyio.fail_after(read_timeout_s):
                message = await request.receive()
        except TimeoutError as err:
            raise ApiError(
                408,
                "request_timeout",
                f"the upload sent nothing for {read_timeout_s:g} s and was dropped",
                headers={"Connection": "close"},
            ) from err
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
