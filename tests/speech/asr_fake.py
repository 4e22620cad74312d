"""A real OpenAI-compatible ``/v1/audio/transcriptions`` server for tests, on a thread.

It speaks the protocol over HTTP/1.1: a multipart/form-data upload (``file``, ``model``,
``response_format``, optional ``language``), answered with ``verbose_json``. It cannot
recognise words, so its "transcript" describes the sound it received: one segment per stretch of
the uploaded WAV louder than -40 dBFS (pauses under 0.5 s joined), with text ``"sound 1"``,
``"sound 2"`` …, and ``language: "english"``. A test can thereby check what audio arrived and
that times come back in the right place.

``script`` sets replies for the next requests: ``{"status": 401}`` (an OpenAI-style error),
``{"status": 429, "retry_after": "3"}``, ``{"body": "not json"}``, ``{"json": {...}}``.
With ``api_key`` set, requests without ``Authorization: Bearer <key>`` get a 401.
"""

from __future__ import annotations

import io
import json
import threading
import wave
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest


class FakeASR:
    """The server's state: scripted replies, received requests, the expected key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.api_key: str | None = None
        self.base_url = ""

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.requests.clear()
            self.api_key = None


def _form(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name → (filename, content)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _sounds(wav_data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The WAV's format, and a verbose_json segment per loud stretch."""
    with wave.open(io.BytesIO(wav_data), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    info = {"rate": rate, "channels": channels, "width": width, "seconds": pcm.size / rate}
    frame = rate // 50
    levels = np.abs(pcm[: pcm.size // frame * frame].reshape(-1, frame)).max(axis=1)
    loud = np.flatnonzero(levels > 327)
    stretches: list[list[float]] = []
    for index in loud:
        start, end = index / 50, (index + 1) / 50
        if stretches and start - stretches[-1][1] < 0.5:
            stretches[-1][1] = end
        else:
            stretches.append([start, end])
    segments = [
        {"id": i, "seek": 0, "start": round(a, 2), "end": round(b, 2), "text": f" sound {i + 1}",
         "avg_logprob": -0.2, "no_speech_prob": 0.01, "compression_ratio": 1.0}
        for i, (a, b) in enumerate(stretches)
    ]  # fmt: skip
    return info, segments


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: FakeASR

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/audio/transcriptions":
            self._reply(404, {"error": {"message": f"no route {self.path}"}})
            return
        fields = _form(self.headers.get("Content-Type", ""), body)
        record = {name: value.decode() for name, (fn, value) in fields.items() if fn is None}
        record["authorization"] = self.headers.get("Authorization")
        record["filename"] = fields.get("file", (None, b""))[0]
        info, segments = _sounds(fields["file"][1]) if "file" in fields else ({}, [])
        record["audio"] = info
        with self.state.lock:
            self.state.requests.append(record)
            rule = self.state.script.pop(0) if self.state.script else {}
            key = self.state.api_key
        if key and record["authorization"] != f"Bearer {key}":
            self._reply(401, {"error": {"message": f"Incorrect API key provided: {key[:3]}..."}})
        elif "status" in rule:
            headers = {"Retry-After": rule["retry_after"]} if "retry_after" in rule else {}
            message = rule.get("message", "scripted failure")
            self._reply(rule["status"], {"error": {"message": message}}, headers)
        elif "body" in rule:
            self._send(200, rule["body"].encode(), "application/json", {})
        elif "json" in rule:
            self._reply(200, rule["json"])
        else:
            text = " ".join(s["text"].strip() for s in segments)
            duration = info.get("seconds", 0.0)
            reply = {"task": "transcribe", "language": "english", "duration": duration,
                     "text": text, "segments": segments}  # fmt: skip
            self._reply(200, reply)

    def _reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers or {})

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def asr_server() -> Iterator[FakeASR]:
    state = FakeASR()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def asr(asr_server: FakeASR) -> FakeASR:
    """The fake server, reset for this test."""
    asr_server.reset()
    return asr_server
