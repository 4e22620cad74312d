"""A real OpenAI-compatible HTTP server for tests, and the pytest fixtures that run it.

Run as its own process (the fixtures do this once per test session)::

    python tests/openai_fake.py --port 8001 [--port-file FILE]

Endpoints, speaking the real protocol over HTTP/1.1:

- ``GET /v1/models``: one model, ``fake-model``.
- ``POST /v1/chat/completions``: with images, the default reply is ``{"frames": [...]}`` with one
  entry per image whose description names the image's size and mean colour (``"a 64x48 image,
  mean colour (200, 40, 40)"``; ``text`` is ``["64x48"]``), so a test can tell which frame got
  which answer. Without images, the reply quotes the first ``[mm:ss]`` of the messages:
  ``"The answer is at [00:04]."``. With ``"stream": true`` the reply comes as SSE
  ``chat.completion.chunk`` events, word by word, then ``data: [DONE]``.
- ``POST /_admin/script`` (a rule, below), ``POST /_admin/reset``, ``GET /_admin/requests``
  (what was received, and the most requests that were in flight at once).

A rule sets the behaviour of the next ``times`` requests (forever when ``times`` is null); rules
apply in the order scripted, then the default behaviour. Keys: ``status`` (answer with this HTTP
status and an OpenAI-style error body; ``retry_after`` sets the Retry-After header,
``error_message`` the message), ``delay_s`` (wait before answering), ``chunk_delay_s`` (wait
between streamed chunks), ``malformed`` (a 200 whose body, or streamed event, is not JSON),
``truncate_stream`` (stop streaming after the first word, without a finish or ``[DONE]``),
``reply_text`` (this text as the reply), ``drop_frame`` (leave frame k, 1-based, out of the
default vision reply), ``only`` (apply to ``"chat"`` or ``"models"`` requests only).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from process_helpers import stop
from videolens.config import Settings

MODEL_ID = "fake-model"
_MOMENT = re.compile(r"\[\d{1,2}:\d{2}\]")


# --- the server (runs in its own process) -------------------------------------------------------


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.rules: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.counter = 0

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.rules.clear()
            self.requests.clear()
            self.in_flight = 0
            self.max_in_flight = 0

    def begin(self, record: dict[str, Any], kind: str) -> tuple[int, dict[str, Any]]:
        """Record a request and take the rule that applies to it."""
        with self.lock:
            self.counter += 1
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            rule: dict[str, Any] = {}
            for candidate in self.rules:
                if candidate.get("only") in (None, kind):
                    rule = candidate
                    break
            if rule and rule.get("times") is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    self.rules.remove(rule)
            return self.generation, dict(rule)

    def end(self, generation: int, record: dict[str, Any]) -> None:
        with self.lock:
            if generation == self.generation:
                self.in_flight -= 1
                record["finished"] = time.monotonic()


STATE = _State()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path == "/_admin/requests":
            with STATE.lock:
                data = {
                    "requests": list(STATE.requests),
                    "max_in_flight": STATE.max_in_flight,
                    "in_flight": STATE.in_flight,
                }
            self._json(200, data)
        elif self.path == "/v1/models":
            self._served("models", None)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/_admin/script":
            with STATE.lock:
                STATE.rules.append(json.loads(body))
            self._json(200, {"ok": True})
        elif self.path == "/_admin/reset":
            STATE.reset()
            self._json(200, {"ok": True})
        elif self.path == "/v1/chat/completions":
            self._served("chat", body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _served(self, kind: str, body: bytes | None) -> None:
        payload: Any = None
        if body is not None:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
        images = _images(payload)
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {key.lower(): value for key, value in self.headers.items()},
            "json": _summarised(payload),
            "images": [{"mime": mime, "size": list(image.size)} for mime, image in images],
            "started": time.monotonic(),
        }
        generation, rule = STATE.begin(record, kind)
        try:
            if rule.get("delay_s"):
                time.sleep(float(rule["delay_s"]))
            self._respond(kind, payload, images, rule)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test)
        finally:
            STATE.end(generation, record)

    def _respond(self, kind: str, payload: Any, images: list[Any], rule: dict[str, Any]) -> None:
        if rule.get("status"):
            status = int(rule["status"])
            message = rule.get("error_message", f"scripted status {status}")
            headers = {"Retry-After": str(rule["retry_after"])} if "retry_after" in rule else {}
            self._json(
                status, {"error": {"message": message, "type": "fake", "code": status}}, headers
            )
            return
        stream = isinstance(payload, dict) and payload.get("stream") is True
        if rule.get("malformed") and not stream:
            self._send(200, b"this is not JSON {", "application/json")
            return
        if kind == "models":
            self._json(200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
            self._json(400, {"error": {"message": "messages is required", "type": "invalid"}})
            return
        text = rule.get("reply_text")
        if text is None:
            text = _vision_reply(images, rule) if images else _chat_reply(payload["messages"])
        model = str(payload.get("model", MODEL_ID))
        if stream:
            self._stream(text, model, rule)
        else:
            self._json(200, _completion(text, model))

    def _stream(self, text: str, model: str, rule: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        ident = f"chatcmpl-fake-{time.monotonic_ns()}"
        events = [_chunk(ident, model, {"role": "assistant", "content": ""}, None)]
        events += [_chunk(ident, model, {"content": word}, None) for word in _words(text)]
        if rule.get("malformed"):
            events.insert(2, "{this is not JSON")
        if rule.get("truncate_stream"):
            events = events[:2]
        else:
            events += [_chunk(ident, model, {}, "stop"), "[DONE]"]
        for event in events:
            self._write_chunk(f"data: {event}\n\n".encode())
            if rule.get("chunk_delay_s"):
                time.sleep(float(rule["chunk_delay_s"]))
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


def _images(payload: Any) -> list[Any]:
    """(mime, PIL image) for each ``image_url`` part of the messages, in order."""
    from PIL import Image

    found = []
    messages = payload.get("messages") if isinstance(payload, dict) else None
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict) or part.get("type") != "image_url":
                continue
            url = str(part.get("image_url", {}).get("url", ""))
            header, _, data = url.partition(",")
            mime = header.removeprefix("data:").removesuffix(";base64")
            image = Image.open(io.BytesIO(base64.b64decode(data)))
            image.load()
            found.append((mime, image))
    return found


def _summarised(payload: Any) -> Any:
    """The request body with each data URL shortened (tests check its start and length)."""
    if isinstance(payload, dict):
        return {key: _summarised(value) for key, value in payload.items()}
    if isinstance(payload, list):
        return [_summarised(value) for value in payload]
    if isinstance(payload, str) and payload.startswith("data:") and len(payload) > 64:
        return f"{payload[:40]}...({len(payload)} chars)"
    return payload


def _vision_reply(images: list[Any], rule: dict[str, Any]) -> str:
    from PIL import ImageStat

    frames = []
    for number, (_, image) in enumerate(images, start=1):
        if rule.get("drop_frame") == number:
            continue
        width, height = image.size
        red, green, blue = (round(v) for v in ImageStat.Stat(image.convert("RGB")).mean)
        frames.append(
            {
                "frame": number,
                "description": f"a {width}x{height} image, mean colour ({red}, {green}, {blue})",
                "objects": ["rectangle"],
                "people": [],
                "text": [f"{width}x{height}"],
                "actions": ["nothing moves"],
            }
        )
    return json.dumps({"frames": frames})


def _chat_reply(messages: list[Any]) -> str:
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        found = _MOMENT.search(content) if isinstance(content, str) else None
        if found:
            return f"The answer is at {found.group()}."
    return "I found no moment to cite."


def _words(text: str) -> list[str]:
    """``"a b c"`` → ``["a", " b", " c"]``: pieces that join back to the text."""
    return re.findall(r"\s*\S+", text) or [text]


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": len(text.split()), "total_tokens": 1},
    }


def _chunk(ident: str, model: str, delta: dict[str, Any], finish: str | None) -> str:
    return json.dumps(
        {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def serve(host: str, port: int, port_file: Path | None) -> None:
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    if port_file is not None:  # written whole, so a reader never sees half a number
        partial = port_file.with_suffix(".partial")
        partial.write_text(str(server.server_address[1]))
        partial.replace(port_file)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="write the bound port here")
    args = parser.parse_args()
    serve(args.host, args.port, args.port_file)


# --- the test side ------------------------------------------------------------------------------


@dataclass
class OpenAIFake:
    """A handle on the running fake: its base URL, and its admin endpoints."""

    base_url: str
    admin_url: str

    def script(self, times: int | None = None, **behaviour: Any) -> None:
        """Apply ``behaviour`` (keys in the module docstring) to the next ``times`` requests."""
        _admin("POST", f"{self.admin_url}/script", {**behaviour, "times": times})

    def script_summary(
        self, summary: str, chapters: list[tuple[str, str]], **behaviour: Any
    ) -> None:
        """Reply to chat requests with a session summary: ``summary`` and ``chapters`` as
        (``mm:ss`` start, title) pairs, in the JSON the summariser asks for."""
        chapter_list = [{"start": start, "title": title} for start, title in chapters]
        reply = {"summary": summary, "chapters": chapter_list}
        self.script(reply_text=json.dumps(reply), **behaviour)

    def requests(self, kind: str | None = None) -> list[dict[str, Any]]:
        """What the server received, oldest first; ``kind`` "chat" or "models" filters."""
        received: list[dict[str, Any]] = _admin("GET", f"{self.admin_url}/requests")["requests"]
        suffix = {"chat": "/chat/completions", "models": "/models", None: ""}[kind]
        return [r for r in received if r["path"].endswith(suffix)]

    def max_in_flight(self) -> int:
        """The most requests the server was handling at once since the last reset."""
        return int(_admin("GET", f"{self.admin_url}/requests")["max_in_flight"])

    def reset(self) -> None:
        _admin("POST", f"{self.admin_url}/reset", {})

    def vision_settings(self, settings: Settings, **fields: Any) -> Settings:
        """``settings`` with this fake as the vision model (the OpenAI-compatible backend at its
        URL, ``MODEL_ID``), and ``fields``."""
        vision = {"backend": "openai", "vision_base_url": self.base_url, "vision_model": MODEL_ID}
        return settings.model_copy(update={**vision, **fields})


def fake_settings(tmp_path: Path, **fields: Any) -> Settings:
    """Settings from ``fields`` alone (no .env file) on a data dir under ``tmp_path``: the
    settings of tests that talk to this fake, or to no model at all."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", **fields)  # type: ignore[call-arg]


def _admin(method: str, url: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10.0) as response:
        return json.loads(response.read())


@pytest.fixture(scope="session")
def openai_fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenAIFake]:
    """The fake server as a separate process, started once for the test session."""
    port_file = tmp_path_factory.mktemp("openai_fake") / "port"
    process = subprocess.Popen(
        [sys.executable, __file__, "--port", "0", "--port-file", str(port_file)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20.0
        while not port_file.exists():
            if process.poll() is not None:
                raise RuntimeError(f"the OpenAI fake exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the OpenAI fake did not start within 20 s")
            time.sleep(0.02)
        root = f"http://127.0.0.1:{int(port_file.read_text())}"
        yield OpenAIFake(base_url=f"{root}/v1", admin_url=f"{root}/_admin")
    finally:
        stop(process, timeout_s=5)


@pytest.fixture
def openai_fake(openai_fake_server: OpenAIFake) -> OpenAIFake:
    """The fake, with its rules and request log cleared for this test."""
    openai_fake_server.reset()
    return openai_fake_server


if __name__ == "__main__":
    main()
