"""The error answers each route can give, written into the OpenAPI document.

Most errors come from what a route depends on, not from its own body: a key (401, 429), an admin
key (403), a path naming a resource (404), parameters or a body to validate (422). They are
added here from each route's dependencies, so a new route is documented as truthfully as the old
ones; what only one route answers (409, 413, 415, 503, 507, ...) it declares itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute

from videolens.api.deps import admin_principal, media_principal, principal
from videolens.api.responses import publish_schemas


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable name for the case, e.g. `not_found`")
    message: str = Field(description="What is wrong and what to do, for a person")
    field: str | None = Field(default=None, description="The parameter at fault, if one is")


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "field"?}}``."""

    error: ErrorDetail


ERROR_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
}
_AUTHENTICATED = {principal, media_principal, admin_principal}


def error_response(description: str) -> dict[str, Any]:
    """An OpenAPI response entry for an error with the shared body."""
    return {"description": description, "content": ERROR_CONTENT}


def document_errors(app: FastAPI) -> None:
    """Add the errors each route's dependencies can raise to its ``responses`` (kept where the
    route already describes one), and the error body's schema to the document."""
    publish_schemas(app, (ErrorBody,))
    for route in _api_routes(app.routes):
        for status, description in _dependency_errors(route):
            route.responses.setdefault(status, error_response(description))
            # A route's own entry keeps its words and gains the body's schema.
            route.responses[status].setdefault("content", ERROR_CONTENT)


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """The app's API routes, inside included routers too (FastAPI includes a router lazily:
    its own route objects, changed before the first request, are what it serves)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            yield from _api_routes(included.routes)


def _dependency_errors(route: APIRoute) -> Iterator[tuple[int, str]]:
    calls = {dependant.call for dependant in _flattened(route.dependant)}
    if calls & _AUTHENTICATED:
        yield 401, "No key, or a key that is invalid, revoked or expired"
        yield 429, "Over this key's rate limit; `Retry-After` says when to try again"
    if admin_principal in calls:
        yield 403, "Needs an admin key"
    if "{" in route.path_format:
        yield 404, "No such resource, or not yours"
    if _has_input(route.dependant):
        yield 422, "A parameter or the body is invalid; `field` names it"


def _flattened(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _flattened(child)


def _has_input(dependant: Dependant) -> bool:
    return any(
        d.path_params or d.query_params or d.header_params or d.body_params or d.cookie_params
        for d in _flattened(dependant)
    )
