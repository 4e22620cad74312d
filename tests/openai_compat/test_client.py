"""The OpenAI-compatible client against a real server process (tests/openai_fake.py)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from openai_fake import OpenAIFake
from videolens.errors import ConfigurationError
from videolens.openai_compat import AsyncOpenAICompatClient, OpenAICompatClient, errors
from videolens.openai_compat.protocol import display_url, parse_retry_after

KEY = "sk-test-0123456789-SECRET"
QUESTION = [
    {"role": "system", "content": "Moments: [00:04] a red frame; [00:09] a blue frame."},
    {"role": "user", "content": "When is the frame red?"},
]


def _client(fake: OpenAIFake, **kwargs: Any) -> OpenAICompatClient:
    kwargs.setdefault("api_key", KEY)
    return OpenAICompatClient(fake.base_url, "fake-chat", **kwargs)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("slash", ["", "/"])
def test_chat_sends_the_request_and_returns_the_reply(openai_fake: OpenAIFake, slash: str) -> None:
    with OpenAICompatClient(openai_fake.base_url + slash, "fake-chat", api_key=KEY) as client:
        answer = client.chat(QUESTION, max_tokens=50, response_format={"type": "json_object"})
    assert answer == "The answer is at [00:04]."
    (request,) = openai_fake.requests("chat")
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    body = request["json"]
    assert body["model"] == "fake-chat"
    assert body["messages"] == QUESTION
    assert body["stream"] is False
    assert body["max_tokens"] == 50
    assert body["temperature"] == 0.0
    assert body["response_format"] == {"type": "json_object"}


def test_no_authorization_header_without_a_key(openai_fake: OpenAIFake) -> None:
    with _client(openai_fake, api_key=None) as client:
        client.chat(QUESTION)
    (request,) = openai_fake.requests("chat")
    assert "authorization" not in request["headers"]
    assert "max_tokens" not in request["json"]


def test_stream_chat_yields_the_reply_piece_by_piece(openai_fake: OpenAIFake) -> None:
    openai_fake.script(chunk_delay_s=0.1)
    with _client(openai_fake) as client:
        started = time.monotonic()
        arrivals: list[float] = []
        pieces: list[str] = []
        for piece in client.stream_chat(QUESTION, max_tokens=20):
            arrivals.append(time.monotonic() - started)
            pieces.append(piece)
    assert "".join(pieces) == "The answer is at [00:04]."
    assert pieces == ["The", " answer", " is", " at", " [00:04]."]
    # The first word arrived while the server was still streaming the rest.
    assert arrivals[0] < arrivals[-1] - 0.25
    (request,) = openai_fake.requests("chat")
    assert request["json"]["stream"] is True
    assert request["json"]["temperature"] == 0.2


def test_list_models(openai_fake: OpenAIFake) -> None:
    with _client(openai_fake) as client:
        assert client.list_models() == ["fake-model"]
    (request,) = openai_fake.requests("models")
    assert request["method"] == "GET"


def test_a_fixed_reply_text(openai_fake: OpenAIFake) -> None:
    openai_fake.script(reply_text="ünïcode ✓ reply", times=2)
    with _client(openai_fake) as client:
        assert client.chat(QUESTION) == "ünïcode ✓ reply"
        assert "".join(client.stream_chat(QUESTION)) == "ünïcode ✓ reply"
        assert client.chat(QUESTION) == "The answer is at [00:04]."


ERROR_CASES: list[tuple[dict[str, Any], type[errors.EndpointError]]] = [
    ({"status": 401}, errors.EndpointAuthError),
    ({"status": 403}, errors.EndpointAuthError),
    ({"status": 429, "retry_after": "7"}, errors.EndpointRateLimitError),
    ({"status": 500}, errors.EndpointServerError),
    ({"status": 503}, errors.EndpointServerError),
    ({"status": 404}, errors.EndpointRequestError),
    ({"status": 400}, errors.EndpointRequestError),
    ({"malformed": True}, errors.EndpointReplyError),
]


@pytest.mark.parametrize(("behaviour", "error"), ERROR_CASES)
@pytest.mark.parametrize("call", ["chat", "stream_chat"])
def test_each_failure_has_its_error_type(
    openai_fake: OpenAIFake, behaviour: dict[str, Any], error: type[errors.EndpointError], call: str
) -> None:
    # The server echoes the key back, as some do: no message may repeat it.
    openai_fake.script(times=1, error_message=f"bad things about {KEY}", **behaviour)
    with _client(openai_fake, key_hint="VIDEOLENS_CHAT_API_KEY") as client:
        with pytest.raises(error) as caught:
            if call == "chat":
                client.chat(QUESTION)
            else:
                list(client.stream_chat(QUESTION))
        assert client.chat(QUESTION) == "The answer is at [00:04]."  # the rule was used up
    message = str(caught.value)
    assert KEY not in message
    assert "127.0.0.1" in message
    if error is errors.EndpointAuthError:
        assert "VIDEOLENS_CHAT_API_KEY" in message
    if "status" in behaviour:
        assert caught.value.status == behaviour["status"]
        assert str(behaviour["status"]) in message
    if error is errors.EndpointRateLimitError:
        assert isinstance(caught.value, errors.EndpointRateLimitError)
        assert caught.value.retry_after_s == 7.0
    server_or_request = (errors.EndpointServerError, errors.EndpointRequestError)
    if error in server_or_request and behaviour["status"] != 401:
        assert "bad things about ***" in message  # the server's own message, redacted


def test_retry_after_as_an_http_date(openai_fake: OpenAIFake) -> None:
    openai_fake.script(times=1, status=429, retry_after=formatdate(time.time() + 30, usegmt=True))
    with _client(openai_fake) as client, pytest.raises(errors.EndpointRateLimitError) as caught:
        client.chat(QUESTION)
    assert caught.value.retry_after_s is not None
    assert 25 <= caught.value.retry_after_s <= 31


def test_a_429_without_retry_after(openai_fake: OpenAIFake) -> None:
    openai_fake.script(times=1, status=429)
    with _client(openai_fake) as client, pytest.raises(errors.EndpointRateLimitError) as caught:
        client.chat(QUESTION)
    assert caught.value.retry_after_s is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # in the past
        ({"retry-after": "soon"}, None),
        ({"retry-after": "nan"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


@pytest.mark.parametrize("call", ["chat", "stream_chat", "list_models"])
def test_a_slow_server_times_out(openai_fake: OpenAIFake, call: str) -> None:
    openai_fake.script(times=1, delay_s=2.0)
    with _client(openai_fake, timeout_s=0.2) as client:
        started = time.monotonic()
        with pytest.raises(errors.EndpointTimeoutError, match=r"did not answer within 0\.2 s"):
            if call == "stream_chat":
                list(client.stream_chat(QUESTION))
            else:
                getattr(client, call)(*([QUESTION] if call == "chat" else []))
        assert time.monotonic() - started < 1.5


def test_a_stream_that_stalls_between_chunks_times_out(openai_fake: OpenAIFake) -> None:
    openai_fake.script(times=1, chunk_delay_s=0.8)
    with _client(openai_fake, timeout_s=0.3) as client:
        pieces: list[str] = []
        with pytest.raises(errors.EndpointTimeoutError):
            pieces.extend(client.stream_chat(QUESTION))
    assert pieces == []  # the role chunk carried no text; the stall came before the first word


def test_a_cut_stream_is_an_error(openai_fake: OpenAIFake) -> None:
    openai_fake.script(times=1, truncate_stream=True)
    pieces: list[str] = []
    with _client(openai_fake) as client, pytest.raises(errors.EndpointReplyError, match="before"):
        pieces.extend(client.stream_chat(QUESTION))
    assert pieces == ["The"]


def test_an_unreachable_endpoint() -> None:
    client = OpenAICompatClient(f"http://127.0.0.1:{_closed_port()}/v1", "m", api_key=KEY)
    with client, pytest.raises(errors.EndpointUnreachableError, match="cannot connect"):
        client.chat(QUESTION)


def test_a_base_url_without_a_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="http://"):
        OpenAICompatClient("127.0.0.1:8000/v1", "m")


def test_the_key_never_reaches_logs_or_repr(
    openai_fake: OpenAIFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with _client(openai_fake) as client:
        client.chat(QUESTION)
        list(client.stream_chat(QUESTION))
        openai_fake.script(times=1, status=500, error_message=KEY)
        with pytest.raises(errors.EndpointServerError):
            client.chat(QUESTION)
        assert KEY not in repr(client)
    assert caplog.records  # logging did happen
    assert KEY not in caplog.text


def test_urls_shown_to_users_lose_credentials() -> None:
    assert display_url("https://user:pw@host:8443/v1?key=abc") == "https://host:8443/v1"


def _mock(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def test_a_server_that_ignores_stream_still_answers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "whole"}}]}
        return httpx.Response(200, json=body)

    client = OpenAICompatClient("http://fake/v1", "m", transport=_mock(handler))
    assert list(client.stream_chat(QUESTION)) == ["whole"]


def test_sse_comments_usage_chunks_and_reasoning_are_skipped() -> None:
    events = [
        ": keep-alive",
        'data: {"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"hm"}}]}',
        'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}',
        'data:{"choices":[{"index":0,"delta":{"content":" there","tool_calls":null}}]}',
        'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
        'data: {"choices":[],"usage":{"total_tokens":3}}',
        "data: [DONE]",
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        text = "".join(f"{event}\r\n\r\n" for event in events)
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    client = OpenAICompatClient("http://fake/v1", "m", transport=_mock(handler))
    assert list(client.stream_chat(QUESTION)) == ["Hi", " there"]


def test_an_error_event_mid_stream_is_a_server_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        text = (
            'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'
            'data: {"error":{"message":"oom"}}\n\n'
        )
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    client = OpenAICompatClient("http://fake/v1", "m", transport=_mock(handler))
    with pytest.raises(errors.EndpointServerError, match="oom"):
        list(client.stream_chat(QUESTION))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"choices": []},
        {"choices": [{"index": 0}]},
        {
            "choices": [
                {"message": {"role": "assistant", "content": None}, "finish_reason": "length"}
            ]
        },
        [1, 2],
    ],
)
def test_replies_without_text_are_reply_errors(body: Any) -> None:
    client = OpenAICompatClient(
        "http://fake/v1", "m", transport=_mock(lambda request: httpx.Response(200, json=body))
    )
    with pytest.raises(errors.EndpointReplyError):
        client.chat(QUESTION)


def test_content_parts_are_joined() -> None:
    body = {"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"text": "b"}]}}]}
    client = OpenAICompatClient(
        "http://fake/v1", "m", transport=_mock(lambda request: httpx.Response(200, json=body))
    )
    assert client.chat(QUESTION) == "ab"


# --- async ---------------------------------------------------------------------------------------


def test_async_chat_stream_and_models(openai_fake: OpenAIFake) -> None:
    async def scenario() -> tuple[str, list[str], list[str]]:
        async with AsyncOpenAICompatClient(openai_fake.base_url, "fake-chat", KEY) as client:
            answer = await client.chat(QUESTION, max_tokens=10)
            pieces = [piece async for piece in client.stream_chat(QUESTION)]
            models = await client.list_models()
        return answer, pieces, models

    answer, pieces, models = asyncio.run(scenario())
    assert answer == "The answer is at [00:04]."
    assert len(pieces) == 5
    assert "".join(pieces) == answer
    assert models == ["fake-model"]
    chat, stream = openai_fake.requests("chat")
    assert chat["headers"]["authorization"] == f"Bearer {KEY}"
    assert chat["json"]["max_tokens"] == 10
    assert stream["json"]["stream"] is True


@pytest.mark.parametrize(("behaviour", "error"), ERROR_CASES)
def test_async_errors(openai_fake: OpenAIFake, behaviour: dict[str, Any], error: type) -> None:
    openai_fake.script(times=2, error_message=KEY, **behaviour)

    async def scenario() -> list[BaseException]:
        caught: list[BaseException] = []
        async with AsyncOpenAICompatClient(openai_fake.base_url, "m", KEY) as client:
            for call in (client.chat(QUESTION), _drain(client.stream_chat(QUESTION))):
                try:
                    await call
                except errors.EndpointError as err:
                    caught.append(err)
        return caught

    caught = asyncio.run(scenario())
    assert [type(err) for err in caught] == [error, error]
    assert all(KEY not in str(err) for err in caught)
    if error is errors.EndpointRateLimitError:
        assert all(getattr(err, "retry_after_s", None) == 7.0 for err in caught)


async def _drain(pieces: Any) -> list[str]:
    return [piece async for piece in pieces]


def test_async_timeout_and_unreachable(openai_fake: OpenAIFake) -> None:
    openai_fake.script(times=1, delay_s=1.0)

    async def scenario() -> tuple[BaseException, BaseException]:
        client = AsyncOpenAICompatClient(openai_fake.base_url, "m", timeout_s=0.2)
        gone = AsyncOpenAICompatClient(f"http://127.0.0.1:{_closed_port()}/v1", "m")
        try:
            with pytest.raises(errors.EndpointTimeoutError) as slow:
                await client.chat(QUESTION)
            with pytest.raises(errors.EndpointUnreachableError) as refused:
                await _drain(gone.stream_chat(QUESTION))
        finally:
            await client.aclose()
            await gone.aclose()
        return slow.value, refused.value

    slow, refused = asyncio.run(scenario())
    assert "0.2 s" in str(slow)
    assert "cannot connect" in str(refused)
