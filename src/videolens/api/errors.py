"""One JSON error shape for every failure: ``{"error": {"code", "message", "field"?}}``."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from videolens.api.headers import security_headers
from videolens.chat.answer import InvalidQuestionError
from videolens.errors import (
    ConfigurationError,
    InvalidVideoError,
    OutOfSpaceError,
    SessionNotFoundError,
    TemporalUnavailableError,
    VideoLensError,
)
from videolens.exports import ChaptersUnavailableError, NoSpeechError, UnknownExportFormatError
from videolens.openai_compat import (
    EndpointAuthError,
    EndpointError,
    EndpointRateLimitError,
    EndpointTimeoutError,
)

logger = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
    507: "insufficient_storage",
}


class ApiError(Exception):
    """An error a client can act on; raised by routes and dependencies."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.field, self.headers = field, headers


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def _response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, error.field),
        status_code=error.status,
        headers=error.headers,
    )


def from_videolens_error(err: VideoLensError) -> ApiError:
    if isinstance(err, SessionNotFoundError):
        return ApiError(404, "not_found", "no such session")
    if isinstance(err, InvalidVideoError):
        return ApiError(415, "invalid_video", str(err), field="file")
    if isinstance(err, ConfigurationError):
        return ApiError(422, "invalid_option", str(err))
    if isinstance(err, TemporalUnavailableError):
        return ApiError(503, "temporal_unavailable", str(err))
    if isinstance(err, OutOfSpaceError):
        # The server's paths stay in its log (see the handler); the client learns what to do.
        return ApiError(
            507,
            "insufficient_storage",
            "the server is out of disk space; try again once space has been freed",
        )
    if isinstance(err, InvalidQuestionError):
        return ApiError(422, "invalid_question", str(err), field="question")
    if isinstance(err, UnknownExportFormatError):
        return ApiError(422, "invalid_option", str(err), field="format")
    if isinstance(err, NoSpeechError):
        return ApiError(409, "no_speech", str(err), field="format")
    if isinstance(err, ChaptersUnavailableError):
        return ApiError(409, "no_chapters", str(err), field="format")
    if isinstance(err, EndpointAuthError):
        return ApiError(502, "chat_unauthorized", str(err))
    if isinstance(err, EndpointRateLimitError):
        retry = {"Retry-After": str(math.ceil(err.retry_after_s))} if err.retry_after_s else None
        return ApiError(503, "chat_rate_limited", str(err), headers=retry)
    if isinstance(err, EndpointTimeoutError):
        return ApiError(504, "chat_timeout", str(err))
    if isinstance(err, EndpointError):
        return ApiError(502, "chat_unavailable", str(err))
    return ApiError(500, "internal_error", "the server failed; see its log")


def _field(loc: Any) -> str:
    # ("query", "limit") -> "limit"; ("body", "file") -> "file"; nested parts joined with dots.
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _response(exc)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(exc.headers) if exc.headers else None
        return _response(ApiError(exc.status_code, code, message, headers=headers))

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | WebSocketRequestValidationError)
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = _field(first.get("loc", ()))
        message = f"{field}: {first.get('msg', 'invalid value')}"
        return _response(ApiError(422, "validation_error", message, field=field))

    async def videolens_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, VideoLensError)
        error = from_videolens_error(exc)
        if isinstance(exc, OutOfSpaceError):
            logger.error("request failed: %s", exc)  # which disk is full, for the operator
        elif error.status >= 500:
            logger.error("request failed: %s", type(exc).__name__)
        return _response(error)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        response = _response(ApiError(500, "internal_error", "the server failed; see its log"))
        # Starlette answers this one outside every middleware: the headers are added here.
        for name, value in security_headers(request.url.path):
            response.headers[name.decode()] = value.decode()
        return response

    async def client_gone(request: Request, _: Exception) -> Response:
        # Not a server failure: nobody is left to answer. 499 (nginx's "client closed request")
        # is what the access log and the request metrics record.
        logger.info(
            "%s %s: the client closed the connection mid-request", request.method, request.url.path
        )
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(VideoLensError, videolens_error)
    app.add_exception_handler(Exception, unexpected)
